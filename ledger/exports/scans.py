"""Scan reports: per GTIN, lot and day, how often serialised codes were resolved, and which
codes look copied.

Counts come from ``agritrace_scan_counts`` (``ledger.consumer.scans``): per unit (GTIN, lot,
serial) and UTC day, nothing personal. For each GTIN, lot and UTC day the report gives:

- ``scans``: resolutions that day; ``serials``: distinct serials scanned that day;
- ``implausible``: serials scanned that day whose scans up to and including that day number
  more than ``IMPLAUSIBLE_SCANS`` (20, the consumer page's threshold: more is implausible for
  one box of produce), with the first ``LISTED`` of them named; counting up to the day, not
  to today, keeps a day's figures fixed as later scans come in;
- ``after_best_before``: serials scanned on a day that began (UTC) at or after the lot's
  best-before time, the best-before of its latest packing, corrections applied, as the
  consumer page shows it. Counts keep no finer time than the day, so scans on the day the
  date passes are not counted.

Days are UTC days because the counts are. ``scan_report`` is the one function: the CSV
endpoint and the audit report's section both call it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from ledger.consumer.scans import SUSPICIOUS_SCANS
from ledger.domain.gtins import covers
from ledger.errors import InvalidInput, LedgerError
from ledger.exports.columns import BEIJING
from ledger.persistence.tables import scan_counts

if TYPE_CHECKING:
    from ledger.application import Ledger

__all__ = ["HEADER", "IMPLAUSIBLE_SCANS", "LISTED", "ScanDay", "parse_day", "scan_csv",
           "scan_report"]

IMPLAUSIBLE_SCANS = SUSPICIOUS_SCANS
LISTED = 20
HEADER = ("商品条码 GTIN", "批次 Lot", "日期 Day (UTC)", "扫码次数 Scans",
          "序列号数 Distinct serials",
          f"扫码过多的序列号 Serials scanned > {IMPLAUSIBLE_SCANS} times",
          f"这些序列号 Those serials (first {LISTED})",
          "过期后扫码的序列号 Serials scanned after best-before",
          "保质期至 Best before (UTC+8)")


@dataclass(frozen=True)
class ScanDay:
    gtin: str
    lot: str
    day: str  # YYYY-MM-DD, UTC
    scans: int
    serials: int
    implausible: int
    implausible_serials: tuple[str, ...]  # the first ``LISTED``, in serial order
    after_best_before: int
    best_before: str | None  # the lot's, UTC


def scan_report(ledger: Ledger, *, gtin: str | None = None, lot: str | None = None,
                since: date | None = None, until: date | None = None,
                registrations: Sequence[str] | None = None) -> list[ScanDay]:
    """Scan figures per GTIN, lot and UTC day, sorted by GTIN, lot and day: of one GTIN or
    lot when given, of days from ``since`` to ``until`` (inclusive), of GTINs under
    ``registrations`` only when given (an organisation's GS1 prefixes)."""
    table = scan_counts.c
    query = select(table.gtin, table.lot, table.serial, table.day, table.scans).order_by(
        table.gtin, table.lot, table.serial, table.day)
    if gtin is not None:
        query = query.where(table.gtin == gtin)
    if lot is not None:
        query = query.where(table.lot == lot)
    if until is not None:
        query = query.where(table.day <= until.isoformat())
    with ledger.store.engine.connect() as connection:
        rows = [(str(g), str(l_), str(s), str(d), int(n))
                for g, l_, s, d, n in connection.execute(query)]
    first = since.isoformat() if since is not None else ""
    found: list[ScanDay] = []
    for (unit_gtin, unit_lot), units in _by_lot(rows):
        if registrations is not None and not any(covers(r, unit_gtin) for r in registrations):
            continue
        best_before = _best_before(ledger, unit_lot)
        days: dict[str, _Figures] = {}
        for serial, counts in units:
            total = 0
            for day, scans in counts:
                total += scans
                if day < first:
                    continue
                figures = days.setdefault(day, _Figures())
                figures.scans += scans
                figures.serials += 1
                if total > IMPLAUSIBLE_SCANS:
                    figures.implausible.append(serial)
                if best_before is not None and _day_start(day) >= best_before:
                    figures.after_best_before += 1
        for day in sorted(days):
            figures = days[day]
            listed = sorted(figures.implausible, key=_serial_order)
            found.append(ScanDay(unit_gtin, unit_lot, day, figures.scans, figures.serials,
                                 len(listed), tuple(listed[:LISTED]),
                                 figures.after_best_before,
                                 best_before.isoformat() if best_before else None))
    return found


def scan_csv(days: Sequence[ScanDay]) -> bytes:
    """The report as CSV, UTF-8 with a byte-order mark (Excel opens the Chinese)."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for day in days:
        best = (datetime.fromisoformat(day.best_before).astimezone(BEIJING)
                .strftime("%Y-%m-%d %H:%M") if day.best_before else "")
        writer.writerow((day.gtin, day.lot, day.day, day.scans, day.serials, day.implausible,
                         " ".join(day.implausible_serials), day.after_best_before, best))
    return buffer.getvalue().encode("utf-8")


@dataclass
class _Figures:
    """One GTIN, lot and day's figures, as they are added up."""

    scans: int = 0
    serials: int = 0
    implausible: list[str] = field(default_factory=list)
    after_best_before: int = 0


Unit = tuple[str, list[tuple[str, int]]]  # serial, its (day, scans) in day order


def _by_lot(rows: list[tuple[str, str, str, str, int]]) -> Iterator[tuple[tuple[str, str],
                                                                         list[Unit]]]:
    """Rows (sorted by GTIN, lot, serial, day) grouped by (GTIN, lot), then serial."""
    current: tuple[str, str] | None = None
    units: list[Unit] = []
    for gtin, lot, serial, day, scans in rows:
        if (gtin, lot) != current:
            if current is not None:
                yield current, units
            current, units = (gtin, lot), []
        if not units or units[-1][0] != serial:
            units.append((serial, []))
        units[-1][1].append((day, scans))
    if current is not None:
        yield current, units


def _best_before(ledger: Ledger, code: str) -> datetime | None:
    """The best-before of the lot's latest packing (corrections applied), if it gave one."""
    try:
        lot = ledger.lot(code)
    except LedgerError:  # counts of a lot no longer (or never) registered
        return None
    packed = [record for record in lot.history.records if record.type == "Packed"]
    if not packed:
        return None
    value = lot.history.data(packed[-1]).get("best_before")
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _day_start(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def _serial_order(serial: str) -> tuple[int, str]:
    return (int(serial) if serial.isdigit() else 10**20, serial)


def parse_day(value: str | None, field: str) -> date | None:
    """A report's ``since``/``until`` day (``YYYY-MM-DD``), None when not given."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise InvalidInput(f"{value!r} is not a date such as 2026-09-10", field=field) from error
