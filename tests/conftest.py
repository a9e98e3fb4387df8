"""Shared fixtures: every ledger test runs on SQLite and on PostgreSQL.

PostgreSQL tests use a fresh schema per test in the ``test`` database at 127.0.0.1:5432.
When PostgreSQL is unreachable they are skipped locally, but fail when
``AGRITRACE_REQUIRE_POSTGRES=1`` (as ``.ci/run`` sets): CI never skips them.

``make test`` runs the tests in parallel (pytest-xdist, a file per worker at a time), so each
test keeps to its own store, schema, temporary files and free port, and restores the
environment it changes. Everything under ``tests/e2e`` (real processes, ports and browsers)
is marked ``e2e``: ``pytest -m "not e2e"`` leaves it out.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from ledger.application import Ledger
from ledger.config import Settings

E2E = Path(__file__).resolve().parent / "e2e"
PG_DSN = os.environ.get("AGRITRACE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
# Official conformance data, vendored unmodified with its origin and licence.
CONFORMANCE = Path(__file__).resolve().parent / "vectors"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(E2E):
            item.add_marker(pytest.mark.e2e)


def _postgres_reachable() -> bool:
    try:
        with psycopg.connect(PG_DSN, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


@pytest.fixture(scope="session")
def postgres_available() -> bool:
    reachable = _postgres_reachable()
    if not reachable and os.environ.get("AGRITRACE_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"PostgreSQL is required but unreachable at {PG_DSN}")
    return reachable


def _drop_schema(schema: str) -> None:
    with psycopg.connect(PG_DSN, autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path,
           postgres_available: bool) -> Iterator[str]:
    """A fresh, empty store URL on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'agritrace.db'}"
        return
    if not postgres_available:
        pytest.skip("PostgreSQL is not reachable")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    yield f"{PG_DSN}?schema={schema}"
    _drop_schema(schema)


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(db_url=db_url, master_key=os.urandom(32))


@pytest.fixture
def ledger(settings: Settings) -> Iterator[Ledger]:
    opened = Ledger(settings)
    yield opened
    opened.close()
