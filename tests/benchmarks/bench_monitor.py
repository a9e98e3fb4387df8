"""The monitor against a served log, side by side with ``agritrace audit`` on the store.

The same N records (harvests of many lots, ~700 bytes each, signed by the server-held key of
one cooperative) are recorded and integrated once per backend. Then, in paired rounds:

- audit: what ``agritrace audit`` runs, in this process, on the database itself:
  ``audit_store`` (every record's canonical bytes, placement, chain, links, key and
  signature) then ``audit_log`` (the tree and chain-head map recomputed, every leaf, node and
  checkpoint compared), records per second over both;
- monitor: ``agritrace monitor URL --once`` from a fresh state folder, in this process,
  against ``agritrace serve`` running in another process on 127.0.0.1 over the same store
  (with an API token, as an office would, so the anonymous rate limit does not apply):
  every entry bundle, signature bundle and hash tile fetched over HTTP, every record
  checked, the roots compared; entries per second.

Goal: the monitor at ≥ 0.5 of the audit's rate.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from ledger.application import Ledger
from ledger.config import Settings
from ledger.log import TransparencyLog, audit_log, load_log_key
from ledger.monitor import LogClient, Monitor, StateFolder
from ledger.records_audit import audit_store
from tests.benchmarks.common import fresh_url, paired, rate
from tests.ledger.test_log_helpers import ORG, harvests
from verify.notes import Verifier

__all__ = ["monitor_vs_audit", "report"]

ROOT = Path(__file__).resolve().parents[2]


def report(backends: list[str], scale: int) -> None:
    count = 20_000 // scale
    print("## Monitor: entries/s against a served log vs `agritrace audit` on the store\n")
    print(f"The same {count:,} records; medians of 3 paired rounds, the ratio the median of "
          "per-round ratios. The monitor starts from an empty state folder each round and "
          "talks to `agritrace serve` in another process on 127.0.0.1.\n")
    print("| backend | records | agritrace audit | monitor | ratio | goal |")
    print("|---|---|---|---|---|---|")
    for backend in backends:
        result = monitor_vs_audit(backend, count)
        print(f"| {backend} | {count:,} | {result['audit']:,.0f} | {result['monitor']:,.0f} "
              f"| {result['ratio']:.2f} | ≥ 0.5 |", flush=True)
    print()


def monitor_vs_audit(backend: str, count: int, rounds: int = 3) -> dict[str, float]:
    with fresh_url(backend) as url, tempfile.TemporaryDirectory() as folder:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AGRITRACE_")}
        env.update(AGRITRACE_DB=url, AGRITRACE_LOG_KEY_FILE=str(Path(folder) / "log-key"),
                   AGRITRACE_MASTER_KEY_FILE=str(Path(folder) / "master-key"),
                   PYTHONPATH=str(ROOT))
        saved = {k: os.environ.get(k) for k in env if k.startswith("AGRITRACE_")}
        os.environ.update({k: v for k, v in env.items() if k.startswith("AGRITRACE_")})
        try:
            settings = Settings.from_env(url)
            ledger = Ledger(settings)
            ledger.register_organisation(ORG, name="凤凰县测试合作社", roles=["cooperative"])
            harvests(ledger, count - 1, per_commit=100)
            key = load_log_key(settings)
            TransparencyLog(ledger.store, key).integrate()
            token = ledger.issue_token(ORG, label="monitor").token
            total = audit_store(ledger.store).records

            def audit() -> float:
                def work() -> None:
                    audit_store(ledger.store)
                    audit_log(ledger.store, key.verifier, origin=key.origin)
                return rate(total, work)

            with _served(env) as base:
                def monitor() -> float:
                    with tempfile.TemporaryDirectory() as state:
                        return rate(total, lambda: _monitor_once(base, key.vkey, token,
                                                                 Path(state)))

                baseline, candidate, ratio = paired(rounds, audit, monitor)
            ledger.close()
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
    return {"audit": baseline, "monitor": candidate, "ratio": ratio}


def _monitor_once(url: str, vkey: str, token: str, state: Path) -> None:
    client = LogClient(url, token=token)
    try:
        with StateFolder(state) as folder:
            Monitor(client, Verifier.from_vkey(vkey), folder,
                    folder.load(client.url, vkey)).check_once()
    finally:
        client.close()


@contextmanager
def _served(env: dict[str, str]) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = subprocess.Popen(
        [sys.executable, "-m", "ledger.cli", "serve", "--port", str(port), "--no-access-log"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("agritrace serve did not start")
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(30)
