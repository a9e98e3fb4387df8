"""An inspector's office runs ``agritrace monitor URL --log-key VKEY --state DIR`` against a
service started with ``agritrace serve``, as real processes on 127.0.0.1: the monitor follows
the log while records are added, is killed (SIGKILL) mid-way and resumes from its state, and
stops with exit 1, naming the entry, the record and the rule, when a forged record reaches the
log. SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from ledger.application import Ledger
from ledger.config import Settings
from ledger.keys.signing import SigningKey
from ledger.recording.records import build_record
from tests.conftest import PG_DSN, _drop_schema, _postgres_reachable
from tests.ledger.test_log_helpers import ORG, harvests
from tests.ledger.test_tamper import Store

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Service:
    url: str
    env: dict[str, str]
    vkey: str
    token: str
    folder: Path

    def ledger(self) -> Ledger:
        return Ledger(Settings.from_env(self.env["AGRITRACE_DB"]))

    def size(self) -> int:
        """The latest checkpoint's size; 0 until the service has signed one."""
        answer = httpx.get(self.url + "/log/checkpoint", timeout=10)
        return int(answer.text.split("\n")[1]) if answer.status_code == 200 else 0

    def wait_for_size(self, size: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while self.size() < size:
            assert time.monotonic() < deadline, f"the log did not reach {size} entries"
            time.sleep(0.1)

    def monitor(self, state: Path, *options: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "ledger.cli", "monitor", self.url, "--log-key", self.vkey,
             "--state", str(state), "--token", self.token, *options],
            env=self.env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "ledger.cli", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One store per backend for the module's stories, which run in order on it."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('monitor') / 'agritrace.db'}"
        return
    if not _postgres_reachable():
        if os.environ.get("AGRITRACE_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is required but unreachable at {PG_DSN}")
        pytest.skip("PostgreSQL is not reachable")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    yield f"{PG_DSN}?schema={schema}"
    _drop_schema(schema)


@contextmanager
def seeded_store(store_url: str, tmp_path: Path, harvested: int,
                 label: str) -> Iterator[tuple[dict[str, str], str, str]]:
    """A store of ``harvested`` harvests by ``ORG`` plus its registration, with its log and
    master keys in ``tmp_path``: the environment a served process needs, the log's verifier
    key and a reader token. This process's environment names the same store and keys while
    the block runs (the test's own Ledger opens them), and is restored after."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGRITRACE_")}
    env.update(AGRITRACE_DB=store_url, AGRITRACE_LOG_KEY_FILE=str(tmp_path / "log-key"),
               AGRITRACE_MASTER_KEY_FILE=str(tmp_path / "master-key"), PYTHONPATH=str(ROOT))
    settings_env = {k: v for k, v in env.items() if k.startswith("AGRITRACE_")}
    saved = {k: os.environ.get(k) for k in settings_env}
    os.environ.update(settings_env)
    try:
        ledger = Ledger(Settings.from_env(store_url))
        ledger.register_organisation(ORG, name="凤凰县测试合作社", roles=["cooperative"])
        harvests(ledger, harvested)
        ledger.close()
        yield env, _cli(env, "log-key"), _cli(env, "token", "create", "--org", ORG,
                                                  "--label", label)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="module")
def service(store_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """A served log of 1,500 harvests, integrated, and a reader token for the monitor.
    The stories share it, in order: the last one forges a record."""
    tmp_path = tmp_path_factory.mktemp("service")
    with seeded_store(store_url, tmp_path, 1499, "市场监管 monitor") as (env, vkey, token):
        port = _free_port()
        log = (tmp_path / "serve.log").open("w")
        server = subprocess.Popen(
            [sys.executable, "-m", "ledger.cli", "serve", "--port", str(port),
             "--no-access-log"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log)
        url = f"http://127.0.0.1:{port}"
        try:
            served = Service(url, env, vkey, token, tmp_path)
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert server.poll() is None, (tmp_path / "serve.log").read_text()
                assert time.monotonic() < deadline, "serve did not start"
                time.sleep(0.2)
            served.wait_for_size(1500)
            yield served
        finally:
            server.terminate()
            server.wait(30)
            log.close()


def _entries(state: Path) -> int:
    try:
        return int(json.loads((state / "state.json").read_text())["entries"])
    except (FileNotFoundError, ValueError, KeyError):
        return 0


def test_a_killed_monitor_resumes_from_its_state(service: Service) -> None:
    state = service.folder / "office"
    first = service.monitor(state, "--once", "--save-every", "0")
    deadline = time.monotonic() + 60
    while _entries(state) < 256:  # the first entry bundle is verified and saved
        assert first.poll() is None, first.communicate()
        assert time.monotonic() < deadline, "the monitor saved nothing"
        time.sleep(0.01)
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=30)
    saved = _entries(state)
    assert 256 <= saved < 1500
    resumed = service.monitor(state, "--once")
    out, errors = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, errors
    assert f"checkpoint 1500 verified 核验通过: {1500 - saved} new entries" in out, out
    again = service.monitor(state, "--once")
    out, errors = again.communicate(timeout=60)
    assert again.returncode == 0, errors
    assert "checkpoint 1500 verified 核验通过: 0 new entries" in out


def test_a_wrong_key_or_a_url_that_is_no_log_is_one_line_and_exit_2(
        service: Service) -> None:
    other = "agritrace.example/log+613b46f5+AUX4unKeEFbQiwrIDQixbIv7RIZ1+9mjhEvhgZUTNSGp"
    for url, key, said in (
            (service.url, other, "signs its checkpoints with"),
            (service.url + "/app", service.vkey, "is not an agritrace log"),
            (f"http://127.0.0.1:{_free_port()}", service.vkey, "is unreachable")):
        done = subprocess.run([sys.executable, "-m", "ledger.cli", "monitor", url,
                               "--log-key", key, "--once"], env=service.env, cwd=ROOT,
                              capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 2, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert said in done.stderr


def test_the_monitor_follows_the_log_while_records_are_added(service: Service) -> None:
    state = service.folder / "office-live"
    running = service.monitor(state, "--interval", "0.2")
    # The cooperative keeps recording while the monitor runs.
    ledger = service.ledger()
    adding = threading.Thread(target=lambda: harvests(ledger, 300, start=5000, per_commit=10))
    adding.start()
    adding.join(120)
    service.wait_for_size(1800)
    deadline = time.monotonic() + 60
    while _entries(state) < 1800:
        assert running.poll() is None, running.communicate()
        assert time.monotonic() < deadline, "the monitor did not catch up"
        time.sleep(0.1)
    # A forged record (signed by someone else's key) reaches the log: the monitor stops.
    head = ledger.lot("LOG05000")
    key = next(iter(ledger.organisation(ORG).active_keys))
    forged = build_record(chain="lot/LOG05000", seq=head.length, prev=head.head, links=(),
                          step="Inspected", data={"kind": "visual", "verdict": "pass"},
                          org=ORG, key=key, time="2026-09-13T00:00:00Z",
                          recorded="2026-09-13T00:00:00Z")
    Store(ledger).insert("lot/LOG05000", head.length, "ledger.domain.lot:Lot.Recorded",
                         SigningKey.generate().sign_record(forged), forged.raw)
    ledger.close()
    out, errors = running.communicate(timeout=60)
    assert running.returncode == 1, errors
    assert re.search(r"checkpoint 1800 verified 核验通过", out), out
    line = errors.strip().splitlines()[-1]
    assert line.startswith(f"agritrace: error: leaf 1800, record {forged.hash.hex()} "
                           "(lot/LOG05000#1): rule signature: Inspected: signature by key"), line
