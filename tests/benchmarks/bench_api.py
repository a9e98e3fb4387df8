"""The HTTP API against a minimal FastAPI endpoint, side by side on loopback.

Both servers are uvicorn subprocesses started the same way (``python -m uvicorn … --workers N
--no-access-log --http api.serving:TimedH11Protocol``, as ``agritrace serve`` runs) on
127.0.0.1: the agritrace app (``--factory api.app:create_app``, with
its background integrator) and ``constant_app`` below, whose ``GET /constant`` returns a
constant (``async def``, the cheapest FastAPI endpoint; ``/constant-sync`` is the same as a
plain ``def``, run in the thread pool as our routes are). The load comes from this process: C
keep-alive connections, each sending its next request when the last answer arrives, for a
bounded number of requests. Measured at C = 1, 10 and 50:

- lot history: ``GET /lots/{lot}`` of a lot with 8 records (summary and records, signed);
- recording: ``POST /lots/{lot}/storage``, one record per request, each connection on its own
  lot (validated, signed, chained, stored; no idempotency key, no wait); and the same through
  ``POST /records/batch``, ten records per request, for the records/s a client can reach;
- the constant endpoint.

Goals: history reads ≥ half the constant endpoint's throughput; recording ≥ 500 records/s on
SQLite with one worker and on PostgreSQL with two.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import httpx
from fastapi import FastAPI

from ledger.cli.serve import HTTP_PROTOCOL
from tests.benchmarks.common import fresh_url
from tests.journeys import COOP, KIWI, ORIGIN

__all__ = ["constant_app", "report"]

constant_app = FastAPI()


@constant_app.get("/constant")
async def constant() -> dict[str, str]:
    return {"status": "ok"}


@constant_app.get("/constant-sync")
def constant_sync() -> dict[str, str]:
    return {"status": "ok"}


HARVEST = {"product": KIWI, "quantity": "100", "unit": "kg", "origin": ORIGIN,
           "started": "2026-09-10T06:00:00+08:00", "ended": "2026-09-10T11:00:00+08:00"}
STORED = {"facility": "西乡冷库1号", "started": "2026-09-10T22:00:00+08:00",
          "target_min_c": "0", "target_max_c": "4"}
LEVELS = (1, 10, 50)
BATCH = 10


# -- servers ------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def uvicorn(target: list[str], workers: int, env: dict[str, str]) -> Iterator[str]:
    """A uvicorn subprocess serving ``target``; yields its base URL."""
    port = _free_port()
    command = [sys.executable, "-m", "uvicorn", *target, "--host", "127.0.0.1", "--port",
               str(port), "--workers", str(workers), "--no-access-log", "--log-level",
               "warning", "--http", HTTP_PROTOCOL]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/openapi.json", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"uvicorn {target} did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(60)


def _environment(db_url: str, folder: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("AGRITRACE")}
    env.update(AGRITRACE_DB=db_url, AGRITRACE_MASTER_KEY=os.urandom(32).hex(),
               AGRITRACE_LOG_KEY_FILE=str(folder / "log-key"), AGRITRACE_RATE_LIMIT="0")
    return env


# -- load ---------------------------------------------------------------------------------

async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    request: bytes) -> int:
    writer.write(request)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return int(head[9:12])


async def _load(port: int, concurrency: int, total: int,
                request: Callable[[int, int], bytes]) -> dict[str, float]:
    per_client = max(total // concurrency, 1)
    latencies: list[float] = []
    errors = 0

    async def client(k: int) -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for i in range(per_client):
                started = time.perf_counter()
                status = await _exchange(reader, writer, request(k, i))
                latencies.append(time.perf_counter() - started)
                errors += status >= 300
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(client(k) for k in range(concurrency))), 300)
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return {"rate": len(latencies) / elapsed, "p50": statistics.median(ordered) * 1000,
            "p99": ordered[int(len(ordered) * 0.99) - 1] * 1000, "errors": errors}


def _get(path: str) -> Callable[[int, int], bytes]:
    raw = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    return lambda _k, _i: raw


def _post_storage(token: str) -> Callable[[int, int], bytes]:
    def request(k: int, i: int) -> bytes:
        body = json.dumps({**STORED, "facility": f"冷库{i}"}, ensure_ascii=False).encode()
        return (f"POST /lots/B{k}/storage HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    return request


def _post_batch(token: str, size: int) -> Callable[[int, int], bytes]:
    def request(k: int, i: int) -> bytes:
        entries = [{"step": "Stored", "lot": f"B{k}",
                    "data": {**STORED, "facility": f"冷库{i}-{j}"}} for j in range(size)]
        body = json.dumps({"entries": entries}, ensure_ascii=False).encode()
        return (f"POST /records/batch HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    return request


def measure(url: str, concurrency: int, total: int,
            request: Callable[[int, int], bytes]) -> dict[str, float]:
    port = int(url.rsplit(":", 1)[1])
    return asyncio.run(_load(port, concurrency, total, request))


# -- the comparison -----------------------------------------------------------------------

def _seed(url: str, db_url: str, env: dict[str, str]) -> str:
    """Parties, the history lot H1 (8 records) and one lot per client; the coop's token."""
    from ledger.application import Ledger
    from ledger.config import Settings

    ledger = Ledger(Settings(db_url=db_url, master_key=bytes.fromhex(
        env["AGRITRACE_MASTER_KEY"])))
    try:
        ledger.register_organisation(COOP, name="凤凰县西乡猕猴桃专业合作社",
                                     roles=["cooperative"])
        token = ledger.issue_token(COOP).token
    finally:
        ledger.close()
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"},
                      timeout=60) as http:
        for lot in ["H1", *(f"B{k}" for k in range(max(LEVELS)))]:
            http.post(f"/lots/{lot}/harvest", json=HARVEST).raise_for_status()
        for i in range(7):
            http.post("/lots/H1/storage", json={**STORED, "facility": f"库{i}"}
                      ).raise_for_status()
    return token


def compare(backend: str, workers: int, scale: int = 1) -> list[dict[str, Any]]:
    """Rows of (concurrency, workload, rate, p50, p99) for one backend."""
    rows: list[dict[str, Any]] = []
    with fresh_url(backend) as db_url, TemporaryDirectory() as folder:
        env = _environment(db_url, Path(folder))
        with uvicorn(["--factory", "api.app:create_app"], workers, env) as ours, \
                uvicorn(["tests.benchmarks.bench_api:constant_app"], workers, env) as base:
            token = _seed(ours, db_url, env)
            for concurrency in LEVELS:
                total = {1: 600, 10: 3000, 50: 5000}[concurrency] // scale
                runs = {
                    "constant (async def)": measure(base, concurrency, total,
                                                    _get("/constant")),
                    "constant (def)": measure(base, concurrency, total, _get("/constant-sync")),
                    "lot history": measure(ours, concurrency, total, _get("/lots/H1")),
                    "recording": measure(ours, concurrency, total // 2, _post_storage(token)),
                    "recording, batches of 10": measure(ours, concurrency, total // 10,
                                                        _post_batch(token, BATCH)),
                }
                for workload, result in runs.items():
                    rows.append({"backend": backend, "workers": workers,
                                 "concurrency": concurrency, "workload": workload, **result})
    return rows


def report(backends: list[str], scale: int = 1) -> None:
    print("## HTTP API: requests/s and latency on loopback, uvicorn subprocesses\n")
    print("Same uvicorn flags for both apps; the load generator (asyncio, keep-alive) shares "
          "the machine's cores with the servers.\n")
    print("| backend | workers | clients | workload | req/s | records/s | p50 ms | p99 ms "
          "| errors | vs constant | goal |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for backend in backends:
        workers = 1 if backend == "sqlite" else 2
        rows = compare(backend, workers, scale)
        for row in rows:
            base = next(r for r in rows if r["concurrency"] == row["concurrency"]
                        and r["workload"] == "constant (async def)")
            goal = {"lot history": "≥ 0.50 of constant",
                    "recording": "≥ 500 records/s"}.get(row["workload"], "")
            per_request = {"recording": 1, "recording, batches of 10": BATCH}
            records = (f"{row['rate'] * per_request[row['workload']]:,.0f}"
                       if row["workload"] in per_request else "")
            print(f"| {backend} | {workers} | {row['concurrency']} | {row['workload']} "
                  f"| {row['rate']:,.0f} | {records} | {row['p50']:.2f} | {row['p99']:.2f} "
                  f"| {row['errors']:.0f} | {row['rate'] / base['rate']:.2f} | {goal} |",
                  flush=True)
    print()
