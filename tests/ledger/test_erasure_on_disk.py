"""An erased private value leaves the database files: its bytes are overwritten, not merely
unlisted. SQLite: the main file and its write-ahead log, also when the process is killed
right after the erasure returns. PostgreSQL: the table's heap file."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from ledger.application import Ledger
from ledger.config import Settings
from tests.conftest import PG_DSN
from tests.journeys import COOP, KIWI, ORIGIN, register_parties

ROOT = Path(__file__).resolve().parents[2]
NAME = "石光明"


def _harvest(ledger: Ledger, lot: str, name: str, household: str) -> None:
    # A long name: an overwritten row that is shorter than the old one does not cover it.
    harvester = f"{'光明' * 30}-{name}"
    ledger.record(COOP, "Harvested", {
        "product": KIWI, "quantity": "100", "unit": "kg", "origin": ORIGIN,
        "started": "2026-09-10T06:00:00+08:00", "ended": "2026-09-10T11:00:00+08:00",
        "harvester": harvester, "household": household}, lot=lot)


def _secrets(ledger: Ledger, lot: str) -> list[bytes]:
    """The bytes an erasure must remove: each value as stored, its last 16 bytes (unique to
    it), and each salt (with a commitment, a salt lets anyone test guessed names)."""
    return [secret for opened in ledger.private_values(f"lot/{lot}").values()
            for secret in _opened_secrets(opened)]


def _opened_secrets(opened: dict[str, Any]) -> list[bytes]:
    stored = json.dumps(opened["value"], ensure_ascii=False).encode()
    return [stored, stored[-16:], bytes.fromhex(opened["salt"])]


def _erase_lot(ledger: Ledger, lot: str) -> None:
    for commitment in list(ledger.private_values(f"lot/{lot}")):
        assert ledger.erase_private(commitment)


def _database_files(path: Path) -> dict[str, bytes]:
    return {name: file.read_bytes() for name in ("", "-wal", "-shm")
            if (file := path.with_name(path.name + name)).exists()}


def _left_behind(files: dict[str, bytes], secrets: list[bytes]) -> list[str]:
    return [f"{name or 'main'}: {secret!r}" for name, content in files.items()
            for secret in secrets if secret in content]


def test_an_erased_value_is_in_no_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "agritrace.db"
    ledger = Ledger(Settings(db_url=f"sqlite:///{path}", master_key=os.urandom(32)))
    try:
        register_parties(ledger)
        for i in range(5):
            _harvest(ledger, f"KH{i}", f"{i:02d}{NAME}", f"430523-HH-{i:04d}")
        erased = [secret for i in (4, 2, 0) for secret in _secrets(ledger, f"KH{i}")]
        kept = _secrets(ledger, "KH1")
        for i in (4, 2, 0):
            _erase_lot(ledger, f"KH{i}")
        files = _database_files(path)
        assert _left_behind(files, erased) == []
        # The values not erased are still there: the search looks where they live.
        assert all(any(secret in content for content in files.values()) for secret in kept)
    finally:
        ledger.close()


_KILLED_WRITER = """
import os, sys, time
from ledger.application import Ledger
from ledger.config import Settings
from tests.journeys import register_parties
from tests.ledger.test_erasure_on_disk import _erase_lot, _harvest, _secrets
ledger = Ledger(Settings(db_url=sys.argv[1], master_key=os.urandom(32)))
register_parties(ledger)
for i in range(3):
    _harvest(ledger, f"KH{i}", f"{i:02d}{sys.argv[2]}", f"430523-HH-{i:04d}")
secrets = [s.hex() for i in range(3) for s in _secrets(ledger, f"KH{i}")]
for i in range(3):
    _erase_lot(ledger, f"KH{i}")
print(" ".join(secrets), flush=True)
time.sleep(120)
"""


def test_an_erased_value_is_in_no_sqlite_file_after_kill_9(tmp_path: Path) -> None:
    path = tmp_path / "agritrace.db"
    with subprocess.Popen(
            [sys.executable, "-c", _KILLED_WRITER, f"sqlite:///{path}", NAME], cwd=ROOT,
            stdout=subprocess.PIPE, text=True) as writer:
        assert writer.stdout is not None
        line = writer.stdout.readline()  # the erasures have returned
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
    assert writer.returncode == -signal.SIGKILL
    secrets = [bytes.fromhex(hexed) for hexed in line.split()]
    assert len(secrets) == 18  # three lots' harvester and household, tails and salts
    assert _left_behind(_database_files(path), secrets) == []
    # What the killed process committed is all there when the store is opened again.
    reopened = Ledger(Settings(db_url=f"sqlite:///{path}", master_key=os.urandom(32)))
    try:
        assert [len(reopened.lot_history(f"KH{i}")) for i in range(3)] == [1, 1, 1]
        assert reopened.private_values("lot/KH0") == {}
    finally:
        reopened.close()


@pytest.fixture
def pg_settings(postgres_available: bool) -> Iterator[tuple[Settings, str]]:
    if not postgres_available:
        pytest.skip("PostgreSQL is not reachable")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    yield Settings(db_url=f"{PG_DSN}?schema={schema}", master_key=os.urandom(32)), schema
    with psycopg.connect(PG_DSN, autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _heap(schema: str) -> bytes:
    """The private-values table's heap file as it is on disk (after a checkpoint). Needs a
    role allowed to read server files (the tests' superuser)."""
    with psycopg.connect(PG_DSN, autocommit=True) as connection:
        try:
            connection.execute("CHECKPOINT")
            row = connection.execute(
                "SELECT pg_read_binary_file(pg_relation_filepath(%s))",
                (f'"{schema}".agritrace_private_values',)).fetchone()
        except psycopg.errors.InsufficientPrivilege:
            pytest.skip("this role may not read the table's file")
    assert row is not None
    heap: bytes = row[0]
    return heap


def _last_on_first_page(schema: str) -> str:
    """The commitment whose row was stored last on the table's first page."""
    with psycopg.connect(PG_DSN, autocommit=True) as connection:
        row = connection.execute(
            f'SELECT commitment FROM "{schema}".agritrace_private_values '  # noqa: S608
            "WHERE (ctid::text::point)[0] = 0 ORDER BY (ctid::text::point)[1] DESC "
            "LIMIT 1").fetchone()
    assert row is not None
    commitment: str = row[0]
    return commitment


def test_an_erased_value_is_not_in_the_postgres_heap(
        pg_settings: tuple[Settings, str]) -> None:
    settings, schema = pg_settings
    ledger = Ledger(settings)
    try:
        register_parties(ledger)
        for i in range(20):
            _harvest(ledger, f"KH{i}", f"{i:02d}{NAME}", f"430523-HH-{i:04d}")
        openings = {c: o for i in range(20)
                    for c, o in ledger.private_values(f"lot/KH{i}").items()}
        kept = _secrets(ledger, "KH1")
        assert all(secret in _heap(schema) for secret in kept)
        # First the last row of a full page: a plain VACUUM would leave its old bytes in the
        # page's free space, where no row is moved over them. Then whole lots.
        for erasing in ([_last_on_first_page(schema)],
                        [c for i in (19, 7, 0) for c in ledger.private_values(f"lot/KH{i}")]):
            erased = [secret for c in erasing for secret in _opened_secrets(openings[c])]
            assert all(secret in _heap(schema) for secret in erased)
            for commitment in erasing:
                assert ledger.erase_private(commitment)
            heap = _heap(schema)
            assert [secret for secret in erased if secret in heap] == []
            assert all(secret in heap for secret in kept)
    finally:
        ledger.close()


def test_an_erasure_waits_for_older_transactions(pg_settings: tuple[Settings, str]) -> None:
    settings, schema = pg_settings
    ledger = Ledger(settings)
    try:
        register_parties(ledger)
        _harvest(ledger, "KH0", f"00{NAME}", "430523-HH-0000")
        erased = _secrets(ledger, "KH0")
        # A reader whose snapshot predates the erasure may still see the old row version:
        # no vacuum may remove it until that reader ends, half a second later.
        reader = psycopg.connect(PG_DSN)
        reader.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        reader.execute(f'SELECT count(*) FROM "{schema}".agritrace_private_values')  # noqa: S608
        ends = threading.Timer(0.5, reader.close)
        ends.start()
        try:
            started = time.monotonic()
            _erase_lot(ledger, "KH0")
            assert time.monotonic() - started >= 0.4
        finally:
            ends.join()
        heap = _heap(schema)
        assert [secret for secret in erased if secret in heap] == []
    finally:
        ledger.close()
