"""``POST /epcis/capture`` as the EPCIS 2.0 REST bindings have it, on SQLite and PostgreSQL:
202 with the capture job's Location, the job with its errors by JSON pointer, the limits on
OPTIONS, and refusals that are always 4xx in the problem shape, nothing written."""

from __future__ import annotations

import json
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
from ledger.epcis.document import epcis_document
from tests.api.test_http_helpers import log_key_file_fixture, service  # noqa: F401 - fixture
from tests.epcis_capture import exported
from tests.journeys import COOP, PLATFORM, harvest, register_parties

LD = {"Content-Type": "application/ld+json"}


@pytest.fixture
def client(settings: Settings, log_key_file: Path) -> Iterator[tuple[TestClient, Any]]:
    app = create_app(settings, service())
    with TestClient(app) as opened:
        services = services_of(app)
        register_parties(services.ledger)
        yield opened, services


def _token(services: Any, org: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {services.ledger.issue_token(org, label='t').token}"}


def _harvest_document(services: Any) -> dict[str, Any]:
    """A harvest exported, then renamed to a lot this store does not hold yet."""
    harvest(services.ledger, "H0")
    services.log.integrate()
    event = exported(services.ledger, "H0")[0]
    event["quantityList"][0]["epcClass"] = event["quantityList"][0]["epcClass"][:-2] + "H7"
    event.pop("eventID")
    return epcis_document([event])


def test_a_capture_is_accepted_and_its_job_can_be_read(client: tuple[TestClient, Any]) -> None:
    http, services = client
    headers = {**_token(services, COOP), **LD}
    document = _harvest_document(services)
    answer = http.post("/epcis/capture", content=json.dumps(document), headers=headers)
    assert answer.status_code == 202, answer.text
    assert answer.headers["GS1-EPCIS-Version"] == "2.0.0"
    job = http.get(answer.headers["Location"], headers=headers).json()
    assert job["success"] is True
    assert job["running"] is False
    assert job["errors"] == []
    assert services.ledger.lot("H7").quantity == 100
    # Another organisation cannot see the job.
    other = http.get(answer.headers["Location"], headers=_token(services, PLATFORM))
    assert other.status_code == 404
    # The same document again: a job that failed, with the pointer and reason.
    again = http.post("/epcis/capture", content=json.dumps(document), headers=headers)
    assert again.status_code == 202
    failed = http.get(again.headers["Location"], headers=headers).json()
    assert failed["success"] is False
    assert failed["errors"][0]["instance"] == "/epcisBody/eventList/0/eventID"


def test_options_tells_the_limits(client: tuple[TestClient, Any]) -> None:
    http, services = client
    answer = http.options("/epcis/capture")
    assert answer.status_code == 204
    assert answer.headers["GS1-EPCIS-Capture-Limit"] == "1000"
    assert int(answer.headers["GS1-EPCIS-Capture-File-Size-Limit"]) == \
        services.settings.max_body_bytes
    assert answer.headers["GS1-Capture-Error-Behaviour"] == "rollback"


def test_refusals_are_4xx_problems_and_write_nothing(client: tuple[TestClient, Any]) -> None:
    http, services = client
    headers = {**_token(services, COOP), **LD}
    document = _harvest_document(services)
    before = len(services.ledger.chains("lot"))

    def post(body: Any, **extra: str) -> Any:
        content = body if isinstance(body, str | bytes) else json.dumps(body)
        return http.post("/epcis/capture", content=content, headers={**headers, **extra})

    assert post(document, Authorization="Bearer nope").status_code == 401
    broken = json.loads(json.dumps(document))
    broken["epcisBody"]["eventList"][0]["action"] = "MOVE"
    answer = post(broken)
    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"][0]["instance"].startswith("/epcisBody/eventList/0")
    too_many = epcis_document([document["epcisBody"]["eventList"][0]] * 1001)
    assert post(too_many).status_code == 413
    assert post("x" * (services.settings.max_body_bytes + 1)).status_code == 413
    deep: Any = {}
    for _ in range(100):
        deep = {"a": deep}
    assert post({**document, "agritrace:x": deep}).status_code == 422
    assert post("{not json").status_code in (400, 422)
    assert post(document, **{"Content-Type": "text/plain"}).status_code == 415
    assert post(document, **{"GS1-Capture-Error-Behaviour": "proceed"}).status_code == 400
    assert post({"type": "EPCISDocument"}).status_code == 400
    admin = services.ledger.issue_token(None, label="admin").token
    assert post(document, Authorization=f"Bearer {admin}").status_code == 403
    assert len(services.ledger.chains("lot")) == before
