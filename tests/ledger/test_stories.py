"""User journeys through the ledger, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import json

import pytest

from ledger.application import Ledger
from ledger.errors import (
    InvalidInput,
    LotConsumed,
    LotHeld,
    LotInTransit,
    LotNotFound,
    LotRecalled,
    NotCustodian,
    NotPermitted,
    WrongState,
)
from ledger.records_audit import audit_store
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
from verify.commitments import verify_commitment


def test_kiwifruit_from_three_households_to_the_platform_warehouse(ledger: Ledger) -> None:
    kiwi_journey(ledger)

    # The packed grade lot's history reads like its journey, each record chained to the last.
    history = ledger.lot_history("KG1")
    assert [s.record.type for s in history] == [
        "Graded", "PreCooled", "Stored", "Packed", "Shipped", "Received"]
    for before, after in itertools.pairwise(history):
        assert after.record.prev == before.record.hash

    # Custody moved with shipping and receiving.
    lot = ledger.lot("KG1")
    assert lot.custodian == PLATFORM
    assert lot.gtin == "06901234567892"
    assert lot.status == "active"

    # Trace back through grading and collection to the three household harvests.
    assert [lot.code for lot in ledger.trace_back("KG1")] == ["KG1", "KC1", "KH0", "KH1", "KH2"]
    assert {lot.code for lot in ledger.trace_forward("KH1")} == {"KH1", "KC1", "KG1", "KG2"}

    # The collected lot's first record links to the harvest lots' collection records.
    collected = ledger.lot_history("KC1")[0].record
    assert len(collected.links) == 3
    assert collected.data["quantity"] == "300"

    report = audit_store(ledger.store)
    # 4 organisations and the cooperative's GS1 prefix, 3 harvests, 3 collection records + 1
    # new lot, 1 grading + 2 grade lots, then 5 handling steps.
    assert report.records == 4 + 1 + 3 + 4 + 3 + 5
    assert report.lots == 6


def test_household_identity_is_a_commitment_never_in_the_record(ledger: Ledger) -> None:
    register_parties(ledger)
    harvest(ledger, "KH0", household="430523-HH-0042")
    record = ledger.lot_history("KH0")[0].record
    assert b"430523-HH-0042" not in record.raw
    assert "张三".encode() not in record.raw
    opening = ledger.private_values("lot/KH0")
    commitment = record.data["household"]["commitment"]
    verify_commitment(commitment, opening[commitment]["value"],
                      bytes.fromhex(opening[commitment]["salt"]))

    # Erasing the value leaves every chain intact.
    assert ledger.erase_private(commitment)
    assert commitment not in ledger.private_values("lot/KH0")
    audit_store(ledger.store)


def test_an_inspector_recall_reaches_every_descendant(ledger: Ledger) -> None:
    kiwi_journey(ledger)
    with pytest.raises(NotPermitted, match="inspector"):
        handle(ledger, COOP, "KC1", "Recalled", {"reason": "自查"})

    ledger.record(INSPECTOR, "Recalled", {"reason": "抽检农药残留超标 (chlorpyrifos)"},
                  lot="KC1")

    for code in ("KC1", "KG1", "KG2"):
        assert ledger.lot(code).status == "recalled"
    cascaded = ledger.lot_history("KG1")[-1].record
    assert cascaded.type == "Recalled"
    assert cascaded.data["because_of"] == "KC1"
    assert cascaded.links == (ledger.lot_history("KC1")[-1].record.hash,)
    # Ancestors are not recalled by a descendant's recall.
    assert ledger.lot("KH0").status == "consumed"

    with pytest.raises(LotRecalled):
        handle(ledger, PLATFORM, "KG1", "Stored",
               {"facility": "长沙仓", "started": "2026-09-13T08:00:00+08:00"})
    with pytest.raises(WrongState, match="already recalled"):
        ledger.record(INSPECTOR, "Recalled", {"reason": "again"}, lot="KG2")
    audit_store(ledger.store)


def test_hold_and_release_by_an_inspector(ledger: Ledger) -> None:
    register_parties(ledger)
    harvest(ledger, "KH0")
    ledger.record(INSPECTOR, "Held", {"reason": "待检"}, lot="KH0")
    with pytest.raises(LotHeld):
        handle(ledger, COOP, "KH0", "PreCooled", _pre_cooling())
    ledger.record(INSPECTOR, "Inspected", {
        "kind": "lab", "verdict": "pass", "lab": "湘西州农产品质量检测中心", "report": "R-1",
        "results": [{"analyte": "毒死蜱 chlorpyrifos", "value": "0.01", "unit": "mg/kg",
                     "limit": "2", "method_standard": "GB 23200.113", "verdict": "pass"}],
    }, lot="KH0", time="2026-09-10T15:00:00+08:00")
    ledger.record(INSPECTOR, "Released", {"reason": "检测合格"}, lot="KH0")
    handle(ledger, COOP, "KH0", "PreCooled", _pre_cooling())
    with pytest.raises(NotPermitted):
        ledger.record(COOP, "Held", {"reason": "x"}, lot="KH0")
    audit_store(ledger.store)


def test_custody_rules(ledger: Ledger) -> None:
    register_parties(ledger)
    harvest(ledger, "KH0")
    with pytest.raises(NotCustodian):
        handle(ledger, CARRIER, "KH0", "PreCooled", _pre_cooling())
    handle(ledger, COOP, "KH0", "Shipped", {
        "to": PLATFORM, "to_location": "长沙", "location": "西乡"},
        time="2026-09-10T12:00:00+08:00")
    with pytest.raises(LotInTransit):
        handle(ledger, COOP, "KH0", "PreCooled", _pre_cooling())
    with pytest.raises(NotCustodian, match="shipped to"):
        handle(ledger, CARRIER, "KH0", "Received", {"from": COOP, "location": "长沙"})
    with pytest.raises(InvalidInput) as wrong_sender:
        handle(ledger, PLATFORM, "KH0", "Received", {"from": CARRIER, "location": "长沙"})
    assert wrong_sender.value.field == "data.from"
    handle(ledger, PLATFORM, "KH0", "Received", {"from": COOP, "location": "长沙"})
    assert ledger.lot("KH0").custodian == PLATFORM


def test_grading_must_add_up_and_consumes_the_lot(ledger: Ledger) -> None:
    register_parties(ledger)
    harvest(ledger, "KH0", quantity="100.5")
    with pytest.raises(InvalidInput, match="must equal") as error:
        grade(ledger, "KH0", {"A1": ("一级", "60"), "A2": ("二级", "40")}, loss="0")
    assert error.value.field == "data.outputs"
    with pytest.raises(LotNotFound):
        ledger.lot("A1")  # nothing was half-written
    grade(ledger, "KH0", {"A1": ("一级", "60"), "A2": ("二级", "40")}, loss="0.5")
    assert ledger.lot("KH0").status == "consumed"
    with pytest.raises(LotConsumed):
        handle(ledger, COOP, "KH0", "PreCooled", _pre_cooling())
    # Inspection and correction remain possible on a consumed lot.
    ledger.record(INSPECTOR, "Inspected", {"kind": "visual", "verdict": "pass"}, lot="KH0",
                  time="2026-09-10T17:00:00+08:00")


def test_collection_takes_no_more_than_a_lot_holds(ledger: Ledger) -> None:
    register_parties(ledger)
    harvest(ledger, "KH0")
    harvest(ledger, "KH1")
    with pytest.raises(InvalidInput, match="only 100 kg left"):
        collect(ledger, "KC1", {"KH0": "100", "KH1": "150"})
    collect(ledger, "KC1", {"KH0": "60", "KH1": "100"})
    assert ledger.lot("KH0").remaining == 40
    assert ledger.lot("KH1").status == "consumed"
    collect(ledger, "KC2", {"KH0": "40"})
    assert ledger.lot("KH0").status == "consumed"


@pytest.mark.parametrize(("field", "value", "reason"), [
    ("quantity", "-5", "greater than zero"),
    ("quantity", "abc", "not a decimal"),
    ("quantity", 1.5, "decimal number written as a string"),
    ("unit", "barrel", "must be one of"),
    ("started", "2026-09-10T06:00:00", "time zone"),
    ("origin", {"province": "湖南省"}, "is required"),
    ("colour", "red", "unknown field"),
])
def test_bad_harvest_input_names_the_field(ledger: Ledger, field: str, value: object,
                                           reason: str) -> None:
    register_parties(ledger)
    data = {**_small_harvest(), field: value}
    with pytest.raises(InvalidInput, match=reason) as error:
        ledger.record(COOP, "Harvested", data, lot="BAD1")
    assert error.value.field is not None
    assert error.value.field.startswith(f"data.{field}")
    with pytest.raises(LotNotFound):
        ledger.lot("BAD1")


def test_no_time_travel(ledger: Ledger) -> None:
    register_parties(ledger)
    harvest(ledger, "KH0", day=10)
    with pytest.raises(InvalidInput, match="before lot KH0 existed") as before:
        handle(ledger, COOP, "KH0", "Stored",
               {"facility": "冷库", "started": "2026-09-01T00:00:00+08:00"})
    assert before.value.field == "time"
    with pytest.raises(InvalidInput, match="future"):
        handle(ledger, COOP, "KH0", "Stored",
               {"facility": "冷库", "started": "2099-01-01T00:00:00+08:00"})
    with pytest.raises(InvalidInput, match="future"):
        ledger.record(COOP, "Harvested", _small_harvest(
            started="2099-01-01T00:00:00+08:00", ended="2099-01-01T01:00:00+08:00"), lot="KH9")


def test_no_time_in_the_data_lies_in_the_future(ledger: Ledger) -> None:
    register_parties(ledger)
    # A harvest said to end in 2199, recorded with a time of its own, is refused by its end.
    with pytest.raises(InvalidInput, match="future") as ended:
        ledger.record(COOP, "Harvested", _small_harvest(ended="2199-01-01T00:00:00+08:00"),
                      lot="KH9", time="2026-09-10T08:00:00+08:00")
    assert ended.value.field == "data.ended"
    harvest(ledger, "KH0")
    stored = {"facility": "冷库", "started": "2026-09-10T22:00:00+08:00"}
    with pytest.raises(InvalidInput, match="future") as reading:
        handle(ledger, COOP, "KH0", "Stored", {**stored, "readings": [
            {"at": "2026-09-11T00:00:00+08:00", "temp_c": "2"},
            {"at": "2199-09-11T00:00:00+08:00", "temp_c": "2"}]})
    assert reading.value.field == "data.readings[1].at"
    # A date ahead may lie ahead, within ten years.
    certificate = {"scheme": "green-food", "number": "LB-1", "issuer": "中国绿色食品发展中心",
                   "valid_from": "2026-09-10T12:00:00+08:00"}
    with pytest.raises(InvalidInput, match="10 years ahead") as until:
        handle(ledger, COOP, "KH0", "Certified",
               {**certificate, "valid_until": "2199-09-01T00:00:00+08:00"})
    assert until.value.field == "data.valid_until"
    handle(ledger, COOP, "KH0", "Certified",
           {**certificate, "valid_until": "2029-09-01T00:00:00+08:00"})
    # A correction cannot move a time into the future either.
    first = ledger.lot_history("KH0")[0].record.hash_hex
    with pytest.raises(InvalidInput, match="future") as corrected:
        handle(ledger, COOP, "KH0", "Corrected", {
            "corrects": first, "reason": "x", "values": {"ended": "2199-01-01T00:00:00Z"}})
    assert corrected.value.field == "data.values.ended"
    assert [s.record.type for s in ledger.lot_history("KH0")] == ["Harvested", "Certified"]


@pytest.mark.parametrize("depth", [9, 600])
def test_deeply_nested_corrected_values_are_refused_by_the_fields_shape(
        ledger: Ledger, depth: int) -> None:
    register_parties(ledger)
    harvest(ledger, "KH0")
    first = ledger.lot_history("KH0")[0].record.hash_hex
    nested: object = "x"
    for _ in range(depth):
        nested = [nested]
    # A harvest's origin is an object of a few named texts: nothing nests beneath them.
    with pytest.raises(InvalidInput, match="must be an object") as deep:
        handle(ledger, COOP, "KH0", "Corrected",
               {"corrects": first, "reason": "x", "values": {"origin": nested}})
    assert deep.value.field == "data.values.origin"
    assert len(ledger.lot_history("KH0")) == 1


def test_a_correction_refers_to_an_earlier_record(ledger: Ledger) -> None:
    register_parties(ledger)
    harvest(ledger, "KH0")
    first = ledger.lot_history("KH0")[0].record.hash_hex
    handle(ledger, COOP, "KH0", "Corrected", {
        "corrects": first, "reason": "称重有误", "values": {"quantity": "98.5"}})
    with pytest.raises(InvalidInput, match="not a record of lot KH0"):
        handle(ledger, COOP, "KH0", "Corrected", {
            "corrects": "ab" * 32, "reason": "x", "values": {"quantity": "1"}})
    with pytest.raises(NotPermitted):
        handle(ledger, PLATFORM, "KH0", "Corrected", {
            "corrects": first, "reason": "x", "values": {"quantity": "1"}})
    assert [s.record.type for s in ledger.lot_history("KH0")] == ["Harvested", "Corrected"]


def test_certificates_and_only_producers_harvest(ledger: Ledger) -> None:
    register_parties(ledger)
    harvest(ledger, "KH0")
    handle(ledger, COOP, "KH0", "Certified", {
        "scheme": "compliance-certificate", "number": "HN-FH-2026-0001",
        "issuer": "凤凰县西乡猕猴桃专业合作社", "valid_from": "2026-09-10T12:00:00+08:00",
        "contact": "0743-1234567", "commitment_text": "我承诺对生产销售的食用农产品...",
        "basis": "self-commitment"})
    with pytest.raises(NotPermitted, match="harvest"):
        ledger.record(CARRIER, "Harvested", _small_harvest(), lot="X1")


def test_keys_rotate_and_revoke_and_history_still_verifies(ledger: Ledger) -> None:
    register_parties(ledger)
    harvest(ledger, "KH0")
    first_key = ledger.lot_history("KH0")[0].record.key
    ledger.rotate_key(COOP)
    handle(ledger, COOP, "KH0", "PreCooled", _pre_cooling())
    second = ledger.lot_history("KH0")[1].record
    assert second.key != first_key
    assert first_key in ledger.organisation(COOP).revoked_keys

    with pytest.raises(InvalidInput, match="last active key"):
        ledger.revoke_key(COOP, second.key, "lost")
    ledger.add_key(COOP)
    ledger.revoke_key(COOP, second.key, "phone lost")
    handle(ledger, COOP, "KH0", "Stored", {"facility": "冷库",
                                            "started": "2026-09-10T22:00:00+08:00"})
    assert ledger.lot_history("KH0")[2].record.key not in (first_key, second.key)
    audit_store(ledger.store)


def test_a_batch_is_all_or_nothing(ledger: Ledger) -> None:
    register_parties(ledger)
    harvest(ledger, "KH0")
    good = {"step": "PreCooled", "lot": "KH0", "data": _pre_cooling()}
    bad = {"step": "Stored", "lot": "KH0", "data": {"facility": "冷库", "started": "soon"}}
    with pytest.raises(InvalidInput) as error:
        ledger.record_batch(COOP, [good, good, bad])
    assert error.value.field == "entries[2].data.started"
    assert len(ledger.lot_history("KH0")) == 1
    receipts = ledger.record_batch(COOP, [good, {**good, "step": "Stored", "data": {
        "facility": "冷库", "started": "2026-09-10T22:00:00+08:00"}}])
    assert [r.seq for r in receipts] == [1, 2]


def test_records_are_canonical_json_with_decimal_strings(ledger: Ledger) -> None:
    register_parties(ledger)
    harvest(ledger, "KH0", quantity="100.50")
    record = ledger.lot_history("KH0")[0].record
    parsed = json.loads(record.raw)
    assert parsed["data"]["quantity"] == "100.5"
    assert parsed["time"] == "2026-09-10T03:00:00Z"
    assert record.raw == json.dumps(parsed, sort_keys=True, separators=(",", ":"),
                                    ensure_ascii=False).encode()


def _pre_cooling() -> dict[str, str]:
    return {"method": "forced-air", "started": "2026-09-10T17:00:00+08:00",
            "ended": "2026-09-10T21:00:00+08:00", "target_core_temp_c": "2",
            "reached_core_temp_c": "2.4"}


def test_a_batch_error_of_any_kind_names_the_entry(ledger: Ledger) -> None:
    register_parties(ledger)
    harvest(ledger, "KH0")
    entries = [{"step": "PreCooled", "lot": "KH0", "data": _pre_cooling()},
               {"step": "PreCooled", "lot": "NOPE", "data": _pre_cooling()}]
    with pytest.raises(LotNotFound) as error:
        ledger.record_batch(COOP, entries)
    assert error.value.field == "entries[1].lot"
    assert len(ledger.lot_history("KH0")) == 1


def test_a_record_too_large_for_a_log_entry_is_refused(ledger: Ledger) -> None:
    register_parties(ledger)
    harvest(ledger, "KH0")
    readings = [{"at": f"2026-09-11T{h % 24:02d}:{m:02d}:00+08:00", "temp_c": "2.5",
                 "humidity_pct": "90.5"} for h in range(24) for m in range(0, 60, 1)]
    with pytest.raises(InvalidInput, match="over the 65,535") as error:
        handle(ledger, COOP, "KH0", "Stored", {"facility": "冷库",
                                                "started": "2026-09-10T22:00:00+08:00",
                                                "readings": readings[:1400]})
    assert error.value.field == "data"


def _small_harvest(**changes: str) -> dict[str, object]:
    """A minimal valid harvest, with ``changes`` applied."""
    return {"product": {"name": "猕猴桃"}, "quantity": "10", "unit": "kg",
            "origin": {"province": "湖南省", "city": "湘西州", "county": "凤凰县"},
            "started": "2026-09-10T06:00:00+08:00", "ended": "2026-09-10T08:00:00+08:00",
            **changes}
