"""The minimal HTTP service: health, a lot's history, errors as JSON, the index page.
An invalid value in a GET's URL is a 400 (``api.errors``).

Runs on SQLite and PostgreSQL through the shared ``settings`` fixture, seeded with the demo.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import FrozenInstanceError
from itertools import pairwise
from pathlib import Path

import pytest

with warnings.catch_warnings():
    # Starlette 1.x prefers httpx2 under its TestClient but works with httpx, which is what
    # the project's test extra installs; the import-time warning is not about our code.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

from api.app import create_app
from api.services import Services, services_of
from api.settings import ServiceSettings
from ledger.config import Settings
from ledger.demo import DEMO_LOTS, seed_demo


@pytest.fixture
def client(settings: Settings, tmp_path: Path,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    for name in ("AGRITRACE_LOG_KEY", "AGRITRACE_LOG_ORIGIN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AGRITRACE_LOG_KEY_FILE", str(tmp_path / "log-key"))
    app = create_app(settings, ServiceSettings(integrate=False))
    seed_demo(services_of(app).ledger)
    with TestClient(app) as opened:  # the context runs the lifespan: the ledger is closed
        yield opened


def test_the_app_keeps_its_services_in_one_frozen_object(client: TestClient) -> None:
    state = client.app.state  # type: ignore[attr-defined]
    services = services_of(client.app)  # type: ignore[arg-type]
    assert isinstance(services, Services)
    assert vars(state)["_state"] == {"services": services}  # nothing else on app.state
    with pytest.raises(FrozenInstanceError):
        services.ledger = services.ledger  # type: ignore[misc]


def test_health_reports_a_reachable_store(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["store"]["reachable"] is True
    assert body["store"]["records"] > 0


def test_health_reports_an_unreachable_store(client: TestClient,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    def unreachable() -> int:
        raise ConnectionError("database is down")

    store = services_of(client.app).ledger.store  # type: ignore[arg-type]
    monkeypatch.setattr(store, "max_notification_id", unreachable)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["store"]["reachable"] is False


def test_lot_history_lists_every_record_in_order(client: TestClient) -> None:
    response = client.get("/lots/KW26-SBD-G1")
    assert response.status_code == 200
    body = response.json()
    assert body["lot"]["status"] == "active"
    assert body["lot"]["custodian"] == "platform-wh-changsha"
    history = body["history"]
    assert [entry["seq"] for entry in history] == list(range(len(history)))
    assert history[0]["type"] == "Graded"
    assert history[-1]["type"] == "Received"
    assert history[-1]["data"]["temp_c"] == "3.2"
    assert all(len(entry["hash"]) == 64 and entry["org"] for entry in history)
    # Each record links to the one before it.
    assert all(entry["prev"] == before["hash"] for before, entry in pairwise(history))


def test_unknown_lot_is_404_naming_the_field(client: TestClient) -> None:
    response = client.get("/lots/NO-SUCH-LOT")
    assert response.status_code == 404
    assert response.json() == {"error": "LotNotFound", "field": "lot",
                               "reason": "lot NO-SUCH-LOT is not registered"}


def test_malformed_lot_code_in_the_url_is_400(client: TestClient) -> None:
    response = client.get("/lots/bad%20code!")
    assert response.status_code == 400
    assert response.json()["field"] == "lot"


def test_unknown_path_answers_in_the_same_json_shape(client: TestClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.json() == {"error": "NotFound", "field": None,
                               "reason": "nothing is served at /no/such/page"}


def test_index_links_every_demo_lot(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    for code in DEMO_LOTS:
        assert f'href="/lots/{code}"' in response.text
    assert "农产品追溯" in response.text
