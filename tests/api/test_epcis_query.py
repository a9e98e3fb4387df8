"""``GET /epcis/events`` over the kiwifruit journey (tests/journeys.py), on SQLite and
PostgreSQL: each query parameter against the set worked out by hand from the journey, paging
that gives every event once, the version headers, and refusals in the EPCIS problem shape."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

from api.app import create_app
from api.services import services_of
from ledger.config import Settings
from tests.api.test_http_helpers import log_key_file_fixture, service  # noqa: F401 - fixture
from tests.journeys import COOP, kiwi_journey

LGTIN = "https://id.gs1.org/01/06901234567892/10/KG1"  # KG1 packed under its GTIN
BASE = "http://127.0.0.1:8000"


@pytest.fixture
def client(settings: Settings, log_key_file: Path) -> Iterator[tuple[TestClient, str]]:
    app = create_app(settings, service())
    with TestClient(app) as opened:
        services = services_of(app)
        kiwi_journey(services.ledger)
        services.log.integrate()
        yield opened, services.ledger.issue_token(COOP, label="epcis").token


def _query(client: tuple[TestClient, str], **params: Any) -> list[dict[str, Any]]:
    http, token = client
    response = http.get("/epcis/events", params=params,
                        headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["type"] == "EPCISQueryDocument"
    events: list[dict[str, Any]] = body["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    return events


def _steps(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(event["agritrace:chain"], event["bizStep"]) for event in events]


def test_each_parameter_selects_the_events_worked_out_by_hand(
        client: tuple[TestClient, str]) -> None:
    # 3 harvests, 3 collected-from, the collection, the grading, 2 grade lots, pre-cooling,
    # storage, packing, shipping, receiving: 15 events.
    assert len(_query(client, perPage=100)) == 15
    assert _steps(_query(client, eventType="TransformationEvent")) == [
        ("lot/KC1", "commissioning"), ("lot/KC1", "inspecting"), ("lot/KG1", "packing")]
    assert _steps(_query(client, EQ_bizStep="shipping|receiving")) == [
        ("lot/KG1", "shipping"), ("lot/KG1", "receiving")]
    assert _steps(_query(client, EQ_disposition="https://ref.gs1.org/cbv/Disp-in_transit")) \
        == [("lot/KG1", "shipping")]
    # The packed lot, named as any GS1 form names it: packing's output, shipping, receiving.
    for name in (LGTIN, "urn:epc:class:lgtin:6901234.056789.KG1"):
        assert _steps(_query(client, MATCH_anyEPCClass=name)) == [
            ("lot/KG1", "packing"), ("lot/KG1", "shipping"), ("lot/KG1", "receiving")]
    assert _steps(_query(client, MATCH_epcClass=LGTIN)) == [
        ("lot/KG1", "shipping"), ("lot/KG1", "receiving")]
    # Lots are classes: no event lists instances.
    assert _query(client, MATCH_epc=LGTIN) == []
    assert _query(client, MATCH_anyEPC=LGTIN) == []
    assert _steps(_query(client, EQ_bizLocation=f"{BASE}/orgs/platform-wh")) == [
        ("lot/KG1", "receiving")]
    # Times: 2026-09-12 (China time) holds the storage (recorded when it ended, 06:00),
    # packing, shipping and receiving.
    assert _steps(_query(client, GE_eventTime="2026-09-12T00:00:00+08:00",
                         LT_eventTime="2026-09-13T00:00:00+08:00")) == [
        ("lot/KG1", "storing"), ("lot/KG1", "packing"), ("lot/KG1", "shipping"),
        ("lot/KG1", "receiving")]
    assert _steps(_query(client, GE_eventTime="2026-09-12T07:00:00+08:00",
                         LT_eventTime="2026-09-12T19:00:00+08:00")) == [
        ("lot/KG1", "packing"), ("lot/KG1", "shipping")]
    assert _query(client, LT_recordTime="2020-01-01T00:00:00Z") == []
    assert len(_query(client, GE_recordTime="2020-01-01T00:00:00Z", perPage=100)) == 15


def test_pages_give_every_event_once_in_log_order(client: tuple[TestClient, str]) -> None:
    http, token = client
    auth = {"Authorization": f"Bearer {token}"}
    seen: list[str] = []
    sizes = []
    url = "/epcis/events?perPage=4"
    while url:
        response = http.get(url, headers=auth)
        assert response.status_code == 200
        assert response.headers["GS1-EPCIS-Version"] == "2.0.0"
        assert response.headers["GS1-CBV-Version"] == "2.0.0"
        events = response.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        sizes.append(len(events))
        seen.extend(event["eventID"] for event in events)
        link = response.headers.get("Link")
        url = link[link.index("<") + 1:link.index(">")] if link else ""
    assert sizes == [4, 4, 4, 3]
    assert seen == [event["eventID"] for event in _query(client, perPage=100)]


@pytest.mark.parametrize(("params", "headers", "status", "field"), [
    ({"EQ_colour": "red"}, {}, 400, "EQ_colour"),
    ({"perPage": "0"}, {}, 400, "perPage"),
    ({"GE_eventTime": "yesterday"}, {}, 400, "GE_eventTime"),
    ({"eventType": "ShipEvent"}, {}, 400, "eventType"),
    ({"nextPageToken": "not-a-token"}, {}, 400, "nextPageToken"),
    ({}, {"Accept": "application/xml"}, 406, "Accept"),
    ({}, {"GS1-EPCIS-Min": "3.0"}, 406, "GS1-EPCIS-Min"),
    ({}, {"GS1-EPC-Format": "Always_EPC_URN"}, 406, "GS1-EPC-Format"),
])
def test_what_cannot_be_answered_is_refused_as_an_epcis_problem(
        client: tuple[TestClient, str], params: dict[str, str], headers: dict[str, str],
        status: int, field: str) -> None:
    http, token = client
    response = http.get("/epcis/events", params=params,
                        headers={"Authorization": f"Bearer {token}", **headers})
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert body["field"] == field
    assert body["type"].startswith("epcisException:")


def test_a_token_is_needed(client: tuple[TestClient, str]) -> None:
    assert client[0].get("/epcis/events").status_code == 401
