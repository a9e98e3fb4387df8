"""EPCIS export and capture: events per second, side by side with the native paths.

Capture: the same steps (a harvest and a cold storage with 24 readings per lot) recorded
into fresh stores two ways, 50 events per call: by ``Ledger.record_batch`` (what
``POST /records/batch`` runs) and by capturing the EPCISDocuments another store exported
for them (``ledger.epcis.capture``: schema check, hash id check, inverse mapping, duplicate
checks, the same pipeline, capture job stored), alternating, each round into new stores.

Export:

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
from ledger.epcis.capture import capture
from ledger.epcis.document import epcis_document, lineage_events
from ledger.epcis.source import EventSource
from ledger.log import TransparencyLog
from ledger.log.logkey import LogKey
from ledger.views import lot_summary, record_view
from tests.benchmarks.common import fresh_url, interleaved, rate
from tests.journeys import COOP, KIWI, ORIGIN, handle, harvest, register_parties
from verify.notes import Signer

READINGS = [{"at": f"2026-09-11T{hour:02d}:00:00+08:00", "temp_c": f"{1 + hour % 4}.5"}
            for hour in range(24)]


STORED = {"facility": "冷库1号", "started": "2026-09-10T22:00:00+08:00",
          "ended": "2026-09-12T06:00:00+08:00", "target_min_c": "0", "target_max_c": "4",
          "readings": READINGS}
PER_CALL = 50  # events (records) per batch or captured document


def _seed(ledger: Ledger, lots: int) -> list[str]:
    register_parties(ledger)
    codes = [f"B{i:05d}" for i in range(lots)]
    for code in codes:
        harvest(ledger, code)
        handle(ledger, COOP, code, "Stored", STORED)
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


def _batches(codes: list[str]) -> list[list[dict[str, object]]]:
    entries: list[dict[str, object]] = []
    for code in codes:
        entries.append({"step": "Harvested", "lot": code, "data": {
            "product": KIWI, "quantity": "100", "unit": "kg", "origin": ORIGIN,
            "started": "2026-09-10T06:00:00+08:00", "ended": "2026-09-10T11:00:00+08:00",
            "harvester": "张三", "household": "HH-001"}})
        entries.append({"step": "Stored", "lot": code, "data": STORED})
    return [entries[i:i + PER_CALL] for i in range(0, len(entries), PER_CALL)]


def capture_rates(backend: str, lots: int, rounds: int = 3) -> dict[str, float]:
    """Records (= events) per second: native batches against captured documents."""
    with fresh_url(backend) as url:
        source = Ledger(Settings(db_url=url, master_key=os.urandom(32)))
        try:
            codes = _seed(source, lots)
            events = [event for code in codes for event in lineage_events(source, code)]
            documents = [epcis_document(events[i:i + PER_CALL])
                         for i in range(0, len(events), PER_CALL)]
        finally:
            source.close()
    batches = _batches(codes)

    def into_fresh(work: str) -> float:
        with fresh_url(backend) as url:
            ledger = Ledger(Settings(db_url=url, master_key=os.urandom(32)))
            try:
                register_parties(ledger)
                if work == "native":
                    return rate(len(events), lambda: [ledger.record_batch(COOP, batch)
                                                      for batch in batches])
                reader = EventSource(ledger.store)
                jobs = []
                found = rate(len(events), lambda: jobs.extend(
                    capture(ledger, reader, COOP, document) for document in documents))
                assert all(job.success for job in jobs), [job.errors for job in jobs][:1]
                return found
            finally:
                ledger.close()

    return interleaved(rounds, native=lambda: into_fresh("native"),
                       capture=lambda: into_fresh("capture"))


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
    print(f"\n## EPCIS capture vs native batch recording, events/s ({lots} lots × 2 events, "
          f"{PER_CALL} per call, median of 3 alternating rounds, each into a fresh store)\n")
    print("| backend | native `record_batch` | EPCIS capture | capture / native |")
    print("|---|---|---|---|")
    for backend in backends:
        found = capture_rates(backend, lots)
        print(f"| {backend} | {found['native']:,.0f} | {found['capture']:,.0f} | "
              f"{found['capture'] / found['native']:.2f} |", flush=True)
