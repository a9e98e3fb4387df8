"""Scan to trust: the consumer page against ``/healthz`` under load, QR codes per
second, and the bytes of the page's first view.

Throughput: one uvicorn process (a subprocess, the demo data on SQLite) serves both; a load
generator in this process keeps 50 keep-alive clients busy for a fixed time on one URL,
alternating page and ``/healthz`` rounds. The clients are a few lines of asyncio streams:
httpx's async client tops out near 400 requests/s by itself on this kind of machine.
Requests per second and the 99th percentile latency, median over rounds. ``/healthz`` does
one database query per request; the page resolves the Digital Link, checks the store's
version (one query) and serves the page rendered for that version, or renders it.
"""

from __future__ import annotations

import asyncio
import gzip
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import httpx
from fastapi import FastAPI

from api.scan.resolving import RenderedPages
from api.services import services_of
from ledger.demo import KIWI_GTIN

CLIENTS = 50
PAGE = f"/01/{KIWI_GTIN}/10/KW26-SBD-G1"
ROOT = Path(__file__).resolve().parents[2]


def make_app() -> FastAPI:
    """The app uvicorn serves (``--factory``): ``create_app`` with the resolver's routes."""
    from api.app import create_app
    from api.settings import ServiceSettings
    from ledger.config import Settings

    app = create_app(Settings.from_env(), ServiceSettings(integrate=False))
    if os.environ.get("BENCH_RENDER_EVERY_TIME") == "1":  # keep no rendered page
        services = services_of(app)
        app.state.services = replace(services, scanning=replace(
            services.scanning, pages=RenderedPages(size=0)))
    return app


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def served(**extra_env: str) -> Iterator[str]:
    """The demo ledger served by uvicorn in a subprocess; yields its base URL."""
    from ledger.application import Ledger
    from ledger.config import Settings
    from ledger.demo import seed_demo
    from ledger.log import TransparencyLog, load_log_key

    with TemporaryDirectory() as folder:
        env = {**os.environ, "AGRITRACE_DB": f"sqlite:///{folder}/bench.db",
               "AGRITRACE_MASTER_KEY": os.urandom(32).hex(),
               "AGRITRACE_LOG_KEY_FILE": f"{folder}/log-key", "AGRITRACE_INTEGRATE": "0",
               **extra_env}
        settings = Settings(db_url=env["AGRITRACE_DB"],
                            master_key=bytes.fromhex(env["AGRITRACE_MASTER_KEY"]))
        os.environ["AGRITRACE_LOG_KEY_FILE"] = env["AGRITRACE_LOG_KEY_FILE"]
        ledger = Ledger(settings)
        seed_demo(ledger)
        TransparencyLog(ledger.store, load_log_key(settings)).integrate()
        ledger.close()
        port = _free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "tests.benchmarks.bench_scan:make_app",
             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
             "--no-access-log"], env=env, cwd=ROOT)
        url = f"http://127.0.0.1:{port}"
        try:
            _wait(url, process)
            yield url
        finally:
            process.terminate()
            process.wait(30)


def _wait(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("uvicorn exited")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("uvicorn did not start")


async def _client(base: str, path: str, deadline: float, latencies: list[float]) -> int:
    """One keep-alive HTTP/1.1 client requesting ``path`` until ``deadline``; returns how
    many responses were not 200. A few lines of asyncio streams: a general-purpose client
    would be the bottleneck long before the server is."""
    host, port = base.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    request = (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/html\r\n"
               "Accept-Language: zh-CN\r\n\r\n").encode()
    failures = 0
    try:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length:"))
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            failures += head[9:12] != b"200"
    finally:
        writer.close()
    return failures


async def _load(base: str, path: str, seconds: float, clients: int) -> dict[str, float]:
    """``clients`` concurrent keep-alive clients requesting ``path`` for ``seconds``."""
    latencies: list[float] = []
    begun = time.perf_counter()
    failures = await asyncio.gather(*(_client(base, path, begun + seconds, latencies)
                                      for _ in range(clients)))
    elapsed = time.perf_counter() - begun
    latencies.sort()
    return {"rps": len(latencies) / elapsed, "failures": sum(failures),
            "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]}


def page_vs_health(seconds: float = 5.0, rounds: int = 3,
                   clients: int = CLIENTS) -> dict[str, dict[str, float]]:
    """Median requests/s and p99 (ms), interleaved rounds: /healthz, the lot's page, a
    serialised unit's page (counts a scan: one write), and the page rendered every time
    (another server, keeping no rendered page)."""
    paths = {"healthz": "/healthz", "page": PAGE, "unit": PAGE + "/21/17"}
    results: dict[str, list[dict[str, float]]] = {name: [] for name in [*paths, "rendered"]}
    with served() as base, served(BENCH_RENDER_EVERY_TIME="1") as rendering:
        for url, path in [(base, p) for p in paths.values()] + [(rendering, PAGE)]:
            asyncio.run(_load(url, path, 1.0, clients))  # warm up: caches, connections
        for _ in range(rounds):
            for name, path in paths.items():
                results[name].append(asyncio.run(_load(base, path, seconds, clients)))
            results["rendered"].append(asyncio.run(_load(rendering, PAGE, seconds, clients)))
    return {name: {key: statistics.median(r[key] for r in runs) for key in runs[0]}
            for name, runs in results.items()}


def qr_rate(count: int = 300) -> dict[str, float]:
    """QR PNGs per second: of new URIs (mask choice and all), and of ones made before."""
    from ledger.labels.qr import _matrix, qr_png

    uris = [f"https://trace.example.cn{PAGE}/21/{n}" for n in range(count)]
    _matrix.cache_clear()
    started = time.perf_counter()
    for uri in uris:
        qr_png(uri)
    fresh = count / (time.perf_counter() - started)
    started = time.perf_counter()
    for uri in uris:
        qr_png(uri)
    return {"new": fresh, "repeated": count / (time.perf_counter() - started)}


def first_view() -> dict[str, Any]:
    """Bytes of the page (what the first view needs: inline CSS, no fonts or images) and of
    what verification fetches after it (scripts and the bundle), raw and gzipped."""
    with served() as base, httpx.Client(base_url=base) as client:
        page = client.get(PAGE).content
        scripts = [name for name in sorted((ROOT / "api" / "static").glob("verify*.js"))
                   if name.name not in ("verify-page.js",)]
        script_bytes = [client.get(f"/static/{p.name}").content for p in scripts]
        script_bytes.append(client.get("/static/consumer.js").content)
        bundle = client.get("/lots/KW26-SBD-G1/bundle").content
    after = b"".join(script_bytes) + bundle
    return {"page": len(page), "page_gzip": len(gzip.compress(page)),
            "after": len(after),
            "after_gzip": sum(len(gzip.compress(b)) for b in [*script_bytes, bundle]),
            "bundle": len(bundle)}


def report(scale: int = 1) -> None:
    """Print this benchmark's Markdown section (``python -m tests.benchmarks``)."""
    seconds = 5.0 / scale
    print(f"\n## Scan to trust: consumer page vs /healthz, {CLIENTS} clients, "
          f"one uvicorn process on loopback (median of 3 rounds of {seconds:.0f} s)\n")
    print("| endpoint | requests/s | p99 ms | failures | vs /healthz |")
    print("|---|---|---|---|---|")
    result = page_vs_health(seconds)
    health = result["healthz"]
    rows = [("/healthz", "healthz", ""),
            (f"consumer page `{PAGE}`", "page", "≥ 0.5 × /healthz: "),
            ("a unit's page `…/21/17` (counts the scan)", "unit", ""),
            ("consumer page, rendered every time", "rendered", "")]
    for label, name, goal in rows:
        row = result[name]
        ratio = f"{goal}{row['rps'] / health['rps']:.2f}" if name != "healthz" else ""
        print(f"| {label} | {row['rps']:,.0f} | {row['p99_ms']:.0f} | {row['failures']:.0f} "
              f"| {ratio} |", flush=True)
    qr = qr_rate(300 // scale)
    print("\n## QR codes: PNGs per second, one thread\n")
    print("| new URI (level Q, mask chosen) | URI seen before |")
    print("|---|---|")
    print(f"| {qr['new']:,.0f} | {qr['repeated']:,.0f} |", flush=True)
    view = first_view()
    print("\n## First view of the consumer page, bytes\n")
    print("| page (HTML, inline CSS and SVG) | gzipped | then, to verify: scripts + bundle "
          "| gzipped | goal |")
    print("|---|---|---|---|---|")
    print(f"| {view['page']:,} | {view['page_gzip']:,} | {view['after']:,} "
          f"| {view['after_gzip']:,} | first view < 100 KB |", flush=True)


if __name__ == "__main__":
    report(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
