"""A correction of a private field is sealed like the original: the record holds a commitment,
the value is kept apart, listed to those who may read the lot's private values, and erasable.
A correction whose values do not fit the corrected record's fields is refused."""

from __future__ import annotations

import json
from typing import Any

import pytest

from api.services import services_of
from tests.api.test_http_helpers import (
    SHIPMENT,
    Api,
    api_fixture,
    collection_body,
    harvest_body,
    log_key_file_fixture,
)
from tests.journeys import COOP, INSPECTOR
from verify.commitments import verify_commitment

__all__ = ["api_fixture", "log_key_file_fixture"]

NAME = "石光明"


def _harvest(api: Api, lot: str) -> str:
    recorded = api.ok(api.post(COOP, f"/lots/{lot}/harvest", harvest_body()))
    digest: str = recorded["records"][0]["hash"]
    return digest


def _public_views(api: Api, lot: str, digest: str) -> dict[str, bytes]:
    """Every public place a record's bytes show up: lot JSON, the record by hash, the
    bundle, and the log's entry tiles."""
    log = services_of(api.client.app).log
    log.integrate()
    size = log.latest_checkpoint().size
    assert size < 256
    views = {
        "lot": api.ok(api.get(None, f"/lots/{lot}"), 200),
        "record": api.ok(api.get(None, f"/records/{digest}"), 200),
    }
    bundle = api.client.get(f"/lots/{lot}/bundle")
    tiles = api.client.get(f"/log/tile/entries/000.p/{size}")
    assert bundle.status_code == tiles.status_code == 200
    return {**{name: json.dumps(view, ensure_ascii=False).encode() for name, view
               in views.items()}, "bundle": bundle.content, "tiles": tiles.content}


def test_a_corrected_private_value_is_sealed_listed_and_erasable(api: Api) -> None:
    first = _harvest(api, "KH0")
    corrected = api.ok(api.post(COOP, "/lots/KH0/correction", {
        "corrects": first, "reason": "采摘人录入错误", "values": {"harvester": NAME}}))
    digest = corrected["records"][0]["hash"]

    # The record holds a commitment; the name is in no public view nor in the record bytes.
    record = api.ledger.lot_history("KH0")[1].record
    assert NAME.encode() not in record.raw
    commitment = record.data["values"]["harvester"]["commitment"]
    for where, content in _public_views(api, "KH0", digest).items():
        assert NAME.encode() not in content, where
        assert NAME.encode("unicode_escape") not in content, where

    # The value is kept apart and opens the commitment, for whoever may read the lot's
    # private values.
    listed = {entry["commitment"]: entry for entry in
              api.ok(api.get(COOP, "/lots/KH0/private"), 200)["values"]}
    assert listed[commitment]["value"] == NAME
    verify_commitment(commitment, NAME, bytes.fromhex(listed[commitment]["salt"]))

    # It is erased like an original value; the chain stays whole.
    erased = api.client.delete(f"/lots/KH0/private/{commitment}", headers=api.headers(COOP))
    assert erased.status_code == 204, erased.text
    left = api.ok(api.get(COOP, "/lots/KH0/private"), 200)["values"]
    assert commitment not in {entry["commitment"] for entry in left}
    assert NAME not in json.dumps(left, ensure_ascii=False)


def test_a_correction_of_a_collected_lot_seals_its_households(api: Api) -> None:
    _harvest(api, "KH0")
    collected = api.ok(api.post(COOP, "/lots/KC1/collection", collection_body({"KH0": "50"})))
    first = next(r["hash"] for r in collected["records"] if r["chain"] == "lot/KC1")
    purchases = collection_body({"KH0": "50"})["purchases"]
    purchases[0]["household"] = "430523-HH-0099"
    api.ok(api.post(COOP, "/lots/KC1/correction", {
        "corrects": first, "reason": "户号错误", "values": {"purchases": purchases}}))
    record = api.ledger.lot_history("KC1")[1].record
    assert b"430523-HH-0099" not in record.raw
    assert "commitment" in record.data["values"]["purchases"][0]["household"]
    values = api.ok(api.get(COOP, "/lots/KC1/private"), 200)["values"]
    assert "430523-HH-0099" in {entry["value"] for entry in values}


@pytest.mark.parametrize(("values", "field", "reason"), [
    ({"waybill": "XL1"}, "values.waybill", "unknown field"),
    ({"quantity": "-5"}, "values.quantity", "greater than zero"),
    ({"quantity": 1.5}, "values.quantity", "decimal"),
    ({"harvester": ["石", "光明"]}, "values.harvester", "text"),
    ({"harvester": {"name": NAME}}, "values.harvester", "text"),
    ({"origin": {"province": "湖南省"}}, "values.origin.city", "required"),
    ({"product": None}, "values.product", "required"),
])
def test_a_correction_must_fit_the_corrected_records_fields(
        api: Api, values: dict[str, Any], field: str, reason: str) -> None:
    first = _harvest(api, "KH0")
    response = api.post(COOP, "/lots/KH0/correction",
                        {"corrects": first, "reason": "录入错误", "values": values})
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    assert reason in response.json()["reason"]
    assert NAME not in response.text
    assert len(api.ledger.lot_history("KH0")) == 1  # nothing recorded


def test_a_correction_is_checked_against_its_own_step(api: Api) -> None:
    _harvest(api, "KH0")
    shipped = api.ok(api.post(COOP, "/lots/KH0/shipment", SHIPMENT))["records"][0]["hash"]
    # A shipment has a waybill, and no harvester.
    api.ok(api.post(COOP, "/lots/KH0/correction", {
        "corrects": shipped, "reason": "运单号录入错误", "values": {"waybill": "XL2"}}))
    refused = api.post(COOP, "/lots/KH0/correction", {
        "corrects": shipped, "reason": "x", "values": {"harvester": NAME}})
    assert refused.status_code == 422, refused.text
    assert refused.json()["field"] == "values.harvester"
    # A correction naming a correction corrects its original: the shipment, which has a
    # waybill and no reason.
    correction = api.ledger.lot_history("KH0")[-1].record.hash_hex
    again = api.post(INSPECTOR, "/lots/KH0/correction", {
        "corrects": correction, "reason": "x", "values": {"reason": "y"}})
    assert again.status_code == 422, again.text
    assert again.json()["field"] == "values.reason"
    api.ok(api.post(INSPECTOR, "/lots/KH0/correction", {
        "corrects": correction, "reason": "x", "values": {"waybill": "XL3"}}))
    assert api.ledger.lot("KH0").history.data(
        api.ledger.lot_history("KH0")[1].record)["waybill"] == "XL3"


def test_an_optional_field_may_be_withdrawn(api: Api) -> None:
    first = _harvest(api, "KH0")
    api.ok(api.post(COOP, "/lots/KH0/correction", {
        "corrects": first, "reason": "无采摘人记录", "values": {"harvester": None}}))
    assert api.ledger.lot_history("KH0")[1].record.data["values"] == {"harvester": None}


def test_a_client_sealed_correction_carries_only_the_commitment(api: Api) -> None:
    first = _harvest(api, "KH0")
    sealed = {"commitment": "ab" * 32}
    api.ok(api.post(COOP, "/lots/KH0/correction", {
        "corrects": first, "reason": "采摘人录入错误", "values": {"harvester": sealed}}))
    assert api.ledger.lot_history("KH0")[1].record.data["values"] == {"harvester": sealed}
