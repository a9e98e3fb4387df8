"""A record by its hash (public), and the erasure of one private value of a lot.

Erasing a private value (``DELETE``) is for the organisation that recorded it or an admin:
the record and every chain stay valid, only the value and its salt are gone. Reading private
values, and erasing a household's everywhere, is ``api.routes.inspection``.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import CallerDep, HashPath, LedgerDep, LotPath, ReaderDep
from api.schemas import FoundRecordPublic
from api.schemas import errors as documented
from ledger.access.grants import require_private_access
from ledger.errors import NotFound
from ledger.persistence.lookup import find_record
from ledger.views import record_view

__all__ = ["router"]

router = APIRouter(tags=["records 记录"])


@router.get("/records/{record_hash}", responses=documented(400, 401, 404, 429))
def record(record_hash: HashPath, ledger: LedgerDep, _: ReaderDep) -> FoundRecordPublic:
    """One record by its hash, with its signature and its leaf in the log (null until the
    integrator reaches it)."""
    found = find_record(ledger.store, bytes.fromhex(record_hash))
    return FoundRecordPublic(**record_view(found.record, found.signature),
                             leaf_index=found.leaf_index)


@router.delete("/lots/{lot}/private/{commitment}", status_code=204, response_class=Response,
               responses=documented(400, 401, 403, 404))
def erase_private(lot: LotPath, commitment: HashPath, ledger: LedgerDep,
                  caller: CallerDep) -> Response:
    """Erase one private value of the lot (for the organisation that recorded it, or an
    admin); its commitment stays in the record and every chain still verifies."""
    history = [signed.record for signed in ledger.lot_history(lot)]
    if not caller.admin:
        organisation = ledger.organisation(caller.acting_org())
        require_private_access(caller, organisation, [
            record for record in history if record.type != "Inspected"])
    if commitment not in ledger.private_values(history[0].chain):
        raise NotFound(f"lot {lot} holds no unerased value with this commitment",
                       field="commitment")
    ledger.erase_private(commitment)
    return Response(status_code=204)
