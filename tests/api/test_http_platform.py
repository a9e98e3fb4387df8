"""Stories of an e-commerce platform verifying its sellers' listings over HTTP, on SQLite and
PostgreSQL: one call for many listings, a signed verdict per listing that checks offline with
``agritrace-verify verdict``, and bad input answered row by row."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.api.test_http_helpers import (  # noqa: F401 - fixtures
    ADMIN,
    Api,
    api_fixture,
    log_key_file_fixture,
)
from tests.journeys import COOP, PLATFORM
from tests.platform_journeys import OTHER_GTIN, hold, listing, packed_kiwifruit, recall
from verify.__main__ import main as verify_main
from verify.notes import Verifier, open_note
from verify.verdicts import HEADER

VERIFY = "/platform/listings/verify"


def verify_listings(api: Api, body: Any, who: str = PLATFORM, **params: str) -> Any:
    response = api.client.post(VERIFY, json=body, params=params, headers=api.headers(who))
    return api.ok(response, 200)


def by_id(answer: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["listing_id"]: item for item in answer["listings"]}


def test_a_platform_verifies_its_listings_in_one_call(api: Api) -> None:
    packed_kiwifruit(api.ledger)
    # The platform sends four listings: a correct one, a wrong grade, an unknown GTIN and
    # a lot nobody registered.
    answer = verify_listings(api, {"listings": [
        listing("ok-1"),
        listing("grade-2", grade="特级"),
        listing("fake-gtin", gtin=OTHER_GTIN),
        listing("fake-lot", lot="NOPE1"),
    ]})
    found = by_id(answer)
    assert found["ok-1"]["verdict"] == "ok"
    assert found["ok-1"]["mismatches"] == []
    # A wrong grade is a mismatch naming the grade and what the records say.
    assert found["grade-2"]["verdict"] == "mismatch"
    assert found["grade-2"]["mismatches"] == [
        {"field": "grade", "claimed": "特级", "recorded": "一级"}]
    # An unregistered GTIN or lot is unknown: possibly counterfeit.
    assert found["fake-gtin"]["verdict"] == "unknown"
    assert OTHER_GTIN in found["fake-gtin"]["unknown"]
    assert found["fake-lot"]["verdict"] == "unknown"
    assert found["fake-lot"]["lot"] is None
    assert answer["counts"] == {"unknown": 2, "recalled": 0, "held": 0, "expired": 0,
                                "mismatch": 1, "ok": 1}
    # The lot's verified state comes with the answer, once per lot.
    assert set(answer["lots"]) == {"KG1"}
    state = answer["lots"]["KG1"]["state"]
    assert (state["lot"], state["status"], state["grade"]) == ("KG1", "active", "一级")
    # Each verdict is a note signed by the key published at the well-known URL.
    published = api.client.get("/.well-known/agritrace/verdict-key")
    assert published.status_code == 200
    key = Verifier.from_vkey(published.text.strip())
    assert published.headers["Agritrace-Verdict-Org"] == answer["verdict_key_org"]
    note = open_note(found["grade-2"]["note"], [key])
    header, body = note.text.splitlines()
    assert header == HEADER
    signed = json.loads(body)
    assert (signed["listing_id"], signed["verdict"], signed["lot"]) == ("grade-2", "mismatch",
                                                                         "KG1")
    assert signed["checkpoint"] == found["grade-2"]["checkpoint"]
    assert signed["bundle_sha256"] == answer["lots"]["KG1"]["bundle_sha256"]
    # ... and the verdict key is a record in the log, of the organisation it names.
    org = api.ok(api.get(None, f"/orgs/{answer['verdict_key_org']}"), 200)
    assert org["org"] == answer["verdict_key_org"]


def test_a_pack_whose_grade_lot_parent_was_recalled_is_recalled_naming_it(api: Api) -> None:
    packed_kiwifruit(api.ledger)
    recall(api.ledger, "KC1")  # the collected lot KG1 was graded from
    found = by_id(verify_listings(api, listing("pack-1", grade="特级")))["pack-1"]
    assert found["verdict"] == "recalled"
    assert found["status"]["status"] == "recalled"
    assert [a["lot"] for a in found["status"]["ancestors"]] == ["KC1"]
    assert "抽检不合格" in found["status"]["reason"]
    # A recall outranks a mismatch, which is still listed.
    assert [m["field"] for m in found["mismatches"]] == ["grade"]


def test_a_held_ancestor_makes_the_listing_held(api: Api) -> None:
    packed_kiwifruit(api.ledger)
    hold(api.ledger, "KH1")
    found = by_id(verify_listings(api, listing("pack-1")))["pack-1"]
    assert found["verdict"] == "held"
    assert [(a["lot"], a["status"]) for a in found["status"]["ancestors"]] == [("KH1", "held")]


def test_past_best_before_is_expired_and_a_serial_finds_its_lot(api: Api) -> None:
    packed_kiwifruit(api.ledger)
    # KG2's best-before (2026-11-01) is past; the listing names its unit by GTIN and serial.
    unit = {"listing_id": "unit-45", "gtin": "06901234567892", "serial": "45"}
    found = by_id(verify_listings(api, {"listings": [
        unit, {**unit, "listing_id": "unit-99", "serial": "99"}]}))
    assert (found["unit-45"]["verdict"], found["unit-45"]["lot"]) == ("expired", "KG2")
    assert found["unit-45"]["best_before"] == "2026-11-01T00:00:00Z"
    assert found["unit-99"]["verdict"] == "unknown"


def test_listings_in_csv_with_a_header_row(api: Api) -> None:
    packed_kiwifruit(api.ledger)
    csv = ("listing_id,gtin,lot,product,province,county,grade,net_weight,certificates\r\n"
           "c-1,6901234567892,KG1,猕猴桃,湖南省,凤凰,一级,5 kg,承诺达标合格证\r\n"
           "c-2,6901234567892,KG1,猕猴桃,湖南省,凤凰,一级,2.5千克,有机\r\n")
    response = api.client.post(VERIFY, content=csv.encode("utf-8"),
                               headers=api.headers(PLATFORM, **{"Content-Type": "text/csv"}))
    found = by_id(api.ok(response, 200))
    assert found["c-1"]["verdict"] == "ok"
    assert found["c-2"]["verdict"] == "mismatch"
    assert {m["field"]: m["recorded"] for m in found["c-2"]["mismatches"]} == {
        "net_weight": "5 kg", "certificates": ["compliance-certificate"]}


def test_malformed_rows_get_errors_and_the_rest_verdicts(api: Api) -> None:
    packed_kiwifruit(api.ledger)
    answer = verify_listings(api, {"listings": [
        listing("good"),
        {"gtin": "06901234567892", "lot": "KG1"},  # no listing id
        listing("bad-gtin", gtin="06901234567893"),  # wrong check digit
        listing("bad-weight", net_weight="five"),
        listing("bad-cert", certificates=["gold medal"]),
        listing("extra", colour="red"),
        "not a listing",
    ]})
    assert [item["listing_id"] for item in answer["listings"]] == ["good"]
    errors = {(e["row"], e["field"]) for e in answer["errors"]}
    assert errors == {(2, "listing_id"), (3, "gtin"), (4, "net_weight"), (5, "certificates"),
                      (6, "colour"), (7, "listing")}
    assert all(e["reason"] for e in answer["errors"])


def test_over_ten_thousand_rows_is_413_naming_the_limit(api: Api) -> None:
    rows = [{"listing_id": f"l-{i}", "lot": "KG1"} for i in range(10_001)]
    response = api.client.post(VERIFY, json={"listings": rows}, headers=api.headers(PLATFORM))
    assert response.status_code == 413, response.text
    assert "10,000" in response.json()["reason"]
    csv = "listing_id,lot\n" + "".join(f"l-{i},KG1\n" for i in range(10_001))
    response = api.client.post(VERIFY, content=csv.encode(),
                               headers=api.headers(PLATFORM, **{"Content-Type": "text/csv"}))
    assert response.status_code == 413, response.text


def test_only_platforms_and_admins_verify_listings(api: Api) -> None:
    packed_kiwifruit(api.ledger)
    assert api.client.post(VERIFY, json=listing("x")).status_code == 401
    refused = api.client.post(VERIFY, json=listing("x"), headers=api.headers(COOP))
    assert refused.status_code == 403
    assert refused.json()["field"] == "authorization"
    assert verify_listings(api, listing("x"), who=ADMIN)["listings"][0]["verdict"] == "ok"


def test_the_signed_verdict_verifies_offline(api: Api, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    packed_kiwifruit(api.ledger)
    answer = verify_listings(api, {"listings": [listing("grade-2", grade="特级"),
                                                listing("fake", lot="NOPE1")]},
                             documents="true")
    verdict_key = tmp_path / "verdict.vkey"
    verdict_key.write_text(api.client.get("/.well-known/agritrace/verdict-key").text)
    log_key = tmp_path / "log.vkey"
    log_key.write_text(api.client.get("/log/key").text)
    keys = ["--verdict-key", str(verdict_key), "--log-key", str(log_key)]
    found = by_id(answer)
    document = tmp_path / "verdict.json"
    document.write_text(json.dumps(found["grade-2"]["document"], ensure_ascii=False))
    # The whole document: the verdict is recomputed from the bundle and the key is in the log.
    assert verify_main(["verdict", str(document), *keys, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["verdict"], result["recomputed"], result["key_in_log"]) == (
        "mismatch", True, True)
    # An unknown lot's verdict verifies on the service's signature alone, with a warning.
    unknown = tmp_path / "unknown.json"
    unknown.write_text(json.dumps(found["fake"]["document"]))
    assert verify_main(["verdict", str(unknown), *keys]) == 0
    assert "警告 warning" in capsys.readouterr().out
    # Tampered: the verdict re-signed claims nothing; a changed grade breaks the signature.
    tampered = dict(found["grade-2"]["document"])
    tampered["verdict"] = tampered["verdict"].replace('"verdict":"mismatch"', '"verdict":"ok"')
    document.write_text(json.dumps(tampered, ensure_ascii=False))
    assert verify_main(["verdict", str(document), *keys]) == 1
    assert "step 1" in capsys.readouterr().err
    # Another bundle than the one the verdict names fails step 3.
    swapped = dict(found["grade-2"]["document"])
    swapped["bundle"] = swapped["bundle"].replace('"lot":"KG1"', '"lot":"KG1" ')
    document.write_text(json.dumps(swapped, ensure_ascii=False))
    assert verify_main(["verdict", str(document), *keys]) == 1
    assert "step 3" in capsys.readouterr().err
    # Garbage is unreadable: exit 2.
    document.write_text("{not json")
    assert verify_main(["verdict", str(document), *keys]) == 2
