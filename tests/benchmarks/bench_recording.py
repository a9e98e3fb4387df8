"""Recording throughput against plain eventsourcing, and audit against raw Ed25519.

Ours: ``Ledger.record`` (one record per save) and ``Ledger.record_batch`` (100 per save):
field validation, canonical bytes, SHA-256, chaining, Ed25519 signing, domain rules.
Baseline: the plain eventsourcing library saving equivalent events (the same step, data,
organisation and times) on an aggregate, without any of that, into the same kind of store.
"""

from __future__ import annotations

import os
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from ledger.application import Ledger
from ledger.config import Settings, parse_db_url
from ledger.recording.records import now
from ledger.records_audit import audit_store
from tests.benchmarks.common import fresh_url, paired, rate
from tests.journeys import COOP, harvest, register_parties

STORED = {
    "facility": "西乡冷库1号", "started": "2026-09-10T22:00:00+08:00",
    "target_min_c": "0", "target_max_c": "4",
    "readings": [{"at": "2026-09-11T06:00:00+08:00", "temp_c": "1.5"},
                 {"at": "2026-09-11T14:00:00+08:00", "temp_c": "2.5"}],
}


class PlainLot(Aggregate):
    def __init__(self, code: str) -> None:
        self.code = code
        self.count = 0

    @event("Recorded")
    def record(self, step: str, data: dict[str, Any], org: str, time: str,
               recorded: str) -> None:
        self.count += 1


class PlainApplication(Application[Any]):
    name = "plain"


def _plain(url: str) -> tuple[PlainApplication, Any]:
    env = dict(parse_db_url(url).eventsourcing_env)
    env["AGGREGATE_CACHE_MAXSIZE"] = "1000"
    if "SQLITE_DBNAME" in env:
        env["SQLITE_DBNAME"] += ".plain"
    app = PlainApplication(env=env)
    lot = PlainLot("P1")
    app.save(lot)
    return app, lot.id


def _ours(url: str) -> Ledger:
    ledger = Ledger(Settings(db_url=url, master_key=os.urandom(32)))
    register_parties(ledger)
    harvest(ledger, "B1")
    return ledger


def recording(backend: str, count: int, per_save: int, rounds: int = 5) -> dict[str, float]:
    with fresh_url(backend) as url:
        ledger = _ours(url)  # creates the PostgreSQL schema both use
        app, lot_id = _plain(url)

        def plain() -> float:
            def work() -> None:
                for _ in range(count // per_save):
                    lot = app.repository.get(lot_id)
                    for _ in range(per_save):
                        lot.record(step="Stored", data=STORED, org=COOP,
                                   time="2026-09-10T14:00:00Z", recorded=now())
                    app.save(lot)
            return rate(count, work)

        def ours() -> float:
            entry = {"step": "Stored", "lot": "B1", "data": STORED}

            def work() -> None:
                for _ in range(count // per_save):
                    if per_save == 1:
                        ledger.record(COOP, "Stored", STORED, lot="B1")
                    else:
                        ledger.record_batch(COOP, [entry] * per_save)
            return rate(count, work)

        baseline, candidate, ratio = paired(rounds, plain, ours)
        result = {"plain": baseline, "ours": candidate, "ratio": ratio}
        ledger.close()
        app.close()
    return result


def audit(backend: str, count: int, rounds: int = 5) -> dict[str, float]:
    """Audit rate against verifying the same number of Ed25519 signatures directly."""
    with fresh_url(backend) as url:
        ledger = _ours(url)
        entry = {"step": "Stored", "lot": "B1", "data": STORED}
        for _ in range(count // 100):
            ledger.record_batch(COOP, [entry] * 100)
        total = audit_store(ledger.store).records
        key = Ed25519PrivateKey.generate()
        public = key.public_key()
        messages = [os.urandom(52) for _ in range(total)]
        signatures = [key.sign(message) for message in messages]

        def raw() -> float:
            def work() -> None:
                for message, signature in zip(messages, signatures, strict=True):
                    public.verify(signature, message)
            return rate(total, work)

        def ours() -> float:
            return rate(total, lambda: audit_store(ledger.store))

        baseline, candidate, ratio = paired(rounds, raw, ours)
        result = {"raw_ed25519": baseline, "audit": candidate, "ratio": ratio}
        ledger.close()
    return result
