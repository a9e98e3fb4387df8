"""Recording: one endpoint per step, a batch endpoint (all or nothing), and client-signed
records. Each needs the token of the organisation that records; the ledger decides whether
that organisation may (custody, roles, the lot's state). See ``api.recording`` for the
idempotency key, retries on a moved head, and ``?wait=true``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import LotPath
from api.recording import RecorderDep
from api.schemas import (
    BatchIn,
    CertificationIn,
    CollectionIn,
    CorrectionIn,
    GradingIn,
    HarvestIn,
    InspectionIn,
    PackingIn,
    PreCoolingIn,
    ReasonIn,
    RecallIn,
    ReceiptIn,
    RecordedPublic,
    ShipmentIn,
    SignedIn,
    StorageIn,
)
from api.schemas import errors as documented

__all__ = ["router"]

router = APIRouter(tags=["recording 记录"])
ANSWERS = documented(400, 401, 403, 404, 409, 413, 422)
NEW_LOT = documented(400, 401, 403, 409, 413, 422)  # a new lot: nothing to be missing
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def recording(path: str, responses: dict[int | str, dict[str, Any]] = ANSWERS
              ) -> Callable[[Endpoint], Endpoint]:
    """``POST path``: 201 with the records made (``api.recording`` answers the JSON)."""
    return router.post(path, status_code=201, response_model=RecordedPublic,
                       responses=responses)


@recording("/lots/{lot}/harvest", NEW_LOT)
def harvest(lot: LotPath, body: HarvestIn, recorder: RecorderDep) -> JSONResponse:
    """采收 Record a harvest: starts lot ``lot`` (a cooperative, farm or collector)."""
    return recorder.step("Harvested", lot, body)


@recording("/lots/{lot}/collection")
def collect(lot: LotPath, body: CollectionIn, recorder: RecorderDep) -> JSONResponse:
    """田头集货 Collect parts of harvest lots into the new lot ``lot``, with each purchase."""
    return recorder.step("Collected", lot, body)


@recording("/lots/{lot}/grading")
def grade(lot: LotPath, body: GradingIn, recorder: RecorderDep) -> JSONResponse:
    """分等分级 Grade the lot into new grade lots (what is left of it, less the loss)."""
    return recorder.step("Graded", lot, body)


@recording("/lots/{lot}/pre-cooling")
def pre_cool(lot: LotPath, body: PreCoolingIn, recorder: RecorderDep) -> JSONResponse:
    """产地预冷 Record pre-cooling (custodian only)."""
    return recorder.step("PreCooled", lot, body)


@recording("/lots/{lot}/storage")
def store(lot: LotPath, body: StorageIn, recorder: RecorderDep) -> JSONResponse:
    """冷藏 Record cold storage and its temperatures (custodian only)."""
    return recorder.step("Stored", lot, body)


@recording("/lots/{lot}/packing")
def pack(lot: LotPath, body: PackingIn, recorder: RecorderDep) -> JSONResponse:
    """分级包装 Record packing into trade units with a GTIN (custodian only)."""
    return recorder.step("Packed", lot, body)


@recording("/lots/{lot}/shipment")
def ship(lot: LotPath, body: ShipmentIn, recorder: RecorderDep) -> JSONResponse:
    """发运 Ship the lot to another organisation (custodian only)."""
    return recorder.step("Shipped", lot, body)


@recording("/lots/{lot}/receipt")
def receive(lot: LotPath, body: ReceiptIn, recorder: RecorderDep) -> JSONResponse:
    """收货 Receive a lot shipped to this organisation: it becomes the custodian."""
    return recorder.step("Received", lot, body)


@recording("/lots/{lot}/inspection")
def inspect(lot: LotPath, body: InspectionIn, recorder: RecorderDep) -> JSONResponse:
    """检验 Record an inspection or lab result (an inspector, or the custodian's own)."""
    return recorder.step("Inspected", lot, body)


@recording("/lots/{lot}/certification")
def certify(lot: LotPath, body: CertificationIn, recorder: RecorderDep) -> JSONResponse:
    """认证 Record a certificate, e.g. the 承诺达标合格证 (custodian or inspector)."""
    return recorder.step("Certified", lot, body)


@recording("/lots/{lot}/hold")
def hold(lot: LotPath, body: ReasonIn, recorder: RecorderDep) -> JSONResponse:
    """扣留 Put the lot on hold: no handling until released (inspectors only)."""
    return recorder.step("Held", lot, body)


@recording("/lots/{lot}/release")
def release(lot: LotPath, body: ReasonIn, recorder: RecorderDep) -> JSONResponse:
    """放行 Release a held lot (inspectors only)."""
    return recorder.step("Released", lot, body)


@recording("/lots/{lot}/recall")
def recall(lot: LotPath, body: RecallIn, recorder: RecorderDep) -> JSONResponse:
    """召回 Recall the lot and every lot made from it (inspectors only); see
    ``GET /recalls/{recall}`` for the lots and holders it reaches."""
    return recorder.step("Recalled", lot, body)


@recording("/lots/{lot}/correction")
def correct(lot: LotPath, body: CorrectionIn, recorder: RecorderDep) -> JSONResponse:
    """更正 Correct an earlier record of the lot (its maker, or an inspector)."""
    return recorder.step("Corrected", lot, body)


@recording("/records/batch")
def record_batch(body: BatchIn, recorder: RecorderDep) -> JSONResponse:
    """Record many steps all or nothing; an error names the entry (``entries[3].data.unit``)."""
    return recorder.batch(body)


@recording("/records/signed")
def submit_signed(body: SignedIn, recorder: RecorderDep) -> JSONResponse:
    """Store records the client built and signed with its own key, exactly as submitted, if
    they are the records the ledger derives for the same steps. A record that continues a
    chain another writer has since extended is 409 with the chain's current head."""
    return recorder.signed(body)
