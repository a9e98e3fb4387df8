"""What a step's data must say of itself, and which fields a correction may not change.

``check_data`` holds the rules one record's data keeps on its own (an end not before its
start, a storage range whose minimum is not above its maximum). It is run on a new record's
data and, for a correction, on the corrected record's data with the new values merged in, so
a correction is held to the rules of the record it corrects.

``check_correctable`` refuses corrections of the fields other records depend on: what a
collection took from a lot and what a grading made of it are recorded on both lots' chains
(and linked), the addressee of a shipment is who received it, a cascaded recall names its
order. Correcting one side would leave the other saying something else.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from decimal import Decimal
from typing import Any

from ledger.errors import InvalidInput
from verify.records import Record

__all__ = ["check_correctable", "check_data"]

# (step, whether the record starts its lot) → fields a correction may not change.
FIXED: Mapping[tuple[str, bool], frozenset[str]] = {
    ("Collected", True): frozenset({"quantity", "unit"}),
    ("Collected", False): frozenset({"into", "quantity"}),
    ("Graded", True): frozenset({"from", "quantity", "unit"}),
    ("Graded", False): frozenset({"outputs", "loss"}),
    ("Shipped", False): frozenset({"to"}),
    ("Received", False): frozenset({"from"}),
    ("Recalled", False): frozenset({"recall", "because_of"}),
}


def check_data(step: str, data: Mapping[str, Any], *, path: str = "data",
               given: Collection[str] = ()) -> None:
    """Raise ``InvalidInput`` unless ``data`` of a ``step`` record is consistent in itself.
    ``given``: the fields a correction gives, named first when a rule involves two fields."""
    _in_order(data, "started", "ended", path, given, "must not be before")
    if step == "Stored":
        low, high = data.get("target_min_c"), data.get("target_max_c")
        if low is not None and high is not None and Decimal(low) > Decimal(high):
            named = ("target_max_c" if "target_max_c" in given and "target_min_c" not in given
                     else "target_min_c")
            raise InvalidInput(
                f"the target range is upside down: {path}.target_min_c ({low} °C) is above "
                f"{path}.target_max_c ({high} °C); the minimum must not be above the maximum",
                field=f"{path}.{named}", rule="storage-range")


def _in_order(data: Mapping[str, Any], start: str, end: str, path: str,
              given: Collection[str], reason: str) -> None:
    begun, ended = data.get(start), data.get(end)
    if isinstance(begun, str) and isinstance(ended, str) and ended < begun:
        if start in given and end not in given:
            raise InvalidInput(f"must not be after {path}.{end} ({ended})",
                               field=f"{path}.{start}")
        raise InvalidInput(f"{reason} {path}.{start} ({begun})", field=f"{path}.{end}")


def check_correctable(original: Record, values: Mapping[str, Any], *,
                      original_data: Mapping[str, Any]) -> None:
    """Raise unless a correction of ``original`` (whose data after earlier corrections is
    ``original_data``) changes only fields no other record depends on."""
    fixed = FIXED.get((original.type, original.seq == 0), frozenset())
    for name in values:
        if name in fixed and values[name] != original_data.get(name):
            raise InvalidInput(
                f"cannot be corrected: the {original.type} record {original.hash_hex} shares "
                f"its {name} with other records (the other lot's side of a split, merge, "
                "shipment or recall)", field=f"data.values.{name}", rule="correction-fixed",
                records=(original.hash_hex,))
    if (original.type, original.seq) == ("Collected", 0) and "purchases" in values:
        _same_shares(original, original_data, values["purchases"])


def _same_shares(original: Record, data: Mapping[str, Any], purchases: Any) -> None:
    """A collected lot's purchases may be corrected (price, household) but not which lots
    gave how much: each input lot's record says what it gave."""
    def shares(items: Any) -> list[tuple[Any, Any]]:
        return [(p.get("lot"), p.get("quantity")) for p in items
                if isinstance(p, Mapping)] if isinstance(items, list) else []
    if shares(purchases) != shares(data.get("purchases")):
        raise InvalidInput(
            "cannot change which lots gave how much: each input lot's Collected record says "
            f"what it gave to this lot (record {original.hash_hex}); correct prices or "
            "households only", field="data.values.purchases", rule="correction-fixed",
            records=(original.hash_hex,))
