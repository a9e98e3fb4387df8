"""``agritrace serve`` as a subprocess on a free 127.0.0.1 port, met over raw sockets and
HTTP as a slow or hostile client would: a request's head and body must arrive within their
read timeouts or the connection is closed; ``X-Forwarded-For`` counts only from a configured
proxy, so varying it does not escape the rate limit; and a request killed with its process
mid-flight leaves no key stuck: the retry records, exactly once."""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy import create_engine, func
from sqlalchemy import select as query
from typer.testing import CliRunner

from api.settings import ServiceSettings
from ledger.cli import app
from ledger.errors import InvalidInput
from ledger.persistence.tables import idempotency_keys
from tests.api.test_http_helpers import STORAGE, harvest_body, register
from tests.conftest import PG_DSN
from tests.e2e.test_http_workers import (  # noqa: F401 - fixtures
    FRESH,
    _wait_until_up,
    agritrace,
    environment,
    free_port,
    postgres_url,
)
from tests.journeys import COOP


@contextmanager
def serving(env: dict[str, str], db: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """``agritrace serve`` on a free port: its base URL and its process."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "ledger.cli", "serve", "--port", str(port), "--no-access-log",
         "--no-integrate", "--db", db],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=url, limits=FRESH, timeout=30) as http:
            _wait_until_up(http, server)
        yield url, server
    finally:
        if server.poll() is None:
            server.terminate()
        _, errors = server.communicate(timeout=60)
    assert "Traceback" not in errors, errors


def test_transport_settings_default_sanely_and_refuse_what_they_cannot_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [name for name in os.environ if name.startswith("AGRITRACE")]:
        monkeypatch.delenv(name)
    defaults = ServiceSettings.from_env()
    assert (defaults.header_timeout, defaults.body_timeout) == (10.0, 30.0)
    assert (defaults.trusted_proxies, defaults.metrics_allow) == ((), ())
    assert defaults.idempotency_lease == 30.0
    monkeypatch.setenv("AGRITRACE_TRUSTED_PROXIES", "127.0.0.1 10.0.0.0/8,::1")
    assert [str(n) for n in ServiceSettings.from_env().trusted_proxies] == [
        "127.0.0.1/32", "10.0.0.0/8", "::1/128"]
    for name, value in (("AGRITRACE_TRUSTED_PROXIES", "proxy.internal"),
                        ("AGRITRACE_METRICS_ALLOW", "10.0.0.0/33"),
                        ("AGRITRACE_HEADER_TIMEOUT", "0"), ("AGRITRACE_BODY_TIMEOUT", "-1"),
                        ("AGRITRACE_IDEMPOTENCY_LEASE", "soon")):
        with monkeypatch.context() as scoped:
            scoped.setenv(name, value)
            with pytest.raises(InvalidInput) as refused:
                ServiceSettings.from_env()
            assert refused.value.field == name
            # The command says so in one line, before it serves anything.
            served = CliRunner().invoke(app, ["serve", "--db",
                                              f"sqlite:///{tmp_path / 'agritrace.db'}"])
            assert served.exit_code == 2, served.output
            assert f"agritrace: error: {name}: " in served.stderr


def _open_for(port: int, head: bytes, trickle: bytes, limit: float) -> tuple[float, bytes]:
    """Connect, send ``head`` at once, then ``trickle`` a byte every 0.25 s until the server
    closes the connection: (seconds it stayed open, what the server sent); ``limit`` if it
    was still open then."""
    started = time.monotonic()
    answer = b""
    with socket.create_connection(("127.0.0.1", port)) as connection:
        connection.sendall(head)
        for i in range(int(limit / 0.25)):
            readable, _, _ = select.select([connection], [], [], 0.25)
            if readable:
                try:
                    chunk = connection.recv(4096)
                except ConnectionResetError:
                    chunk = b""
                if not chunk:
                    return time.monotonic() - started, answer
                answer += chunk
            try:
                connection.sendall(trickle[i % len(trickle):][:1] if trickle else b"")
            except (BrokenPipeError, ConnectionResetError):
                return time.monotonic() - started, answer
    return limit, answer


def test_slow_heads_and_bodies_are_cut_off_at_their_read_timeouts(
        tmp_path: Path, environment: dict[str, str]) -> None:  # noqa: F811
    env = {**environment, "AGRITRACE_HEADER_TIMEOUT": "1", "AGRITRACE_BODY_TIMEOUT": "2"}
    with serving(env, f"sqlite:///{tmp_path / 'agritrace.db'}") as (url, _):
        port = int(url.rsplit(":", 1)[1])
        slow_head = (b"GET /healthz HTTP/1.1\r\nHost: x\r\n", b"X-Slow: aaaaaaaaaaaaaaaaaaaa")
        body_head = (b"POST /lots/S1/harvest HTTP/1.1\r\nHost: x\r\nContent-Type: "
                     b"application/json\r\nContent-Length: 1000\r\n\r\n")
        unread_head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"
        cases = {f"head {i}": (*slow_head, 1.0) for i in range(24)}
        cases |= {f"idle {i}": (b"", b"", 1.0) for i in range(4)}
        cases |= {f"body {i}": (body_head, b'{"product":', 2.0) for i in range(2)}
        cases |= {f"unread body {i}": (unread_head, b"x", 2.0) for i in range(2)}
        results: dict[str, tuple[float, bytes]] = {}

        def client(name: str, head: bytes, trickle: bytes) -> None:
            results[name] = _open_for(port, head, trickle, limit=8.0)

        threads = [threading.Thread(target=client, args=(name, head, trickle))
                   for name, (head, trickle, _) in cases.items()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(20)
        for name, (_, _, timeout) in cases.items():
            open_for, answer = results[name]
            # Closed once its timeout passed (timers are not exact: allow a second more).
            assert timeout - 0.1 <= open_for <= timeout + 1.5, (name, open_for, answer)
            if name.startswith("head"):  # a head begun and never finished is told why
                assert answer.startswith(b"HTTP/1.1 408 "), (name, answer)
                assert b'"error": "RequestTimeout"' in answer, (name, answer)
            if name.startswith("idle"):
                assert answer == b"", (name, answer)
        # A client that sends its requests in good time is served as before, on one connection.
        with httpx.Client(base_url=url, timeout=10) as http:
            for _ in range(3):
                assert http.get("/healthz").status_code == 200


def test_forwarded_addresses_count_only_from_configured_proxies(
        tmp_path: Path, environment: dict[str, str]) -> None:  # noqa: F811
    env = {**environment, "AGRITRACE_RATE_LIMIT": "0.01", "AGRITRACE_RATE_BURST": "2"}
    db = f"sqlite:///{tmp_path / 'agritrace.db'}"

    def statuses(url: str, forwarded_for: list[str]) -> list[int]:
        with httpx.Client(base_url=url, timeout=10) as http:
            return [http.get("/orgs", headers={"X-Forwarded-For": address}).status_code
                    for address in forwarded_for]

    addresses = [f"203.0.113.{i}" for i in range(1, 6)]
    with serving(env, db) as (url, _):
        # By default no peer is a proxy: a new X-Forwarded-For per request is the same client.
        assert statuses(url, addresses) == [200, 200, 429, 429, 429]
    with serving({**env, "AGRITRACE_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8"}, db) as (url, _):
        # From a configured proxy, the forwarded address is the client: each has its bucket.
        assert statuses(url, addresses) == [200] * 5
        assert statuses(url, ["198.51.100.7"] * 3) == [200, 200, 429]


def test_a_request_killed_mid_flight_leaves_its_key_free_for_one_retry(
        postgres_url: str, environment: dict[str, str]) -> None:  # noqa: F811
    env = {**environment, "AGRITRACE_IDEMPOTENCY_LEASE": "2"}
    made = agritrace("token", "create", "--admin", "--db", postgres_url, env=env)
    assert made.returncode == 0, made.stderr
    schema = postgres_url.rsplit("schema=", 1)[1]
    engine = create_engine(PG_DSN.replace("postgresql://", "postgresql+psycopg://"),
                           connect_args={"options": f"-csearch_path={schema}"})
    key = {"Idempotency-Key": "kill-9-storage-1"}
    try:
        with serving(env, postgres_url) as (url, server), \
                httpx.Client(base_url=url, timeout=60) as http:
            tokens = register(http, made.stdout.strip())
            coop = {"Authorization": f"Bearer {tokens[COOP]}", **key}
            assert http.post("/lots/K9/harvest", json=harvest_body(),
                             headers={"Authorization": coop["Authorization"]}
                             ).status_code == 201
            with psycopg.connect(PG_DSN, options=f"-csearch_path={schema}") as blocker:
                # Hold the events table: the request claims its key, then waits to record.
                blocker.execute("LOCK TABLE agritrace_events IN EXCLUSIVE MODE")
                outcome: list[object] = []
                request = threading.Thread(target=_post, args=(url, coop, outcome),
                                           daemon=True)
                request.start()
                _wait_for_claim(engine, key["Idempotency-Key"])
                os.kill(server.pid, signal.SIGKILL)
                server.wait(30)
                blocker.rollback()
            request.join(30)
            assert isinstance(outcome[0], httpx.TransportError), outcome  # it never answered
        with serving(env, postgres_url) as (url, _), \
                httpx.Client(base_url=url, timeout=60) as http:
            deadline = time.monotonic() + 20
            retry = http.post("/lots/K9/storage", json=STORAGE, headers=coop)
            while retry.status_code == 409 and time.monotonic() < deadline:
                time.sleep(0.5)  # the dead request's lease runs out
                retry = http.post("/lots/K9/storage", json=STORAGE, headers=coop)
            assert retry.status_code == 201, retry.text
            again = http.post("/lots/K9/storage", json=STORAGE, headers=coop)
            assert (again.status_code, again.json()) == (201, retry.json())
            history = http.get("/lots/K9").json()["history"]
            assert [r["type"] for r in history] == ["Harvested", "Stored"]  # exactly once
    finally:
        engine.dispose()


def _post(url: str, headers: dict[str, str], outcome: list[object]) -> None:
    with httpx.Client(base_url=url, timeout=60) as http:
        try:
            outcome.append(http.post("/lots/K9/storage", json=STORAGE, headers=headers))
        except httpx.TransportError as error:
            outcome.append(error)


def _wait_for_claim(engine: object, key: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with engine.connect() as connection:  # type: ignore[attr-defined]
            count = connection.execute(query(func.count()).select_from(idempotency_keys)
                                       .where(idempotency_keys.c.key == key)).scalar_one()
        if count:
            return
        time.sleep(0.1)
    raise AssertionError("the request never claimed its key")
