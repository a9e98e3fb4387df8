"""Transparency-log benchmarks: integration throughput and inclusion-proof latency.

Integration, side by side in one run, over the same N records (~700-byte JSON, distinct):

- agritrace: ``TransparencyLog.integrate()`` in batches of 1,000 records, one transaction and
  one signed checkpoint per batch: reading the records in notification order, leaf and node
  hashes, leaf and node rows, state, checkpoint. The records are put in the event store
  beforehand straight through the eventsourcing recorder (``signature || bytes``, as the
  ledger stores them), so making them costs nothing here and the figure is the integrator's.
  Between rounds the log's tables are emptied and the same records integrated again.
- raw SHA-256: hashlib computing the same N leaf hashes and the N - 1 node hashes of the tree
  (RFC 9162 MTH) in a tight loop: the floor no integrator can beat.
- pymerkle (GPL; installed into this environment for the run only when missing, never a
  project dependency): ``SqliteTree.append_entries`` of the same record bytes into a fresh
  SQLite file. It stores leaf hashes only, no interior nodes and no signed checkpoints.

Inclusion proofs, on SQLite, at 10^4, 10^5 and 10^6 leaves: recording 10^6 real records would
take the better part of an hour, so the tree is grown directly through the integrator's node
machinery — ``Frontier.append`` over synthetic leaves, the leaf rows and every completed node
bulk-inserted as the integrator does, the state advanced, and a checkpoint signed by
``publish_checkpoint`` (which checks consistency with the previous one). Proofs are then
served exactly as in production, ``TransparencyLog.inclusion_by_index`` and
``inclusion_by_hash`` against that checkpoint, each call timed on its own.
"""

from __future__ import annotations

import importlib
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from functools import partial
from hashlib import sha256
from itertools import islice
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from eventsourcing.persistence import StoredEvent
from sqlalchemy import update

from ledger.config import Settings
from ledger.log import LogKey, TransparencyLog
from ledger.log.checkpoints import publish_checkpoint
from ledger.log.nodes import Frontier, NodeCache, bulk_insert, insert_nodes
from ledger.persistence.store import EventStore
from ledger.persistence.tables import log_leaves, log_state
from tests.benchmarks.common import fresh_url, interleaved, rate
from tests.ledger.test_log_helpers import clear_log
from verify.merkle import leaf_hash, verify_inclusion
from verify.notes import Signer

__all__ = ["integration", "proof_latency", "pymerkle_available"]

ORIGIN = "bench.agritrace.example/log"
BATCH = 1000
TOPIC = "ledger.domain.lot:Lot.Started"
SIGNATURE = bytes(64)  # the integrator never checks signatures; the audit does


def synthetic_records(count: int) -> list[bytes]:
    """``count`` distinct record-like JSON byte strings of about 700 bytes."""
    template = {
        "v": 1, "chain": "", "seq": 0, "prev": "00" * 32, "links": [], "type": "Stored",
        "org": "coop-bench", "key": "0123456789abcdef", "time": "2026-09-10T14:00:00Z",
        "recorded": "2026-09-10T14:00:01Z",
        "data": {"facility": "西乡冷库1号", "started": "2026-09-10T22:00:00+08:00",
                 "target_min_c": "0", "target_max_c": "4",
                 "readings": [{"at": f"2026-09-11T{h:02d}:00:00+08:00", "temp_c": "1.5"}
                              for h in range(6)]},
    }
    records = []
    for i in range(count):
        template["chain"] = f"lot/BENCH{i:08d}"
        records.append(json.dumps(template, ensure_ascii=False, sort_keys=True,
                                  separators=(",", ":")).encode())
    return records


def _open_store(url: str) -> EventStore:
    return EventStore(Settings(db_url=url, master_key=os.urandom(32)))


def _write_records(store: EventStore, records: list[bytes], chunk: int = 2000) -> None:
    # Small chunks: one eventsourcing insert of ~10,000 such events (~7 MB) can deadlock
    # psycopg's pipeline mode on PostgreSQL (seen here: both ends waiting on each other).
    recorder = store.app.recorder
    for start in range(0, len(records), chunk):
        recorder.insert_events([
            StoredEvent(originator_id=uuid.uuid4(), originator_version=1, topic=TOPIC,
                        state=SIGNATURE + raw)
            for raw in records[start:start + chunk]])


def raw_sha256(records: list[bytes]) -> None:
    """Every leaf hash and the N - 1 node hashes of the RFC 9162 tree, with hashlib."""
    level = [sha256(b"\x00" + raw).digest() for raw in records]
    while len(level) > 1:
        paired = [sha256(b"\x01" + level[i] + level[i + 1]).digest()
                  for i in range(0, len(level) - 1, 2)]
        level = [*paired, level[-1]] if len(level) % 2 else paired


def pymerkle_available() -> Any:
    """pymerkle's ``SqliteTree`` class, pip-installed for this run if missing; else None."""
    try:
        return importlib.import_module("pymerkle").SqliteTree
    except ImportError:
        pass
    installed = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "pymerkle"],
                               capture_output=True, check=False)
    if installed.returncode != 0:
        return None
    importlib.invalidate_caches()
    try:
        return importlib.import_module("pymerkle").SqliteTree
    except ImportError:
        return None


def _pymerkle_rate(sqlite_tree: Any, records: list[bytes]) -> float:
    with TemporaryDirectory() as folder:
        tree = sqlite_tree(str(Path(folder) / "pymerkle.db"))
        try:
            return rate(len(records), lambda: tree.append_entries(records))
        finally:
            tree.close()


def integration(backend: str, count: int, rounds: int = 3) -> dict[str, float]:
    """Leaves per second: agritrace, raw SHA-256 and (on SQLite) pymerkle; medians."""
    records = synthetic_records(count)
    with fresh_url(backend) as url:
        store = _open_store(url)
        _write_records(store, records)
        log = TransparencyLog(store, LogKey(Signer.generate(ORIGIN)), batch_size=BATCH)

        def ours() -> float:
            clear_log(store)
            started = time.perf_counter()
            appended = log.integrate()
            elapsed = time.perf_counter() - started
            assert appended == count, (appended, count)
            return count / elapsed

        contenders = {"agritrace": ours,
                      "raw_sha256": lambda: rate(count, lambda: raw_sha256(records))}
        sqlite_tree = pymerkle_available() if backend == "sqlite" else None
        if sqlite_tree is not None:
            contenders["pymerkle"] = lambda: _pymerkle_rate(sqlite_tree, records)
        try:
            return interleaved(rounds, **contenders)
        finally:
            store.close()


def _synthetic_leaves(start: int, stop: int) -> Iterator[tuple[int, bytes, bytes]]:
    for index in range(start, stop):
        entry = b"synthetic record %d" % index
        yield index, sha256(entry).digest(), leaf_hash(entry)


def _grow(store: EventStore, key: LogKey, frontier: Frontier, size: int,
          chunk: int = 100_000) -> None:
    """Append synthetic leaves up to ``size`` as the integrator would, and sign a checkpoint."""
    leaves = _synthetic_leaves(frontier.size, size)
    old_size = frontier.size
    with store.engine.begin() as connection:
        while batch := list(islice(leaves, chunk)):
            nodes = [node for _, _, leaf in batch for node in frontier.append(leaf)]
            bulk_insert(connection, log_leaves.name,
                        ("leaf_index", "notification_id", "record_hash"),
                        [(index, index + 1, digest) for index, digest, _ in batch])
            insert_nodes(connection, nodes)
        connection.execute(update(log_state).where(log_state.c.id == 1,
                                                   log_state.c.size == old_size)
                           .values(size=size, position=size))
        publish_checkpoint(connection, key, size, frontier.root(), NodeCache(connection))


def _stats_ms(samples: list[float]) -> tuple[float, float]:
    return statistics.median(samples) * 1e3, statistics.quantiles(samples, n=100)[98] * 1e3


def proof_latency(sizes: tuple[int, ...] = (10**4, 10**5, 10**6),
                  samples: int = 2000) -> list[dict[str, float]]:
    """Median and p99 milliseconds per inclusion proof, by index and by hash, per size."""
    chooser = random.Random(9162)
    results = []
    with fresh_url("sqlite") as url:
        store = _open_store(url)
        key = LogKey(Signer.generate(ORIGIN))
        log = TransparencyLog(store, key)
        frontier = Frontier()
        try:
            for size in sizes:
                started = time.perf_counter()
                _grow(store, key, frontier, size)
                built = time.perf_counter() - started
                indices = [chooser.randrange(size) for _ in range(samples)]
                hashes = [sha256(b"synthetic record %d" % i).digest() for i in indices]
                by_index = _timed(partial(log.inclusion_by_index, size=size), indices)
                by_hash = _timed(partial(log.inclusion_by_hash, size=size), hashes)
                proof = log.inclusion_by_index(indices[0], size)
                verify_inclusion(proof.leaf_index, size, proof.leaf_hash, proof.hashes,
                                 proof.checkpoint.root_hash)
                index_median, index_p99 = _stats_ms(by_index)
                hash_median, hash_p99 = _stats_ms(by_hash)
                results.append({"size": size, "build_s": built, "index_median": index_median,
                                "index_p99": index_p99, "hash_median": hash_median,
                                "hash_p99": hash_p99, "hashes": len(proof.hashes)})
        finally:
            store.close()
    return results


def _timed(call: Callable[[Any], object], arguments: list[Any]) -> list[float]:
    """Seconds each ``call(argument)`` took, one by one."""
    durations = []
    for argument in arguments:
        started = time.perf_counter()
        call(argument)
        durations.append(time.perf_counter() - started)
    return durations
