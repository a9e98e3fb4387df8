"""Stories through the HTTP API, on SQLite and PostgreSQL: a cooperative's kiwifruit from three
households' harvests to a platform's warehouse, then an inspector's recall; and an
organisation that signs its own records."""

from __future__ import annotations

import base64

from api.schemas import InclusionProofPublic
from api.services import services_of
from ledger.keys.signing import SigningKey
from ledger.recording.records import build_record, now
from ledger.records_audit import audit_store
from tests.api.test_http_helpers import (  # noqa: F401 - fixtures
    ADMIN,
    PACKING,
    PRE_COOLING,
    RECEIPT,
    SHIPMENT,
    STORAGE,
    Api,
    api_fixture,
    collection_body,
    grading_body,
    harvest_body,
    log_key_file_fixture,
)
from tests.journeys import COOP, INSPECTOR, KIWI, ORIGIN, PLATFORM, possession
from verify.bundle import Bundle
from verify.keys import encode_public_key, key_id
from verify.notes import Verifier
from verify.records import ZERO_HASH, Record
from verify.verification import verify_bundle


def test_kiwifruit_from_harvest_to_recall(api: Api) -> None:
    # Three households harvest; the cooperative records each harvest as a lot.
    for i in range(3):
        made = api.ok(api.post(COOP, f"/lots/KH{i}/harvest", harvest_body(household=f"HH-{i}")))
        assert made["records"][0]["type"] == "Harvested"
        assert made["leaf_index"] is None  # not integrated yet
    # Field collection merges them into KC1; grading splits KC1 into two grade lots.
    collected = api.ok(api.post(COOP, "/lots/KC1/collection",
                                collection_body({"KH0": "100", "KH1": "100", "KH2": "100"})))
    assert [r["chain"] for r in collected["records"]][-1] == "lot/KC1"
    assert collected["hash"] == collected["records"][-1]["hash"]  # the new lot's record
    graded = api.ok(api.post(COOP, "/lots/KC1/grading", grading_body(
        {"KG1": ("一级", "200"), "KG2": ("二级", "90")}, loss="10")))
    assert [r["chain"] for r in graded["records"]] == ["lot/KC1", "lot/KG1", "lot/KG2"]
    # KG1 is pre-cooled, stored and packed, then shipped to the platform, which receives it.
    for path, body in (("pre-cooling", PRE_COOLING), ("storage", STORAGE),
                       ("packing", PACKING), ("shipment", SHIPMENT)):
        api.ok(api.post(COOP, f"/lots/KG1/{path}", body))
    in_transit = api.ok(api.get(None, "/lots/KG1"), 200)["lot"]
    assert (in_transit["status"], in_transit["in_transit_to"]) == ("in-transit", PLATFORM)
    received = api.ok(api.post(PLATFORM, "/lots/KG1/receipt?wait=true", RECEIPT))
    # Waiting returns the leaf index and an inclusion proof against a signed checkpoint.
    proof = InclusionProofPublic.model_validate(received["records"][0]["inclusion"])
    assert received["leaf_index"] == proof.leaf_index
    assert proof.record_hash == received["hash"]

    # Anyone reads the lot: its summary and its history, page by page.
    page = api.ok(api.get(None, "/lots/KG1", limit=3), 200)
    assert page["lot"]["custodian"] == PLATFORM
    assert [r["type"] for r in page["history"]] == ["Graded", "PreCooled", "Stored"]
    rest = api.ok(api.client.get(page["next"]), 200)
    assert [r["type"] for r in rest["history"]] == ["Packed", "Shipped", "Received"]
    assert (rest["next"], rest["total"]) == (None, 6)
    found = api.ok(api.get(None, f"/records/{received['hash']}"), 200)
    assert (found["type"], found["leaf_index"]) == ("Received", proof.leaf_index)
    # Tracing back reaches every harvest; tracing forward names who holds each lot.
    back = api.ok(api.get(None, "/lots/KG1/trace/back"), 200)
    assert [lot["lot"] for lot in back["lots"]] == ["KG1", "KC1", "KH0", "KH1", "KH2"]
    forward = api.ok(api.get(PLATFORM, "/lots/KH1/trace/forward"), 200)["lots"]
    holders = {lot["lot"]: lot["custodian"] for lot in forward}
    assert holders == {"KH1": COOP, "KC1": COOP, "KG1": PLATFORM, "KG2": COOP}
    shipped = next(lot for lot in forward if lot["lot"] == "KG1")["shipments"]
    assert shipped[0]["to"] == PLATFORM
    assert shipped[0]["received"] is not None

    # The inspector tests the collected lot, reads the households behind its commitments,
    # and recalls it: the recall reaches every lot made from it.
    api.ok(api.post(INSPECTOR, "/lots/KC1/inspection", {"kind": "lab", "verdict": "fail"}))
    private = api.ok(api.get(INSPECTOR, "/lots/KC1/private"), 200)["values"]
    assert {value["value"] for value in private if value["lot"] == "KC1"} == {
        "HH-KH0", "HH-KH1", "HH-KH2"}
    assert "HH-KH0" not in api.get(None, "/lots/KC1").text  # the public sees commitments
    recall = api.ok(api.post(INSPECTOR, "/lots/KC1/recall", {"reason": "农药残留超标"}))
    assert [r["chain"] for r in recall["records"]] == ["lot/KC1", "lot/KG1", "lot/KG2"]
    for ref in (recall["hash"], recall["records"][1]["hash"], "KG2", "KC1"):
        reach = api.ok(api.get(INSPECTOR, f"/recalls/{ref}"), 200)
        assert (reach["recall"], reach["lot"]) == (recall["hash"], "KC1")
        assert {lot["lot"] for lot in reach["lots"]} == {"KC1", "KG1", "KG2"}
        assert {h["org"]: h["holds"] for h in reach["holders"]} == {
            COOP: ["KG2"], PLATFORM: ["KG1"]}
    # Handling a recalled lot is refused with the reason.
    refused = api.post(PLATFORM, "/lots/KG1/storage", STORAGE)
    assert refused.status_code == 409
    assert refused.json()["error"] == "LotRecalled"
    searched = api.ok(api.get(PLATFORM, "/lots", status="recalled", county="凤凰县"), 200)
    assert {row["code"] for row in searched["lots"]} == {"KC1", "KG1", "KG2"}

    # The lot's bundle verifies offline, and the whole store audits clean.
    services_of(api.client.app).log.integrate()  # type: ignore[arg-type]
    bundle = api.client.get("/lots/KG1/bundle")
    vkey = api.client.get("/log/key").text.strip()
    verify_bundle(Bundle.from_json(bundle.content), [Verifier.from_vkey(vkey)])
    audit_store(api.ledger.store)


def test_an_organisation_signs_its_own_records(api: Api) -> None:
    # The cooperative registers a key it holds itself, then submits a signed harvest.
    key = SigningKey.generate()
    api.ok(api.post(COOP, f"/orgs/{COOP}/keys",
                    {"public_key": encode_public_key(key.public_key),
                     "possession": base64.b64encode(possession(key)).decode()}))
    recorded = now()
    data = {"product": KIWI, "quantity": "50", "unit": "kg", "origin": ORIGIN,
            "started": "2026-09-10T06:00:00Z", "ended": "2026-09-10T11:00:00Z"}
    record = build_record(chain="lot/CS1", seq=0, prev=ZERO_HASH, links=(), step="Harvested",
                          data=data, org=COOP, key=key_id(key.public_key),
                          time="2026-09-10T11:00:00Z", recorded=recorded)

    def submission(*records: Record) -> dict[str, object]:
        return {"records": [{"record": base64.b64encode(r.raw).decode(),
                             "signature": base64.b64encode(key.sign_record(r)).decode()}
                            for r in records]}

    # Another organisation's token cannot submit the cooperative's records.
    assert api.post(PLATFORM, "/records/signed", submission(record)).status_code == 403
    stored = api.ok(api.post(COOP, "/records/signed", submission(record)))
    assert stored["hash"] == record.hash_hex
    assert api.ledger.lot_history("CS1")[0].record.raw == record.raw

    # A record built on a head that has moved on is a conflict naming the current head.
    api.ok(api.post(COOP, "/lots/CS1/storage", STORAGE))
    stale = build_record(chain="lot/CS1", seq=1, prev=record.hash, links=(), step="Stored",
                         data={"facility": "冷库", "started": "2026-09-10T12:00:00Z"},
                         org=COOP, key=key_id(key.public_key), time="2026-09-10T12:00:00Z",
                         recorded=recorded)
    conflict = api.post(COOP, "/records/signed", submission(stale))
    assert conflict.status_code == 409
    assert conflict.json()["head"] == api.ledger.lot("CS1").head.hex()
    assert conflict.json()["chain"] == "lot/CS1"
    # The admin issues and revokes tokens; a revoked token is refused with the reason.
    issued = api.ok(api.post(ADMIN, f"/orgs/{COOP}/tokens", {"label": "phone"}))
    api.tokens["phone"] = issued["token"]
    assert api.get("phone", "/whoami").json()["org"] == COOP
    assert api.client.delete(f"/tokens/{issued['token_id']}",
                             headers=api.headers(COOP)).status_code == 204
    refused = api.get("phone", "/whoami")
    assert (refused.status_code, refused.json()["reason"]) == (401, "token was revoked")
    audit_store(api.ledger.store)
