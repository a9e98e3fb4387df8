"""Private data: a lot's read by the organisation that recorded it and by inspectors (each
inspector's read recorded in the log first), the recorded reads of a lot, and a household's
erasure across every lot (``ledger.inspection``).

- ``GET /lots/{lot}/private[?inspection=HASH]``: the recording organisation reads its lot's
  values; an inspector reads the lot's and its ancestors' under an inspection of the lot or a
  lot made from it (named, or its newest). Without one: 403 naming the missing inspection.
- ``GET /inspections/{hash}/private``: the same, for the lot that inspection inspected.
- ``GET /lots/{lot}/private/reads``: the recorded reads (public records, as in the log).
- ``DELETE /orgs/{org}/households/{household_id}/private``: the cooperative (its own token)
  or an admin erases every value of the household; the answer lists them.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import CallerDep, HashPath, LedgerDep, LotPath, OrgPath, ReaderDep
from api.schemas import errors as documented
from api.schemas.common import HASH_PATTERN
from api.schemas.inspection import (
    ErasedHouseholdPublic,
    PrivateReadPublic,
    PrivateReadsPublic,
)
from ledger.access.grants import Caller
from ledger.application import Ledger
from ledger.domain.organisation import Organisation
from ledger.errors import NotFound, NotPermitted
from ledger.inspection import PrivateReads, erase_household
from ledger.persistence.lookup import find_record

__all__ = ["router"]

router = APIRouter(tags=["private data 隐私数据"])

InspectionQuery = Annotated[str | None, Query(
    pattern=HASH_PATTERN, description="The Inspected record (hash, hex) the read is made "
                                      "under; default: the inspector's newest inspection of "
                                      "the lot or a lot made from it.")]
HouseholdPath = Annotated[str, Path(min_length=1, max_length=40,
                                    description="The household id, as in the register.")]


def _reader(ledger: Ledger, caller: Caller) -> Organisation:
    if caller.org is None:
        raise NotPermitted("admin tokens read no private data; use the token of the "
                           "organisation that recorded it, or of an inspector that inspected "
                           "the lot", field="authorization")
    return ledger.organisation(caller.org)


@router.get("/lots/{lot}/private", responses=documented(400, 401, 403, 404, 409, 422))
def private_data(lot: LotPath, ledger: LedgerDep, caller: CallerDep,
                 inspection: InspectionQuery = None) -> PrivateReadPublic:
    """私有数据 The private values (harvester, households) behind the lot's commitments,
    each with the record and field it belongs to. The organisation that recorded the lot
    reads its own; an inspector reads the lot's and its ancestors' under its inspection of
    the lot or of a lot made from it, and the read is first recorded in the log as a
    PrivateDataRead record on the lot (``access_record``)."""
    read = PrivateReads(ledger).read(_reader(ledger, caller), lot, inspection)
    return PrivateReadPublic.model_validate(read.as_json())


@router.get("/inspections/{record_hash}/private",
            responses=documented(400, 401, 403, 404, 409, 422))
def inspected_private_data(record_hash: HashPath, ledger: LedgerDep,
                           caller: CallerDep) -> PrivateReadPublic:
    """The private data of the lot an inspection inspected and of its ancestors, for the
    inspector that recorded it (recorded in the log as for ``/lots/{lot}/private``)."""
    reader = _reader(ledger, caller)
    try:
        inspected = find_record(ledger.store, bytes.fromhex(record_hash)).record
    except NotFound:
        raise NotPermitted(f"record {record_hash} is no record; no inspection by "
                           f"{reader.org_id} to read under", field="inspection") from None
    if inspected.chain_kind != "lot":
        raise NotPermitted(f"record {record_hash} is no inspection of a lot",
                           field="inspection")
    read = PrivateReads(ledger).read_as_inspector(reader, inspected.subject, record_hash)
    return PrivateReadPublic.model_validate(read.as_json())


@router.get("/lots/{lot}/private/reads", responses=documented(400, 401, 404, 429))
def private_reads(lot: LotPath, ledger: LedgerDep, _: ReaderDep) -> PrivateReadsPublic:
    """Who read the lot's private data, when, under which inspection: the PrivateDataRead
    records of the lot and of the lots made from it that name it, oldest first."""
    code = ledger.lot(lot).code
    return PrivateReadsPublic.model_validate(
        {"lot": code, "reads": PrivateReads(ledger).reads_of(code)})


@router.delete("/orgs/{org}/households/{household_id}/private",
               responses=documented(400, 401, 403, 404, 422, 503))
def erase_household_data(org: OrgPath, household_id: HouseholdPath, ledger: LedgerDep,
                         caller: CallerDep) -> ErasedHouseholdPublic:
    """按户删除 Erase every private value of one household of the cooperative: its register
    entry, and its values in every lot's records (household ids, its harvests' harvesters).
    For the cooperative's own token or an admin. The commitments stay and every chain still
    verifies; the answer lists what was erased (record, field, commitment)."""
    caller.require_self_or_admin(org)
    erased = erase_household(ledger, org, household_id)
    return ErasedHouseholdPublic.model_validate(
        {"org": org, "household_id": household_id,
         "erased": [value.as_json() for value in erased]})
