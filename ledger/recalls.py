"""Recall reach: which lots and which current holders a recall affects, in one question.

A recall is ordered on one lot and cascades to every lot made from it (``Ledger._recall``);
each descendant's chain holds a cascade record naming the order. So a recall ``R`` can be
named by the order's hash, by any cascade record's hash, or by a lot: the lot's own recall
(followed to its order), or, for a lot never recalled, what a recall of it would reach.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ledger.domain.fields import lot_code
from ledger.domain.lot import Lot
from ledger.errors import InvalidInput
from ledger.persistence.lookup import find_record
from verify.records import Record

if TYPE_CHECKING:
    from ledger.application import Ledger

__all__ = ["Holder", "RecallReach", "recall_reach"]

_HASH = re.compile(r"[0-9a-f]{64}")


@dataclass
class Holder:
    """An organisation holding affected lots now, or about to receive them."""

    org: str
    holds: list[str] = field(default_factory=list)
    receiving: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RecallReach:
    order: Record | None  # None: the lot was never recalled; the reach is hypothetical
    lot: str  # the lot the order was made on
    lots: Sequence[Lot]  # that lot and every descendant, nearest first

    @property
    def holders(self) -> list[Holder]:
        """Who holds each lot that still exists (not used up), and who is receiving one."""
        found: dict[str, Holder] = {}
        for lot in self.lots:
            if lot.consumed:
                continue
            found.setdefault(lot.custodian, Holder(lot.custodian)).holds.append(lot.code)
            if lot.in_transit_to:
                receiver = found.setdefault(lot.in_transit_to, Holder(lot.in_transit_to))
                receiver.receiving.append(lot.code)
        return sorted(found.values(), key=lambda holder: holder.org)


def recall_reach(ledger: Ledger, ref: str) -> RecallReach:
    """The reach of recall ``ref``: a recall record's hash (64 hex digits) or a lot code."""
    if _HASH.fullmatch(ref):
        found = find_record(ledger.store, bytes.fromhex(ref)).record
        if found.type != "Recalled" or found.chain_kind != "lot":
            raise InvalidInput(f"record {ref} is a {found.type} record, not a recall",
                               field="recall")
        order = _order_of(ledger, found)
    else:
        code = lot_code(ref, "recall")
        recalls = [signed.record for signed in ledger.lot_history(code)
                   if signed.record.type == "Recalled"]
        if not recalls:
            return RecallReach(None, code, ledger.trace_forward(code))
        order = _order_of(ledger, recalls[0])
    return RecallReach(order, order.subject, ledger.trace_forward(order.subject))


def _order_of(ledger: Ledger, recall: Record) -> Record:
    """The order a cascade record names, or the record itself when it is the order."""
    order = recall.data.get("recall")
    if isinstance(order, str) and recall.data.get("because_of"):
        return find_record(ledger.store, bytes.fromhex(order)).record
    return recall
