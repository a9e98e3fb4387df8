"""Idempotency keys over HTTP, on SQLite and PostgreSQL: what the key table keeps of a request
(a keyed fingerprint, forgotten when a private value of its lot is erased), and a key whose
request died with its process, before or after it recorded: a retry takes it over or answers
with what was recorded, and the step is recorded once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from hashlib import sha256
from typing import Any

import pytest
from sqlalchemy import select, update

from api.schemas import HarvestIn, StorageIn
from api.services import services_of
from ledger.persistence.idempotency import IdempotencyKeys, RequestTakenOver
from ledger.persistence.tables import idempotency_keys
from tests.api.test_http_helpers import (  # noqa: F401 - fixtures
    STORAGE,
    Api,
    api_fixture,
    harvest_body,
    log_key_file_fixture,
)
from tests.journeys import COOP


def _fingerprints(api: Api) -> dict[str, bytes | None]:
    with api.ledger.store.engine.connect() as connection:
        rows = connection.execute(select(idempotency_keys.c.key,
                                         idempotency_keys.c.fingerprint)).all()
    return {row.key: None if row.fingerprint is None else bytes(row.fingerprint)
            for row in rows}


def _unkeyed(path: str, payload: dict[str, Any]) -> bytes:
    """SHA-256 of the request, as anyone could compute it to test a guessed name."""
    canonical = json.dumps(["POST", path, payload], sort_keys=True, ensure_ascii=False,
                           separators=(",", ":"), default=str)
    return sha256(canonical.encode("utf-8")).digest()


def test_a_fingerprint_is_keyed_and_forgotten_when_a_value_of_its_lot_is_erased(
        api: Api) -> None:
    body = {**harvest_body(household="HH-0417"), "harvester": "石光明"}
    for lot in ("KF1", "KF2"):
        assert api.post(COOP, f"/lots/{lot}/harvest", body,
                        **{"Idempotency-Key": f"harvest-{lot}"}).status_code == 201
    payload = HarvestIn.model_validate(body).model_dump(mode="json", by_alias=True,
                                                        exclude_none=True)
    stored = _fingerprints(api)
    # Without the server's secret, a guessed name cannot be checked against the table.
    assert stored["harvest-KF1"] != _unkeyed("/lots/KF1/harvest", payload)
    keys: IdempotencyKeys = services_of(api.client.app).idempotency
    assert stored["harvest-KF1"] == keys.fingerprint("POST", "/lots/KF1/harvest", payload)

    private = api.ok(api.get(COOP, "/lots/KF1/private"), 200)["values"]
    erased = api.client.delete(f"/lots/KF1/private/{private[0]['commitment']}",
                               headers=api.headers(COOP))
    assert erased.status_code == 204
    after = _fingerprints(api)
    assert after["harvest-KF1"] is None  # gone with the value
    assert after["harvest-KF2"] == stored["harvest-KF2"]  # another lot's request keeps its
    # The key still answers its first response, and records nothing twice.
    retry = api.post(COOP, "/lots/KF1/harvest", body, **{"Idempotency-Key": "harvest-KF1"})
    assert (retry.status_code, retry.headers["Idempotent-Replayed"]) == (201, "true")
    assert len(api.ledger.lot_history("KF1")) == 1


def test_a_key_left_running_by_a_dead_request_is_taken_over_and_records_once(
        api: Api) -> None:
    api.ok(api.post(COOP, "/lots/KD1/harvest", harvest_body()))
    path, key = "/lots/KD1/storage", {"Idempotency-Key": "k-dead-owner"}
    keys: IdempotencyKeys = services_of(api.client.app).idempotency
    payload = StorageIn.model_validate(STORAGE).model_dump(mode="json", by_alias=True,
                                                           exclude_none=True)
    # A request claimed the key, and its process died before it recorded.
    dead = keys.claim(COOP, key["Idempotency-Key"], keys.fingerprint("POST", path, payload),
                      chain="lot/KD1")
    running = api.post(COOP, path, STORAGE, **key)
    assert (running.status_code, running.json()["error"]) == (409, "RequestInProgress")
    assert "retry in" in running.json()["reason"]
    # Its lease runs out (nobody renews it): the next retry takes the key over.
    with api.ledger.store.engine.begin() as connection:
        connection.execute(update(idempotency_keys).values(
            lease_until=datetime.now(UTC) - timedelta(seconds=1)))
    retry = api.post(COOP, path, STORAGE, **key)
    assert retry.status_code == 201, retry.text
    again = api.post(COOP, path, STORAGE, **key)
    assert (again.status_code, again.json()) == (201, retry.json())
    assert [r.record.type for r in api.ledger.lot_history("KD1")] == ["Harvested", "Stored"]
    # Had the first request only been slow, it could no longer record under the key.
    with pytest.raises(RequestTakenOver):
        api.ledger.record(COOP, "Stored", STORAGE, lot="KD1", claim=dead)
    assert len(api.ledger.lot_history("KD1")) == 2
    # A request that recorded and died before it answered: the key kept what it recorded, in
    # the same transaction, so the retry answers with it and records nothing.
    crashed = keys.claim(COOP, "k-recorded", keys.fingerprint("POST", path, payload),
                         chain="lot/KD1")
    made = api.ledger.record(COOP, "Stored", STORAGE, lot="KD1", claim=crashed)
    answer = api.post(COOP, path, STORAGE, **{"Idempotency-Key": "k-recorded"})
    assert (answer.status_code, answer.json()["hash"]) == (201, made[0].hash)
    assert len(api.ledger.lot_history("KD1")) == 3
