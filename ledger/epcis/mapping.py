"""Records as EPCIS 2.0 events with CBV 2.0 terms (the table is in docs/epcis.md).

Each lot record becomes one event; a correction becomes two, the error declaration of the
event it corrects (that event again, same eventID, with ``errorDeclaration``) and the
corrective event. Every event carries, as extensions in the agritrace namespace, the record
it comes from: its canonical JSON text (``agritrace:record``, whose SHA-256 is
``agritrace:recordHash``), signature, chain, seq and leaf index, so an EPCIS consumer can
check the event against the log, and a capture can take the record back unchanged. The
standard fields say the same in EPCIS terms: lots as LGTINs or class URIs
(``ledger.epcis.identities``), quantities with UN/CEFACT units, lineage as transformations,
temperatures as sensor reports. ``eventID`` is the event's CBV 2.0 hash id.

Household identities never appear: a purchase names its household by the commitment the
record holds.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from ledger.domain.fields import MASS_UNITS
from ledger.epcis.chains import ChainFacts, StoredEntry
from ledger.epcis.eventhash import event_hash_id
from ledger.epcis.identities import Identities, uom_quantity
from verify.records import Record

__all__ = ["CONTEXT", "EPCIS_CONTEXT", "NAMESPACE", "NAMESPACES", "Mapper"]

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
NAMESPACE = "https://ns.agritrace.org/epcis/"
NAMESPACES: Mapping[str, str] = {"agritrace": NAMESPACE, "cbvmda": "urn:epcglobal:cbv:mda:"}
CONTEXT: list[Any] = [EPCIS_CONTEXT, dict(NAMESPACES)]
ZONE = "+00:00"  # records hold UTC times

Event = dict[str, Any]
# The steps taken where the lot is: they name the recording organisation as the business
# location too; inspectors' steps and shipments do not.
_AT_THE_LOT = frozenset({"Harvested", "Collected", "Graded", "PreCooled", "Stored", "Packed",
                         "Received"})


def number(text: str | Decimal) -> int | float:
    """A decimal as a JSON number: an integer when whole (EPCIS quantities are numbers)."""
    value = Decimal(text)
    return int(value) if value == value.to_integral_value() else float(value)


class Mapper:
    """Maps the records of lot chains; ``facts`` gives a lot's chain by lot code."""

    def __init__(self, identities: Identities,
                 facts: Callable[[str, int], ChainFacts]) -> None:
        self.ids = identities
        self.facts = facts

    def events(self, entry: StoredEntry) -> list[Event]:
        """The events of one lot record, each with its ``eventID``."""
        record = entry.record
        chain = self.facts(record.subject, record.seq)
        if record.type == "Corrected":
            return self._correction(entry, chain)
        return [_named(self._event(record, record.data, entry, chain))]

    # -- one record ---------------------------------------------------------------------

    def _event(self, record: Record, data: Mapping[str, Any], entry: StoredEntry,
               chain: ChainFacts) -> Event:
        build = _BUILDERS.get((record.type, record.seq == 0)) or \
            _BUILDERS.get((record.type, False), _observed)
        event = build(self, record, data, chain)
        event["readPoint"] = {"id": self.ids.organisation(record.org)}
        if record.type in _AT_THE_LOT:
            event["bizLocation"] = {"id": self.ids.organisation(record.org)}
        event.update(self._provenance(entry))
        return event

    def _provenance(self, entry: StoredEntry) -> Event:
        record = entry.record
        return {
            "agritrace:recordHash": record.hash_hex,
            "agritrace:chain": record.chain,
            "agritrace:seq": record.seq,
            "agritrace:leafIndex": entry.leaf_index,
            "agritrace:signature": base64.b64encode(entry.signature).decode("ascii"),
            "agritrace:record": record.raw.decode("utf-8"),
        }

    def _correction(self, entry: StoredEntry, chain: ChainFacts) -> list[Event]:
        """The error declaration of the corrected event and the corrective event."""
        correction = entry.record
        original = chain.original(correction)
        if original is None:  # the ledger refuses such a correction; nothing to declare
            return [_named(self._observation(correction, entry))]
        source = chain.entries[original.seq]
        declared = _named(self._event(original, chain.effective(original, correction.seq - 1),
                                      source, chain))
        corrective = _named(self._event(original, chain.effective(original, correction.seq),
                                        entry, chain))
        declared["errorDeclaration"] = {
            "declarationTime": correction.time,
            "reason": "incorrect_data",
            "correctiveEventIDs": [corrective["eventID"]],
            "agritrace:reason": correction.data.get("reason", ""),
            "agritrace:correctionHash": correction.hash_hex,
        }
        return [declared, corrective]

    def _observation(self, record: Record, entry: StoredEntry) -> Event:
        event = self._common("ObjectEvent", record, action="OBSERVE")
        event["epcList"] = []
        event.update(self._provenance(entry))
        return event

    # -- the parts of events ----------------------------------------------------------

    def _common(self, kind: str, record: Record, *, action: str | None = None,
                biz_step: str | None = None, disposition: str | None = None) -> Event:
        event: Event = {"type": kind, "eventTime": record.time, "eventTimeZoneOffset": ZONE,
                        "recordTime": record.recorded}
        if action:
            event["action"] = action
        if biz_step:
            event["bizStep"] = biz_step
        if disposition:
            event["disposition"] = disposition
        return event

    def lot_uri(self, lot: str, seq: int) -> str:
        """``lot`` as it was once its record ``seq`` was recorded."""
        return self.ids.lot(lot, self.facts(lot, seq).gtin_after(seq))

    def _linked_seq(self, record: Record, lot: str) -> int:
        """The seq of ``lot``'s record that ``record`` links to (its last, if none)."""
        for reread in (False, True):
            facts = self.facts(lot, len(self.facts(lot, -1).entries) if reread else -1)
            for link in record.links:
                linked = facts.record(link.hex())
                if linked is not None:
                    return linked.seq
        return len(self.facts(lot, -1).entries) - 1

    def quantity(self, lot_uri: str, quantity: Any, unit: str) -> Event:
        element: Event = {"epcClass": lot_uri}
        if quantity is not None:
            amount, uom = uom_quantity(str(quantity), unit)
            element.update({"quantity": number(amount), "uom": uom})
        return element


def _named(event: Event) -> Event:
    """``event`` with its CBV 2.0 hash id as ``eventID``, placed after its type."""
    event.pop("eventID", None)
    identifier = event_hash_id(event, NAMESPACES)
    return {"type": event["type"], "eventID": identifier,
            **{key: value for key, value in event.items() if key != "type"}}


def _optional(target: Event, names: Mapping[str, str], data: Mapping[str, Any]) -> None:
    for field, name in names.items():
        if data.get(field) not in (None, ""):
            value = data[field]
            target[name] = value


def _ilmd_product(data: Mapping[str, Any]) -> Event:
    """The lot's product and origin as ILMD: CBV's countryOfOrigin, the rest in the agritrace
    namespace, part by part."""
    ilmd: Event = {"cbvmda:countryOfOrigin": "CN"}
    product = data.get("product") or {}
    _optional(ilmd, {"name": "agritrace:productName", "variety": "agritrace:variety",
                     "gtin": "agritrace:gtin"}, product)
    origin = data.get("origin") or {}
    for part in ("province", "city", "county", "township", "village", "base", "plot"):
        if origin.get(part):
            ilmd[f"agritrace:{part}"] = origin[part]
    for part in ("latitude", "longitude"):
        if origin.get(part):
            ilmd[f"agritrace:{part}"] = number(origin[part])
    return ilmd


def _harvested(m: Mapper, record: Record, data: Mapping[str, Any], chain: ChainFacts) -> Event:
    event = m._common("ObjectEvent", record, action="ADD", biz_step="commissioning",
                      disposition="active")
    event["quantityList"] = [m.quantity(m.lot_uri(chain.lot, 0), data.get("quantity"),
                                        str(data.get("unit", "kg")))]
    ilmd = _ilmd_product(data)
    _optional(ilmd, {"started": "agritrace:harvestStarted", "ended": "agritrace:harvestEnded"},
              data)
    event["ilmd"] = ilmd
    return event


def _collected_lot(m: Mapper, record: Record, data: Mapping[str, Any],
                   chain: ChainFacts) -> Event:
    """A collection: the household harvests in, the collected lot out; purchases name each
    household by its commitment only."""
    event = m._common("TransformationEvent", record, biz_step="commissioning",
                      disposition="active")
    inputs, purchases = [], []
    for purchase in data.get("purchases", []):
        lot = purchase["lot"]
        seq = m._linked_seq(record, lot)
        inputs.append(m.quantity(m.lot_uri(lot, seq), purchase.get("quantity"),
                                 m.facts(lot, seq).unit_after(seq)))
        entry: Event = {"agritrace:lot": lot,
                        "agritrace:pricePerKg": number(purchase["price_per_kg"]),
                        "agritrace:protectivePricePerKg":
                            number(purchase["protective_price_per_kg"])}
        household = purchase.get("household")
        if isinstance(household, Mapping) and "commitment" in household:
            entry["agritrace:householdCommitment"] = household["commitment"]
        if "registered_poor_household" in purchase:
            entry["agritrace:registeredPoorHousehold"] = purchase["registered_poor_household"]
        purchases.append(entry)
    event["inputQuantityList"] = inputs
    event["outputQuantityList"] = [m.quantity(m.lot_uri(chain.lot, 0), data.get("quantity"),
                                              str(data.get("unit", "kg")))]
    event["transformationID"] = m.lot_uri(chain.lot, 0)
    ilmd = _ilmd_product(data)
    _optional(ilmd, {"collection_point": "agritrace:collectionPoint"}, data)
    event["ilmd"] = ilmd
    event["agritrace:purchases"] = purchases
    return event


def _collected_from(m: Mapper, record: Record, data: Mapping[str, Any],
                    chain: ChainFacts) -> Event:
    """An input lot's side of a collection: how much of it went into the collected lot."""
    event = m._common("ObjectEvent", record, action="OBSERVE", biz_step="collecting")
    event["quantityList"] = [m.quantity(m.lot_uri(chain.lot, record.seq - 1),
                                        data.get("quantity"), chain.unit_after(record.seq))]
    event["agritrace:into"] = data.get("into", "")
    _optional(event, {"collection_point": "agritrace:collectionPoint"}, data)
    return event


def _graded(m: Mapper, record: Record, data: Mapping[str, Any], chain: ChainFacts) -> Event:
    """A grading: the lot in, its grade lots out, the loss in the agritrace namespace."""
    event = m._common("TransformationEvent", record, biz_step="inspecting",
                      disposition="conformant")
    unit = chain.unit_after(record.seq)
    outputs = data.get("outputs", [])
    total = sum((Decimal(output["quantity"]) for output in outputs), Decimal(0))
    total += Decimal(data.get("loss") or 0)
    event["inputQuantityList"] = [m.quantity(m.lot_uri(chain.lot, record.seq - 1), total, unit)]
    event["outputQuantityList"] = [
        m.quantity(m.lot_uri(output["lot"], 0), output["quantity"], unit) for output in outputs]
    event["transformationID"] = m.lot_uri(chain.lot, record.seq - 1) + "#graded"
    event["agritrace:standard"] = data.get("standard", "")
    event["agritrace:grades"] = [{"agritrace:lot": output["lot"],
                                  "agritrace:grade": output["grade"]} for output in outputs]
    if data.get("loss") is not None:
        event["agritrace:loss"] = number(data["loss"])
    return event


def _graded_lot(m: Mapper, record: Record, data: Mapping[str, Any],
                chain: ChainFacts) -> Event:
    """A grade lot coming into being from its graded lot."""
    event = m._common("ObjectEvent", record, action="ADD", biz_step="commissioning",
                      disposition="active")
    event["quantityList"] = [m.quantity(m.lot_uri(chain.lot, 0), data.get("quantity"),
                                        str(data.get("unit", "kg")))]
    ilmd = _ilmd_product(data)
    _optional(ilmd, {"grade": "agritrace:grade", "standard": "agritrace:standard",
                     "from": "agritrace:from"}, data)
    event["ilmd"] = ilmd
    return event


def _readings(readings: Any) -> list[Event]:
    elements = []
    for reading in readings or []:
        reports: list[Event] = [{"type": "Temperature", "value": number(reading["temp_c"]),
                                 "uom": "CEL"}]
        if reading.get("humidity_pct") is not None:
            reports.append({"type": "RelativeHumidity",
                            "value": number(reading["humidity_pct"]), "uom": "P1"})
        elements.append({"sensorMetadata": {"time": reading["at"]}, "sensorReport": reports})
    return elements


def _pre_cooled(m: Mapper, record: Record, data: Mapping[str, Any],
                chain: ChainFacts) -> Event:
    event = m._common("ObjectEvent", record, action="OBSERVE", biz_step="storing",
                      disposition="active")
    event["quantityList"] = [m.quantity(m.lot_uri(chain.lot, record.seq), None, "kg")]
    summary: Event = {"sensorMetadata": {"startTime": data["started"], "endTime": data["ended"]},
                      "sensorReport": [{"type": "Temperature",
                                        "value": number(data["reached_core_temp_c"]),
                                        "uom": "CEL"}]}
    event["sensorElementList"] = [summary, *_readings(data.get("readings"))]
    event["agritrace:method"] = data.get("method", "")
    event["agritrace:targetCoreTempC"] = number(data["target_core_temp_c"])
    _optional(event, {"facility": "agritrace:facility"}, data)
    return event


def _stored(m: Mapper, record: Record, data: Mapping[str, Any], chain: ChainFacts) -> Event:
    event = m._common("ObjectEvent", record, action="OBSERVE", biz_step="storing",
                      disposition="active")
    event["quantityList"] = [m.quantity(m.lot_uri(chain.lot, record.seq), None, "kg")]
    metadata: Event = {"startTime": data["started"]}
    if data.get("ended"):
        metadata["endTime"] = data["ended"]
    report: Event = {"type": "Temperature", "uom": "CEL"}
    for field, name in (("min_c", "minValue"), ("max_c", "maxValue"), ("mean_c", "meanValue")):
        if data.get(field) is not None:
            report[name] = number(data[field])
    elements = _readings(data.get("readings"))
    if len(report) > 2:
        elements.insert(0, {"sensorMetadata": metadata, "sensorReport": [report]})
    if elements:
        event["sensorElementList"] = elements
    event["agritrace:facility"] = data.get("facility", "")
    event["agritrace:storageStarted"] = data["started"]
    _optional(event, {"ended": "agritrace:storageEnded", "target_min_c": "agritrace:targetMinC",
                      "target_max_c": "agritrace:targetMaxC"}, data)
    for name in ("agritrace:targetMinC", "agritrace:targetMaxC"):
        if name in event:
            event[name] = number(event[name])
    return event


def _packed(m: Mapper, record: Record, data: Mapping[str, Any], chain: ChainFacts) -> Event:
    """Packing: the lot by weight in, packed units of its GTIN out."""
    event = m._common("TransformationEvent", record, biz_step="packing",
                      disposition="active")
    weight = Decimal(data["net_weight_per_unit"]) * int(data["units"])
    unit = data["net_weight_unit"]
    if unit == "g":
        weight, unit = weight * MASS_UNITS["g"], "kg"
    event["inputQuantityList"] = [m.quantity(m.lot_uri(chain.lot, record.seq - 1), weight, unit)]
    event["outputQuantityList"] = [{"epcClass": m.ids.lot(chain.lot, data["gtin"]),
                                    "quantity": int(data["units"])}]
    ilmd: Event = {"agritrace:packaging": data.get("packaging", ""),
                   "agritrace:netWeightPerUnit": number(data["net_weight_per_unit"]),
                   "agritrace:netWeightUnit": data["net_weight_unit"]}
    _optional(ilmd, {"best_before": "agritrace:bestBefore", "grade": "agritrace:grade",
                     "serial_first": "agritrace:serialFirst",
                     "serial_last": "agritrace:serialLast"}, data)
    event["ilmd"] = ilmd
    if data.get("loss") is not None:
        event["agritrace:loss"] = number(data["loss"])
    return event


def _moved(m: Mapper, record: Record, data: Mapping[str, Any], chain: ChainFacts, *,
           shipped: bool) -> Event:
    kind = ("shipping", "in_transit") if shipped else ("receiving", "in_progress")
    event = m._common("ObjectEvent", record, action="OBSERVE", biz_step=kind[0],
                      disposition=kind[1])
    event["quantityList"] = [m.quantity(m.lot_uri(chain.lot, record.seq), data.get("quantity"),
                                        chain.unit_after(record.seq))]
    sender = record.org if shipped else data["from"]
    receiver = data["to"] if shipped else record.org
    event["sourceList"] = [{"type": "possessing_party",
                            "source": m.ids.organisation(sender)}]
    event["destinationList"] = [{"type": "possessing_party",
                                 "destination": m.ids.organisation(receiver)}]
    documents = [{"type": kind_, "bizTransaction": m.ids.document(sender, kind_, data[field])}
                 for field, kind_ in (("waybill", "bol"), ("invoice", "inv")) if data.get(field)]
    if documents:
        event["bizTransactionList"] = documents
    if data.get("temp_c") is not None:
        event["sensorElementList"] = [{"sensorMetadata": {"time": record.time},
                                       "sensorReport": [{"type": "Temperature",
                                                         "value": number(data["temp_c"]),
                                                         "uom": "CEL"}]}]
    _optional(event, {"location": "agritrace:location", "to_location": "agritrace:toLocation",
                      "carrier": "agritrace:carrier", "vehicle": "agritrace:vehicle"}, data)
    return event


def _inspected(m: Mapper, record: Record, data: Mapping[str, Any],
               chain: ChainFacts) -> Event:
    verdict = "conformant" if data.get("verdict") == "pass" else "non_conformant"
    event = m._common("ObjectEvent", record, action="OBSERVE", biz_step="inspecting",
                      disposition=verdict)
    event["quantityList"] = [m.quantity(m.lot_uri(chain.lot, record.seq), None, "kg")]
    event["certificationInfo"] = m.ids.record(record.hash_hex)
    event["agritrace:kind"] = data.get("kind", "")
    event["agritrace:verdict"] = data.get("verdict", "")
    _optional(event, {"lab": "agritrace:lab", "report": "agritrace:report",
                      "notes": "agritrace:notes"}, data)
    results = []
    for result in data.get("results") or []:
        entry: Event = {"agritrace:analyte": result["analyte"],
                        "agritrace:value": number(result["value"]),
                        "agritrace:unit": result["unit"],
                        "agritrace:verdict": result["verdict"]}
        if result.get("limit") is not None:
            entry["agritrace:limit"] = number(result["limit"])
        _optional(entry, {"method_standard": "agritrace:methodStandard"}, result)
        results.append(entry)
    if results:
        event["agritrace:results"] = results
    return event


def _certified(m: Mapper, record: Record, data: Mapping[str, Any],
               chain: ChainFacts) -> Event:
    event = m._common("ObjectEvent", record, action="OBSERVE", biz_step="inspecting",
                      disposition="conformant")
    event["quantityList"] = [m.quantity(m.lot_uri(chain.lot, record.seq), None, "kg")]
    certificate = m.ids.certificate(chain.lot) if data.get("scheme") == \
        "compliance-certificate" else m.ids.record(record.hash_hex)
    event["certificationInfo"] = certificate
    _optional(event, {"scheme": "agritrace:scheme", "number": "agritrace:number",
                      "issuer": "agritrace:issuer", "valid_from": "agritrace:validFrom",
                      "valid_until": "agritrace:validUntil", "contact": "agritrace:contact",
                      "basis": "agritrace:basis", "basis_record": "agritrace:basisRecord",
                      "commitment_text": "agritrace:commitmentText"}, data)
    return event


def _status(m: Mapper, record: Record, data: Mapping[str, Any], chain: ChainFacts) -> Event:
    """Holds, releases and recalls, as CBV dispositions that stay with the lot."""
    disposition, persistent = {
        "Held": ("non_sellable_other", {"set": ["non_sellable_other"]}),
        "Released": ("active", {"unset": ["non_sellable_other"]}),
        "Recalled": ("recalled", {"set": ["recalled"]}),
    }[record.type]
    event = m._common("ObjectEvent", record, action="OBSERVE",
                      biz_step="inspecting" if record.type == "Released" else "holding",
                      disposition=disposition)
    event["quantityList"] = [m.quantity(m.lot_uri(chain.lot, record.seq), None, "kg")]
    event["persistentDisposition"] = persistent
    event["agritrace:reason"] = data.get("reason", "")
    _optional(event, {"recall": "agritrace:recall", "because_of": "agritrace:becauseOf"}, data)
    return event


def _observed(m: Mapper, record: Record, data: Mapping[str, Any], chain: ChainFacts) -> Event:
    """A record with no EPCIS counterpart of its own (an inspector's audit report): the lot
    observed by its recorder; what it says travels in ``agritrace:record``."""
    event = m._common("ObjectEvent", record, action="OBSERVE")
    event["quantityList"] = [m.quantity(m.lot_uri(chain.lot, record.seq), None, "kg")]
    event["agritrace:step"] = record.type
    return event


Builder = Callable[[Mapper, Record, Mapping[str, Any], ChainFacts], Event]
_BUILDERS: Mapping[tuple[str, bool], Builder] = {
    ("Harvested", True): _harvested,
    ("Collected", True): _collected_lot,
    ("Collected", False): _collected_from,
    ("Graded", True): _graded_lot,
    ("Graded", False): _graded,
    ("PreCooled", False): _pre_cooled,
    ("Stored", False): _stored,
    ("Packed", False): _packed,
    ("Shipped", False): lambda m, r, d, c: _moved(m, r, d, c, shipped=True),
    ("Received", False): lambda m, r, d, c: _moved(m, r, d, c, shipped=False),
    ("Inspected", False): _inspected,
    ("Certified", False): _certified,
    ("Held", False): _status,
    ("Released", False): _status,
    ("Recalled", False): _status,
}
