"""EPCIS 2.0 events back into agritrace steps: the inverse of ``ledger.epcis.mapping``.

Each event becomes one of:

* a ``Step`` to record (``Harvested``, ``Collected``, ``Graded``, ``PreCooled``, ``Stored``,
  ``Packed``, ``Shipped``, ``Received``, ``Inspected``, ``Certified``, ``Held``, ``Released``,
  ``Recalled``): the step, its lot and its data as a step's request gives them, and when it
  happened (the event time);
* a ``Part`` of a step the same document records: the records a step makes beside its own
  (an input lot's side of a collection, a grade lot coming from a grading, a recall reaching a
  descendant lot), which the ledger makes again when it records that step;
* a correction (an event carrying ``errorDeclaration``), read by ``ledger.epcis.capture``
  with its corrective event through ``step_of``.

Anything else raises ``InvalidInput`` naming the field of the event and why: an event type or
business step with no agritrace step, an identifier that is not a lot of this ledger, a
missing datum a step needs. The standard fields decide what happened; the agritrace extension
fields give what EPCIS has no field for (prices, grades, the standard graded to). The
fields naming where an exported copy was stored and signed (``agritrace:record``,
``…:signature``, ``…:leafIndex``) are never taken over: a record is signed by the
organisation that captures it, in this ledger.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

from ledger.epcis.epcuris import normalise_identifier
from ledger.epcis.identities import COUNT_UOM, MASS_UOM, Identities
from ledger.epcis.vocabulary import expand_term
from ledger.errors import InvalidInput

__all__ = ["Part", "Step", "bare_term", "step_of"]

Event = Mapping[str, Any]
_UNITS = {code: unit for unit, code in (*MASS_UOM.items(), *COUNT_UOM.items())}
_CANONICAL_LGTIN = "https://id.gs1.org/01/"
_ORIGIN = ("province", "city", "county", "township", "village", "base", "plot")


@dataclass(frozen=True)
class Step:
    """A step to record, as ``Ledger.record_step`` takes it."""

    step: str
    lot: str
    data: dict[str, Any]
    time: str
    # What the step makes beside its own record, each (step, lot): checked against the
    # document's parts.
    makes: frozenset[tuple[str, str]] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Part:
    """An event the ledger records as part of another step: ``(step, lot)``."""

    step: str
    lot: str
    by: str = ""  # a cascaded recall: the lot whose recall reached this one


def bare_term(path: str, value: Any) -> str:
    """A CBV term (bizStep, disposition, …) without its CBV prefix; a term of no CBV
    vocabulary comes back as given."""
    if not isinstance(value, str):
        return ""
    expanded = expand_term(path, value)
    for marker in ("/BizStep-", "/Disp-", "/BTT-", "/SDT-", "/ER-"):
        if marker in expanded:
            return expanded.rsplit(marker, 1)[1]
    for marker in (":bizstep:", ":disp:", ":btt:", ":sdt:", ":er:"):
        if marker in expanded:
            return expanded.rsplit(marker, 1)[1]
    return expanded


class _Reader:
    """One event's fields, read with errors naming them."""

    def __init__(self, ids: Identities, event: Event) -> None:
        self.ids = ids
        self.event = event

    def lot(self, uri: Any, where: str) -> str:
        """The lot code an EPC class names: this ledger's class URI or any LGTIN form."""
        if isinstance(uri, str):
            if uri.startswith(self.ids.lot_class):
                return unquote(uri[len(self.ids.lot_class):])
            canonical = normalise_identifier(uri) or ""
            if canonical.startswith(_CANONICAL_LGTIN):
                parts = canonical[len(_CANONICAL_LGTIN):].split("/")
                if len(parts) == 3 and parts[1] == "10":
                    return unquote(parts[2])
        raise InvalidInput(f"{uri!r} is not a lot: agritrace records lots, named by an LGTIN "
                           "or this ledger's lot class URI, not instances (SGTIN, SSCC) or "
                           "locations", field=where)

    def org(self, uri: Any, where: str) -> str:
        """The organisation of this ledger a party or location URI names."""
        prefix = self.ids.base + "/orgs/"
        if isinstance(uri, str) and uri.startswith(prefix) and "/" not in uri[len(prefix):]:
            return unquote(uri[len(prefix):])
        raise InvalidInput(f"{uri!r} is not an organisation of this ledger "
                           f"({prefix}ORG)", field=where)

    def quantity(self, name: str, index: int = 0) -> tuple[str, str | None, str | None]:
        """``(lot, quantity or None, unit or None)`` of a quantity list's element."""
        where = f"{name}/{index}"
        items = self.event.get(name)
        if not isinstance(items, list) or len(items) <= index:
            epcs = self.event.get("epcList") or []
            if name == "quantityList" and epcs:
                self.lot(epcs[0], "epcList/0")  # names why an instance is no lot
            raise InvalidInput(f"needs {name} naming the lot (an EPC class with its "
                               "quantity)", field=name)
        item = items[index]
        lot = self.lot(item.get("epcClass"), f"{where}/epcClass")
        if "quantity" not in item:
            return lot, None, None
        uom = item.get("uom")
        unit = None if uom is None else _UNITS.get(uom)
        if uom is not None and unit is None:
            raise InvalidInput(f"unit {uom!r} has no agritrace unit; one of "
                               f"{', '.join(sorted(_UNITS))}", field=f"{where}/uom")
        return lot, decimal_text(item["quantity"]), unit

    def only_lot(self, name: str = "quantityList") -> str:
        """The one lot an event is about; instances (``epcList``) are not lots."""
        items = self.event.get(name) or []
        if len(items) != 1:
            epcs = self.event.get("epcList") or []
            if epcs and not items:
                self.lot(epcs[0], "epcList/0")  # names why an instance is no lot
            raise InvalidInput(f"must name exactly one lot (it names {len(items)})",
                               field=name)
        return self.quantity(name)[0]

    def text(self, name: str, where: Mapping[str, Any] | None = None, *,
             pointer: str | None = None) -> str:
        source = self.event if where is None else where
        value = source.get(name)
        if not isinstance(value, str) or not value:
            raise InvalidInput(f"needs {name} (text) for this step", field=pointer or name)
        return value

    def sensor_temperature(self, element: Mapping[str, Any]) -> Any:
        for report in element.get("sensorReport") or []:
            if bare_term("type", report.get("type")) in ("Temperature",
                                                          "gs1:Temperature") \
                    and "value" in report:
                return decimal_text(report["value"])
        return None


def decimal_text(value: Any) -> str:
    """A JSON number as the decimal text agritrace records (no floats in records)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise InvalidInput("must be a number", field="quantity")
    text = str(Decimal(str(value)))
    return text


def _set(target: dict[str, Any], name: str, value: Any) -> None:
    if value not in (None, ""):
        target[name] = value


def _numbers(target: dict[str, Any], names: Mapping[str, str], source: Mapping[str, Any]) -> None:
    for name, key in names.items():
        if source.get(key) is not None:
            target[name] = decimal_text(source[key])


def _product_origin(ilmd: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    product: dict[str, Any] = {}
    _set(product, "name", ilmd.get("agritrace:productName"))
    _set(product, "variety", ilmd.get("agritrace:variety"))
    _set(product, "gtin", ilmd.get("agritrace:gtin"))
    origin: dict[str, Any] = {part: ilmd[f"agritrace:{part}"] for part in _ORIGIN
                              if ilmd.get(f"agritrace:{part}")}
    _numbers(origin, {"latitude": "agritrace:latitude", "longitude": "agritrace:longitude"},
             ilmd)
    if "name" not in product or not {"province", "city", "county"} <= set(origin):
        raise InvalidInput("a new lot needs its product (agritrace:productName) and origin "
                           "(agritrace:province, city, county) in ilmd", field="ilmd")
    return product, origin


def _readings(elements: list[Any]) -> list[dict[str, Any]]:
    readings = []
    for element in elements:
        time = (element.get("sensorMetadata") or {}).get("time")
        if not time:
            continue
        reading: dict[str, Any] = {"at": time}
        for report in element.get("sensorReport") or []:
            kind = bare_term("type", report.get("type")).removeprefix("gs1:")
            if kind == "Temperature" and "value" in report:
                reading["temp_c"] = decimal_text(report["value"])
            elif kind == "RelativeHumidity" and "value" in report:
                reading["humidity_pct"] = decimal_text(report["value"])
        if "temp_c" in reading:
            readings.append(reading)
    return readings


# -- one builder per kind of event --------------------------------------------------------


def _harvested(r: _Reader, time: str) -> Step | Part:
    ilmd = r.event.get("ilmd") or {}
    lot, quantity, unit = r.quantity("quantityList")
    if ilmd.get("agritrace:from"):  # a grade lot, made by the grading that names it
        return Part("Graded", lot)
    product, origin = _product_origin(ilmd)
    if quantity is None:
        raise InvalidInput("a harvest needs the quantity harvested", field="quantityList/0")
    data = {"product": product, "quantity": quantity, "unit": unit or "kg", "origin": origin,
            "started": ilmd.get("agritrace:harvestStarted") or time,
            "ended": ilmd.get("agritrace:harvestEnded") or time}
    return Step("Harvested", lot, data, time)


def _collected(r: _Reader, time: str) -> Step:
    into = r.quantity("outputQuantityList")[0]
    ilmd = r.event.get("ilmd") or {}
    prices = {entry.get("agritrace:lot"): entry
              for entry in r.event.get("agritrace:purchases") or []
              if isinstance(entry, Mapping)}
    purchases = []
    for i in range(len(r.event.get("inputQuantityList") or [])):
        lot, quantity, _ = r.quantity("inputQuantityList", i)
        entry = prices.get(lot)
        if entry is None or quantity is None:
            raise InvalidInput(f"input lot {lot} needs its quantity and its purchase "
                               "(agritrace:purchases: lot, pricePerKg, "
                               "protectivePricePerKg)", field=f"inputQuantityList/{i}")
        purchase: dict[str, Any] = {"lot": lot, "quantity": quantity}
        _numbers(purchase, {"price_per_kg": "agritrace:pricePerKg",
                            "protective_price_per_kg": "agritrace:protectivePricePerKg"}, entry)
        if entry.get("agritrace:householdCommitment"):
            purchase["household"] = {"commitment": entry["agritrace:householdCommitment"]}
        if "agritrace:registeredPoorHousehold" in entry:
            purchase["registered_poor_household"] = entry["agritrace:registeredPoorHousehold"]
        purchases.append(purchase)
    data = {"purchases": purchases,
            "collection_point": r.text("agritrace:collectionPoint", ilmd,
                                       pointer="ilmd/agritrace:collectionPoint")}
    return Step("Collected", into, data, time,
                frozenset(("Collected", str(purchase["lot"])) for purchase in purchases))


def _graded(r: _Reader, time: str) -> Step:
    lot = r.quantity("inputQuantityList")[0]
    grades = {entry.get("agritrace:lot"): entry.get("agritrace:grade")
              for entry in r.event.get("agritrace:grades") or [] if isinstance(entry, Mapping)}
    outputs = []
    for i in range(len(r.event.get("outputQuantityList") or [])):
        output, quantity, _ = r.quantity("outputQuantityList", i)
        if not grades.get(output) or quantity is None:
            raise InvalidInput(f"output lot {output} needs its quantity and its grade "
                               "(agritrace:grades: lot, grade)", field=f"outputQuantityList/{i}")
        outputs.append({"lot": output, "grade": grades[output], "quantity": quantity})
    data: dict[str, Any] = {"standard": r.text("agritrace:standard"), "outputs": outputs}
    _numbers(data, {"loss": "agritrace:loss"}, r.event)
    return Step("Graded", lot, data, time,
                frozenset(("Graded", str(output["lot"])) for output in outputs))


def _packed(r: _Reader, time: str) -> Step:
    lot, weight, unit = r.quantity("inputQuantityList")
    output, units, _ = r.quantity("outputQuantityList")
    if output != lot:
        raise InvalidInput(f"packing keeps the lot: output {output} is not input {lot}",
                           field="outputQuantityList/0/epcClass")
    gtin = (normalise_identifier(r.event["outputQuantityList"][0]["epcClass"]) or "")
    if not gtin.startswith(_CANONICAL_LGTIN) or units is None:
        raise InvalidInput("packing needs its output as an LGTIN (the GTIN packed under) with "
                           "the count of units", field="outputQuantityList/0")
    ilmd = r.event.get("ilmd") or {}
    data: dict[str, Any] = {"packaging": r.text("agritrace:packaging", ilmd,
                                                pointer="ilmd/agritrace:packaging"),
                            "units": int(Decimal(units)),
                            "gtin": gtin[len(_CANONICAL_LGTIN):].split("/")[0]}
    if ilmd.get("agritrace:netWeightPerUnit") is not None:
        data["net_weight_per_unit"] = decimal_text(ilmd["agritrace:netWeightPerUnit"])
        data["net_weight_unit"] = ilmd.get("agritrace:netWeightUnit", "kg")
    elif weight is not None and unit == "kg" and data["units"]:
        data["net_weight_per_unit"] = str(Decimal(weight) / data["units"])
        data["net_weight_unit"] = "kg"
    for name, key in (("best_before", "agritrace:bestBefore"), ("grade", "agritrace:grade"),
                      ("serial_first", "agritrace:serialFirst"),
                      ("serial_last", "agritrace:serialLast")):
        _set(data, name, ilmd.get(key))
    _numbers(data, {"loss": "agritrace:loss"}, r.event)
    return Step("Packed", lot, data, time)


def _stored(r: _Reader, time: str) -> Step:
    lot = r.only_lot()
    elements = [e for e in r.event.get("sensorElementList") or [] if isinstance(e, Mapping)]
    if r.event.get("agritrace:method"):
        summary = elements[0] if elements else {}
        metadata = summary.get("sensorMetadata") or {}
        data: dict[str, Any] = {
            "method": r.event["agritrace:method"],
            "started": metadata.get("startTime") or time, "ended": metadata.get("endTime") or time,
            "reached_core_temp_c": r.sensor_temperature(summary),
        }
        _numbers(data, {"target_core_temp_c": "agritrace:targetCoreTempC"}, r.event)
        _set(data, "facility", r.event.get("agritrace:facility"))
        _set(data, "readings", _readings(elements[1:]))
        return Step("PreCooled", lot, data, time)
    data = {"facility": r.text("agritrace:facility"),
            "started": r.event.get("agritrace:storageStarted") or time}
    _set(data, "ended", r.event.get("agritrace:storageEnded"))
    _numbers(data, {"target_min_c": "agritrace:targetMinC",
                    "target_max_c": "agritrace:targetMaxC"}, r.event)
    for element in elements:
        if (element.get("sensorMetadata") or {}).get("startTime"):
            for report in element.get("sensorReport") or []:
                _numbers(data, {"min_c": "minValue", "max_c": "maxValue", "mean_c": "meanValue"},
                         report)
    _set(data, "readings", _readings(elements))
    return Step("Stored", lot, data, time)


def _moved(r: _Reader, time: str, *, shipped: bool) -> Step:
    lot, quantity, _ = r.quantity("quantityList")
    parties = "destinationList" if shipped else "sourceList"
    key = "destination" if shipped else "source"
    listed = [p for p in r.event.get(parties) or [] if isinstance(p, Mapping)]
    if not listed:
        raise InvalidInput(f"needs the {key} organisation (a possessing or owning party)",
                           field=parties)
    data: dict[str, Any] = {("to" if shipped else "from"): r.org(listed[0].get(key),
                                                                 f"{parties}/0/{key}")}
    location = r.event.get("agritrace:location") or (r.event.get("bizLocation") or {}).get("id")
    data["location"] = location or (r.event.get("readPoint") or {}).get("id") or ""
    if shipped:
        data["to_location"] = r.event.get("agritrace:toLocation") or listed[0][key]
    _set(data, "quantity", quantity)
    for i, document in enumerate(r.event.get("bizTransactionList") or []):
        kind = bare_term("bizTransactionList.type", document.get("type"))
        name = {"bol": "waybill", "inv": "invoice"}.get(kind)
        value = str(document.get("bizTransaction", ""))
        if name and name not in data:
            data[name] = unquote(value.rsplit(f"/documents/{kind}/", 1)[1]) \
                if f"/documents/{kind}/" in value else value
        elif name is None:
            raise InvalidInput(f"business transaction type {kind!r} has no agritrace field "
                               "(a waybill bol or an invoice inv)",
                               field=f"bizTransactionList/{i}/type")
    for element in r.event.get("sensorElementList") or []:
        _set(data, "temp_c", r.sensor_temperature(element))
    for name, key in (("carrier", "agritrace:carrier"), ("vehicle", "agritrace:vehicle")):
        _set(data, name, r.event.get(key))
    return Step("Shipped" if shipped else "Received", lot, data, time)


def _inspected(r: _Reader, time: str, disposition: str) -> Step:
    lot = r.only_lot()
    persistent = r.event.get("persistentDisposition") or {}
    unset = [bare_term("persistentDisposition.unset", term)
             for term in persistent.get("unset") or []]
    if "non_sellable_other" in unset:
        return Step("Released", lot, {"reason": _reason(r)}, time)
    if r.event.get("agritrace:scheme"):
        data: dict[str, Any] = {"scheme": r.event["agritrace:scheme"]}
        for name in ("number", "issuer", "valid_from", "valid_until", "contact", "basis",
                     "commitment_text"):
            camel = "agritrace:" + "".join(part.capitalize() if i else part
                                           for i, part in enumerate(name.split("_")))
            _set(data, name, r.event.get(camel))
        data.setdefault("valid_from", time)
        _set(data, "basis_event", r.event.get("agritrace:basisEvent"))  # capture resolves it
        return Step("Certified", lot, data, time)
    verdict = {"conformant": "pass", "non_conformant": "fail"}.get(disposition)
    if verdict is None:
        raise InvalidInput("an inspection's disposition is conformant or non_conformant",
                           field="disposition")
    data = {"kind": r.event.get("agritrace:kind") or "visual", "verdict": verdict}
    for name, key in (("lab", "agritrace:lab"), ("report", "agritrace:report"),
                      ("notes", "agritrace:notes")):
        _set(data, name, r.event.get(key))
    if not r.event.get("agritrace:kind") and isinstance(r.event.get("certificationInfo"), str):
        # another system's inspection: what it certifies is kept as the notes
        data["notes"] = r.event["certificationInfo"][:500]
    results = []
    for entry in r.event.get("agritrace:results") or []:
        result: dict[str, Any] = {"analyte": entry.get("agritrace:analyte"),
                                  "unit": entry.get("agritrace:unit"),
                                  "verdict": entry.get("agritrace:verdict")}
        _numbers(result, {"value": "agritrace:value", "limit": "agritrace:limit"}, entry)
        _set(result, "method_standard", entry.get("agritrace:methodStandard"))
        results.append(result)
    _set(data, "results", results)
    return Step("Inspected", lot, data, time)


def _held(r: _Reader, time: str, disposition: str) -> Step | Part:
    lot = r.only_lot()
    persistent = r.event.get("persistentDisposition") or {}
    kept = {bare_term("persistentDisposition.set", term) for term in persistent.get("set") or []}
    if disposition == "recalled" or "recalled" in kept:
        if r.event.get("agritrace:becauseOf"):  # reached by the recall of a lot it came from
            return Part("Recalled", lot, str(r.event["agritrace:becauseOf"]))
        return Step("Recalled", lot, {"reason": _reason(r)}, time)
    if disposition in ("non_sellable_other", "non_sellable_expired", "damaged", "destroyed",
                       "expired", "stolen", "unknown") or "non_sellable_other" in kept:
        return Step("Held", lot, {"reason": _reason(r)}, time)
    raise InvalidInput(f"a holding event's disposition {disposition!r} is neither a hold "
                       "(non_sellable_…) nor a recall (recalled)", field="disposition")


def _reason(r: _Reader) -> str:
    reason = r.event.get("agritrace:reason")
    if isinstance(reason, str) and reason:
        return reason
    return f"EPCIS {bare_term('bizStep', r.event.get('bizStep'))} event, disposition " \
           f"{bare_term('disposition', r.event.get('disposition')) or 'none'}"


def step_of(ids: Identities, event: Event) -> Step | Part:
    """The agritrace step an EPCIS event records (the event without its error declaration);
    ``InvalidInput`` naming the event's field (a JSON pointer below the event) when there is
    none."""
    r = _Reader(ids, event)
    kind = event.get("type")
    step = bare_term("bizStep", event.get("bizStep"))
    disposition = bare_term("disposition", event.get("disposition"))
    time = r.text("eventTime")
    if kind == "TransformationEvent":
        if step == "commissioning":
            return _collected(r, time)
        if step == "inspecting":
            return _graded(r, time)
        if step == "packing":
            return _packed(r, time)
        raise InvalidInput(f"a TransformationEvent with bizStep {step or 'none'!r} has no "
                           "agritrace step (commissioning: a collection, inspecting: a "
                           "grading, packing: packing)", field="bizStep")
    if kind != "ObjectEvent":
        raise InvalidInput(f"a {kind} has no agritrace step: agritrace records lots, by "
                           "ObjectEvents and TransformationEvents", field="type")
    action = event.get("action")
    if step == "commissioning" and action == "ADD":
        return _harvested(r, time)
    if step == "collecting" and action == "OBSERVE" and event.get("agritrace:into"):
        return Part("Collected", r.only_lot())
    if step == "storing":
        return _stored(r, time)
    if step in ("shipping", "receiving"):
        return _moved(r, time, shipped=step == "shipping")
    if step == "inspecting":
        return _inspected(r, time, disposition)
    if step == "holding":
        return _held(r, time, disposition)
    raise InvalidInput(f"bizStep {step or 'none'!r} (action {action}) has no agritrace step; "
                       "one of commissioning (ADD), storing, shipping, receiving, inspecting, "
                       "holding", field="bizStep")
