"""Scan counts for serialised units, and the warnings a consumer page shows from them.

A genuine unit's code is scanned a few times: by the buyer, perhaps by a shop. A code copied
onto counterfeit boxes is scanned many times, or long after the product's best-before date.
So the resolver counts each resolution of a serialised code per UTC day, and nothing else:
no address, no browser, no finer time (DESIGN §3: a read model, not evidence).

Counts are added up in memory and written at most once a second (or every thousand units),
in one transaction; a unit's written counts are read at most once a second too. A scan then
costs no database round trip most of the time, instead of a write that waits for the
database's lock. A process's figures include what it has not written yet; other processes'
scans show within about a second; a crash loses at most the last second's counts.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ledger.persistence.tables import scan_counts

__all__ = ["SUSPICIOUS_SCANS", "ScanCounter", "ScanStats", "scan_warnings"]

# More scans than this of one unit's code is implausible for one box of produce.
SUSPICIOUS_SCANS = 20

Key = tuple[str, str, str, str]  # gtin, lot, serial, day
Unit = tuple[str, str, str]  # gtin, lot, serial


@dataclass(frozen=True)
class ScanStats:
    """How often one unit's code has been resolved, including the scan just counted."""

    scans: int
    days: int
    first_day: str | None


class ScanCounter:
    """Counts resolutions of serialised codes in ``agritrace_scan_counts``."""

    def __init__(self, engine: Engine, *, flush_every: float = 1.0,
                 max_pending: int = 1000, max_units: int = 10_000) -> None:
        self.engine = engine
        self.flush_every = flush_every
        self.max_pending = max_pending
        self.max_units = max_units
        # unit -> (when read, written counts per day), least recently used first
        self._written: OrderedDict[Unit, tuple[float, dict[str, int]]] = OrderedDict()
        self._insert = sqlite_insert if engine.dialect.name == "sqlite" else pg_insert
        self._pending: dict[Key, int] = {}
        self._flushing: dict[Key, int] = {}
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._flushed_at = time.monotonic()

    def count(self, gtin: str, lot: str, serial: str,
              moment: datetime | None = None) -> ScanStats:
        """Count one scan now (or at ``moment``) and return the unit's totals."""
        day = (moment or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%d")
        with self._lock:
            key = (gtin, lot, serial, day)
            self._pending[key] = self._pending.get(key, 0) + 1
            due = (len(self._pending) >= self.max_pending
                   or time.monotonic() - self._flushed_at >= self.flush_every)
        if due:
            self.flush()
        return self.stats(gtin, lot, serial)

    def flush(self) -> int:
        """Write the counts held in memory; returns how many scans were written."""
        with self._flush_lock:
            with self._lock:
                taken, self._pending = self._pending, {}
                self._flushing = taken
                self._flushed_at = time.monotonic()
            try:
                if taken:
                    self._write(taken)
            except BaseException:
                with self._lock:  # keep them for the next try
                    for key, scans in taken.items():
                        self._pending[key] = self._pending.get(key, 0) + scans
                raise
            finally:
                with self._lock:
                    self._flushing = {}
                    for gtin, lot, serial, _ in taken:  # read them again when next asked
                        self._written.pop((gtin, lot, serial), None)
        return sum(taken.values())

    def _write(self, counts: Mapping[Key, int]) -> None:
        with self.engine.begin() as connection:
            for (gtin, lot, serial, day), scans in sorted(counts.items()):
                statement = self._insert(scan_counts).values(
                    gtin=gtin, lot=lot, serial=serial, day=day, scans=scans)
                connection.execute(statement.on_conflict_do_update(
                    index_elements=[scan_counts.c.gtin, scan_counts.c.lot,
                                    scan_counts.c.serial, scan_counts.c.day],
                    set_={"scans": scan_counts.c.scans + scans}))

    def stats(self, gtin: str, lot: str, serial: str) -> ScanStats:
        """The unit's totals (written and held) without counting a scan."""
        unit = (gtin, lot, serial)
        days = dict(self._written_counts(unit))
        with self._lock:
            for held in (self._flushing, self._pending):
                for (g, l_, s, day), scans in held.items():
                    if (g, l_, s) == unit:
                        days[day] = days.get(day, 0) + scans
        return ScanStats(scans=sum(days.values()), days=len(days),
                         first_day=min(days) if days else None)

    def _written_counts(self, unit: Unit) -> dict[str, int]:
        now = time.monotonic()
        with self._lock:
            seen = self._written.get(unit)
            if seen is not None and now - seen[0] < self.flush_every:
                self._written.move_to_end(unit)
                return seen[1]
        table = scan_counts.c
        query = select(table.day, table.scans).where(
            table.gtin == unit[0], table.lot == unit[1], table.serial == unit[2])
        with self.engine.connect() as connection:
            days = {str(day): int(scans) for day, scans in connection.execute(query)}
        with self._lock:
            self._written[unit] = (now, days)
            self._written.move_to_end(unit)
            while len(self._written) > self.max_units:
                self._written.popitem(last=False)
        return days


def scan_warnings(stats: ScanStats | None, best_before: str | None,
                  now: datetime | None = None) -> list[str]:
    """Why a serialised code looks copied: ``"many-scans"`` and/or ``"after-best-before"``.

    ``best_before`` is the Packed record's UTC timestamp, if the packer gave one.
    """
    warnings: list[str] = []
    if stats is not None and stats.scans > SUSPICIOUS_SCANS:
        warnings.append("many-scans")
    if best_before is not None:
        limit = datetime.fromisoformat(best_before)
        if (now or datetime.now(UTC)) > limit:
            warnings.append("after-best-before")
    return warnings
