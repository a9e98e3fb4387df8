"""What the audit report takes from the ledger's read models, beside the verified records:
the reach of a recall with who holds each lot now (``ledger.recalls``), and scan counts per
day (``ledger.consumer.scans``). Neither is in a proof bundle: the report says so where it
shows them, as of when it was made.

``ScanDay`` rows come through ``scan_days``, a small adapter over the scan-count table, so
a fuller scan report can take its place without the report changing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, distinct, func, select

from ledger.application import Ledger
from ledger.persistence.tables import scan_counts
from ledger.recalls import recall_reach

__all__ = ["Reach", "ReachedLot", "ScanDay", "reach_of", "scan_days"]


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


@dataclass(frozen=True)
class ScanDay:
    """Resolutions of the lot's serialised codes on one UTC day."""

    day: str
    gtin: str
    scans: int
    serials: int


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


def scan_days(engine: Engine, lot: str) -> tuple[ScanDay, ...]:
    """Per UTC day and GTIN: scans of the lot's serialised codes, and how many serials."""
    table = scan_counts.c
    query = (select(table.day, table.gtin, func.sum(table.scans),
                    func.count(distinct(table.serial)))
             .where(table.lot == lot).group_by(table.day, table.gtin)
             .order_by(table.day, table.gtin))
    with engine.connect() as connection:
        return tuple(ScanDay(str(day), str(gtin), int(scans), int(serials))
                     for day, gtin, scans, serials in connection.execute(query))
