"""Schemathesis against the resolver's, QR, label and certificate operations, as
``tests/test_http_fuzz.py`` does for the rest of the API: no request answers 500, and every
answer is documented (status, content type, schema). The demo data is in the store, so
documented paths reach real lots as well as unknown ones. SQLite and PostgreSQL.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from api.app import create_app
from ledger.config import Settings
from ledger.demo import seed_demo
from tests.test_http_helpers import TestClient, log_key_file_fixture, service  # noqa: F401

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    import schemathesis
    from schemathesis import Case
    from schemathesis.checks import (
        content_type_conformance,
        not_a_server_error,
        response_schema_conformance,
        status_code_conformance,
    )
    from schemathesis.core.result import Ok

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
OURS = ("/01/", "/qr/", "/lots/{lot}/page", "/lots/{lot}/labels", "/lots/{lot}/certificate")


@pytest.fixture
def served(settings: Settings, log_key_file: Path) -> Iterator[TestClient]:
    app = create_app(settings, service())
    seed_demo(app.state.ledger)
    app.state.log.integrate()
    with TestClient(app) as client:
        yield client


def test_no_scan_operation_answers_500_or_undocumented(served: TestClient) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", served.app)
    operations = [result.ok() for result in schema.get_all_operations()
                  if isinstance(result, Ok) and result.ok().path.startswith(OURS)]
    assert len(operations) == 6
    failures: list[str] = []
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=12, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck),
                  phases=[Phase.explicit, Phase.generate])
        def call(case: Case[Any]) -> None:
            case.call_and_validate(checks=CHECKS)

        try:
            call()
        except Exception as error:  # every operation's failure, then report them all
            failures.append(f"{operation.method.upper()} {operation.path}: {error}")
    assert not failures, "\n\n".join(failures)
