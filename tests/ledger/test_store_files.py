"""The SQLite store and its ``-wal``/``-shm`` files hold private values: only their owner may
read them (mode 0600), whatever the umask, as the key files beside them."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.application import Ledger
from ledger.config import Settings
from tests.journeys import harvest, register_parties


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _files(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in ("", "-wal", "-shm")]


@pytest.mark.usefixtures("umask_022")
def test_the_store_files_are_only_for_their_owner(tmp_path: Path) -> None:
    path = tmp_path / "var" / "agritrace.db"
    ledger = Ledger(Settings.from_env(f"sqlite:///{path}"))
    try:
        register_parties(ledger)
        harvest(ledger, "KH0")
        files = [*_files(path), path.with_name(path.name + ".master-key")]
        assert {file.name: _mode(file) for file in files} == {
            file.name: 0o600 for file in files}
    finally:
        ledger.close()


@pytest.mark.usefixtures("umask_022")
def test_a_store_made_readable_before_is_closed_to_others(tmp_path: Path) -> None:
    path = tmp_path / "agritrace.db"
    settings = Settings(db_url=f"sqlite:///{path}", master_key=os.urandom(32))
    ledger = Ledger(settings)
    register_parties(ledger)
    ledger.close()
    for file in _files(path):
        if file.exists():
            file.chmod(0o644)
    ledger = Ledger(settings)
    try:
        harvest(ledger, "KH0")
        assert {_mode(file) for file in _files(path)} == {0o600}
    finally:
        ledger.close()
