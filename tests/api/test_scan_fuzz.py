"""Schemathesis against the resolver's, QR, label and certificate operations, as
``tests/api/test_http_fuzz.py`` does for the rest of the API: no request answers 500, and every
answer is documented (status, content type, schema). The demo data is in the store, so
documented paths reach real lots as well as unknown ones. SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from api.app import create_app
from api.services import services_of
from ledger.config import Settings
from ledger.demo import seed_demo
from tests.api.test_http_helpers import TestClient, log_key_file_fixture, service  # noqa: F401
from tests.fuzzing import fuzz_operations

OURS = ("/01/", "/qr/", "/lots/{lot}/page", "/lots/{lot}/labels", "/lots/{lot}/certificate",
        "/{compressed}", "/.well-known/gs1resolver")


@pytest.fixture
def served(settings: Settings, log_key_file: Path) -> Iterator[TestClient]:
    app = create_app(settings, service())
    seed_demo(services_of(app).ledger)
    services_of(app).log.integrate()
    with TestClient(app) as client:
        yield client


def test_no_scan_operation_answers_500_or_undocumented(served: TestClient) -> None:
    fuzzed, failures = fuzz_operations(served.app, examples=12,
                                       callers=[{}], select=lambda path: path.startswith(OURS))
    assert fuzzed == 8
    assert not failures, "\n\n".join(failures)
