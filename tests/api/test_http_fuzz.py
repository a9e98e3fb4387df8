"""Schemathesis against ``/openapi.json``, every operation, on SQLite and PostgreSQL: no request
can produce a 500, and every answer is documented (its status, content type and schema).

The store holds the kiwifruit journey, so the documented examples (KG1, coop-xixiang, …) reach
real lots; each operation is called without a token and with a cooperative's, an inspector's
and the admin's. Hypothesis is derandomized and bounded (a few examples per operation) so the
run is repeatable and short.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from api.app import create_app
from api.services import services_of
from ledger.application import Ledger
from ledger.config import Settings
from tests.api.test_http_helpers import TestClient, log_key_file_fixture, service  # noqa: F401
from tests.fuzzing import fuzz_operations
from tests.journeys import COOP, INSPECTOR, kiwi_journey

EXAMPLES = 4


@pytest.fixture
def served(settings: Settings, log_key_file: Path) -> Iterator[tuple[TestClient, list[str]]]:
    app = create_app(settings, service())
    ledger: Ledger = services_of(app).ledger
    kiwi_journey(ledger)
    services_of(app).log.integrate()
    tokens = [ledger.issue_token(org).token for org in (COOP, INSPECTOR, None)]
    with TestClient(app) as client:
        yield client, tokens


def test_no_operation_answers_500_or_undocumented(served: tuple[TestClient, list[str]]) -> None:
    client, tokens = served
    callers: list[dict[str, str]] = [{}, *({"Authorization": f"Bearer {t}"} for t in tokens)]
    fuzzed, failures = fuzz_operations(client.app, examples=EXAMPLES,
                                       callers=callers)
    assert fuzzed >= 40
    assert not failures, "\n\n".join(failures)
