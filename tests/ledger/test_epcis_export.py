"""Exporting lots as EPCIS 2.0, on SQLite and PostgreSQL: every demo lot's lineage is a
document the official EPCIS JSON schema accepts, each event named by its CBV 2.0 hash id (as
the reference implementation computes it too) and carrying the record it comes from; a
correction is an error declaration with its corrective event; no household is named."""

from __future__ import annotations

import base64
import hashlib
import json
import warnings
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from ledger.application import Ledger
from ledger.cli import app as cli
from ledger.cli.context import open_log
from ledger.demo import seed_demo
from ledger.epcis.document import epcis_document, lineage_events
from ledger.epcis.eventhash import context_namespaces, event_hash_id
from tests.conftest import CONFORMANCE
from tests.journeys import COOP, kiwi_journey

SCHEMA = json.loads((CONFORMANCE / "epcis" / "EPCIS-JSON-Schema.json").read_text("utf-8"))
# The schema declares its draft ($schema: draft-07) and refers only within itself.
VALIDATOR = jsonschema.validators.validator_for(SCHEMA)(
    SCHEMA, format_checker=jsonschema.validators.validator_for(SCHEMA).FORMAT_CHECKER)


def _valid(document: dict[str, Any]) -> None:
    errors = [f"{list(error.absolute_path)}: {error.message[:200]}"
              for error in VALIDATOR.iter_errors(json.loads(json.dumps(document)))]
    assert not errors, errors[:5]


def _exported(ledger: Ledger, lot: str) -> dict[str, Any]:
    open_log(ledger).integrate()
    return epcis_document(lineage_events(ledger, lot))


def test_the_schema_refuses_what_is_not_epcis() -> None:
    # The check below must be able to fail: a unit outside UN/CEFACT's form is refused.
    bad = {"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
           "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-01-01T00:00:00Z",
           "epcisBody": {"eventList": [{"type": "ObjectEvent", "eventTime": "2026-01-01T00:00:00Z",
                                        "eventTimeZoneOffset": "+00:00", "action": "OBSERVE",
                                        "quantityList": [{"epcClass": "https://x.example/l",
                                                          "quantity": 1, "uom": "kg"}]}]}}
    assert list(VALIDATOR.iter_errors(bad))


def test_every_demo_lot_exports_a_schema_valid_lineage(ledger: Ledger) -> None:
    lots = seed_demo(ledger)
    open_log(ledger).integrate()
    for lot in lots:
        document = epcis_document(lineage_events(ledger, lot))
        _valid(document)
        events = document["epcisBody"]["eventList"]
        assert events, lot
        namespaces = context_namespaces(document["@context"])
        for event in events:
            # eventID is the event's own CBV 2.0 hash id: anyone can compute it again.
            assert event["eventID"] == event_hash_id(event, namespaces)
            # The record travels with the event; its hash is the one named beside it.
            raw = event["agritrace:record"].encode("utf-8")
            assert hashlib.sha256(raw).hexdigest() == event["agritrace:recordHash"]
            assert isinstance(event["agritrace:leafIndex"], int)
            assert len(base64.b64decode(event["agritrace:signature"])) == 64


def test_a_lineage_holds_its_ancestors_and_descendants_with_quantities(ledger: Ledger) -> None:
    kiwi_journey(ledger)
    events = _exported(ledger, "KC1")["epcisBody"]["eventList"]
    chains = {event["agritrace:chain"] for event in events}
    assert chains == {"lot/KH0", "lot/KH1", "lot/KH2", "lot/KC1", "lot/KG1", "lot/KG2"}
    by_step = {(event["type"], event.get("bizStep")): event for event in events}
    # Harvest: a commissioning ObjectEvent with the lot's quantity and origin as ILMD.
    harvest = next(e for e in events if e["agritrace:chain"] == "lot/KH0")
    assert harvest["quantityList"] == [{"epcClass": "http://127.0.0.1:8000/lots/KH0",
                                        "quantity": 100, "uom": "KGM"}]
    assert harvest["ilmd"]["cbvmda:countryOfOrigin"] == "CN"
    assert harvest["ilmd"]["agritrace:village"] == "西乡村"
    # Collection: three harvests in, the collected lot out.
    collection = by_step[("TransformationEvent", "commissioning")]
    assert [q["quantity"] for q in collection["inputQuantityList"]] == [100, 100, 100]
    assert collection["outputQuantityList"][0]["epcClass"].endswith("/lots/KC1")
    # Grading: the lot in, its grades out (200 + 90 and 10 lost).
    grading = by_step[("TransformationEvent", "inspecting")]
    assert grading["inputQuantityList"][0]["quantity"] == 300
    assert [q["quantity"] for q in grading["outputQuantityList"]] == [200, 90]
    # Packing: 40 boxes of 5 kg under the GTIN; from then on the lot is an LGTIN.
    packing = by_step[("TransformationEvent", "packing")]
    lgtin = "http://127.0.0.1:8000/01/06901234567892/10/KG1"
    assert packing["outputQuantityList"] == [{"epcClass": lgtin, "quantity": 40}]
    assert packing["inputQuantityList"][0]["quantity"] == 200
    shipping = by_step[("ObjectEvent", "shipping")]
    assert shipping["quantityList"][0]["epcClass"] == lgtin
    assert shipping["disposition"] == "in_transit"
    assert shipping["destinationList"] == [{"type": "possessing_party",
                                            "destination": "http://127.0.0.1:8000/orgs/platform-wh"}]
    assert shipping["bizTransactionList"][0]["type"] == "bol"
    storage = by_step[("ObjectEvent", "storing")]
    reports = [r for element in storage["sensorElementList"] for r in element["sensorReport"]]
    assert {r["uom"] for r in reports} == {"CEL"}


def test_households_travel_as_commitments_only(ledger: Ledger) -> None:
    kiwi_journey(ledger)
    text = json.dumps(_exported(ledger, "KC1"), ensure_ascii=False)
    for secret in ("HH-KH0", "HH-000", "张三"):
        assert secret not in text
    collection = next(e for e in _exported(ledger, "KC1")["epcisBody"]["eventList"]
                      if e["type"] == "TransformationEvent" and e["bizStep"] == "commissioning")
    commitments = [p["agritrace:householdCommitment"] for p in collection["agritrace:purchases"]]
    assert all(len(c) == 64 for c in commitments)


def test_a_correction_is_an_error_declaration_with_its_corrective_event(ledger: Ledger) -> None:
    kiwi_journey(ledger)
    original = ledger.lot_history("KH0")[0].record
    ledger.record(COOP, "Corrected", {"corrects": original.hash_hex, "reason": "称重有误",
                                      "values": {"quantity": "105"}}, lot="KH0")
    events = [e for e in _exported(ledger, "KH0")["epcisBody"]["eventList"]
              if e["agritrace:chain"] == "lot/KH0"]
    first, declared, corrective = events[0], events[-2], events[-1]
    assert declared["eventID"] == first["eventID"]  # the same event, declared in error
    assert declared["errorDeclaration"]["reason"] == "incorrect_data"
    assert declared["errorDeclaration"]["correctiveEventIDs"] == [corrective["eventID"]]
    assert corrective["quantityList"][0]["quantity"] == 105
    assert corrective["eventTime"] == first["eventTime"]
    _valid(epcis_document(events))


def test_event_ids_match_the_reference_implementation(ledger: Ledger, tmp_path: Path) -> None:
    from epcis_event_hash_generator.events_from_file_reader import event_list_from_file
    from epcis_event_hash_generator.hash_generator import epcis_hashes_from_events

    lots = seed_demo(ledger)
    open_log(ledger).integrate()
    for lot in lots:
        document = epcis_document(lineage_events(ledger, lot))
        path = tmp_path / f"{lot}.jsonld"
        path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
        ids = [event["eventID"] for event in document["epcisBody"]["eventList"]]
        with warnings.catch_warnings():  # its context loader uses a deprecated importlib call
            warnings.simplefilter("ignore", DeprecationWarning)
            assert epcis_hashes_from_events(event_list_from_file(str(path))) == ids


def test_export_epcis_writes_the_document_and_refuses_an_unknown_lot(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AGRITRACE_DB", raising=False)
    monkeypatch.delenv("AGRITRACE_MASTER_KEY", raising=False)
    monkeypatch.setenv("AGRITRACE_MASTER_KEY_FILE", str(tmp_path / "master-key"))
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    runner = CliRunner()
    seeded = runner.invoke(cli, ["demo", "--db", db])
    assert seeded.exit_code == 0, (seeded.stdout, seeded.stderr)
    out = tmp_path / "lot.jsonld"
    result = runner.invoke(cli, ["export-epcis", "KW26-SBD-G1", "-o", str(out), "--db", db])
    assert result.exit_code == 0, result.output
    _valid(json.loads(out.read_text(encoding="utf-8")))
    missing = runner.invoke(cli, ["export-epcis", "NO-SUCH", "-o", str(tmp_path / "x"),
                                  "--db", db])
    assert missing.exit_code == 3, missing.stderr  # a ledger error: no such lot
    assert "NO-SUCH" in missing.stderr
    assert "Traceback" not in missing.stderr
    assert not (tmp_path / "x").exists()
