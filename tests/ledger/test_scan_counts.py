"""Scan counts of serialised units (``ledger.consumer.scans``): per UTC day, nothing personal, exact
under concurrent scans. SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from sqlalchemy import inspect

from ledger.application import Ledger
from ledger.consumer.scans import SUSPICIOUS_SCANS, ScanCounter, ScanStats, scan_warnings
from ledger.persistence.tables import scan_counts

GTIN, LOT = "16941234000125", "KW26-SBD-G1"


def test_scans_are_counted_per_unit_and_day(ledger: Ledger) -> None:
    counter = ScanCounter(ledger.store.engine)
    day = datetime(2026, 9, 20, 23, 59, tzinfo=UTC)  # held in memory, then written
    assert counter.stats(GTIN, LOT, "1") == ScanStats(scans=0, days=0, first_day=None)
    assert counter.count(GTIN, LOT, "1", day) == ScanStats(1, 1, "2026-09-20")
    assert counter.count(GTIN, LOT, "1", day) == ScanStats(2, 1, "2026-09-20")
    assert counter.count(GTIN, LOT, "1", day + timedelta(minutes=2)) == ScanStats(
        3, 2, "2026-09-20")
    assert counter.count(GTIN, LOT, "2", day).scans == 1  # another unit
    assert counter.stats(GTIN, LOT, "1").scans == 3
    assert counter.flush() == 4
    assert counter.stats(GTIN, LOT, "1") == ScanStats(3, 2, "2026-09-20")


def test_the_table_holds_no_personal_data(ledger: Ledger) -> None:
    columns = {column["name"] for column in inspect(ledger.store.engine).get_columns(
        scan_counts.name)}
    assert columns == {"gtin", "lot", "serial", "day", "scans"}


def test_concurrent_scans_are_all_counted(ledger: Ledger) -> None:
    counter = ScanCounter(ledger.store.engine, flush_every=0.0)  # a write now and then
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: counter.count(GTIN, LOT, "9"), range(40)))
    assert counter.stats(GTIN, LOT, "9").scans == 40
    counter.flush()
    assert ScanCounter(ledger.store.engine).stats(GTIN, LOT, "9").scans == 40


def test_counts_are_held_then_written_together(ledger: Ledger) -> None:
    counter = ScanCounter(ledger.store.engine, flush_every=3600, max_pending=3)
    other = ScanCounter(ledger.store.engine, flush_every=0.0)  # another process, reading
    counter.count(GTIN, LOT, "1")
    counter.count(GTIN, LOT, "1")
    assert counter.stats(GTIN, LOT, "1").scans == 2  # this process sees what it holds
    assert other.stats(GTIN, LOT, "1").scans == 0  # others see it once it is written
    counter.count(GTIN, LOT, "2")
    counter.count(GTIN, LOT, "3")  # the third unit held: all are written
    assert other.stats(GTIN, LOT, "1").scans == 2
    assert counter.flush() == 0
    counter.count(GTIN, LOT, "1")
    assert counter.flush() == 1
    assert other.stats(GTIN, LOT, "1") == counter.stats(GTIN, LOT, "1")


def test_warnings_for_copied_codes() -> None:
    now = datetime(2026, 11, 1, tzinfo=UTC)
    few, many = ScanStats(3, 1, "2026-10-30"), ScanStats(SUSPICIOUS_SCANS + 1, 4, "2026-10-01")
    assert scan_warnings(few, "2026-11-15T00:00:00Z", now) == []
    assert scan_warnings(many, None, now) == ["many-scans"]
    assert scan_warnings(few, "2026-10-15T00:00:00Z", now) == ["after-best-before"]
    assert scan_warnings(None, "2026-10-15T00:00:00Z", now) == ["after-best-before"]
