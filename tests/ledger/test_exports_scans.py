"""Scan reports against figures worked out by hand: per GTIN, lot and UTC day, the scans,
the distinct serials, the serials scanned more than 20 times up to that day, and those
scanned on a day after the lot's best-before. SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

from ledger.application import Ledger
from ledger.consumer.scans import ScanCounter
from ledger.exports.scans import HEADER, ScanDay, scan_csv, scan_report
from tests.exports_story import recalled_journey
from tests.journeys import COOP_PREFIX, register_parties

GTIN, LOT = "06901234567892", "KG1"  # best before 2026-10-15 00:00 UTC+8 = 10-14 16:00 UTC
BEST = "2026-10-14T16:00:00+00:00"


def scanned(ledger: Ledger) -> None:
    """Serial 1: 21 scans on 10-01 and one on 10-20; serial 2: 3 on 10-01 and 2 on 10-20;
    serial 3: one on 10-14 (the best-before passes that afternoon, UTC)."""
    register_parties(ledger)
    recalled_journey(ledger)
    counter = ScanCounter(ledger.store.engine, flush_every=3600)
    for serial, day, times in (("1", 1, 21), ("1", 20, 1), ("2", 1, 3), ("2", 20, 2),
                               ("3", 14, 1)):
        for _ in range(times):
            counter.count(GTIN, LOT, serial, datetime(2026, 10, day, 12, tzinfo=UTC))
    counter.flush()


def test_figures_per_gtin_lot_and_day(ledger: Ledger) -> None:
    scanned(ledger)
    assert scan_report(ledger) == [
        ScanDay(GTIN, LOT, "2026-10-01", 24, 2, 1, ("1",), 0, BEST),
        ScanDay(GTIN, LOT, "2026-10-14", 1, 1, 0, (), 0, BEST),
        ScanDay(GTIN, LOT, "2026-10-20", 3, 2, 1, ("1",), 2, BEST),
    ]
    # From the 14th on: serial 1's earlier scans still count towards "too often".
    assert [day.day for day in scan_report(ledger, since=date(2026, 10, 14))] == [
        "2026-10-14", "2026-10-20"]
    assert scan_report(ledger, since=date(2026, 10, 14))[-1].implausible == 1
    assert [day.day for day in scan_report(ledger, until=date(2026, 10, 14))] == [
        "2026-10-01", "2026-10-14"]
    assert scan_report(ledger, gtin="06901234567809") == []
    assert scan_report(ledger, lot="KG2") == []


def test_an_organisation_sees_only_its_own_gtins(ledger: Ledger) -> None:
    scanned(ledger)
    assert len(scan_report(ledger, registrations=[COOP_PREFIX])) == 3
    assert scan_report(ledger, registrations=["6909999"]) == []


def test_the_csv_has_a_bom_and_the_same_figures(ledger: Ledger) -> None:
    scanned(ledger)
    text = scan_csv(scan_report(ledger)).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert tuple(rows[0]) == HEADER
    assert rows[3] == [GTIN, LOT, "2026-10-20", "3", "2", "1", "1", "2", "2026-10-15 00:00"]
