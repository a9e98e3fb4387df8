"""Lineage: trace a lot back to its harvests, forward to every lot made from it and who holds
each now, and ask which lots and holders a recall reaches.

Tracing back is public (a proof bundle carries the same ancestors). Tracing forward and
recall reach name who holds what now, so they need a token.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from api.deps import CallerDep, LedgerDep, LotPath, ReaderDep
from api.schemas import HolderPublic, LineageLotPublic, RecallReachPublic, TracePublic
from api.schemas import errors as documented
from api.schemas.common import HASH_PATTERN, LOT_PATTERN
from ledger.application import Ledger
from ledger.domain.lot import Lot
from ledger.recalls import recall_reach
from ledger.views import lineage_view, shipments

__all__ = ["router"]

router = APIRouter(tags=["lineage 溯源"])

RecallRef = Annotated[str, Path(
    pattern=f"({HASH_PATTERN})|({LOT_PATTERN})", examples=["KC1"],
    description="A recall record's hash (the order, or any lot's cascade record), or a lot "
                "code: the lot's recall, or what a recall of it would reach.")]


@router.get("/lots/{lot}/trace/back", responses=documented(400, 401, 404, 429))
def trace_back(lot: LotPath, ledger: LedgerDep, _: ReaderDep) -> TracePublic:
    """Every ancestor lot, through merges, splits and packing, down to the harvests (and the
    households' collections), nearest first."""
    lots = [LineageLotPublic(**lineage_view(found), shipments=None)
            for found in ledger.trace_back(lot)]
    return TracePublic(lot=lot, direction="back", lots=lots)


@router.get("/lots/{lot}/trace/forward", responses=documented(400, 401, 404))
def trace_forward(lot: LotPath, ledger: LedgerDep, _: CallerDep) -> TracePublic:
    """Every descendant lot with its shipments and who holds it now, nearest first."""
    lots = [_with_shipments(ledger, found) for found in ledger.trace_forward(lot)]
    return TracePublic(lot=lot, direction="forward", lots=lots)


@router.get("/recalls/{recall}", responses=documented(400, 401, 404))
def recall(recall: RecallRef, ledger: LedgerDep, _: CallerDep) -> RecallReachPublic:
    """Which lots and which current holders recall ``recall`` affects, in one answer."""
    reach = recall_reach(ledger, recall)
    order = reach.order
    return RecallReachPublic(
        recall=order.hash_hex if order else None, lot=reach.lot,
        reason=order.data.get("reason") if order else None,
        ordered_by=order.org if order else None, time=order.time if order else None,
        lots=[_with_shipments(ledger, found) for found in reach.lots],
        holders=[HolderPublic(org=h.org, holds=h.holds, receiving=h.receiving)
                 for h in reach.holders])


def _with_shipments(ledger: Ledger, lot: Lot) -> LineageLotPublic:
    history = [signed.record for signed in ledger.history(lot.chain_name)]
    return LineageLotPublic(**lineage_view(lot), shipments=shipments(history))
