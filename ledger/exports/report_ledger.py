"""What the audit report takes from the ledger's read models, beside the verified records:
the reach of a recall with who holds each lot now (``ledger.recalls``). It is not in a proof
bundle: the report says so where it shows it, as of when it was made. (The scan section's
figures, also a read model's, come from the scan report, ``ledger.exports.scans``.)
"""

from __future__ import annotations

from dataclasses import dataclass

from ledger.application import Ledger
from ledger.recalls import recall_reach

__all__ = ["Reach", "ReachedLot", "reach_of"]


@dataclass(frozen=True)
class ReachedLot:
    code: str
    status: str
    custodian: str
    in_transit_to: str | None


@dataclass(frozen=True)
class Reach:
    """A recall's reach: the order (None: the lot was never recalled), the lot it was made
    on, every lot it reaches and who holds or is receiving each that is not used up."""

    order: str | None
    lot: str
    lots: tuple[ReachedLot, ...]
    holders: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]  # org, holds, receiving


def reach_of(ledger: Ledger, lot: str) -> Reach | None:
    """The reach of the recall that reached ``lot`` (ordered on it or on an ancestor);
    None when the lot is not recalled."""
    reach = recall_reach(ledger, lot)
    if reach.order is None:
        return None
    return Reach(reach.order.hash_hex, reach.lot,
                 tuple(ReachedLot(item.code, item.status, item.custodian, item.in_transit_to)
                       for item in reach.lots),
                 tuple((h.org, tuple(h.holds), tuple(h.receiving)) for h in reach.holders))
