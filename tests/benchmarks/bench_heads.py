"""The chain-head map: what committing every chain's head in every checkpoint costs.

Side by side, in one run:

- integration: ``TransparencyLog.integrate()`` over the same records, batches of 1,000 and a
  signed checkpoint per batch, with the map (``commit_heads=True``, what the log does) and
  without it (``commit_heads=False``: no map kept, no heads line signed — the log before the
  map), in paired rounds, the log's tables emptied between rounds. Two histories: every
  record the first of its own chain (the worst case: the map grows by a chain per leaf, and
  every update is a new path), and lots of ten records each whose records arrive
  interleaved (a ledger's usual shape: several steps per lot, over days). Records are put in
  the event store beforehand through the eventsourcing recorder, as ``bench_log`` does, with
  their chain's aggregate id and version, as the ledger stores them.
- the map alone, in memory, at 10^4 and 10^6 chains: the time and memory to build it (one
  bulk build from the heads, as a process does at start), a batch of 1,000 head updates
  and the new root (a checkpoint's cost; the median of 7 batches), and proofs: their length
  in hashes and bytes in a bundle, and the median time to verify one
  (``verify_head_proof``).
- bundles: ``Bundle.from_json`` + ``verify_bundle`` of the same records as format 2 (with
  head proofs, step 7) and as format 1 (without), paired, in CPU time: a demo lot's bundle
  of nine chains and a 2,000-record lot of two.
"""

from __future__ import annotations

import gc
import json
import multiprocessing
import os
import random
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from hashlib import sha256
from pathlib import Path
from typing import Any

from eventsourcing.persistence import StoredEvent

from ledger.config import Settings
from ledger.domain.chain import chain_id
from ledger.log import LogKey, TransparencyLog
from ledger.persistence.store import EventStore
from tests.benchmarks.bench_bundle import make_bundle
from tests.benchmarks.bench_log import SIGNATURE, TOPIC
from tests.benchmarks.common import fresh_url, paired
from tests.ledger.test_log_helpers import clear_log
from verify.bundle import Bundle
from verify.encoding import encode_base64
from verify.headmap import HeadMap, verify_head_proof
from verify.notes import Signer, Verifier
from verify.verification import verify_bundle

__all__ = ["bundles", "integration", "map_in_memory", "measure_map"]

BATCH = 1000
VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "bundles"
TEMPLATE: dict[str, Any] = {
    "v": 1, "chain": "", "seq": 0, "prev": "00" * 32, "links": [], "type": "Stored",
    "org": "coop-bench", "key": "0123456789abcdef", "time": "2026-09-10T14:00:00Z",
    "recorded": "2026-09-10T14:00:01Z",
    "data": {"facility": "西乡冷库1号", "started": "2026-09-10T22:00:00+08:00",
             "target_min_c": "0", "target_max_c": "4",
             "readings": [{"at": f"2026-09-11T{h:02d}:00:00+08:00", "temp_c": "1.5"}
                          for h in range(6)]},
}


def history(count: int, per_chain: int) -> list[tuple[str, int, bytes]]:
    """``count`` record-like canonical JSON records (~700 bytes) in chains of ``per_chain``,
    as (chain, seq, bytes), the chains' records interleaved round-robin."""
    chains = max(1, count // per_chain)
    found = []
    for i in range(count):
        chain, seq = f"lot/BENCH{i % chains:08d}", i // chains
        value = {**TEMPLATE, "chain": chain, "seq": seq}
        found.append((chain, seq, json.dumps(value, ensure_ascii=False, sort_keys=True,
                                             separators=(",", ":")).encode()))
    return found


def _write(store: EventStore, records: list[tuple[str, int, bytes]], chunk: int = 2000) -> None:
    recorder = store.app.recorder
    for start in range(0, len(records), chunk):
        recorder.insert_events([
            StoredEvent(originator_id=chain_id(chain), originator_version=seq + 1, topic=TOPIC,
                        state=SIGNATURE + raw)
            for chain, seq, raw in records[start:start + chunk]])


def integration(backend: str, count: int, per_chain: int,
                rounds: int = 5) -> dict[str, float]:
    """Leaves per second without and with the map (medians of paired rounds), the median
    per-round ratio with / without, and the same ratio of this process's CPU time (on SQLite
    the whole integration runs in this process, so other processes' load on a shared
    machine hardly moves it; on PostgreSQL the server's work is not in it)."""
    records = history(count, per_chain)
    with fresh_url(backend) as url:
        store = EventStore(Settings(db_url=url, master_key=os.urandom(32)))
        try:
            _write(store, records)
            key = LogKey(Signer.generate("bench.example/log"))

            def once(commit_heads: bool) -> tuple[float, float]:
                clear_log(store)
                log = TransparencyLog(store, key, batch_size=BATCH, commit_heads=commit_heads)
                wall, cpu = time.perf_counter(), time.process_time()
                appended = log.integrate()
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                assert appended == count, (appended, count)
                return count / wall, count / cpu

            runs = [(once(False), once(True)) for _ in range(rounds)]
        finally:
            store.close()
    return {"without": statistics.median(base[0] for base, _ in runs),
            "with": statistics.median(cand[0] for _, cand in runs),
            "ratio": statistics.median(cand[0] / base[0] for base, cand in runs),
            "cpu_ratio": statistics.median(cand[1] / base[1] for base, cand in runs),
            "chains": float(max(1, count // per_chain))}


def _rss_mb() -> float:
    """This process's resident set now, in MB (Linux)."""
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def map_in_memory(chains: int) -> dict[str, float]:
    """``measure_map(chains)`` in a fresh process, so that its resident set grows by the map
    alone."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(measure_map, chains).result()


def measure_map(chains: int, samples: int = 2000) -> dict[str, float]:
    """Build time and memory of a map of ``chains`` chains, a checkpoint's batch of 1,000
    updates, and its proofs' size and verification time."""
    rng = random.Random(chains)
    heads = [(f"lot/C{i:08d}", rng.randrange(20), sha256(b"%d" % i).digest())
             for i in range(chains)]
    gc.collect()
    before = _rss_mb()
    started = time.perf_counter()
    built = HeadMap.from_heads(heads, size=chains)
    root = built.root()
    build_s = time.perf_counter() - started
    grown = _rss_mb() - before
    latest: dict[str, tuple[int, bytes]] = {}
    batches = []
    for _ in range(7):  # the first pays for the collector's pass over the new objects
        batch = rng.sample(heads, 1000)
        started = time.perf_counter()
        for chain, seq, digest in batch:
            latest[chain] = (seq + 1, sha256(digest).digest())
            built.set(chain, *latest[chain])
        root = built.root()
        batches.append(time.perf_counter() - started)
    update_ms = statistics.median(batches) * 1000
    chosen = rng.sample(heads, samples)
    proofs = []
    for chain, seq, digest in chosen:
        seq, digest = latest.get(chain, (seq, digest))
        proofs.append((chain, seq, digest, built.prove(chain)))
    times = []
    for chain, seq, digest, proof in proofs:
        started = time.perf_counter()
        verify_head_proof(chain, seq, digest, proof, root)
        times.append(time.perf_counter() - started)
    lengths = [len(proof) for *_, proof in proofs]
    entry_bytes = [len(json.dumps({"chain": chain, "seq": seq,
                                   "proof": [encode_base64(h) for h in proof]},
                                  separators=(",", ":")))
                   for chain, seq, _, proof in proofs]
    del built
    return {"chains": chains, "build_s": build_s, "memory_mb": grown, "update_ms": update_ms,
            "hashes_median": statistics.median(lengths), "hashes_max": max(lengths),
            "entry_bytes": statistics.median(entry_bytes),
            "verify_us": statistics.median(times) * 1e6}


def _as_version_1(text: bytes) -> bytes:
    value = json.loads(text)
    value["version"] = 1
    del value["heads"]
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def _verification_rate(text: bytes, verifier: Verifier, repeat: int) -> Callable[[], float]:
    """Verifications per CPU second of this process (verifying is all in this process)."""
    def once() -> float:
        started = time.process_time()
        for _ in range(repeat):
            verify_bundle(Bundle.from_json(text), [verifier])
        return repeat / (time.process_time() - started)
    return once


def bundles(scale: int = 1, rounds: int = 11) -> list[dict[str, Any]]:
    """CPU milliseconds per parse + verify of the same records as format 2 and format 1."""
    demo = (VECTORS / "valid.json").read_bytes()
    log_key = Verifier.from_vkey((VECTORS / "log.vkey").read_text().strip())
    big, big_key = make_bundle(2000 // scale)
    found = []
    for name, text, verifier, repeat in (("demo lot KW26-SBD-G1", demo, log_key, 20),
                                         (f"{2000 // scale:,}-record lot", big, big_key, 1)):
        old = _as_version_1(text)
        v1, v2, ratio = paired(rounds, _verification_rate(old, verifier, repeat),
                               _verification_rate(text, verifier, repeat))
        parsed = Bundle.from_json(text)
        found.append({"bundle": name, "records": len(parsed.records),
                      "chains": len(parsed.heads or ()), "v1_ms": 1000 / v1, "v2_ms": 1000 / v2,
                      "ratio": ratio, "v1_bytes": len(old), "v2_bytes": len(text)})
    return found


def report(backends: list[str], scale: int = 1) -> None:
    """Print this benchmark's Markdown section (``python -m tests.benchmarks``)."""
    count = 50_000 // scale
    print("\n## Chain heads in every checkpoint: integration without and with the map\n")
    print(f"Leaves/s, the same {count:,} records (~700 bytes), batches of 1,000, a checkpoint "
          "per batch; medians of 5 paired rounds, the ratio is the median of per-round "
          "ratios (with / without), the CPU ratio the same of this process's CPU time.\n")
    print("| backend | history | chains | without map | with map | ratio | CPU ratio | goal |")
    print("|---|---|---|---|---|---|---|---|")
    for backend in backends:
        for per_chain, label in ((1, "a new chain per record"), (10, "lots of 10 records")):
            result = integration(backend, count, per_chain)
            cpu = f"{result['cpu_ratio']:.2f}" if backend == "sqlite" else "—"
            print(f"| {backend} | {label} | {result['chains']:,.0f} | {result['without']:,.0f} "
                  f"| {result['with']:,.0f} | {result['ratio']:.2f} | {cpu} | ≥ 0.75 |",
                  flush=True)
    sizes = (10**4,) if scale > 1 else (10**4, 10**6)
    print("\n## The chain-head map in memory\n")
    print("| chains | build | memory | 1,000 updates + root | proof hashes (median, max) "
          "| heads entry | verify one proof |")
    print("|---|---|---|---|---|---|---|")
    for chains in sizes:
        row = map_in_memory(chains)
        print(f"| {chains:,} | {row['build_s']:.1f} s | ~{row['memory_mb']:,.0f} MB "
              f"| {row['update_ms']:.1f} ms | {row['hashes_median']:.0f}, "
              f"{row['hashes_max']:.0f} | {row['entry_bytes']:,.0f} bytes "
              f"| {row['verify_us']:.0f} µs |", flush=True)
    print("\n## Bundle format 2 vs 1: the same records, parse + verify\n")
    print("CPU milliseconds, medians of 11 paired rounds; ratio = format 1 time / format 2 "
          "time per round.\n")
    print("| bundle | records | chains | format 1 | format 2 | ratio | bytes 1 → 2 |")
    print("|---|---|---|---|---|---|---|")
    for row in bundles(scale):
        print(f"| {row['bundle']} | {row['records']:,} | {row['chains']} "
              f"| {row['v1_ms']:.2f} ms | {row['v2_ms']:.2f} ms | {row['ratio']:.2f} "
              f"| {row['v1_bytes']:,} → {row['v2_bytes']:,} |", flush=True)
