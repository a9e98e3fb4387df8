"""The traceability spreadsheet: rows per second for a trace of about 10^4 records, side by
side with just reading those records from the store.

The trace is one harvested lot with ~10^4 storage records (recorded in batches of 100) and
the log integrated, so every row has its leaf index. Each round opens the store afresh (no
lot in the aggregate cache) and times, on the same records:

- *read*: ``Ledger.history`` of the lot (the records parsed from the store), the baseline;
- *trace*: ``build_trace`` (the lot loaded with its corrections, leaf indices, one row per
  record, sorted by time);
- *xlsx* and *csv*: the trace built and written as a workbook (XlsxWriter, constant memory)
  or as CSV, to memory.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from typing import Any

from ledger.application import Ledger
from ledger.config import Settings
from ledger.exports.csv import csv_chunks
from ledger.exports.query import parse_trace_query
from ledger.exports.trace import build_trace
from ledger.exports.xlsx import write_xlsx
from ledger.log import TransparencyLog
from ledger.log.logkey import LogKey
from tests.benchmarks.bench_recording import STORED
from tests.benchmarks.common import fresh_url, interleaved, rate
from tests.journeys import COOP, harvest, register_parties
from verify.notes import Signer

LOT = "T1"


def _fill(settings: Settings, records: int) -> int:
    """A lot of about ``records`` records, integrated; returns how many the lot holds."""
    ledger = Ledger(settings)
    register_parties(ledger)
    harvest(ledger, LOT)
    entry = {"step": "Stored", "lot": LOT, "data": STORED}
    remaining = records - 1
    while remaining > 0:
        ledger.record_batch(COOP, [entry] * min(100, remaining))
        remaining -= 100
    TransparencyLog(ledger.store, LogKey(Signer.generate("bench.example/log"))).integrate()
    count = len(ledger.history(f"lot/{LOT}"))
    ledger.close()
    return count


def _timed(settings: Settings, count: int, work: Callable[[Ledger], None]) -> float:
    ledger = Ledger(settings)  # a fresh store: nothing cached from the last round
    try:
        return rate(count, lambda: work(ledger))
    finally:
        ledger.close()


def throughput(backend: str, records: int = 10_000, rounds: int = 3) -> dict[str, Any]:
    with fresh_url(backend) as url:
        settings = Settings(db_url=url, master_key=os.urandom(32))
        count = _fill(settings, records)
        query = parse_trace_query(lot=LOT)

        def read(ledger: Ledger) -> None:
            ledger.history(f"lot/{LOT}")

        def trace(ledger: Ledger) -> None:
            with build_trace(ledger, query, by="bench", checkpoint=None) as built:
                assert built.count == count
                for _ in built.rows():
                    pass

        def xlsx(ledger: Ledger) -> None:
            with build_trace(ledger, query, by="bench", checkpoint=None) as built:
                write_xlsx(built, io.BytesIO())

        def csv(ledger: Ledger) -> None:
            with build_trace(ledger, query, by="bench", checkpoint=None) as built:
                for _ in csv_chunks(built):
                    pass

        result: dict[str, Any] = interleaved(rounds, **{
            name: (lambda work=work: _timed(settings, count, work))
            for name, work in (("read", read), ("trace", trace), ("xlsx", xlsx),
                               ("csv", csv))})
        result["records"] = count
    return result


def report(backends: list[str], scale: int) -> None:
    records = 10_000 // scale
    print(f"## Exports: trace spreadsheet rows/s, a trace of ~{records:,} records\n")
    print("Medians of 3 interleaved rounds, each on a freshly opened store. read = "
          "`Ledger.history` of the lot (the baseline); trace = `build_trace` (lot, corrections, "
          "leaf indices, rows, sorted); xlsx / csv = the trace built and written.\n")
    print("| backend | records | read | trace | xlsx | csv | xlsx / read | seconds for the xlsx "
          "| goal |")
    print("|---|---|---|---|---|---|---|---|---|")
    for backend in backends:
        r = throughput(backend, records)
        print(f"| {backend} | {r['records']:,} | {r['read']:,.0f} | {r['trace']:,.0f} "
              f"| {r['xlsx']:,.0f} | {r['csv']:,.0f} | {r['xlsx'] / r['read']:.2f} "
              f"| {r['records'] / r['xlsx']:.1f} | seconds for 10^4 |", flush=True)
    print()
