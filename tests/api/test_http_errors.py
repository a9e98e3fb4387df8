"""Bad input and hard cases over HTTP, each answered with a status and a reason, never a 500:
validation (422 naming the field), unknown lots (404), wrong state (409) and custody (403),
bodies over the limit (413), rate limits (429), idempotent retries, conflicts, metrics."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from eventsourcing import persistence

from api.app import create_app
from api.services import services_of
from ledger.access.grants import Authenticator
from ledger.access.tokens import Grant
from ledger.config import Settings
from ledger.errors import ChainConflict, Unauthenticated
from tests.api.test_http_helpers import (  # noqa: F401 - fixtures
    ADMIN,
    PACKING,
    SHIPMENT,
    STORAGE,
    Api,
    TestClient,
    api_fixture,
    collection_body,
    harvest_body,
    log_key_file_fixture,
    register,
    service,
)
from tests.journeys import COOP, INSPECTOR, PLATFORM


@pytest.fixture
def lot(api: Api) -> str:
    api.ok(api.post(COOP, "/lots/KH1/harvest", harvest_body()))
    return "KH1"


@pytest.mark.parametrize(("path", "body", "field", "reason"), [
    ("/lots/KH1/storage", {**STORAGE, "started": 20260910}, "started", "string"),
    ("/lots/KH1/storage", {**STORAGE, "min_c": 1.5}, "min_c", "string"),
    ("/lots/KH1/storage", {**STORAGE, "humidity": "1"}, "humidity", "Extra inputs"),
    ("/lots/KH1/storage", {**STORAGE, "started": "2026-09-10T22:00:00"}, "started",
     "time zone"),
    ("/lots/KH1/storage", {**STORAGE, "min_c": "-99"}, "min_c", "at least -60"),
    ("/lots/KH1/storage", {**STORAGE, "started": "2025-01-01T00:00:00Z"}, "time",
     "before lot KH1 existed"),
    ("/lots/KC1/collection", collection_body({"KH1": "500"}), "purchases",
     "only 100 kg left"),
    ("/lots/KC1/collection", {**collection_body({"KH1": "5"}), "purchases": [{"lot": "!"}]},
     "purchases[0].lot", "pattern"),
    ("/lots/KH2/harvest", {**harvest_body(), "ended": "2026-09-10T05:00:00+08:00"},
     "ended", "must not be before"),
    ("/records/batch", {"entries": [{"step": "Stored", "lot": "KH1", "data": STORAGE},
                                    {"step": "Stored", "lot": "KH1", "data": {}}]},
     "entries[1].data.facility", "is required"),
    ("/records/signed", {"records": [{"record": "eyJ9", "signature": "AAAA"}]},
     "records[0].record", ""),
])
def test_invalid_bodies_are_422_naming_the_field(api: Api, lot: str, path: str,
                                                 body: dict[str, Any], field: str,
                                                 reason: str) -> None:
    response = api.post(COOP, path, body)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    assert reason in response.json()["reason"]
    assert len(api.ledger.lot_history(lot)) == 1  # nothing recorded


def _with(**changes: Any) -> str:
    return json.dumps({**harvest_body(), **changes})


def _deep(depth: int) -> str:
    return "[" * depth + '"x"' + "]" * depth


CORRECTS = "{corrects}"  # the lot's first record, filled in by the test


@pytest.mark.parametrize(("path", "text", "field", "reason"), [
    ("/lots/KH2/harvest", _with(household="\ud800"), "household", "lone surrogate (U+D800)"),
    ("/lots/KH2/harvest", _with(harvester="张\udfff"), "harvester", "lone surrogate"),
    ("/lots/KH2/harvest", _with(product={"name": "\ud800"}), "product.name", "lone surrogate"),
    ("/lots/KH2/harvest", _with()[:-1] + ', "quantity": "1"}', "quantity", "more than once"),
    ("/records/batch", '{"entries": [{"step": "Stored", "lot": "KH1", "lot": "KH2"}]}',
     "entries[0].lot", "more than once"),
    ("/lots/KH1/correction", '{"corrects": "' + CORRECTS + '", "reason": "x", "values": '
     '{"plot": ' + _deep(600) + "}}", "values", "more than 32 levels deep"),
    ("/lots/KH1/correction", '{"corrects": "' + CORRECTS + '", "reason": "x", "values": '
     '{"product": ' + _deep(20) + "}}", "values.product", "must be an object"),
    ("/lots/KH2/harvest", '{"quantity": ' + "9" * 5000 + "}", None, "4,300 digits"),
    ("/lots/KH2/harvest", '{"product": ' * 5000 + "1" + "}" * 5000, None, "levels deep"),
    ("/lots/KH2/harvest", _with(time="2026-09-10T11:00:00+08:00",
                                ended="2199-09-10T11:00:00+08:00"), "ended", "future"),
    ("/lots/KH1/packing", json.dumps({**PACKING, "gtin": "00000000000000"}), "gtin",
     "all zeros"),
    ("/lots/KH2/harvest", _with(product={"name": "\u202e\u2066"}), "product.name",
     "bidirectional"),
    ("/lots/KH2/harvest", _with(harvester="\u200b\u200b"), "harvester", "visible character"),
])
def test_what_json_takes_but_the_ledger_must_not_is_422_naming_the_field(
        api: Api, lot: str, path: str, text: str, field: str | None, reason: str) -> None:
    first = api.ledger.lot_history(lot)[0].record.hash_hex
    for key in (None, "retry-1"):  # with an idempotency key too: fingerprinted before checked
        extra = {"Idempotency-Key": key} if key else {}
        response = api.client.post(path, content=text.replace(CORRECTS, first).encode(),
                                   headers=api.headers(COOP, **{
                                       "Content-Type": "application/json", **extra}))
        assert response.status_code == 422, response.text
        assert response.json()["field"] == field or (
            field is not None and response.json()["field"].startswith(field)), response.text
        assert reason in response.json()["reason"]
    assert len(api.ledger.lot_history(lot)) == 1
    assert api.get(None, "/lots/KH2").status_code == 404


def test_a_body_that_is_not_utf_8_is_422(api: Api, lot: str) -> None:
    response = api.client.post("/lots/KH1/storage", content=json.dumps(
        STORAGE, ensure_ascii=False).encode("gb18030"), headers=api.headers(
            COOP, **{"Content-Type": "application/json"}))
    assert response.status_code == 422, response.text
    assert "not UTF-8" in response.json()["reason"]


def test_malformed_requests_name_what_is_wrong(api: Api, lot: str) -> None:
    not_json = api.client.post("/lots/KH1/storage", content=b"{nope",
                               headers=api.headers(COOP, **{"Content-Type": "application/json"}))
    assert (not_json.status_code, not_json.json()["field"]) == (422, None)
    assert "not valid JSON" in not_json.json()["reason"]
    no_body = api.post(COOP, "/lots/KH1/storage")
    assert no_body.status_code == 422
    bad_path = api.post(COOP, "/lots/bad%20code/storage", STORAGE)
    assert (bad_path.status_code, bad_path.json()["field"]) == (400, "lot")
    bad_query = api.get(COOP, "/lots", limit=0)
    assert (bad_query.status_code, bad_query.json()["field"]) == (400, "limit")
    bad_time = api.get(COOP, "/lots", since="yesterday")
    assert (bad_time.status_code, bad_time.json()["field"]) == (400, "since")
    bad_auth = api.client.get("/whoami", headers={"Authorization": "Basic dXNlcg=="})
    assert bad_auth.status_code == 401
    assert bad_auth.headers["WWW-Authenticate"].startswith("Bearer")


def test_unknown_things_are_404(api: Api) -> None:
    for who, path in ((None, "/lots/NOPE"), (None, f"/records/{'0' * 64}"),
                      (None, "/orgs/nobody-here"), (COOP, "/lots/NOPE/trace/forward"),
                      (COOP, "/recalls/NOPE"), (None, "/no/such/path")):
        response = api.get(who, path)
        assert response.status_code == 404, (path, response.text)
        assert response.json()["reason"]
    assert api.post(COOP, "/lots/NOPE/storage", STORAGE).status_code == 404
    assert api.post(INSPECTOR, "/lots/NOPE/recall", {"reason": "x"}).status_code == 404


def test_wrong_state_is_409_and_wrong_party_403_with_the_reason(api: Api, lot: str) -> None:
    api.ok(api.post(COOP, f"/lots/{lot}/shipment", SHIPMENT))
    moving = api.post(COOP, f"/lots/{lot}/storage", STORAGE)
    assert (moving.status_code, moving.json()["error"]) == (409, "LotInTransit")
    stranger = api.post(INSPECTOR, f"/lots/{lot}/storage", STORAGE)
    assert (stranger.status_code, stranger.json()["error"]) == (403, "NotCustodian")
    api.ok(api.post(INSPECTOR, f"/lots/{lot}/hold", {"reason": "抽检"}))
    again = api.post(INSPECTOR, f"/lots/{lot}/hold", {"reason": "抽检"})
    assert (again.status_code, again.json()["reason"]) == (409, "lot KH1 is already held")
    taken = api.post(COOP, f"/lots/{lot}/harvest", harvest_body())
    assert (taken.status_code, taken.json()["error"]) == (409, "AlreadyExists")
    merged = api.post(COOP, f"/lots/{lot}/collection", collection_body({"KH9": "1"}))
    assert (merged.status_code, merged.json()["field"]) == (409, "lot")
    recall = api.post(PLATFORM, f"/lots/{lot}/recall", {"reason": "x"})
    assert (recall.status_code, recall.json()["reason"]) == (
        403, "only an inspector may order a recall")


def test_oversized_bodies_are_413(settings: Settings, log_key_file: Path) -> None:
    app = create_app(settings, service(max_body_bytes=1000))
    with TestClient(app) as client:
        tokens = register(client, services_of(app).ledger.issue_token(None).token)
        auth = {"Authorization": f"Bearer {tokens[COOP]}"}
        big = {**harvest_body(), "harvester": "张" * 2000}
        declared = client.post("/lots/KH1/harvest", json=big, headers=auth)
        assert declared.status_code == 413
        assert "1,000 bytes" in declared.json()["reason"]

        def chunks() -> Iterator[bytes]:
            yield b'{"product": '
            yield b" " * 2000

        streamed = client.post("/lots/KH1/harvest", content=chunks(),
                               headers={**auth, "Content-Type": "application/json"})
        assert streamed.status_code == 413
        assert streamed.json()["error"] == "ContentTooLarge"


def test_public_endpoints_are_rate_limited_per_address(settings: Settings,
                                                       log_key_file: Path) -> None:
    app = create_app(settings, service(rate_per_second=0.01, rate_burst=3))  # no refill mid-test
    with TestClient(app) as client:
        token = services_of(app).ledger.issue_token(None).token
        statuses = [client.get("/lots/NOPE").status_code for _ in range(5)]
        assert statuses == [404, 404, 404, 429, 429]
        limited = client.get("/log/key")
        assert limited.status_code == 429
        assert int(limited.headers["Retry-After"]) >= 1
        assert "retry in" in limited.json()["reason"]
        # A token lifts the limit; a bad token does not get around it; health is never limited.
        assert client.get("/lots/NOPE", headers={"Authorization": f"Bearer {token}"}
                          ).status_code == 404
        assert client.get("/lots/NOPE", headers={"Authorization": "Bearer at_0_x"}
                          ).status_code == 429
        assert client.get("/healthz").status_code == 200


def test_a_retry_with_the_same_key_returns_the_first_response(api: Api, lot: str) -> None:
    key = {"Idempotency-Key": "0f8d5c2e-retry-1"}
    first = api.post(COOP, f"/lots/{lot}/storage", STORAGE, **key)
    retry = api.post(COOP, f"/lots/{lot}/storage", STORAGE, **key)
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json() == first.json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert len(api.ledger.lot_history(lot)) == 2  # recorded once
    other = api.post(COOP, f"/lots/{lot}/storage", {**STORAGE, "facility": "二号库"}, **key)
    assert (other.status_code, other.json()["error"]) == (422, "KeyReused")
    # Another organisation's key space is its own.
    assert api.post(INSPECTOR, f"/lots/{lot}/hold", {"reason": "x"}, **key).status_code == 201
    # A failed request frees its key: the corrected retry records.
    failed = api.post(COOP, "/lots/KH2/harvest",
                      {**harvest_body(), "ended": "2026-09-10T05:00:00+08:00"},
                      **{"Idempotency-Key": "k2"})
    assert failed.status_code == 422
    assert api.post(COOP, "/lots/KH2/harvest", harvest_body(),
                    **{"Idempotency-Key": "k2"}).status_code == 201
    # A request still running under the key: the retry waits its turn.
    keys = services_of(api.client.app).idempotency
    keys.claim(COOP, "k3", keys.fingerprint("POST", f"/lots/{lot}/storage", STORAGE))
    running = api.post(COOP, f"/lots/{lot}/storage", STORAGE, **{"Idempotency-Key": "k3"})
    assert (running.status_code, running.json()["error"]) == (409, "RequestInProgress")
    assert len(api.ledger.lot_history(lot)) == 3  # the harvest, the storage, the hold


def test_a_lost_race_is_retried_then_answered_409_with_the_head(
        api: Api, lot: str, monkeypatch: pytest.MonkeyPatch) -> None:
    ledger = api.ledger
    record = ledger.record
    failures = iter([True, False])

    def racing(*args: Any, **kwargs: Any) -> Any:
        if next(failures, True):
            raise ChainConflict("another writer was first", chain=f"lot/{lot}",
                                head=ledger.lot(lot).head.hex())
        return record(*args, **kwargs)

    monkeypatch.setattr(ledger, "record", racing)
    assert api.post(COOP, f"/lots/{lot}/storage", STORAGE).status_code == 201  # retried
    failures = iter([True] * 10)
    lost = api.post(COOP, f"/lots/{lot}/storage", STORAGE)
    assert lost.status_code == 409
    assert lost.json()["head"] == ledger.lot(lot).head.hex()
    assert lost.json()["chain"] == f"lot/{lot}"


def test_health_and_metrics_report_requests_records_and_the_log(api: Api, lot: str) -> None:
    api.get(None, f"/lots/{lot}")
    api.get(None, "/lots/NOPE")
    health = api.ok(api.get(None, "/healthz"), 200)
    # 5 organisations, the cooperative's GS1 prefix, a harvest; nothing in the log yet
    assert health["log"] == {"size": 0, "lag": 7}
    text = api.get(ADMIN, "/metrics").text
    assert 'agritrace_http_requests_total{method="GET",route="/lots/{lot}",status="404"} 1.0' \
        in text
    assert 'agritrace_http_request_duration_seconds_bucket{le="+Inf",method="GET",' \
           'route="/lots/{lot}"} 2.0' in text
    assert "agritrace_records_recorded_total 1.0" in text
    assert "agritrace_log_tree_size 0.0" in text
    assert "agritrace_log_integrator_lag 7.0" in text


def test_a_busy_or_unreachable_store_is_503_not_500(api: Api, lot: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    def busy(code: str) -> None:
        raise persistence.ConnectionUnavailableError("Timed out waiting for return of writer")

    monkeypatch.setattr(api.ledger, "lot", busy)
    response = api.get(None, f"/lots/{lot}")
    assert (response.status_code, response.json()["error"]) == (503, "StoreUnavailable")
    assert response.headers["Retry-After"] == "1"


def test_a_grant_is_remembered_a_moment_and_forgotten_when_revoked() -> None:
    clock = [0.0]
    lookups: list[str | None] = []

    def authenticate(presented: str | None) -> Grant:
        lookups.append(presented)
        if presented == "at_revoked":
            raise Unauthenticated("token was revoked", field="authorization")
        return Grant("t1", COOP, False, datetime.now(UTC) + timedelta(hours=1))

    authenticator = Authenticator(authenticate, ttl=1.0, clock=lambda: clock[0])
    assert authenticator.caller("at_ok").org == COOP
    assert authenticator.caller("at_ok").org == COOP
    assert len(lookups) == 1  # the second use within a second was remembered
    clock[0] = 1.5
    authenticator.caller("at_ok")
    assert len(lookups) == 2  # looked up again once the second has passed
    authenticator.forget("t1")
    authenticator.caller("at_ok")
    assert len(lookups) == 3  # a revocation here forgets at once
    for _ in range(2):  # refusals are never remembered
        with pytest.raises(Unauthenticated):
            authenticator.caller("at_revoked")
    assert lookups.count("at_revoked") == 2
