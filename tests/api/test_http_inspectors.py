"""Stories of an inspector's office through the HTTP API, on SQLite and PostgreSQL: an inspector
who inspected a pack reads the private data of the pack's whole lineage (which households
supplied it, at what price), each value labelled with its record and field, and the read is
itself a signed record in the log that verifies like any other; an inspector without an
inspection is refused, naming it; a cooperative erases one household everywhere at once, and
its values are in no answer and no table while every chain still verifies."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, MetaData, select

from api.services import services_of
from ledger.inspection import READ_STEP
from ledger.records_audit import audit_store
from tests.api.test_http_helpers import (  # noqa: F401 - fixtures
    ADMIN,
    OTHER,
    PACKING,
    Api,
    api_fixture,
    grading_body,
    log_key_file_fixture,
)
from tests.journeys import COOP, INSPECTOR, KIWI, ORIGIN, PLATFORM
from verify.bundle import Bundle
from verify.commitments import verify_commitment
from verify.notes import Verifier
from verify.records import Record
from verify.verification import verify_bundle

ROOT = Path(__file__).resolve().parents[2]
SECOND_INSPECTOR = "insp-jishou"  # another office, which inspected nothing
# Three households of the cooperative's register, each harvesting one lot.
HOUSEHOLDS = {
    "KH0": ("430523-HH-0007", "石光明", "6.80"),
    "KH1": ("430523-HH-0011", "龙秀英", "6.50"),
    "KH2": ("430523-HH-0023", "施成林", "5.90"),
}
ERASED_ID, ERASED_NAME, _ = HOUSEHOLDS["KH0"]


def _register_second_inspector(api: Api) -> None:
    admin = api.headers(ADMIN)
    api.ok(api.client.post("/orgs", json={"org": SECOND_INSPECTOR, "name": "吉首市市场监督管理局",
                                          "roles": ["inspector"]}, headers=admin))
    issued = api.ok(api.client.post(f"/orgs/{SECOND_INSPECTOR}/tokens",
                                    json={"label": "test"}, headers=admin))
    api.tokens[SECOND_INSPECTOR] = issued["token"]


def _supply_chain(api: Api) -> str:
    """Households harvest, the cooperative collects, grades and packs; the inspector inspects
    the pack. Returns the inspection's hash."""
    for lot, (household, name, _) in HOUSEHOLDS.items():
        api.ok(api.post(COOP, f"/orgs/{COOP}/households", {
            "name": name, "village": "西乡村", "household_id": household,
            "formerly_poor": lot != "KH2"}))
        api.ok(api.post(COOP, f"/lots/{lot}/harvest", {
            "product": KIWI, "quantity": "100", "unit": "kg", "origin": ORIGIN,
            "started": "2026-09-10T06:00:00+08:00", "ended": "2026-09-10T11:00:00+08:00",
            "harvester": f"{name}（采摘人）", "household": household}))
    api.ok(api.post(COOP, "/lots/KC1/collection", {
        "collection_point": "西乡村田头集货点", "time": "2026-09-10T14:00:00+08:00",
        "purchases": [{"lot": lot, "quantity": "100", "price_per_kg": price,
                       "protective_price_per_kg": "6.00", "household": household,
                       "registered_poor_household": lot != "KH2"}
                      for lot, (household, _, price) in HOUSEHOLDS.items()]}))
    api.ok(api.post(COOP, "/lots/KC1/grading", grading_body(
        {"KG1": ("一级", "200"), "KG2": ("二级", "90")}, loss="10")))
    api.ok(api.post(COOP, "/lots/KG1/packing", PACKING))
    inspected = api.ok(api.post(INSPECTOR, "/lots/KG1/inspection",
                                {"kind": "rapid-test", "verdict": "pass"}))
    digest: str = inspected["hash"]
    return digest


def _by_field(values: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(value["lot"], value["field"]): value for value in values}


def _verify_everything(api: Api, lot: str) -> Bundle:
    """Integrate the log; the lot's bundle verifies offline and the store audits clean."""
    log = services_of(api.client.app).log
    log.integrate()
    response = api.client.get(f"/lots/{lot}/bundle")
    assert response.status_code == 200, response.text
    bundle = Bundle.from_json(response.content)
    verify_bundle(bundle, [Verifier.from_vkey(api.client.get("/log/key").text.strip())])
    audit_store(api.ledger.store)
    log.audit()
    return bundle


def test_an_inspector_reads_the_lineage_and_the_read_is_in_the_log(api: Api,
                                                                   tmp_path: Path) -> None:
    inspection = _supply_chain(api)

    # The inspector who inspected the pack reads its private data and its ancestors'.
    read = api.ok(api.get(INSPECTOR, "/lots/KG1/private", inspection=inspection), 200)
    assert read["lots"] == ["KG1", "KC1", "KH0", "KH1", "KH2"]
    assert read["inspection"] == {"record": inspection, "lot": "KG1", "org": INSPECTOR,
                                  "time": read["inspection"]["time"]}
    values = _by_field(read["values"])
    # Which households supplied the collected lot, at what price, and who they are.
    collected = api.ledger.lot_history("KC1")[0].record
    for i, (lot, (household, name, price)) in enumerate(HOUSEHOLDS.items()):
        purchase = values[("KC1", f"data.purchases[{i}].household")]
        assert purchase["value"] == household
        assert (purchase["record"], purchase["chain"], purchase["seq"], purchase["type"]) == (
            collected.hash_hex, "lot/KC1", 0, "Collected")
        assert purchase["commitment"] == \
            collected.data["purchases"][i]["household"]["commitment"]
        verify_commitment(purchase["commitment"], household, bytes.fromhex(purchase["salt"]))
        assert (purchase["entry"]["lot"], purchase["entry"]["price_per_kg"]) == (
            lot, price.rstrip("0").rstrip("."))
        assert purchase["household"]["name"] == name
        # Each harvest's harvester and household, labelled with the harvest record.
        harvest = api.ledger.lot_history(lot)[0].record
        harvester = values[(lot, "data.harvester")]
        assert (harvester["record"], harvester["value"]) == (harvest.hash_hex, f"{name}（采摘人）")
        assert values[(lot, "data.household")]["value"] == household
    assert read["erased"] == []

    # The read is a signed record on the pack's chain: who, when, under which inspection,
    # which lots.
    access = read["access_record"]
    assert (access["chain"], access["type"]) == ("lot/KG1", READ_STEP)
    record = api.ledger.lot_history("KG1")[access["seq"]].record
    assert (record.hash_hex, record.org, record.type) == (access["record"], INSPECTOR, READ_STEP)
    assert record.data == {"inspection": inspection, "inspected_lot": "KG1",
                           "lots": ["KG1", "KC1", "KH0", "KH1", "KH2"]}
    for name, _, _ in HOUSEHOLDS.values():
        assert name.encode() not in record.raw
    # It is public, like every record: in the pack's history, and in the reads of every lot
    # it read (a harvest's too).
    history = api.ok(api.get(None, "/lots/KG1", limit=50), 200)["history"]
    assert history[-1]["type"] == READ_STEP
    for lot in ("KG1", "KH0"):
        reads = api.ok(api.get(None, f"/lots/{lot}/private/reads"), 200)["reads"]
        assert [(r["record"], r["org"], r["inspection"]) for r in reads] == [
            (access["record"], INSPECTOR, inspection)]
    assert api.ok(api.get(None, "/lots/KG2/private/reads"), 200)["reads"] == []

    # Reading again (by the lot, or by the inspection) records a read again.
    again = api.ok(api.get(INSPECTOR, f"/inspections/{inspection}/private"), 200)
    assert again["access_record"]["seq"] == access["seq"] + 1
    ancestor = api.ok(api.get(INSPECTOR, "/lots/KH1/private"), 200)
    assert ancestor["lots"] == ["KH1"]
    assert ancestor["access_record"]["chain"] == "lot/KH1"
    assert ancestor["inspection"]["record"] == inspection

    # Every chain, the pack's bundle (with its read records) and the whole log verify; the
    # command-line verifier and the browser's verifier agree.
    bundle = _verify_everything(api, "KG1")
    assert READ_STEP in {Record.from_bytes(entry.raw).type for entry in bundle.records}
    path, vkey = tmp_path / "KG1.bundle.json", tmp_path / "log.vkey"
    path.write_bytes(api.client.get("/lots/KG1/bundle").content)
    vkey.write_text(api.client.get("/log/key").text)
    checked = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "agritrace-verify"), str(path), "--log-key",
         vkey.read_text().strip(), "--json"], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert json.loads(checked.stdout)["valid"] is True
    _browser_verifier_accepts(path, vkey)


def _browser_verifier_accepts(bundle: Path, vkey: Path) -> None:
    """api/static/verify.js, the verifier the consumer page runs, under Node.js."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed; the browser verifier is tested in tests/e2e")
    script = (
        "import { readFileSync } from 'node:fs';"
        f"const m = await import({json.dumps((ROOT / 'api/static/verify.js').as_uri())});"
        f"const r = await m.verifyBundle(new Uint8Array(readFileSync({json.dumps(str(bundle))})),"
        f" {{logKeys: [readFileSync({json.dumps(str(vkey))}, 'utf8').trim()]}});"
        "console.log(JSON.stringify({lot: r.state.lot, status: r.state.status}));")
    ran = subprocess.run([node, "--input-type=module", "-e", script], capture_output=True,
                         text=True, check=False, timeout=60)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert json.loads(ran.stdout) == {"lot": "KG1", "status": "active"}


def test_a_read_without_the_right_is_refused_naming_the_inspection(api: Api) -> None:
    inspection = _supply_chain(api)
    _register_second_inspector(api)
    before = len(api.ledger.lot_history("KG1"))

    # Another inspector has inspected nothing: 403 naming the missing inspection.
    refused = api.get(SECOND_INSPECTOR, "/lots/KG1/private")
    assert refused.status_code == 403, refused.text
    assert refused.json()["field"] == "inspection"
    assert f"no inspection by {SECOND_INSPECTOR} of lot KG1 or a descendant" in \
        refused.json()["reason"]
    # Nor may it read under the first inspector's inspection.
    borrowed = api.get(SECOND_INSPECTOR, "/lots/KG1/private", inspection=inspection)
    assert borrowed.status_code == 403
    assert f"is an inspection by {INSPECTOR}" in borrowed.json()["reason"]
    assert api.get(SECOND_INSPECTOR, f"/inspections/{inspection}/private").status_code == 403
    # An inspection reaches back, never sideways: the sibling grade lot KG2 was not made into
    # the pack.
    sideways = api.get(INSPECTOR, "/lots/KG2/private", inspection=inspection)
    assert sideways.status_code == 403
    assert "is an inspection of lot KG1, which was not made from this lot" in \
        sideways.json()["reason"]
    assert "no inspection by insp-xx of lot KG2 or a descendant" in sideways.json()["reason"]
    # A record that is no inspection, and no record at all.
    packed = next(signed.record.hash_hex for signed in api.ledger.lot_history("KG1")
                  if signed.record.type == "Packed")
    other = api.get(INSPECTOR, "/lots/KG1/private", inspection=packed)
    assert "is a Packed record, not an inspection" in other.json()["reason"]
    nothing = api.get(INSPECTOR, "/lots/KG1/private", inspection="ab" * 32)
    assert nothing.status_code == 403
    assert "is no record" in nothing.json()["reason"]
    # Malformed: 400 naming the parameter. Admin tokens, the platform and the public: no.
    malformed = api.get(INSPECTOR, "/lots/KG1/private", inspection="xyz")
    assert malformed.status_code == 400, malformed.text
    assert "inspection" in malformed.json()["field"]
    assert api.get(ADMIN, "/lots/KG1/private").status_code == 403
    assert api.get(PLATFORM, "/lots/KG1/private").status_code == 403
    assert api.get(None, "/lots/KG1/private").status_code == 401
    assert api.get(INSPECTOR, "/lots/NOSUCH/private").status_code == 404
    # No refused read left a record, and none of them showed a value.
    assert len(api.ledger.lot_history("KG1")) == before
    for response in (refused, borrowed, sideways, other, nothing):
        assert ERASED_ID not in response.text

    # The cooperative reads its own lot's values as before, unrecorded and labelled.
    own = api.ok(api.get(COOP, "/lots/KC1/private"), 200)
    assert (own["inspection"], own["access_record"], own["lots"]) == (None, None, ["KC1"])
    assert {v["value"] for v in own["values"]} == {h for h, _, _ in HOUSEHOLDS.values()}
    assert api.get(OTHER, "/lots/KC1/private").status_code == 403
    assert len(api.ledger.lot_history("KC1")) == 2  # collected, graded: no read record


def _table_contents(engine: Engine) -> bytes:
    """Every row of every table in the store, as bytes, to search for a value."""
    metadata = MetaData()
    metadata.reflect(engine)
    found = bytearray()
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(select(table)):
                for value in row:
                    if isinstance(value, bytes | bytearray | memoryview):
                        found += bytes(value)
                    elif value is not None:
                        found += str(value).encode()
                    found += b"\x00"
    return bytes(found)


def test_a_household_is_erased_everywhere_in_one_request(api: Api) -> None:
    inspection = _supply_chain(api)
    before = api.ok(api.get(INSPECTOR, "/lots/KG1/private", inspection=inspection), 200)
    secrets = {value["commitment"]: (value["value"], value["salt"])
               for value in before["values"] if ERASED_ID in json.dumps(value)
               or ERASED_NAME in json.dumps(value, ensure_ascii=False)}
    assert len(secrets) == 3  # the purchase's household, the harvest's household and harvester

    # Neither another cooperative nor an inspector may erase the cooperative's household.
    for who in (OTHER, INSPECTOR):
        refused = api.client.delete(f"/orgs/{COOP}/households/{ERASED_ID}/private",
                                    headers=api.headers(who))
        assert refused.status_code == 403, refused.text
    # The cooperative erases it: the answer lists every value by record, field and
    # commitment; the register entry is among them.
    erased = api.client.delete(f"/orgs/{COOP}/households/{ERASED_ID}/private",
                               headers=api.headers(COOP))
    assert erased.status_code == 200, erased.text
    listed = {(e["chain"], e["field"]): e for e in erased.json()["erased"]}
    harvest = api.ledger.lot_history("KH0")[0].record
    collected = api.ledger.lot_history("KC1")[0].record
    assert set(listed) == {(f"hh/{COOP}", "register"), ("lot/KH0", "data.household"),
                           ("lot/KH0", "data.harvester"),
                           ("lot/KC1", "data.purchases[0].household")}
    assert listed[("lot/KH0", "data.harvester")]["record"] == harvest.hash_hex
    assert listed[("lot/KC1", "data.purchases[0].household")] == {
        "chain": "lot/KC1", "record": collected.hash_hex, "seq": 0, "type": "Collected",
        "field": "data.purchases[0].household",
        "commitment": collected.data["purchases"][0]["household"]["commitment"]}
    assert set(secrets) <= {e["commitment"] for e in erased.json()["erased"]}
    # A second request finds nothing left to erase.
    again = api.client.delete(f"/orgs/{COOP}/households/{ERASED_ID}/private",
                              headers=api.headers(ADMIN))
    assert again.status_code == 404, again.text

    # Its values are in no answer: the inspector's read lists the commitments as erased, the
    # cooperative's reads and register no longer hold them, nor any public view.
    after = api.ok(api.get(INSPECTOR, "/lots/KG1/private", inspection=inspection), 200)
    assert {e["commitment"] for e in after["erased"]} == set(secrets)
    answers = [after, api.ok(api.get(COOP, "/lots/KH0/private"), 200),
               api.ok(api.get(COOP, "/lots/KC1/private"), 200),
               api.ok(api.get(COOP, f"/orgs/{COOP}/households"), 200),
               api.ok(api.get(None, "/lots/KG1", limit=50), 200)]
    text = json.dumps(answers, ensure_ascii=False) + api.client.get("/lots/KG1/bundle").text
    for value, salt in secrets.values():
        assert value not in text
        assert salt not in text
    assert ERASED_NAME not in text
    assert api.ok(api.get(None, f"/orgs/{COOP}/households/count"), 200)["households"] == 2
    # The other households are untouched.
    assert {v["value"] for v in after["values"] if v["field"].endswith("household")} >= {
        "430523-HH-0011", "430523-HH-0023"}

    # In no table either (values as stored, and their salts).
    stored = _table_contents(api.ledger.store.engine)
    for value, salt in secrets.values():
        assert json.dumps(value, ensure_ascii=False).encode() not in stored
        assert bytes.fromhex(salt) not in stored
    assert ERASED_NAME.encode() not in stored
    assert b"430523-HH-0011" in stored  # the search looks where the values live

    # Every chain, bundle and the log still verify: the commitments stayed.
    assert collected.data["purchases"][0]["household"]["commitment"] in \
        api.client.get("/lots/KC1").text
    _verify_everything(api, "KG1")
    _verify_everything(api, "KH0")


@pytest.mark.parametrize(("household", "status", "field"), [
    ("x" * 41, 400, "household_id"),
    ("NOSUCH-HH", 404, "household_id"),
])
def test_erasing_an_unknown_or_malformed_household(api: Api, household: str, status: int,
                                                   field: str) -> None:
    _supply_chain(api)
    response = api.client.delete(f"/orgs/{COOP}/households/{household}/private",
                                 headers=api.headers(COOP))
    assert response.status_code == status, response.text
    assert field in response.json()["field"]
    unknown = api.client.delete("/orgs/no-such-org/households/HH-1/private",
                                headers=api.headers(ADMIN))
    assert unknown.status_code == 404, unknown.text
