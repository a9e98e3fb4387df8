"""Platform listing verification: 10,000 listings in one call, side by side with single
lot-state lookups (``verified_lot`` per listing, uncached: a bundle built and verified each
time, what a platform gets by fetching and checking one bundle per listing).

The store holds ``LOTS`` packed lots; the listings name them in turn (many listings share a
lot, as a catalogue does), half with a wrong grade. The bulk figure is for a cold cache (a
fresh log object), so every lot is built and verified once, then each listing is judged and
its verdict signed. Single lookups are timed over a sample and given as lookups per second.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from ledger.application import Ledger
from ledger.config import Settings
from ledger.log import TransparencyLog, load_log_key
from ledger.platform.listings import listings_from_json
from ledger.platform.verdictkey import VerdictKey
from ledger.platform.verdicts import Verdicts
from ledger.verified import verified_lot
from tests.benchmarks.common import fresh_url
from tests.journeys import COOP, harvest, register_parties
from verify.notes import Signer

LOTS = 100
GTIN = "06901234567892"


def _seed(ledger: Ledger, lots: int) -> None:
    register_parties(ledger)
    for i in range(lots):
        harvest(ledger, f"B{i}", quantity="100", household=f"HH-{i}")
        ledger.record(COOP, "Packed", {
            "packaging": "5 kg 礼盒", "units": 10, "net_weight_per_unit": "5",
            "net_weight_unit": "kg", "gtin": GTIN, "grade": "一级"}, lot=f"B{i}",
            time="2026-09-12T08:00:00+08:00")


def _listings(count: int, lots: int) -> list[dict[str, Any]]:
    return [{"listing_id": f"L{i}", "gtin": GTIN, "lot": f"B{i % lots}", "product": "猕猴桃",
             "county": "凤凰县", "grade": "一级" if i % 2 else "特级", "net_weight": "5 kg"}
            for i in range(count)]


def _timed(work: Callable[[], Any]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def platform(backend: str, count: int, sample: int, rounds: int = 3) -> dict[str, float]:
    """Listings/s in bulk and single lookups/s, medians of ``rounds``."""
    with fresh_url(backend) as url:
        folder = os.environ.get("TMPDIR", "/tmp")
        os.environ["AGRITRACE_LOG_KEY_FILE"] = f"{folder}/bench-platform-{os.getpid()}.log-key"
        ledger = Ledger(Settings(db_url=url, master_key=os.urandom(32)))
        try:
            _seed(ledger, LOTS)
            key = VerdictKey(Signer.generate("bench/verdicts"))
            parsed = listings_from_json({"listings": _listings(count, LOTS)})
            base_log = TransparencyLog(ledger.store, load_log_key(ledger.settings))
            base_log.integrate()
            bulk, single = [], []
            for _ in range(rounds):
                log = TransparencyLog(ledger.store, load_log_key(ledger.settings))  # cold cache
                verdicts = Verdicts(ledger, log, key)
                verdicts.publish()
                bulk.append(count / _timed(lambda v=verdicts: v.judge_listings(parsed)))
                single.append(sample / _timed(lambda log=log: [
                    verified_lot(ledger, log, f"B{i % LOTS}", cached=False)
                    for i in range(sample)]))
            return {"bulk": statistics.median(bulk), "single": statistics.median(single)}
        finally:
            ledger.close()


def report(backends: list[str], scale: int) -> None:
    count, sample = 10_000 // scale, 300 // scale
    print(f"## Platform listing verification: {count:,} listings over {LOTS} lots\n")
    print("Bulk: `Verdicts.judge_listings` (each lot built and verified once, every listing "
          "judged and its verdict signed), cold cache. Single: `verified_lot(..., "
          f"cached=False)` per listing, timed over {sample} listings. Medians of 3.\n")
    print("| backend | bulk listings/s | single lot-state lookups/s | ratio | 10,000 listings "
          "in one call |")
    print("|---|---|---|---|---|")
    for backend in backends:
        result = platform(backend, count, sample)
        print(f"| {backend} | {result['bulk']:,.0f} | {result['single']:,.1f} "
              f"| {result['bulk'] / result['single']:,.0f}× "
              f"| {10_000 / result['bulk']:.1f} s |", flush=True)
    print()
