"""EPCIS export: events per second, side by side with reading the same records natively.

The same lots (a harvest and a cold storage with 24 readings each) are read three ways, in
alternating rounds: natively, as ``GET /lots/{lot}`` builds its view (the lot, its history
and a view of each record, ``ledger.views``); as EPCIS events by a fresh event source (read,
mapped, CBV hash ids computed: what a first export or query costs); and by a warm one (the
mapped events remembered, as a running service answers repeated queries).
"""

from __future__ import annotations

import os

from ledger.application import Ledger
from ledger.config import Settings
from ledger.epcis.source import EventSource
from ledger.log import TransparencyLog
from ledger.log.logkey import LogKey
from ledger.views import lot_summary, record_view
from tests.benchmarks.common import fresh_url, interleaved, rate
from tests.journeys import COOP, handle, harvest, register_parties
from verify.notes import Signer

READINGS = [{"at": f"2026-09-11T{hour:02d}:00:00+08:00", "temp_c": f"{1 + hour % 4}.5"}
            for hour in range(24)]


def _seed(ledger: Ledger, lots: int) -> list[str]:
    register_parties(ledger)
    codes = [f"B{i:05d}" for i in range(lots)]
    for code in codes:
        harvest(ledger, code)
        handle(ledger, COOP, code, "Stored", {
            "facility": "冷库1号", "started": "2026-09-10T22:00:00+08:00",
            "ended": "2026-09-12T06:00:00+08:00", "target_min_c": "0", "target_max_c": "4",
            "readings": READINGS})
    TransparencyLog(ledger.store, LogKey(Signer.generate("bench.example/log"))).integrate()
    return codes


def export_rates(backend: str, lots: int) -> dict[str, float]:
    with fresh_url(backend) as url:
        ledger = Ledger(Settings(db_url=url, master_key=os.urandom(32)))
        try:
            codes = _seed(ledger, lots)
            records = 2 * len(codes)
            warm = EventSource(ledger.store)

            def native() -> None:
                for code in codes:
                    lot_summary(ledger.lot(code))
                    for signed in ledger.lot_history(code):
                        record_view(signed.record, signed.signature)

            def export(source: EventSource) -> None:
                for code in codes:
                    for entry in source.lot_entries(code):
                        source.record_events(entry)

            export(warm)
            result = interleaved(
                5, native=lambda: rate(records, native),
                fresh=lambda: rate(records, lambda: export(EventSource(ledger.store))),
                warm=lambda: rate(records, lambda: export(warm)))
        finally:
            ledger.close()
    return result


def report(backends: list[str], scale: int = 1) -> None:
    """Print this benchmark's Markdown section (``python -m tests.benchmarks --only epcis``)."""
    lots = 300 // scale
    print(f"\n## EPCIS export vs native reading, records/s ({lots} lots × 2 records, "
          "median of 5 alternating rounds; one record is one event)\n")
    print("| backend | native lot views | EPCIS, fresh | EPCIS, warm | fresh / native |")
    print("|---|---|---|---|---|")
    for backend in backends:
        found = export_rates(backend, lots)
        print(f"| {backend} | {found['native']:,.0f} | {found['fresh']:,.0f} | "
              f"{found['warm']:,.0f} | {found['fresh'] / found['native']:.2f} |", flush=True)
