"""Recall-to-delivery latency: from the moment a recording of a hold or recall returns to
the moment each subscriber's receiver has the signed webhook, for 1, 100 and 1,000
subscribers (each its own URL on one receiver on 127.0.0.1, listening with a production-sized
queue).

The service's defaults run: the log's integrator in a background thread resting 0.5 s when
caught up (a webhook carries its record's leaf index, so it waits for integration), and the
delivery worker woken by the commit, sending 32 at once. Baseline: one signed POST of the same
size straight to the same receiver, no ledger (the floor of any delivery).
"""

from __future__ import annotations

import os
import statistics
import time
from typing import Any

from ledger.application import Ledger
from ledger.config import Settings
from ledger.log import TransparencyLog
from ledger.log.background import BackgroundIntegrator, write_lock
from ledger.platform.delivery import DeliverySettings, DeliveryWorker
from ledger.platform.subscriptions import Subscriptions
from ledger.platform.webhooks import post, secret_bytes, signed_headers
from tests.benchmarks.common import fresh_url
from tests.journeys import INSPECTOR, PLATFORM, kiwi_journey
from tests.ledger.test_log_helpers import new_key
from tests.webhook_receiver import Receiver, receiver

SETTINGS = DeliverySettings(allow_private=True)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _floor(hook: Receiver, rounds: int) -> list[float]:
    key = secret_bytes("whsec_" + "A" * 43 + "=")
    body = b'{"type":"lot.recalled","data":{"x":"' + b"y" * 400 + b'"}}'
    found = []
    for i in range(rounds):
        started = time.perf_counter()
        answer = post(hook.url, body, signed_headers(key, f"msg_{i}", int(time.time()), body),
                      timeout=10, allow_private=True)
        assert answer.status_code == 204, answer
        found.append((time.perf_counter() - started) * 1000)
    return found


def latency(backend: str, subscribers: int, rounds: int) -> dict[str, Any]:
    """Milliseconds from a hold or release returning to each delivery arriving."""
    with fresh_url(backend) as url, receiver() as hook:
        ledger = Ledger(Settings(db_url=url, master_key=os.urandom(32)))
        writes = write_lock(ledger.store)
        integrator = BackgroundIntegrator(TransparencyLog(ledger.store, new_key()), idle=0.5,
                                          writes=writes)
        subscriptions = Subscriptions(ledger.store.engine, ledger.settings.master_key)
        worker = DeliveryWorker(ledger.store.outbox, subscriptions, SETTINGS)
        try:
            kiwi_journey(ledger)
            for i in range(subscribers):
                subscriptions.create(PLATFORM, f"{hook.url}/{i}", lots=["KG1"],
                                     allow_private=True)
            integrator.start()
            worker.start()
            samples: list[float] = []
            for round_ in range(rounds):
                step = "Held" if round_ % 2 == 0 else "Released"
                expected = (round_ + 1) * subscribers
                with writes:
                    ledger.record(INSPECTOR, step, {"reason": "待检 bench"}, lot="KG1")
                recorded = time.monotonic()
                got = hook.wait_for(expected, 120)
                samples += [(r.at - recorded) * 1000 for r in got[expected - subscribers:]]
            floor = _floor(hook, 50)
        finally:
            worker.stop()
            integrator.stop()
            ledger.close()
    return {"p50": statistics.median(samples), "p99": _percentile(samples, 0.99),
            "max": max(samples), "count": len(samples),
            "floor": statistics.median(floor)}


def report(backends: list[str], scale: int) -> None:
    print("## Webhooks: recall-to-delivery latency, ms\n")
    print("From a hold or release returning to its signed webhook arriving at each "
          "subscriber (its own URL on one receiver on 127.0.0.1). Service defaults: the "
          "integrator rests 0.5 s when caught up, 32 sends at once. Floor: one signed POST "
          "of the same kind straight to the receiver, no ledger (median of 50).\n")
    print("| backend | subscribers | deliveries | p50 | p99 | max | floor (one POST) | goal |")
    print("|---|---|---|---|---|---|---|---|")
    for backend in backends:
        for subscribers, rounds in ((1, 40), (100, 6), (1000, 2)):
            result = latency(backend, subscribers, max(1, rounds // scale))
            print(f"| {backend} | {subscribers:,} | {result['count']:,} "
                  f"| {result['p50']:,.0f} | {result['p99']:,.0f} | {result['max']:,.0f} "
                  f"| {result['floor']:.1f} | p99 < 5,000 |", flush=True)
    print()
