"""Proof-bundle verification: throughput against raw Ed25519, and the time to check a
50-record bundle in Python and in Chromium.

Throughput: ``Bundle.from_json`` + ``verify_bundle`` on one lot's bundle (parsing, SHA-256,
inclusion proofs, canonical-form checks, chain and key replay, signatures) against verifying
the same records' Ed25519 signatures directly, with the public key already loaded, in the
same run. Latency: the median of repeated full verifications of a 50-record bundle, in
Python and in Chromium through both of ``verify.js``'s crypto paths.
"""

from __future__ import annotations

import base64
import os
import shutil
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from hashlib import sha256
from http.server import ThreadingHTTPServer
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.application import Ledger
from ledger.bundles import build_bundle
from ledger.config import Settings
from ledger.log import TransparencyLog
from ledger.log.logkey import LogKey
from tests.benchmarks.bench_recording import STORED
from tests.benchmarks.common import fresh_url, interleaved, rate
from tests.journeys import COOP, harvest, register_parties
from verify.bundle import Bundle
from verify.notes import Signer, Verifier
from verify.records import Record, signing_message
from verify.verification import verify_bundle

LOT = "B1"


def make_bundle(records: int) -> tuple[bytes, Verifier]:
    """A real bundle of about ``records`` records (one lot, its organisation's key record)."""
    with fresh_url("sqlite") as url:
        ledger = Ledger(Settings(db_url=url, master_key=os.urandom(32)))
        register_parties(ledger)
        harvest(ledger, LOT)
        entry = {"step": "Stored", "lot": LOT, "data": STORED}
        remaining = records - 2  # the harvest and the cooperative's registration
        while remaining > 0:
            ledger.record_batch(COOP, [entry] * min(100, remaining))
            remaining -= 100
        log = TransparencyLog(ledger.store, LogKey(Signer.generate("bench.example/log")))
        text = build_bundle(ledger, log, LOT).to_json()
        verifier = log.key.verifier
        ledger.close()
    return text, verifier


def _signatures(text: bytes) -> list[tuple[Ed25519PublicKey, bytes, bytes]]:
    """(public key, signature, signed message) of every record in the bundle."""
    bundle = Bundle.from_json(text)
    keys: dict[str, Ed25519PublicKey] = {}
    for item in bundle.records:
        record = Record.from_bytes(item.raw)
        if record.type == "OrganisationRegistered":
            raw = base64.b64decode(record.data["public_key"])
            keys[record.key] = Ed25519PublicKey.from_public_bytes(raw)
    found = []
    for item in bundle.records:
        record = Record.from_bytes(item.raw)
        found.append((keys[record.key], item.signature,
                      signing_message(sha256(item.raw).digest())))
    return found


def throughput(records: int = 2000, rounds: int = 5) -> dict[str, float]:
    """Records per second: bundle verification and raw Ed25519 on the same signatures."""
    text, verifier = make_bundle(records)
    signed = _signatures(text)
    count = len(signed)

    def raw() -> float:
        def work() -> None:
            for public_key, signature, message in signed:
                public_key.verify(signature, message)
        return rate(count, work)

    def bundle() -> float:
        def work() -> None:
            verify_bundle(Bundle.from_json(text), [verifier])
        return rate(count, work)

    result = interleaved(rounds, raw_ed25519=raw, bundle=bundle)
    result["records"] = count
    return result


def python_latency(text: bytes, verifier: Verifier, runs: int = 50) -> float:
    """Median milliseconds to parse and verify ``text``."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        verify_bundle(Bundle.from_json(text), [verifier])
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


CHROMIUM_RUN = """async ({bundle, vkey, mode, runs}) => {
  const m = await import("/static/verify.js");
  const bytes = Uint8Array.from(atob(bundle), (c) => c.charCodeAt(0));
  const times = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const result = await m.verifyBundle(bytes, {logKeys: [vkey], crypto: mode});
    times.push(performance.now() - started);
    if (result.crypto !== mode) throw new Error("wrong crypto path " + result.crypto);
  }
  return times;
}"""


@contextmanager
def _static_server() -> Iterator[str]:
    from tests.e2e.test_browser_verify import STATIC, _Handler

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Handler, directory=str(STATIC)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def chromium_latency(text: bytes, verifier: Verifier, runs: int = 20) -> dict[str, Any] | None:
    """Per crypto path: first (cold) and median milliseconds in Chromium; None without one."""
    chromium = shutil.which("chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if chromium is None:
        return None
    from tests.e2e.test_browser_verify import ARGS

    found: dict[str, Any] = {}
    with _static_server() as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=ARGS)
        for mode in ("webcrypto", "noble"):
            page = browser.new_page()
            page.goto(f"{base}/static/verify.html")
            times = page.evaluate(CHROMIUM_RUN, {
                "bundle": base64.b64encode(text).decode(), "vkey": verifier.to_vkey(),
                "mode": mode, "runs": runs})
            found[mode] = {"first": times[0], "median": statistics.median(times[1:])}
            page.close()
        browser.close()
    return found


def report(scale: int = 1) -> None:
    """Print this benchmark's Markdown section (``python -m tests.benchmarks``)."""
    print("\n## Proof bundles: verification vs raw Ed25519, records/s "
          "(median of 5)\n")
    print("| records | raw Ed25519 verify | bundle parse + verify | ratio | goal |")
    print("|---|---|---|---|---|")
    result = throughput(2000 // scale)
    print(f"| {result['records']:.0f} | {result['raw_ed25519']:,.0f} | {result['bundle']:,.0f} "
          f"| {result['bundle'] / result['raw_ed25519']:.2f} | ≥ 0.80 |", flush=True)
    text, verifier = make_bundle(50)
    print("\n## A 50-record bundle, parse + verify, milliseconds\n")
    print("| verifier | first run | median | goal |")
    print("|---|---|---|---|")
    print(f"| Python | | {python_latency(text, verifier):.1f} | < 20 |", flush=True)
    browser = chromium_latency(text, verifier)
    if browser is None:
        print("| Chromium | not installed | | < 200 |")
        return
    for mode, times in browser.items():
        print(f"| Chromium, {mode} | {times['first']:.0f} | {times['median']:.0f} | < 200 |")
