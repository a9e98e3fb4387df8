"""Capturing EPCIS documents, on SQLite and PostgreSQL: an exported lineage captured into a
fresh store makes the same lots, quantities and lineage and exports again with the same event
ids (the demo data set, and random lineages by hypothesis); every official example gets its
expected answer; bad documents are refused with the field and reason, nothing written."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.application import Ledger
from ledger.demo import COOP as DEMO_COOP
from ledger.demo import COOP_PREFIX as DEMO_PREFIX
from ledger.demo import DEMO_ORGANISATIONS, seed_demo
from ledger.epcis.capture import capture, check_document, events_of
from ledger.epcis.document import epcis_document
from ledger.epcis.eventhash import event_hash_id
from ledger.epcis.inverse import step_of
from ledger.epcis.mapping import NAMESPACES
from ledger.epcis.source import EventSource
from ledger.errors import InvalidInput
from tests.conftest import CONFORMANCE
from tests.epcis_capture import capture_as_recorded, exported, lots_of, second_store
from tests.journeys import COOP, INSPECTOR, collect, grade, harvest, kiwi_journey, register_parties

EXAMPLES = CONFORMANCE / "epcis" / "examples"


def _count_records(ledger: Ledger) -> int:
    return sum(len(ledger.history(record.chain)) for record in ledger.chains("lot"))


# -- round trips ----------------------------------------------------------------------------


def test_the_demo_captured_into_a_fresh_store_exports_the_same_events(
        ledger: Ledger, db_url: str) -> None:
    lots = seed_demo(ledger)
    everything = exported(ledger, "KW26-SBD-C01") + exported(ledger, "TEA26-BJ-001") + \
        exported(ledger, "OR26-MY-001")
    with second_store(db_url) as fresh:
        # The fresh store knows the same organisations and the cooperative's GS1 prefix.
        for org in DEMO_ORGANISATIONS:
            fresh.register_organisation(org.org_id, name=org.name, roles=org.roles,
                                        contact=org.contact, region=org.region)
        fresh.register_prefix(DEMO_COOP, prefix=DEMO_PREFIX)
        jobs = capture_as_recorded(fresh, everything)
        assert [job.errors for job in jobs if not job.success] == []
        for lot in lots:
            assert [e["eventID"] for e in exported(fresh, lot)] == \
                [e["eventID"] for e in exported(ledger, lot)], lot
            assert lots_of(fresh, lot) == lots_of(ledger, lot), lot


@st.composite
def lineages(draw: st.DrawFn) -> dict[str, Any]:
    """Harvests → one collection → a grading into grade lots → packing some of one."""
    harvests = draw(st.lists(st.integers(20, 900), min_size=1, max_size=3))
    taken = [draw(st.integers(1, amount)) for amount in harvests]
    total = sum(taken)
    outputs = draw(st.integers(1, min(3, total)))
    cuts = sorted(draw(st.lists(st.integers(1, total - 1), min_size=outputs - 1,
                                max_size=outputs - 1, unique=True))) if outputs > 1 else []
    loss = draw(st.integers(0, max(0, min(cuts or [total]) - 1)))
    bounds = [0, *cuts, total]
    grades = [bounds[i + 1] - bounds[i] for i in range(outputs)]
    grades[-1] -= loss
    grades = [g for g in grades if g > 0] or [1]
    packed_units = draw(st.integers(0, grades[0] // 5))
    return {"harvests": harvests, "taken": taken, "grades": grades,
            "loss": total - sum(grades), "units": packed_units}


def _record_lineage(ledger: Ledger, plan: dict[str, Any]) -> None:
    register_parties(ledger)
    for i, amount in enumerate(plan["harvests"]):
        harvest(ledger, f"H{i}", quantity=str(amount), household=f"HH-{i}")
    collect(ledger, "C1", {f"H{i}": str(q) for i, q in enumerate(plan["taken"])})
    grade(ledger, "C1", {f"G{i}": (f"{i + 1}级", str(q)) for i, q in enumerate(plan["grades"])},
          loss=str(plan["loss"]))
    if plan["units"]:
        ledger.record(COOP, "Packed", {
            "packaging": "5 kg 箱", "units": plan["units"], "net_weight_per_unit": "5",
            "net_weight_unit": "kg", "gtin": "06901234567892"}, lot="G0",
            time="2026-09-11T08:00:00+08:00")


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(plan=lineages())
def test_any_lineage_round_trips(db_url: str, plan: dict[str, Any]) -> None:
    with second_store(db_url) as original, second_store(db_url) as fresh:
        _record_lineage(original, plan)
        events = exported(original, "C1")
        register_parties(fresh)
        assert all(job.success for job in capture_as_recorded(fresh, events))
        assert [e["eventID"] for e in exported(fresh, "C1")] == [e["eventID"] for e in events]
        assert lots_of(fresh, "C1") == lots_of(original, "C1")
        assert fresh.lot("C1").quantity == Decimal(sum(plan["taken"]))


# -- the official examples -------------------------------------------------------------------

# Why each official example is not captured. None names a lot of this ledger, and none could
# be made to by registering lots or organisations: their eventIDs are CBV hash ids that the
# reference implementation, like ours, does not reproduce from their content (they predate
# the final algorithm), and past that, each event is refused for the reason beside it.
EXPECTED: dict[str, tuple[str, list[str]]] = {
    "AssociationEvent-a.jsonld": ("eventID", ["AssociationEvent has no agritrace step"]),
    "EPCISQueryDocument.jsonld": ("eventID", ["is not a lot", "is not a lot"]),
    "ErrorDeclarationAndCorrectiveEvent.jsonld": ("is not a lot", []),
    "Example-TransactionEvents-2020_07_03y.jsonld": ("TransactionEvent has no agritrace step",
                                                     []),
    "Example_9.6.1-ObjectEvent-with-error-declaration.jsonld": ("eventID", [
        "is not a lot", "is not a lot"]),
    "Example_9.6.1-ObjectEvent.jsonld": ("eventID", ["is not a lot", "is not a lot"]),
    "Example_9.6.1-ObjectEventWithDigitalLink.jsonld": ("eventID", ["is not a lot",
                                                                    "is not a lot"]),
    "Example_9.6.2-ObjectEvent.jsonld": ("eventID", ["is not an organisation of this ledger"]),
    "Example_9.6.3-AggregationEvent.jsonld": ("eventID", ["AggregationEvent has no agritrace"]),
    "Example_9.6.4-TransformationEvent.jsonld": ("eventID", ["needs outputQuantityList"]),
    "PersistentDisposition-example.jsonld": ("eventID", ["is not a lot", "is not a lot"]),
    "SensorDataExample1.jsonld": ("eventID", ["is not a lot"]),
    "SensorDataExample13.jsonld": ("eventID", ["bizStep 'sensor_reporting'"]),
    "SensorDataExample3.jsonld": ("eventID", ["must name exactly one lot"]),
    "object_event_all_possible_fields.jsonld": ("with its corrective event", []),
    "transformation_event_all_possible_fields.jsonld": ("eventID", ["needs its quantity and "
                                                                    "its purchase"]),
}


def test_each_official_example_is_refused_with_its_reason(ledger: Ledger) -> None:
    register_parties(ledger)
    source = EventSource(ledger.store)
    assert sorted(EXPECTED) == sorted(path.name for path in EXAMPLES.glob("*.jsonld"))
    for name, (reason, mapped) in EXPECTED.items():
        document = json.loads((EXAMPLES / name).read_text("utf-8"))
        assert check_document(document) == [], name  # schema-valid: received
        job = capture(ledger, source, COOP, document)
        assert not job.success, name
        assert reason in " ".join(e.pointer + " " + e.reason for e in job.errors), \
            (name, job.errors)
        # What each event would map to past the hash check (the document is not changed).
        for event, expected in zip(events_of(document)[1], mapped, strict=False):
            with pytest.raises(InvalidInput) as refused:
                step_of(source.identities, event)
            assert expected in refused.value.reason, (name, refused.value.reason)
    assert _count_records(ledger) == 0  # nothing written


def test_a_captured_foreign_style_document_exports_back_equivalent(ledger: Ledger) -> None:
    """A document written by another system in EPCIS terms (LGTINs as URNs, CBV URNs, no
    agritrace provenance, no eventIDs) is captured; exported again it says the same: event
    types, lots and quantities, steps, dispositions and times."""
    kiwi_journey(ledger)  # the lots it speaks of exist; KG1 is packed under 06901234567892
    lgtin = "urn:epc:class:lgtin:6901234.056789.KG1"
    foreign = {"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
               "type": "EPCISDocument", "schemaVersion": "2.0",
               "creationDate": "2026-09-13T00:00:00Z", "epcisBody": {"eventList": [
                   {"type": "ObjectEvent", "eventTime": "2026-09-13T02:00:00Z",
                    "eventTimeZoneOffset": "+08:00", "action": "OBSERVE",
                    "bizStep": "urn:epcglobal:cbv:bizstep:inspecting",
                    "disposition": "urn:epcglobal:cbv:disp:conformant",
                    "quantityList": [{"epcClass": lgtin}],
                    "certificationInfo": "https://cert.example.org/audits/2026-0913"},
                   {"type": "ObjectEvent", "eventTime": "2026-09-13T03:00:00Z",
                    "eventTimeZoneOffset": "+08:00", "action": "OBSERVE",
                    "bizStep": "urn:epcglobal:cbv:bizstep:holding",
                    "disposition": "urn:epcglobal:cbv:disp:non_sellable_other",
                    "quantityList": [{"epcClass": lgtin}]}]}}
    foreign["@context"].append(dict(NAMESPACES))
    job = capture(ledger, EventSource(ledger.store), INSPECTOR, foreign)
    assert job.success, job.errors
    back = exported(ledger, "KG1")[-2:]
    for sent, got in zip(foreign["epcisBody"]["eventList"], back, strict=True):
        assert got["type"] == sent["type"]
        assert got["bizStep"] == sent["bizStep"].rsplit(":", 1)[1]
        assert got["disposition"] == sent["disposition"].rsplit(":", 1)[1]
        assert got["eventTime"] == sent["eventTime"]
        assert [q["epcClass"] for q in got["quantityList"]] == \
            ["http://127.0.0.1:8000/01/06901234567892/10/KG1"]
    assert ledger.history("lot/KG1")[-2].record.data["notes"] == \
        "https://cert.example.org/audits/2026-0913"
    assert ledger.lot("KG1").held


# -- refusals: reason and field, nothing written ---------------------------------------------


def _kiwi_document(ledger: Ledger) -> dict[str, Any]:
    kiwi_journey(ledger)
    return epcis_document(exported(ledger, "KG1"))


def _refusal(ledger: Ledger, document: dict[str, Any], org: str = COOP) -> list[tuple[str, str]]:
    before = _count_records(ledger)
    received = check_document(document)
    if received:
        return [(e.pointer, e.reason) for e in received]
    job = capture(ledger, EventSource(ledger.store), org, document)
    assert not job.success
    assert _count_records(ledger) == before  # nothing half-written
    return [(e.pointer, e.reason) for e in job.errors]


def test_bad_documents_are_refused_naming_the_event_field(ledger: Ledger) -> None:
    document = _kiwi_document(ledger)
    events = document["epcisBody"]["eventList"]
    # Against the schema: an action that is none of ADD, OBSERVE, DELETE.
    broken = copy.deepcopy(document)
    broken["epcisBody"]["eventList"][3]["action"] = "MOVE"
    assert _refusal(ledger, broken)[0][0].startswith("/epcisBody/eventList/3")
    # A hash id that is not the event's.
    tampered = copy.deepcopy(document)
    tampered["epcisBody"]["eventList"][0]["quantityList"][0]["quantity"] = 999
    assert _refusal(ledger, tampered)[0][0] == "/epcisBody/eventList/0/eventID"
    # An unknown business step (a URI of another vocabulary), with a matching id.
    unknown = copy.deepcopy(events[9])
    unknown["bizStep"] = "https://example.org/steps/polishing"
    unknown["eventID"] = event_hash_id({k: v for k, v in unknown.items() if k != "eventID"},
                                       NAMESPACES)
    found = _refusal(ledger, epcis_document([unknown]))
    assert found[0][0] == "/epcisBody/eventList/0/bizStep"
    assert "polishing" in found[0][1]
    # The same event twice in one document; and events this ledger already holds.
    assert "repeats event 0" in _refusal(ledger, epcis_document([events[9], events[9]]))[0][1]
    assert "already recorded" in _refusal(ledger, epcis_document([events[9]]))[0][1]
    # An instance (SGTIN) is not a lot.
    instance = copy.deepcopy(unknown)
    instance.update(bizStep="storing", epcList=["urn:epc:id:sgtin:6901234.056789.1"],
                    quantityList=[])
    instance.pop("eventID")
    assert "is not a lot" in _refusal(ledger, epcis_document([instance]))[0][1]


def test_events_for_lots_the_caller_does_not_hold_are_refused(ledger: Ledger) -> None:
    document = _kiwi_document(ledger)
    storing = copy.deepcopy(document["epcisBody"]["eventList"][10])  # KG1 stored by the coop
    storing.pop("eventID")
    storing["eventTime"] = "2026-09-13T01:00:00Z"
    storing["readPoint"] = {"id": "http://127.0.0.1:8000/orgs/platform-wh"}
    storing["bizLocation"] = {"id": "http://127.0.0.1:8000/orgs/platform-wh"}
    # Recorded by another organisation than the caller: refused before the ledger is asked.
    assert "records events as the caller" in _refusal(ledger, epcis_document([storing]))[0][1]
    # KG1 is the platform's since it received it: the cooperative no longer holds it.
    storing["readPoint"] = storing["bizLocation"] = {"id": "http://127.0.0.1:8000/orgs/"
                                                           + COOP}
    pointer, reason = _refusal(ledger, epcis_document([storing]))[0]
    assert pointer == "/epcisBody/eventList/0"
    assert "Stored of lot KG1 refused" in reason


def test_a_failing_event_leaves_the_earlier_ones_unrecorded(ledger: Ledger) -> None:
    register_parties(ledger)
    harvest(ledger, "H0")
    first = exported(ledger, "H0")[0]
    good = copy.deepcopy(first)
    good["quantityList"][0]["epcClass"] = good["quantityList"][0]["epcClass"][:-2] + "H9"
    good.pop("eventID")
    again = copy.deepcopy(good)  # H9 harvested twice: the second is refused by the ledger
    again["eventTime"] = "2026-09-10T04:00:00Z"
    assert "already" in " ".join(r for _, r in _refusal(ledger, epcis_document([good, again])))
    assert ledger.history("lot/H9") == []


def test_over_the_event_limit_is_413() -> None:
    event = {"type": "ObjectEvent", "eventTime": "2026-09-13T02:00:00Z",
             "eventTimeZoneOffset": "+08:00", "action": "OBSERVE", "epcList": []}
    document = epcis_document([event] * 1001)
    assert [e.status for e in check_document(document)] == [413]


def test_the_packaged_schema_is_the_vendored_one() -> None:
    packaged = Path(__file__).resolve().parents[2] / "ledger" / "epcis" / "schema" / \
        "EPCIS-JSON-Schema.json"
    assert packaged.read_bytes() == (CONFORMANCE / "epcis" / "EPCIS-JSON-Schema.json").read_bytes()
