"""Schemathesis against ``/openapi.json``, every operation, on SQLite and PostgreSQL: no request
can produce a 500, and every answer is documented (its status, content type and schema).

The store holds the kiwifruit journey, so the documented examples (KG1, coop-xixiang, …) reach
real lots; each operation is called without a token and with a cooperative's, an inspector's
and the admin's. Hypothesis is derandomized and bounded (a few examples per operation) so the
run is repeatable and short.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from api.app import create_app
from ledger.application import Ledger
from ledger.config import Settings
from tests.journeys import COOP, INSPECTOR, kiwi_journey
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
EXAMPLES = 4


@pytest.fixture
def served(settings: Settings, log_key_file: Path) -> Iterator[tuple[TestClient, list[str]]]:
    app = create_app(settings, service())
    ledger: Ledger = app.state.ledger
    kiwi_journey(ledger)
    app.state.log.integrate()
    tokens = [ledger.issue_token(org).token for org in (COOP, INSPECTOR, None)]
    with TestClient(app) as client:
        yield client, tokens


def test_no_operation_answers_500_or_undocumented(served: tuple[TestClient, list[str]]) -> None:
    client, tokens = served
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    callers: list[dict[str, str]] = [{}, *({"Authorization": f"Bearer {t}"} for t in tokens)]
    failures: list[str] = []
    results = list(schema.get_all_operations())
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) == len(results)  # every operation's description is valid
    assert len(operations) >= 40

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck),
                  phases=[Phase.explicit, Phase.generate])
        def call(case: Case[Any]) -> None:
            for headers in callers:
                case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            call()
        except Exception as error:  # collect every operation's failure, then report them all
            failures.append(f"{operation.method.upper()} {operation.path}: {error}")
    assert not failures, "\n\n".join(failures)
