"""Splits and merges: the arithmetic and consistency of collecting and grading.

A collection merges parts of input lots into a new lot; a grading splits one lot into grade
lots. Each is one record on every input lot and a first record on every output lot that
links to them. ``plan_collection`` and ``plan_grading`` check the numbers and return what
each output's first record says; they hold the rules server-built and client-signed
transformations share.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ledger.domain.fields import format_decimal
from ledger.domain.lot import Lot
from ledger.errors import InvalidInput

__all__ = ["CollectionPlan", "common_origin", "plan_collection", "plan_grading"]


@dataclass(frozen=True)
class CollectionPlan:
    """How much each input lot gives, and what the collected lot's first record holds."""

    taken: dict[str, str]
    output: dict[str, Any]


def common_origin(origins: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The origin fields every input shares (province down to where they part)."""
    first = origins[0]
    return {key: value for key, value in first.items()
            if all(origin.get(key) == value for origin in origins[1:])}


def plan_collection(command: Mapping[str, Any], inputs: Mapping[str, Lot]) -> CollectionPlan:
    """Check a collection command against its input lots."""
    purchases = command["purchases"]
    taken: dict[str, Decimal] = {}
    for i, purchase in enumerate(purchases):
        code = purchase["lot"]
        taken[code] = taken.get(code, Decimal(0)) + Decimal(purchase["quantity"])
        if purchase["lot"] == command["into"]:
            raise InvalidInput("a lot cannot be collected into itself",
                               field=f"data.purchases[{i}].lot")
    lots = [inputs[code] for code in taken]
    units = {lot.unit for lot in lots}
    names = {lot.product.get("name") for lot in lots}
    if len(units) != 1:
        raise InvalidInput(f"input lots use different units ({', '.join(sorted(units))})",
                           field="data.purchases")
    if len(names) != 1:
        raise InvalidInput("input lots hold different products", field="data.purchases")
    for code, amount in taken.items():
        lot = inputs[code]
        if amount > lot.remaining:
            raise InvalidInput(f"lot {code} has only {format_decimal(lot.remaining)} "
                               f"{lot.unit} left, not {format_decimal(amount)}",
                               field="data.purchases")
    product = dict(lots[0].product)
    if any(lot.product != product for lot in lots[1:]):
        product = {"name": product["name"]}
    output = {
        "collection_point": command["collection_point"],
        "product": product,
        "origin": common_origin([lot.origin for lot in lots]),
        "quantity": format_decimal(sum(taken.values(), Decimal(0))),
        "unit": units.pop(),
        "purchases": purchases,
    }
    return CollectionPlan({code: format_decimal(q) for code, q in taken.items()}, output)


def plan_grading(command: Mapping[str, Any], lot: Lot) -> list[dict[str, Any]]:
    """Check that grade outputs plus loss equal what is left of ``lot``; return the first
    record data of each grade lot."""
    outputs = command["outputs"]
    codes = [output["lot"] for output in outputs]
    if len(set(codes)) != len(codes):
        raise InvalidInput("grade lots must have distinct codes", field="data.outputs")
    if lot.code in codes:
        raise InvalidInput("a grade lot needs a new code", field="data.outputs")
    total = sum((Decimal(output["quantity"]) for output in outputs), Decimal(0))
    loss = Decimal(command.get("loss", "0"))
    if total + loss != lot.remaining:
        raise InvalidInput(
            f"grades ({format_decimal(total)}) plus loss ({format_decimal(loss)}) must equal "
            f"the lot's {format_decimal(lot.remaining)} {lot.unit}", field="data.outputs")
    return [
        {"from": lot.code, "standard": command["standard"], "grade": output["grade"],
         "quantity": output["quantity"], "unit": lot.unit, "product": lot.product,
         "origin": lot.origin}
        for output in outputs
    ]
