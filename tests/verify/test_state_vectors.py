"""The derived state of every valid bundle vector is stored beside it (``<name>.state.json``),
the Python verifier derives exactly that, and the stored states say what the demo data set
recorded (written here by hand from ``ledger/demo.py``). The browser's port is checked
against the same files.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from tests.vectors.bundles.states import (
    SUFFIX,
    dump_state,
    state_file,
    valid_vectors,
    verified,
)
from verify.bundle import Bundle
from verify.checkpoints import signed_time
from verify.freshness import format_utc
from verify.state import STATUSES

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "bundles"
VALID = valid_vectors(VECTORS)
REGENERATE = "regenerate with .venv/bin/python -m tests.vectors.bundles.states"


def stored(vector: dict[str, Any]) -> dict[str, Any]:
    path = state_file(VECTORS, vector)
    assert path.is_file(), f"{path.name} is missing: {REGENERATE}"
    state: dict[str, Any] = json.loads(path.read_text())
    return state


@pytest.mark.parametrize("vector", VALID, ids=lambda v: v["name"])
def test_the_python_verifier_derives_the_stored_state(vector: dict[str, Any]) -> None:
    state = verified(vector, VECTORS).state
    assert state == stored(vector), f"{vector['name']}: {REGENERATE}"
    assert dump_state(state) == state_file(VECTORS, vector).read_text()


def test_state_files_exist_only_for_valid_vectors() -> None:
    expected = {state_file(VECTORS, vector).name for vector in VALID}
    assert {path.name for path in VECTORS.glob(f"*{SUFFIX}")} == expected
    assert len(expected) >= 4


@pytest.mark.parametrize("vector", VALID, ids=lambda v: v["name"])
def test_every_stored_state_has_the_shape_both_verifiers_return(vector: dict[str, Any]) -> None:
    state = stored(vector)
    assert set(state) == {
        "lot", "status", "status_record", "status_reason", "flagged_ancestors", "product",
        "grade", "gtin", "quantity", "unit", "packed", "origin", "producer", "custodian",
        "certificates", "inspections", "excursions", "below_protective_price",
        "corrections", "as_of"}
    assert state["status"] in STATUSES
    assert set(state["product"]) == {"name", "variety", "gtin"}
    assert set(state["as_of"]) == {"origin", "size", "time", "witness_times", "complete"}


KIWI_G1 = ["valid", "valid-without-witness-policy", "valid-records-in-any-order",
           "valid-since-earlier-checkpoint"]


@pytest.mark.parametrize("name", KIWI_G1)
def test_the_packed_kiwifruit_vectors_state_what_the_demo_recorded(name: str) -> None:
    vector = next(v for v in VALID if v["name"] == name)
    state = stored(vector)
    # Grade 1 of the Shibadong collection: 1500 kg, packed as 300 boxes of 5 kg, received by
    # the platform's warehouse, neither held nor recalled, nothing corrected.
    assert (state["lot"], state["status"], state["status_record"]) == ("KW26-SBD-G1", "active",
                                                                      None)
    assert state["flagged_ancestors"] == []
    assert state["product"]["name"] == "猕猴桃 kiwifruit"
    assert (state["quantity"], state["unit"], state["grade"]) == ("1500", "kg", "一级 Grade 1")
    assert state["gtin"] == "16941234000125"
    assert [(p["units"], p["net_weight_per_unit"], p["net_weight_unit"])
            for p in state["packed"]] == [(300, "5", "kg")]
    assert state["origin"]["village"] == "十八洞村"
    assert (state["producer"], state["custodian"]) == ("coop-xiangxi", "platform-wh-changsha")
    # The compliance certificate has no end date and was issued before the last record.
    assert [(c["scheme"], c["number"], c["valid_until"], c["valid"])
            for c in state["certificates"]] == [
        ("compliance-certificate", "HN-HY-2026-091601", None, True)]
    # The spot check on arrival passed.
    assert [(i["kind"], i["verdict"]) for i in state["inspections"]] == [("visual", "pass")]
    # Cold store target 0-4 °C: the ninth of fifteen twelve-hourly readings, 5.6 °C, is the
    # door left open; shipments and receipts (1.5, 1.6, 1.6, 3.2 °C) are inside the range,
    # and the pre-cooling curve (24.5 °C down) is not judged.
    assert [(e["temp_c"], e["target_min_c"], e["target_max_c"])
            for e in state["excursions"]] == [("5.6", "0", "4")]
    # Every household was paid 6.20 or 6.40 yuan/kg against a protective price of 6.00.
    assert state["below_protective_price"] == []
    assert state["corrections"] == []
    # The checkpoint signs its time and the map that proves the chains complete; the
    # witness's cosignature time counts only where the witness is pinned.
    as_of = state["as_of"]
    bundle = Bundle.from_json((VECTORS / vector["file"]).read_bytes())
    signed = signed_time(bundle.checkpoint)
    assert signed is not None
    assert (as_of["size"], as_of["time"], as_of["complete"]) == (
        bundle.checkpoint.size, format_utc(signed), True)
    witnessed = ["2026-09-10T00:26:40Z"] if vector["options"]["witnesses"] else []
    assert as_of["witness_times"] == witnessed


def test_the_recalled_oranges_say_they_are_recalled_and_why() -> None:
    state = stored(next(v for v in VALID if v["name"] == "valid-recalled-lot"))
    # The grade 1 oranges were packed for sale, failed a residue test, and the inspector
    # recalled the harvest they came from: the recall reaches the lot through its own chain.
    assert (state["lot"], state["status"]) == ("OR26-MY-A", "recalled")
    assert state["status_reason"].startswith("抽检丙溴磷超标")
    assert state["status_record"] is not None
    assert [(a["lot"], a["status"], a["reason"]) for a in state["flagged_ancestors"]] == [
        ("OR26-MY-001", "recalled", state["status_reason"])]
    assert [(i["kind"], i["verdict"], i["report"]) for i in state["inspections"]] == [
        ("lab", "fail", "XXJC-2026-C1107")]
    assert [(r["analyte"], r["value"], r["limit"], r["verdict"])
            for r in state["inspections"][0]["results"]] == [
        ("丙溴磷 profenofos", "0.41", "0.2", "fail")]
    assert [(p["units"], p["net_weight_per_unit"]) for p in state["packed"]] == [(320, "5")]
    assert (state["quantity"], state["grade"]) == ("1600", "一级 Grade 1")


def test_the_tea_carries_its_organic_certificate_and_passed_lab_test() -> None:
    vector = next(v for v in VALID if v["name"] == "valid-certified-tea")
    state = stored(vector)
    assert (state["lot"], state["status"], state["quantity"]) == ("TEA26-BJ-001", "active",
                                                                  "180")
    [certificate] = state["certificates"]
    assert (certificate["scheme"], certificate["number"]) == ("organic", "ORG-HN-2026-0417")
    # Without a signed checkpoint time, validity is judged when the last record was logged:
    # the vectors are made with the clock of the day, the certificate runs to March 2027.
    bundle = json.loads((VECTORS / vector["file"]).read_text())
    logged = max(json.loads(base64.b64decode(e["record"]))["recorded"][:19]
                 for e in bundle["records"])
    assert certificate["valid"] is (certificate["valid_until"][:19] >= logged)
    assert [(i["kind"], i["verdict"], len(i["results"])) for i in state["inspections"]] == [
        ("lab", "pass", 2)]
