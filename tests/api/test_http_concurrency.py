"""Eight clients recording on the same lots at once, through a real uvicorn on 127.0.0.1 with
the background integrator running, on SQLite and PostgreSQL: every acknowledged record is
stored exactly once, no chain forks (the audit passes), and the log takes them all in."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import httpx
import pytest
import uvicorn

from api.app import create_app
from api.services import services_of
from ledger.config import Settings
from ledger.records_audit import audit_store
from tests.api.test_http_helpers import (  # noqa: F401 - fixtures
    STORAGE,
    harvest_body,
    log_key_file_fixture,
    register,
    service,
)
from tests.journeys import COOP

CLIENTS, PER_CLIENT, LOTS = 8, 6, ("CC0", "CC1")


class Server:
    """uvicorn serving ``app`` on a free 127.0.0.1 port, in a thread."""

    def __init__(self, app: object) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",  # type: ignore[arg-type]
                                access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            self.thread.join(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(30)


@pytest.fixture
def served(settings: Settings, log_key_file: Path) -> Iterator[tuple[str, dict[str, str]]]:
    app = create_app(settings, service(integrate=True, idle=0.05))
    with Server(app) as url:
        admin = services_of(app).ledger.issue_token(None).token
        with httpx.Client(base_url=url) as client:
            tokens = register(client, admin)
            for lot in LOTS:
                made = client.post(f"/lots/{lot}/harvest", json=harvest_body(),
                                   headers={"Authorization": f"Bearer {tokens[COOP]}"})
                assert made.status_code == 201, made.text
        yield url, tokens
        services_of(app).log.integrate()
        audit_store(services_of(app).ledger.store)
        services_of(app).log.audit()  # the log holds every record, and its checkpoints verify


def test_eight_clients_on_the_same_lots_lose_nothing(
        served: tuple[str, dict[str, str]]) -> None:
    url, tokens = served
    acknowledged: list[str] = []
    failures: list[str] = []
    start = threading.Barrier(CLIENTS, timeout=60)
    auth = {"Authorization": f"Bearer {tokens[COOP]}"}

    def client(n: int) -> None:
        with httpx.Client(base_url=url, headers=auth, timeout=60) as http:
            start.wait()
            for i in range(PER_CLIENT):
                body = {**STORAGE, "facility": f"冷库{n}-{i}"}
                key = {"Idempotency-Key": str(uuid.uuid4())}
                for _ in range(20):  # a 409 carries the new head: try again
                    response = http.post(f"/lots/{LOTS[i % 2]}/storage", json=body,
                                         headers=key)
                    if response.status_code != 409:
                        break
                if response.status_code == 201:
                    acknowledged.append(response.json()["hash"])
                else:
                    failures.append(f"{response.status_code} {response.text}")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not failures, failures
    assert len(acknowledged) == CLIENTS * PER_CLIENT

    with httpx.Client(base_url=url) as http:
        stored: list[str] = []
        for lot in LOTS:
            history = http.get(f"/lots/{lot}", params={"limit": 500}).json()["history"]
            assert [r["seq"] for r in history] == list(range(len(history)))  # no gaps, no fork
            assert all(r["prev"] == before["hash"] for before, r in pairwise(history))
            stored += [r["hash"] for r in history[1:]]
    assert sorted(stored) == sorted(acknowledged)  # each exactly once
