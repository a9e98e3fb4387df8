"""The lot state the verifier derives (``verify.state``) from histories the ledger records:
recalls on the lot and cascaded from an ancestor, holds that do not cascade, holds released,
corrections (and corrections of corrections), certificates in and out of date, failed lab
tests, cold-chain excursions, purchases below the protective price, lots used up. SQLite and
PostgreSQL.

The state is derived from every record in the store (what a bundle carrying whole chains
holds); one story also goes through a real bundle, verified as a client would.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from ledger.application import Ledger
from ledger.bundles import build_bundle
from ledger.log import TransparencyLog
from ledger.log.logkey import LogKey
from tests.journeys import (
    CARRIER,
    COOP,
    INSPECTOR,
    PLATFORM,
    collect,
    grade,
    handle,
    harvest,
    kiwi_journey,
    register_parties,
)
from verify.bundle import Bundle
from verify.canonical import canonical_bytes
from verify.errors import ChainBroken
from verify.freshness import AsOf
from verify.notes import Signer
from verify.records import Record
from verify.state import derive_state
from verify.verification import verify_bundle

AS_OF = AsOf("agritrace.test/state", 1)
RECALL = "抽检毒死蜱超标 chlorpyrifos above the limit"
LAB_FAIL = {"kind": "lab", "verdict": "fail", "lab": "湘西州农产品质量安全检测中心",
            "report": "XXJC-2026-0917",
            "results": [{"analyte": "毒死蜱 chlorpyrifos", "value": "0.31", "unit": "mg/kg",
                         "limit": "0.05", "method_standard": "GB 23200.113-2018",
                         "verdict": "fail"}]}


def records_of(ledger: Ledger) -> list[Record]:
    """Every record in the store, in log order."""
    return [Record.from_bytes(stored.raw) for stored in ledger.store.records()]


def state_of(ledger: Ledger, lot: str, as_of: AsOf = AS_OF,
             records: list[Record] | None = None) -> dict[str, Any]:
    return derive_state(records_of(ledger) if records is None else records, lot, as_of)


def last(ledger: Ledger, lot: str) -> str:
    return ledger.lot_history(lot)[-1].record.hash_hex


def first(ledger: Ledger, lot: str) -> str:
    return ledger.lot_history(lot)[0].record.hash_hex


def appended(records: list[Record], lot: str, step: str, data: dict[str, Any],
             org: str = COOP) -> list[Record]:
    """``records`` and one more record at the end of ``lot``'s chain (unsigned: the state is
    derived from records already verified), for what the ledger does not record yet."""
    chain = [r for r in records if r.chain == f"lot/{lot}"]
    raw = canonical_bytes({
        "v": 1, "chain": f"lot/{lot}", "seq": len(chain), "prev": chain[-1].hash_hex,
        "links": [], "type": step, "data": data, "org": org, "key": "0" * 16,
        "time": "2026-09-20T00:00:00Z", "recorded": "2026-09-20T00:00:00.000Z"})
    return [*records, Record.from_bytes(raw)]


def test_a_recall_on_the_lot_is_its_status(ledger: Ledger) -> None:
    kiwi_journey(ledger)
    ledger.record(INSPECTOR, "Recalled", {"reason": RECALL}, lot="KG1")

    state = state_of(ledger, "KG1")
    assert state["status"] == "recalled"
    assert (state["status_record"], state["status_reason"]) == (last(ledger, "KG1"), RECALL)
    assert state["flagged_ancestors"] == []  # the collection it came from is used up, not recalled
    # The sibling grade is not made from the recalled lot.
    assert state_of(ledger, "KG2")["status"] == "active"


def test_an_ancestor_recall_reaches_the_lot_and_names_the_order(ledger: Ledger) -> None:
    kiwi_journey(ledger)
    ledger.record(INSPECTOR, "Recalled", {"reason": RECALL}, lot="KC1")
    order = last(ledger, "KC1")

    state = state_of(ledger, "KG1")
    # The lot's own chain holds the cascaded recall; the ancestor holds the order.
    assert (state["status"], state["status_record"]) == ("recalled", last(ledger, "KG1"))
    assert state["status_reason"] == RECALL
    assert state["flagged_ancestors"] == [
        {"lot": "KC1", "status": "recalled", "record": order, "reason": RECALL}]

    # A client verifying the lot's bundle derives the same state from it.
    log = TransparencyLog(ledger.store, LogKey(Signer.generate("agritrace.test/state-log")))
    bundle = Bundle.from_json(build_bundle(ledger, log, "KG1").to_json())
    result = verify_bundle(bundle, [log.key.verifier])
    assert result.state is not None
    assert {**result.state, "as_of": None} == {**state, "as_of": None}
    as_of = result.state["as_of"]
    assert (as_of["origin"], as_of["size"], as_of["witness_times"], as_of["complete"]) == (
        "agritrace.test/state-log", result.checkpoint_size, [], True)
    assert as_of["time"] is not None  # the log signs when it signed the checkpoint
    assert json.loads(json.dumps(result.to_json()))["state"]["status"] == "recalled"


def test_a_held_ancestor_is_flagged_but_does_not_hold_the_lot(ledger: Ledger) -> None:
    kiwi_journey(ledger)
    ledger.record(INSPECTOR, "Held", {"reason": "待检 awaiting a lab result"}, lot="KC1")
    held = last(ledger, "KC1")

    state = state_of(ledger, "KG1")
    assert state["status"] == "active"
    assert state["flagged_ancestors"] == [
        {"lot": "KC1", "status": "held", "record": held, "reason": "待检 awaiting a lab result"}]
    assert state_of(ledger, "KC1")["status"] == "held"

    ledger.record(INSPECTOR, "Released", {"reason": "检测合格 passed"}, lot="KC1")
    assert state_of(ledger, "KG1")["flagged_ancestors"] == []
    assert state_of(ledger, "KC1")["status"] == "consumed"  # released, and graded before


def test_held_then_released(ledger: Ledger) -> None:
    register_parties(ledger)
    harvest(ledger, "KH0")
    assert state_of(ledger, "KH0")["status"] == "active"

    ledger.record(INSPECTOR, "Held", {"reason": "待检"}, lot="KH0")
    state = state_of(ledger, "KH0")
    assert (state["status"], state["status_record"], state["status_reason"]) == (
        "held", last(ledger, "KH0"), "待检")

    ledger.record(INSPECTOR, "Released", {"reason": "检测合格"}, lot="KH0")
    state = state_of(ledger, "KH0")
    assert (state["status"], state["status_record"], state["status_reason"]) == (
        "released", last(ledger, "KH0"), "检测合格")


def test_a_corrected_harvest_shows_the_corrected_quantity(ledger: Ledger) -> None:
    register_parties(ledger)
    harvest(ledger, "KH0", quantity="310.5")
    harvested = first(ledger, "KH0")
    handle(ledger, COOP, "KH0", "Corrected", {
        "corrects": harvested, "reason": "称重有误 misweighed", "values": {"quantity": "290"}})
    correction = last(ledger, "KH0")

    state = state_of(ledger, "KH0")
    assert (state["quantity"], state["unit"]) == ("290", "kg")
    assert state["corrections"] == [
        {"record": correction, "corrects": harvested, "original": harvested,
         "fields": ["quantity"], "reason": "称重有误 misweighed"}]

    # A correction of that correction corrects the harvest again.
    records = appended(records_of(ledger), "KH0", "Corrected", {
        "corrects": correction, "reason": "复称 weighed again", "values": {"quantity": "288.5"}})
    state = state_of(ledger, "KH0", records=records)
    assert state["quantity"] == "288.5"
    assert [(c["corrects"], c["original"]) for c in state["corrections"]] == [
        (harvested, harvested), (correction, harvested)]


def test_a_corrected_quantity_decides_whether_the_lot_is_used_up(ledger: Ledger) -> None:
    register_parties(ledger)
    harvest(ledger, "KH0", quantity="100")
    collect(ledger, "KC1", {"KH0": "98.5"})
    assert state_of(ledger, "KH0")["status"] == "active"  # 1.5 kg left

    handle(ledger, COOP, "KH0", "Corrected", {
        "corrects": first(ledger, "KH0"), "reason": "称重有误", "values": {"quantity": "98.5"}})
    state = state_of(ledger, "KH0")
    collected = ledger.lot_history("KH0")[1].record.hash_hex
    assert (state["status"], state["status_record"]) == ("consumed", collected)


def test_certificates_are_judged_at_the_checkpoint_time(ledger: Ledger) -> None:
    register_parties(ledger)
    harvest(ledger, "KH0")
    handle(ledger, COOP, "KH0", "Certified", {
        "scheme": "organic", "number": "ORG-2025-17", "issuer": "有机认证中心",
        "valid_from": "2025-07-01T00:00:00+08:00", "valid_until": "2026-06-30T23:59:59+08:00"},
        time="2026-09-10T12:00:00+08:00")
    handle(ledger, COOP, "KH0", "Certified", {
        "scheme": "compliance-certificate", "number": "HN-FH-2026-0001",
        "issuer": "凤凰县西乡猕猴桃专业合作社", "valid_from": "2026-09-10T12:00:00+08:00",
        "contact": "0743-1234567", "basis": "self-commitment"},
        time="2026-09-10T12:00:00+08:00")

    def validity(as_of: AsOf) -> list[tuple[str, bool]]:
        return [(c["number"], c["valid"]) for c in state_of(ledger, "KH0", as_of)["certificates"]]

    signed_on = 1_789_084_800  # 2026-09-11T00:00:00Z, after the compliance certificate
    assert validity(AsOf("log", 9, time=signed_on)) == [
        ("ORG-2025-17", False), ("HN-FH-2026-0001", True)]
    # Both in date while the organic certificate ran, before the other was issued.
    assert validity(AsOf("log", 9, time=1_767_225_600)) == [  # 2026-01-01T00:00:00Z
        ("ORG-2025-17", True), ("HN-FH-2026-0001", False)]
    # Without a signed time, at the latest time a record was logged (after both began).
    assert validity(AS_OF) == [("ORG-2025-17", False), ("HN-FH-2026-0001", True)]
    state = state_of(ledger, "KH0")
    assert state["certificates"][0]["valid_until"] == "2026-06-30T15:59:59Z"


def test_a_failed_lab_test_is_listed_with_its_results(ledger: Ledger) -> None:
    register_parties(ledger)
    harvest(ledger, "KH0")
    ledger.record(INSPECTOR, "Inspected", LAB_FAIL, lot="KH0",
                  time="2026-09-10T13:00:00+08:00")
    tested = last(ledger, "KH0")
    collect(ledger, "KC1", {"KH0": "100"})
    grade(ledger, "KC1", {"KG1": ("一级", "90")}, loss="10")
    ledger.record(INSPECTOR, "Inspected", {"kind": "visual", "verdict": "pass"}, lot="KC1",
                  time="2026-09-10T17:00:00+08:00")

    expected = {"record": tested, "kind": "lab", "verdict": "fail", "lab": LAB_FAIL["lab"],
                "report": "XXJC-2026-0917", "time": "2026-09-10T05:00:00Z",
                "results": LAB_FAIL["results"]}
    assert state_of(ledger, "KH0")["inspections"] == [expected]
    # The grade lot's produce was tested in the harvest it came from; the collection's
    # inspection after grading did not see it.
    assert state_of(ledger, "KG1")["inspections"] == [expected]
    assert [i["kind"] for i in state_of(ledger, "KC1")["inspections"]] == ["lab", "visual"]


def test_cold_chain_excursions(ledger: Ledger) -> None:
    kiwi_journey(ledger)
    handle(ledger, PLATFORM, "KG1", "Shipped", {
        "to": CARRIER, "to_location": "长沙市岳麓区门店", "location": "长沙市望城区电商产业园",
        "temp_c": "7.5"}, time="2026-09-13T09:00:00+08:00")
    stored = ledger.lot_history("KG1")[2].record.hash_hex
    shipped = last(ledger, "KG1")

    # The store read 6.2 °C against 0-4 °C; the warm truck left at 7.5 °C. The receipt at
    # 3.2 °C is in range, and the pre-cooling curve (8.1 °C on the way down) is not judged.
    assert state_of(ledger, "KG1")["excursions"] == [
        {"record": stored, "at": "2026-09-11T06:00:00Z", "temp_c": "6.2",
         "target_min_c": "0", "target_max_c": "4"},
        {"record": shipped, "at": "2026-09-13T01:00:00Z", "temp_c": "7.5",
         "target_min_c": "0", "target_max_c": "4"}]


def test_purchases_below_the_protective_price_are_flagged(ledger: Ledger) -> None:
    register_parties(ledger)
    harvest(ledger, "KH0", household="HH-000")
    harvest(ledger, "KH1", household="HH-001")
    ledger.record(COOP, "Collected", {
        "into": "KC1", "collection_point": "西乡村田头集货点", "purchases": [
            {"lot": "KH0", "quantity": "100", "price_per_kg": "6.50",
             "protective_price_per_kg": "6.00"},
            {"lot": "KH1", "quantity": "100", "price_per_kg": "5.8",
             "protective_price_per_kg": "6.00"}]}, time="2026-09-10T14:00:00+08:00")
    grade(ledger, "KC1", {"KG1": ("一级", "190")}, loss="10")

    flagged = [{"record": first(ledger, "KC1"), "lot": "KH1", "price_per_kg": "5.8",
                "protective_price_per_kg": "6"}]
    assert state_of(ledger, "KC1")["below_protective_price"] == flagged
    assert state_of(ledger, "KG1")["below_protective_price"] == flagged  # its produce
    assert state_of(ledger, "KH1")["below_protective_price"] == []  # before the sale


def test_lots_used_up_by_collection_and_grading(ledger: Ledger) -> None:
    register_parties(ledger)
    harvest(ledger, "KH0", quantity="100")
    collect(ledger, "KC1", {"KH0": "100"})
    grade(ledger, "KC1", {"KG1": ("一级", "90")}, loss="10")

    assert (state_of(ledger, "KH0")["status"], state_of(ledger, "KH0")["status_record"]) == (
        "consumed", last(ledger, "KH0"))
    assert (state_of(ledger, "KC1")["status"], state_of(ledger, "KC1")["status_record"]) == (
        "consumed", last(ledger, "KC1"))
    state = state_of(ledger, "KG1")
    assert (state["status"], state["quantity"], state["grade"]) == ("active", "90", "一级")
    assert state["producer"] == state["custodian"] == COOP


def test_the_state_of_a_lot_not_given_is_refused(ledger: Ledger) -> None:
    register_parties(ledger)
    harvest(ledger, "KH0")
    with pytest.raises(ChainBroken, match="no record of lot KX9"):
        state_of(ledger, "KX9")
