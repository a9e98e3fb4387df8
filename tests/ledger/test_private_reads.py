"""A ``PrivateDataRead`` record is the ledger's own: only an inspector's read writes one, on a
lot in any state, and no request, batch, client-signed submission or correction makes or
changes one. A household's erasure leaves its values in none of the store's files (SQLite
main file and write-ahead log; PostgreSQL's table heap), and the store still audits clean."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from ledger.application import Ledger
from ledger.config import Settings
from ledger.errors import InvalidInput, NotPermitted
from ledger.households import add_household
from ledger.inspection import READ_STEP, PrivateReads, erase_household, household_values
from ledger.persistence.work import UnitOfWork
from ledger.records_audit import audit_store
from tests.journeys import COOP, INSPECTOR, PLATFORM, kiwi_journey
from tests.ledger.test_erasure_on_disk import _database_files, _heap, _left_behind, pg_settings

__all__ = ["pg_settings"]

NAME = "石光明"
HOUSEHOLD = "HH-001"  # the kiwi journey's second harvest (lot KH1)


def _inspect_and_read(ledger: Ledger, lot: str = "KG1") -> dict[str, Any]:
    ledger.record(INSPECTOR, "Inspected", {"kind": "visual", "verdict": "pass"}, lot=lot)
    return PrivateReads(ledger).read(ledger.organisation(INSPECTOR), lot).as_json()


def test_only_the_ledger_writes_a_read_record(ledger: Ledger) -> None:
    kiwi_journey(ledger)
    read = _inspect_and_read(ledger)
    access = read["access_record"]
    # No request records one, alone or in a batch.
    with pytest.raises(InvalidInput) as refused:
        ledger.record(INSPECTOR, READ_STEP, {"inspection": "ab" * 32, "inspected_lot": "KG1",
                                             "lots": ["KG1"]}, lot="KG1")
    assert refused.value.field == "type"
    with pytest.raises(InvalidInput):
        ledger.record_batch(INSPECTOR, [{"step": READ_STEP, "lot": "KG1", "data": {}}])
    # Nor does a correction change one.
    with pytest.raises(InvalidInput) as corrected:
        ledger.record(INSPECTOR, "Corrected", {"corrects": access["record"], "reason": "x",
                                               "values": {"lots": ["KG1"]}}, lot="KG1")
    assert corrected.value.field == "data.corrects"
    # Only an inspector's read is recorded as one, even by the ledger's own path.
    work = UnitOfWork(ledger.store)
    with pytest.raises(NotPermitted) as platform:
        ledger.pipeline.record_written(work, PLATFORM, READ_STEP, "KG1", {
            "inspection": read["inspection"]["record"], "inspected_lot": "KG1",
            "lots": ["KG1"]})
    assert platform.value.field == "org"


def test_a_read_is_recorded_on_a_recalled_or_used_up_lot(ledger: Ledger) -> None:
    kiwi_journey(ledger)
    ledger.record(INSPECTOR, "Recalled", {"reason": "农药残留超标"}, lot="KC1")
    # KC1 is recalled and used up by its grading; the inspector still reads it, recorded.
    read = _inspect_and_read(ledger, "KC1")
    assert read["access_record"]["chain"] == "lot/KC1"
    assert ledger.lot("KC1").status == "recalled"
    assert PrivateReads(ledger).reads_of("KH0")[0]["record"] == read["access_record"]["record"]
    audit_store(ledger.store)


def _secrets(values: list[dict[str, Any]]) -> list[bytes]:
    found = []
    for value in values:
        stored = json.dumps(value["value"], ensure_ascii=False).encode()
        found += [stored, stored[-12:], bytes.fromhex(value["salt"])]
    return found


def _household_secrets(ledger: Ledger) -> tuple[list[bytes], list[bytes]]:
    """The bytes the household's erasure must remove, and those of another household it
    must keep."""
    add_household(ledger.store.engine, COOP, {"name": NAME, "village": "西乡村",
                                              "household_id": HOUSEHOLD})
    read = _inspect_and_read(ledger)
    mine = {value.commitment for value in household_values(ledger, COOP, HOUSEHOLD)}
    values = read["values"]
    others = {json.dumps(v["value"], ensure_ascii=False) for v in values
              if v["commitment"] not in mine}
    # A value another household shares (every harvester here is 张三) stays, of course.
    erased = [secret for secret in _secrets([v for v in values if v["commitment"] in mine])
              if secret.decode(errors="replace") not in others] + [NAME.encode()]
    kept = _secrets([v for v in values if v["lot"] == "KH2"])
    return erased, kept


def test_an_erased_household_is_in_no_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "agritrace.db"
    ledger = Ledger(Settings(db_url=f"sqlite:///{path}", master_key=os.urandom(32)))
    try:
        kiwi_journey(ledger)
        erased, kept = _household_secrets(ledger)
        assert len(erase_household(ledger, COOP, HOUSEHOLD)) == 3  # register, harvest's two
        files = _database_files(path)
        assert _left_behind(files, erased) == []
        assert all(any(secret in content for content in files.values()) for secret in kept)
        audit_store(ledger.store)
    finally:
        ledger.close()


def test_an_erased_household_is_not_in_the_postgres_heap(
        pg_settings: tuple[Settings, str]) -> None:
    settings, schema = pg_settings
    ledger = Ledger(settings)
    try:
        kiwi_journey(ledger)
        erased, kept = _household_secrets(ledger)
        assert all(secret in _heap(schema) for secret in erased)
        assert len(erase_household(ledger, COOP, HOUSEHOLD)) == 3
        heap = _heap(schema)
        assert [secret for secret in erased if secret in heap] == []
        assert all(secret in heap for secret in kept)
        audit_store(ledger.store)
    finally:
        ledger.close()
