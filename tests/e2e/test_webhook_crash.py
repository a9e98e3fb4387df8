"""A recall survives the crash of the service that recorded it: ``agritrace serve`` records
the recall with its webhook delivery in one transaction, is killed with SIGKILL before it
sends (its delivery thread is off, so the kill lands between commit and delivery), and once
restarted delivers the signed recall to the platform's receiver on 127.0.0.1. On SQLite and
PostgreSQL."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from standardwebhooks.webhooks import Webhook

from ledger.application import Ledger
from ledger.config import Settings
from tests.journeys import INSPECTOR, PLATFORM, kiwi_journey
from tests.webhook_receiver import receiver

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _serving(env: dict[str, str], port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    errors = log.open("a")
    server = subprocess.Popen(
        [sys.executable, "-m", "ledger.cli", "serve", "--port", str(port), "--no-access-log"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=errors)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"serve did not start: {log.read_text()}")
            time.sleep(0.2)
        yield server
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait(30)
        errors.close()


def test_a_recall_committed_before_a_crash_is_delivered_after_the_restart(
        settings: Settings, tmp_path: Path) -> None:
    # The ledger holds the kiwifruit journey; the platform and the inspector have tokens.
    ledger = Ledger(settings)
    try:
        kiwi_journey(ledger)
        platform_token = ledger.issue_token(PLATFORM).token
        inspector_token = ledger.issue_token(INSPECTOR).token
    finally:
        ledger.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGRITRACE_")}
    env.update(AGRITRACE_DB=settings.db_url, AGRITRACE_MASTER_KEY=settings.master_key.hex(),
               AGRITRACE_LOG_KEY_FILE=str(tmp_path / "log-key"), PYTHONPATH=str(ROOT),
               AGRITRACE_WEBHOOK_ALLOW_PRIVATE="1", AGRITRACE_WEBHOOK_POLL="0.2",
               AGRITRACE_DELIVER="0")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"

    with receiver() as hook:
        with _serving(env, port, log) as server:
            # The platform subscribes; the inspector recalls; the answer says it is recorded.
            made = httpx.post(f"{base}/platform/subscriptions", timeout=10,
                              headers={"Authorization": f"Bearer {platform_token}"},
                              json={"url": hook.url, "lots": ["KG1"]})
            assert made.status_code == 201, made.text
            recall = httpx.post(f"{base}/lots/KC1/recall", json={"reason": "农药残留超标"},
                                headers={"Authorization": f"Bearer {inspector_token}"},
                                timeout=10)
            assert recall.status_code == 201, recall.text
            # Killed at once, before any delivery.
            server.send_signal(signal.SIGKILL)
            server.wait(10)
        time.sleep(0.5)
        assert hook.received == []

        # Restarted with its delivery thread on: the recall arrives, signed.
        with _serving({**env, "AGRITRACE_DELIVER": "1"}, port, log):
            [got] = hook.wait_for(1, 15)
            message = Webhook(made.json()["secret"]).verify(got.body, got.headers)
            assert message["data"]["record"] == recall.json()["hash"]
            assert "KG1" in message["data"]["affected_lots"]
            time.sleep(0.5)
            assert len(hook.received) == 1
    assert made.json()["secret"] not in log.read_text()
