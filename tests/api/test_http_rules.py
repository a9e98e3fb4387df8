"""Corrections that apply and domain rules that hold, told as stories over HTTP and the
command line on one store, on SQLite and PostgreSQL.

A harvest weighed wrong is corrected, and its new weight shows on the command line, in the
lot's JSON, on the consumer page, in the search and (through the packing's correction) on
the label sheet; the correction is corrected again. Packing more than a lot holds, shipping a
lot made from a held lot, an upside-down storage range and a certificate resting on a failed
lab test are refused, naming the rule and the records; a recalled grade lot and the lots made
from it get no certificate and no labels. Facts that break no rule but deserve a look (an
excursion, a price below the protective price) are recorded with a warning.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from ledger.cli import app as cli_app
from ledger.cli import context
from ledger.config import Settings
from tests.api.test_http_helpers import (  # noqa: F401 - fixtures
    CERTIFICATION,
    PACKING,
    SHIPMENT,
    Api,
    api_fixture,
    collection_body,
    grading_body,
    harvest_body,
    log_key_file_fixture,
)
from tests.journeys import COOP, INSPECTOR, PLATFORM

Run = Callable[..., Result]
JSON = {"Accept": "application/json"}
SERIALS = {"serial_first": 1, "serial_last": 62}


@pytest.fixture
def cli(api: Api, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Run:
    """``cli(*args, code=0)``: the ``agritrace`` command on the API's own store."""
    monkeypatch.setenv("AGRITRACE_MASTER_KEY", settings.master_key.hex())
    monkeypatch.delenv("AGRITRACE_DB", raising=False)
    monkeypatch.setattr(context.out, "width", 250)  # a history row on one line
    runner = CliRunner()

    def invoke(*args: str, code: int = 0) -> Result:
        result = runner.invoke(cli_app, [*args, "--db", settings.db_url])
        assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
        assert "Traceback" not in result.stderr
        return result

    return invoke


def _hash(answer: Any) -> str:
    digest: str = answer["hash"]
    return digest


def _refused(response: Any, status: int, rule: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["rule"] == rule, body
    return body


def _pdf_text(pdf: bytes, folder: Path) -> str:
    found = shutil.which("pdftotext")
    if found is None:
        pytest.skip("pdftotext is not installed (apt-get install poppler-utils)")
    source = folder / "sheet.pdf"
    source.write_bytes(pdf)
    done = subprocess.run([found, str(source), "-"], check=True, capture_output=True,
                          timeout=120)
    return done.stdout.decode()


def test_a_corrected_harvest_shows_its_new_weight_everywhere(api: Api, cli: Run,
                                                             tmp_path: Path) -> None:
    harvested = _hash(api.ok(api.post(COOP, "/lots/KH1/harvest",
                                      harvest_body(quantity="310.5"))))
    packed = _hash(api.ok(api.post(COOP, "/lots/KH1/packing", {
        **PACKING, "units": 62, **SERIALS})))  # 62 × 5 kg = 310 kg of 310.5 kg

    # Weighed again: 290 kg. Less than was packed: refused, naming both records.
    body = _refused(api.post(COOP, "/lots/KH1/correction", {
        "corrects": harvested, "reason": "复称重量有误", "values": {"quantity": "290"}}),
        409, "quantity-covers-use")
    assert body["field"] == "values.quantity"
    assert body["records"] == [harvested, packed]
    assert harvested in body["reason"]
    assert packed in body["reason"]
    assert len(api.ledger.lot_history("KH1")) == 2  # nothing written

    # The boxes held 4.5 kg each: the packing is corrected first, then the harvest.
    api.ok(api.post(COOP, "/lots/KH1/correction", {
        "corrects": packed, "reason": "每箱净重 4.5 kg", "values": {"net_weight_per_unit": "4.5"}}))
    first = _hash(api.ok(api.post(COOP, "/lots/KH1/correction", {
        "corrects": harvested, "reason": "复称重量有误", "values": {"quantity": "290"}})))
    # And the correction is corrected: 292.5 kg. It corrects the harvest, later values win.
    second = _hash(api.ok(api.post(COOP, "/lots/KH1/correction", {
        "corrects": first, "reason": "再次复称", "values": {"quantity": "292.5"}})))
    # Below the 279 kg packed, a correction of the correction is refused too.
    _refused(api.post(COOP, "/lots/KH1/correction", {
        "corrects": second, "reason": "x", "values": {"quantity": "270"}}),
        409, "quantity-covers-use")

    # The lot's JSON: the corrected state, and each correction from what to what.
    view = api.ok(api.get(None, "/lots/KH1"), 200)["lot"]
    assert (view["quantity"], view["remaining"], view["packed"]) == ("292.5", "292.5", "279")
    changes = [(c["original"], c["corrects"], c["changes"]) for c in view["corrections"]]
    assert changes == [
        (packed, packed, [{"field": "net_weight_per_unit", "from": "5", "to": "4.5"}]),
        (harvested, harvested, [{"field": "quantity", "from": "310.5", "to": "290"}]),
        (harvested, first, [{"field": "quantity", "from": "290", "to": "292.5"}])]

    # The command line: the state corrected; the history as recorded, with what changed.
    shown = cli("lot", "show", "KH1").stdout
    assert "292.5 of 292.5 kg left" in shown
    assert "quantity 290 → 292.5" in shown
    assert "quantity 310.5 → 290" in shown
    assert "已更正 corrected" in shown
    assert json.loads(cli("lot", "show", "KH1", "--json").stdout)["lot"]["quantity"] == "292.5"

    # The consumer page and its JSON.
    page = api.client.get("/lots/KH1/page", headers=JSON).json()
    assert page["quantity"] == "292.5"
    harvest_event, = (e for e in page["timeline"] if e["type"] == "Harvested")
    assert harvest_event["corrected"] is True
    assert {"key": "quantity", "value": "292.5 kg", "kind": "text"} in harvest_event["facts"]
    corrections = [e for e in page["timeline"] if e["type"] == "Corrected"]
    assert {"key": "quantity", "value": "290 kg → 292.5 kg", "kind": "text"} in \
        corrections[-1]["facts"]
    assert page["packing"]["net_weight_per_unit"] == "4.5"
    html = api.client.get("/lots/KH1/page?lang=en").text
    assert "4.5 kg" in html
    assert "310.5 kg → 290 kg" in html
    assert "Corrected later" in html

    # The label sheet says 4.5 kg.
    sheet = api.client.get("/lots/KH1/labels.pdf?count=1")
    assert sheet.status_code == 200
    text = _pdf_text(sheet.content, tmp_path)
    assert "Net 4.5 kg" in text
    assert "Net 5 kg" not in text

    # The search index has the corrected values too.
    api.ok(api.post(COOP, "/lots/KH1/correction", {
        "corrects": harvested, "reason": "品名录入错误",
        "values": {"product": {"name": "猕猴桃 红心", "variety": "红阳"}}}))
    found = api.ok(api.get(COOP, "/lots", product="红心"), 200)["lots"]
    assert [row["code"] for row in found] == ["KH1"]


def test_packing_more_than_the_lot_holds_is_refused(api: Api, cli: Run) -> None:
    api.ok(api.post(COOP, "/lots/KH0/harvest", harvest_body(quantity="300")))
    api.ok(api.post(COOP, "/lots/KH0/grading", grading_body(
        {"KG1": ("一级", "240"), "KG2": ("二级", "55")}, loss="5")))
    first = api.ledger.lot_history("KG1")[0].record.hash_hex

    # 60 × 5 kg = 300 kg of a 240 kg lot.
    body = _refused(api.post(COOP, "/lots/KG1/packing", {**PACKING, "units": 60}),
                    409, "pack-within-lot")
    assert body["field"] == "units"
    assert body["records"][0] == first
    assert "240 kg" in body["reason"]
    assert "60 × 5 kg = 300 kg" in body["reason"]
    refused = cli("record", "Packed", "--org", COOP, "--lot", "KG1", "--data", json.dumps(
        {k: v for k, v in {**PACKING, "units": 60}.items() if k != "time"}), code=3)
    assert "[rule pack-within-lot]" in refused.stderr
    assert "KG1" in refused.stderr
    assert len(api.ledger.lot_history("KG1")) == 1

    # 47 × 5 kg and 5 kg trimmed: exactly the lot. One more box, even of 斤, is too much.
    api.ok(api.post(COOP, "/lots/KG1/packing", {**PACKING, "units": 47, "loss": "5"}))
    _refused(api.post(COOP, "/lots/KG1/packing", {
        **PACKING, "units": 1, "net_weight_per_unit": "1", "net_weight_unit": "jin"}),
        409, "pack-within-lot")
    view = api.ok(api.get(None, "/lots/KG1"), 200)["lot"]
    assert (view["packed"], view["packing_loss"]) == ("235", "5")

    # 110 斤 = 55 kg: the whole of KG2.
    api.ok(api.post(COOP, "/lots/KG2/packing", {
        **PACKING, "units": 110, "net_weight_per_unit": "1", "net_weight_unit": "jin"}))

    # A lot counted in crates cannot be packed by weight: nothing to check the weight against.
    api.ok(api.post(COOP, "/lots/KH9/harvest", {**harvest_body(quantity="12"), "unit": "crate"}))
    body = _refused(api.post(COOP, "/lots/KH9/packing", PACKING), 409, "pack-within-lot")
    assert body["field"] == "net_weight_unit"


def test_a_recalled_grade_lot_gets_no_certificate_nor_labels(api: Api, cli: Run,
                                                             tmp_path: Path) -> None:
    api.ok(api.post(COOP, "/lots/KH0/harvest", harvest_body(quantity="300")))
    api.ok(api.post(COOP, "/lots/KH0/grading", grading_body(
        {"KG1": ("一级", "200"), "KG2": ("二级", "90")}, loss="10")))
    api.ok(api.post(COOP, "/lots/KG1/packing", {**PACKING, "units": 10}))  # 50 kg
    api.ok(api.post(COOP, "/lots/KG1/certification", CERTIFICATION))
    # Part of the grade lot is collected into a mixed lot, which is packed too.
    api.ok(api.post(COOP, "/lots/KM1/collection", {**collection_body({"KG1": "100"}),
                                                    "time": "2026-09-12T12:00:00+08:00"}))
    api.ok(api.post(COOP, "/lots/KM1/packing", {**PACKING, "units": 10,
                                                 "time": "2026-09-12T13:00:00+08:00"}))
    assert api.client.get("/lots/KM1/labels.pdf?count=1").status_code == 200

    recall = _hash(api.ok(api.post(INSPECTOR, "/lots/KG1/recall", {"reason": "农药残留超标"})))

    body = _refused(api.post(COOP, "/lots/KG1/certification", CERTIFICATION),
                    409, "lot-recalled")
    assert body["records"] == [recall]
    _refused(api.post(INSPECTOR, "/lots/KG1/certification", CERTIFICATION), 409,
             "lot-recalled")
    # Its labels, its certificate page, and the labels of the lot made from it.
    assert _refused(api.client.get("/lots/KG1/labels.pdf"), 409,
                    "lot-recalled")["records"] == [recall]
    _refused(api.client.get("/lots/KG1/certificate", headers=JSON), 409, "lot-recalled")
    page = api.client.get("/lots/KG1/certificate")
    assert page.status_code == 409
    assert "不予打印" in page.text
    assert "农药残留超标" in page.text
    assert api.client.get("/lots/KG1/certificate.pdf").status_code == 409
    body = _refused(api.client.get("/lots/KM1/labels.pdf"), 409, "ancestor-recalled")
    assert "made from lot KG1" in body["reason"]
    assert body["records"] == [recall]
    _refused(api.post(COOP, "/lots/KM1/certification", {
        **CERTIFICATION, "valid_from": "2026-09-12T14:00:00+08:00"}), 409, "lot-recalled")

    refused = cli("labels", "KM1", "-o", str(tmp_path / "l.pdf"), code=3)
    assert "[rule ancestor-recalled]" in refused.stderr
    refused = cli("certificate", "KG1", "-o", str(tmp_path / "c.pdf"), "--issue", COOP,
                  "--basis", "self-commitment", code=3)
    assert "[rule lot-recalled]" in refused.stderr
    assert not (tmp_path / "l.pdf").exists()
    assert not (tmp_path / "c.pdf").exists()


def test_a_hold_on_a_parent_stops_its_children(api: Api, cli: Run) -> None:
    api.ok(api.post(COOP, "/lots/KH0/harvest", harvest_body(quantity="300")))
    api.ok(api.post(COOP, "/lots/KH0/grading", grading_body(
        {"KG1": ("一级", "200"), "KG2": ("二级", "90")}, loss="10")))
    hold = _hash(api.ok(api.post(INSPECTOR, "/lots/KH0/hold", {"reason": "等待复检"})))

    body = _refused(api.post(COOP, "/lots/KG1/shipment", SHIPMENT), 409, "ancestor-held")
    assert body["records"] == [hold]
    assert "made from lot KH0" in body["reason"]
    assert hold in body["reason"]
    _refused(api.post(COOP, "/lots/KG1/packing", PACKING), 409, "ancestor-held")
    refused = cli("record", "Shipped", "--org", COOP, "--lot", "KG1", "--data", json.dumps(
        {k: v for k, v in SHIPMENT.items() if k != "time"}), code=3)
    assert "[rule ancestor-held]" in refused.stderr
    assert len(api.ledger.lot_history("KG1")) == 1
    # An inspection of the child is still recorded; once released, the child ships.
    api.ok(api.post(INSPECTOR, "/lots/KG1/inspection", {"kind": "visual", "verdict": "pass"}))
    api.ok(api.post(INSPECTOR, "/lots/KH0/release", {"reason": "复检合格"}))
    api.ok(api.post(COOP, "/lots/KG1/shipment", SHIPMENT))
    assert api.ledger.lot("KG1").in_transit_to == PLATFORM


def test_an_upside_down_storage_range_is_refused(api: Api) -> None:
    api.ok(api.post(COOP, "/lots/KH0/harvest", harvest_body()))
    storage = {"facility": "西乡冷库1号", "started": "2026-09-10T22:00:00+08:00",
               "target_min_c": "8", "target_max_c": "2"}
    body = _refused(api.post(COOP, "/lots/KH0/storage", storage), 422, "storage-range")
    assert body["field"] == "target_min_c"
    assert "target_max_c" in body["reason"]
    stored = _hash(api.ok(api.post(COOP, "/lots/KH0/storage",
                                   {**storage, "target_min_c": "0", "target_max_c": "4"})))
    # A correction is held to the same rule.
    body = _refused(api.post(COOP, "/lots/KH0/correction", {
        "corrects": stored, "reason": "x", "values": {"target_max_c": "-1"}}),
        422, "storage-range")
    assert body["field"] == "values.target_max_c"


def test_a_certificate_carries_its_content_and_rests_on_a_passed_test(api: Api) -> None:
    api.ok(api.post(COOP, "/lots/KH0/harvest", harvest_body(quantity="300")))
    lab = {"kind": "lab", "lab": "湘西州农产品质量检测中心", "report": "R-1"}
    failed = _hash(api.ok(api.post(INSPECTOR, "/lots/KH0/inspection",
                                   {**lab, "verdict": "fail"})))
    visual = _hash(api.ok(api.post(INSPECTOR, "/lots/KH0/inspection",
                                   {"kind": "visual", "verdict": "pass"})))
    passed = _hash(api.ok(api.post(INSPECTOR, "/lots/KH0/inspection",
                                   {**lab, "verdict": "pass", "report": "R-2"})))
    api.ok(api.post(COOP, "/lots/KH0/grading", grading_body({"KG1": ("一级", "300")}, "0")))
    test = {**CERTIFICATION, "basis": "commissioned-test"}

    without = {k: v for k, v in CERTIFICATION.items() if k not in ("basis", "contact")}
    assert _refused(api.post(COOP, "/lots/KG1/certification", without), 422,
                    "certificate-content")["field"] == "basis"
    assert _refused(api.post(COOP, "/lots/KG1/certification", {**without, "basis": "self-test"}),
                    422, "certificate-content")["field"] == "contact"
    assert _refused(api.post(COOP, "/lots/KG1/certification", test), 422,
                    "certificate-basis")["field"] == "basis_record"
    _refused(api.post(COOP, "/lots/KG1/certification", {**test, "basis_record": visual}),
             422, "certificate-basis")
    _refused(api.post(COOP, "/lots/KG1/certification", {**test, "basis_record": "ab" * 32}),
             422, "certificate-basis")
    body = _refused(api.post(COOP, "/lots/KG1/certification", {**test, "basis_record": failed}),
                    409, "certificate-basis-failed")
    assert body["records"] == [failed]
    assert "KH0" in body["reason"]
    assert len(api.ledger.lot_history("KG1")) == 1

    # The passed lab test of the harvest it was graded from.
    api.ok(api.post(COOP, "/lots/KG1/certification", {**test, "basis_record": passed}))
    issued = api.ledger.lot_history("KG1")[-1].record.data
    assert issued["commitment_text"].startswith("我承诺对生产销售的食用农产品")
    page = api.client.get("/lots/KG1/certificate?lang=en")
    assert page.status_code == 200
    for text in ("开具日期", "Issue date", "委托检测", "Commissioned test", passed, "300 kg"):
        assert text in page.text
    assert "有效期" not in page.text


def test_facts_outside_the_rules_of_thumb_are_recorded_with_a_warning(api: Api,
                                                                      cli: Run) -> None:
    api.ok(api.post(COOP, "/lots/KH0/harvest", harvest_body()))
    answer = api.ok(api.post(COOP, "/lots/KH0/storage", {
        "facility": "西乡冷库1号", "started": "2026-09-10T22:00:00+08:00",
        "target_min_c": "0", "target_max_c": "4",
        "readings": [{"at": "2026-09-11T06:00:00+08:00", "temp_c": "1.5"},
                     {"at": "2026-09-11T14:00:00+08:00", "temp_c": "6.2"}]}))
    (warning,) = answer["warnings"]
    assert warning["kind"] == "excursion"
    assert warning["record"] == answer["hash"]
    assert "6.2 °C" in warning["message"]
    assert "0–4 °C" in warning["message"]
    (excursion,) = api.ok(api.get(None, "/lots/KH0"), 200)["lot"]["excursions"]
    assert excursion == {"record": answer["hash"], "at": "2026-09-11T06:00:00Z",
                         "temp_c": "6.2", "target_min_c": "0", "target_max_c": "4"}
    shipped = cli("record", "Shipped", "--org", COOP, "--lot", "KH0", "--data", json.dumps(
        {**{k: v for k, v in SHIPMENT.items() if k != "time"}, "temp_c": "9"}))
    assert "⚠ 注意 warning" in shipped.stdout
    assert "9 °C" in shipped.stdout

    # Bought below the protective price: recorded as paid, flagged.
    api.ok(api.post(COOP, "/lots/KH1/harvest", harvest_body()))
    body = collection_body({"KH1": "100"})
    body["purchases"][0]["price_per_kg"] = "5.50"
    answer = api.ok(api.post(COOP, "/lots/KC1/collection", body))
    assert [w["kind"] for w in answer["warnings"]] == ["below-protective-price"]
    (flag,) = api.ok(api.get(None, "/lots/KC1"), 200)["lot"]["below_protective_price"]
    assert (flag["lot"], flag["price_per_kg"], flag["protective_price_per_kg"]) == (
        "KH1", "5.5", "6")
    assert "低于保护价" in cli("lot", "show", "KC1").stdout


def test_a_correction_is_checked_like_the_record_it_corrects(api: Api, cli: Run) -> None:
    harvested = _hash(api.ok(api.post(COOP, "/lots/KH0/harvest", harvest_body())))
    api.ok(api.post(COOP, "/lots/KC1/collection", collection_body({"KH0": "100"})))
    collected = api.ledger.lot_history("KH0")[1].record.hash_hex

    # Less than was collected from it: refused naming the harvest and the collection.
    body = _refused(api.post(COOP, "/lots/KH0/correction", {
        "corrects": harvested, "reason": "复称", "values": {"quantity": "90"}}),
        409, "quantity-covers-use")
    assert body["records"] == [harvested, collected]
    assert "collected into lot KC1" in body["reason"]
    # What a collection took is on both lots' chains: it is not corrected on one.
    assert _refused(api.post(COOP, "/lots/KH0/correction", {
        "corrects": collected, "reason": "x", "values": {"quantity": "90"}}),
        422, "correction-fixed")["field"] == "values.quantity"
    # By another organisation, of an unknown record, of an unknown field.
    body = _refused(api.post(PLATFORM, "/lots/KH0/correction", {
        "corrects": harvested, "reason": "x", "values": {"quantity": "100"}}),
        403, "correction-author")
    assert harvested in body["reason"]
    assert COOP in body["reason"]
    body = _refused(api.post(COOP, "/lots/KH0/correction", {
        "corrects": "ab" * 32, "reason": "x", "values": {"quantity": "100"}}),
        422, "correction-target")
    assert "ab" * 32 in body["reason"]
    refused = api.post(COOP, "/lots/KH0/correction", {
        "corrects": harvested, "reason": "x", "values": {"weight": "100"}})
    assert refused.status_code == 422
    assert refused.json()["field"] == "values.weight"
    refused = cli("record", "Corrected", "--org", PLATFORM, "--lot", "KH0", "--data",
                  json.dumps({"corrects": harvested, "reason": "x",
                              "values": {"quantity": "100"}}), code=3)
    assert "[rule correction-author]" in refused.stderr
    assert len(api.ledger.lot_history("KH0")) == 2  # nothing written
    # More than was collected is fine: 120 kg, 20 kg still left.
    api.ok(api.post(COOP, "/lots/KH0/correction", {
        "corrects": harvested, "reason": "复称", "values": {"quantity": "120"}}))
    assert api.ledger.lot("KH0").remaining == 20
