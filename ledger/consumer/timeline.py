"""The timeline: each relevant record as a step with its time, place and public details.

Record times are UTC; people here read China Standard Time (UTC+8), so pages, labels and
certificates show ``local_minute`` / ``local_date`` of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from ledger.consumer.family import Family
from ledger.consumer.model import Event, Fact
from verify.records import Record

__all__ = [
    "CHINA", "UNITS", "events", "local", "local_date", "local_minute", "place_of", "quantity",
    "temperature",
]

CHINA = timezone(timedelta(hours=8), "UTC+8")

# Units as a consumer reads them, Chinese with the code beside it.
UNITS: Mapping[str, str] = {
    "kg": "kg", "g": "g", "t": "t", "jin": "斤", "box": "箱 box", "crate": "筐 crate",
    "bag": "袋 bag", "carton": "纸箱 carton", "piece": "个 piece", "pallet": "托 pallet",
}
ORIGIN_PARTS = ("county", "township", "village")


def local(moment: str) -> datetime:
    """A record's ISO 8601 time (``…Z`` or with an offset) in UTC+8."""
    return datetime.fromisoformat(moment).astimezone(CHINA)


def local_date(moment: str) -> str:
    return local(moment).strftime("%Y-%m-%d")


def local_minute(moment: str) -> str:
    return local(moment).strftime("%Y-%m-%d %H:%M")


def quantity(amount: Any, unit: Any) -> str:
    return f"{amount} {UNITS.get(str(unit), str(unit))}".strip()


def temperature(value: Any) -> str:
    return f"{value} °C"


def place_of(record: Record) -> str | None:
    """Where a step happened, as the record names it."""
    data = record.data
    if record.type == "Harvested":
        origin = data.get("origin", {})
        return " ".join(str(origin[p]) for p in ORIGIN_PARTS if p in origin) or None
    for key in ("collection_point", "facility", "location", "lab"):
        if isinstance(data.get(key), str):
            return str(data[key])
    return None


def events(family: Family) -> tuple[Event, ...]:
    """Every relevant record of the family as a timeline step, oldest first."""
    own = family.lot.chain_name
    return tuple(
        Event(time=record.time, type=record.type, lot=record.subject,
              own=record.chain == own, org=record.org, org_name=family.org_name(record.org),
              place=place_of(record), facts=tuple(_facts(record, family)),
              record=record.hash_hex, corrected=family.corrected(record))
        for record in family.records)


def _facts(record: Record, family: Family) -> list[Fact]:
    data = record.data
    step = record.type
    if record.seq == 0:
        return _first_facts(record)
    unit = family.unit_of(record.subject)
    if step == "Collected":
        return [Fact("quantity", quantity(data["quantity"], unit)), Fact("into", data["into"])]
    if step == "Graded":
        outputs = "; ".join(f"{o['grade']} {quantity(o['quantity'], unit)}"
                            for o in data["outputs"])
        return _present(("standard", data.get("standard")), ("outputs", outputs),
                        ("loss", quantity(data["loss"], unit) if "loss" in data else None))
    if step in _DETAILS:
        return _DETAILS[step](data, family.org_name)
    if step == "Corrected":
        return _corrected(record, family, unit)
    if step in ("Held", "Released", "Recalled"):
        return _present(("reason", data.get("reason")), ("because_of", data.get("because_of")))
    return []


def _corrected(record: Record, family: Family, unit: str) -> list[Fact]:
    """What the correction changed, from what to what, and why."""
    correction = family.corrections.get(record.hash_hex)
    if correction is None:  # names no record of its lot: it changed nothing
        return _present(("reason", record.data.get("reason")))
    facts = [Fact("corrects", correction.original_type, "step")]
    for change in correction.changes:
        amount = change.field in ("quantity", "loss")
        before, after = (_shown(value, unit if amount else "")
                         for value in (change.before, change.after))
        facts.append(Fact(change.field, f"{before} → {after}"))
    return [*facts, *_present(("reason", correction.reason))]


def _shown(value: Any, unit: str = "") -> str:
    """A corrected field's value in a few words: nested objects by their values, a private
    value as such, a list by its length."""
    if value is None:
        return "—"
    if isinstance(value, Mapping):
        if set(value) == {"commitment"}:
            return "保密 private"
        return " ".join(_shown(part) for part in value.values())
    if isinstance(value, list):
        return f"[{len(value)}]"
    return quantity(value, unit) if unit else str(value)


def _first_facts(record: Record) -> list[Fact]:
    data = record.data
    unit = data.get("unit", "")
    facts = [Fact("quantity", quantity(data.get("quantity", ""), unit))]
    if record.type == "Collected":
        facts.append(Fact("households", str(len(data.get("purchases", [])))))
    if record.type == "Graded":
        facts += _present(("grade", data.get("grade")), ("from", data.get("from")),
                          ("standard", data.get("standard")))
    return facts


def _present(*pairs: tuple[str, Any]) -> list[Fact]:
    return [Fact(key, str(value)) for key, value in pairs if value not in (None, "")]


def _pre_cooled(data: Mapping[str, Any], _: Callable[[str], str]) -> list[Fact]:
    return [Fact("method", data["method"], "code"),
            Fact("target_core_temp", temperature(data["target_core_temp_c"])),
            Fact("reached_core_temp", temperature(data["reached_core_temp_c"]))]


def _stored(data: Mapping[str, Any], _: Callable[[str], str]) -> list[Fact]:
    facts = []
    low, high = data.get("target_min_c"), data.get("target_max_c")
    if low is not None or high is not None:
        facts.append(Fact("target_range", f"{low if low is not None else '…'} – "
                                          f"{high if high is not None else '…'} °C"))
    for key in ("min_c", "max_c", "mean_c"):
        if key in data:
            facts.append(Fact(key, temperature(data[key])))
    return facts


def _packed(data: Mapping[str, Any], _: Callable[[str], str]) -> list[Fact]:
    facts = [Fact("packaging", data["packaging"]), Fact("units", str(data["units"])),
             Fact("net_weight", quantity(data["net_weight_per_unit"],
                                         data["net_weight_unit"])),
             Fact("gtin", data["gtin"])]
    if "best_before" in data:
        facts.append(Fact("best_before", data["best_before"], "time"))
    return facts


def _moved(data: Mapping[str, Any], org_name: Callable[[str], str]) -> list[Fact]:
    facts = []
    for key in ("to", "from"):
        if key in data:
            facts.append(Fact(key, org_name(data[key])))
    facts += _present(("to_location", data.get("to_location")), ("carrier", data.get("carrier")),
                      ("vehicle", data.get("vehicle")))
    if "temp_c" in data:
        facts.append(Fact("temp", temperature(data["temp_c"])))
    return facts


def _inspected(data: Mapping[str, Any], _: Callable[[str], str]) -> list[Fact]:
    return [Fact("kind", data["kind"], "code"), Fact("verdict", data["verdict"], "code"),
            *_present(("report", data.get("report")))]


def _certified(data: Mapping[str, Any], _: Callable[[str], str]) -> list[Fact]:
    return [Fact("scheme", data["scheme"], "code"), Fact("number", data["number"]),
            Fact("issuer", data["issuer"])]


_DETAILS: Mapping[str, Callable[[Mapping[str, Any], Callable[[str], str]], list[Fact]]] = {
    "PreCooled": _pre_cooled, "Stored": _stored, "Packed": _packed, "Shipped": _moved,
    "Received": _moved, "Inspected": _inspected, "Certified": _certified,
}
