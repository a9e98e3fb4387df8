"""Recording: one endpoint per step, a batch endpoint (all or nothing), and client-signed
records. Each needs the token of the organisation that records; the ledger decides whether
that organisation may (custody, roles, the lot's state). See ``api.recording`` for the
idempotency key, retries on a moved head, and ``?wait=true``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import LotPath
from api.recording import RecorderDep
from api.schemas import BatchIn, RecordedPublic, SignedIn, StepIn
from api.schemas import errors as documented
from api.schemas.steps import STEP_BODIES

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


@dataclass(frozen=True)
class StepRoute:
    """``POST /lots/{lot}/<path>`` records ``step``; ``name`` and ``doc`` are the operation's."""

    path: str
    step: str
    name: str
    doc: str
    responses: dict[int | str, dict[str, Any]]


STEP_ROUTES = (
    StepRoute("harvest", "Harvested", "harvest", "采收 Record a harvest: starts lot ``lot`` (a "
              "cooperative, farm or collector).", NEW_LOT),
    StepRoute("collection", "Collected", "collect", "田头集货 Collect parts of harvest lots into "
              "the new lot ``lot``, with each purchase.", ANSWERS),
    StepRoute("grading", "Graded", "grade", "分等分级 Grade the lot into new grade lots (what is "
              "left of it, less the loss).", ANSWERS),
    StepRoute("pre-cooling", "PreCooled", "pre_cool", "产地预冷 Record pre-cooling (custodian "
              "only).", ANSWERS),
    StepRoute("storage", "Stored", "store", "冷藏 Record cold storage and its temperatures "
              "(custodian only).", ANSWERS),
    StepRoute("packing", "Packed", "pack", "分级包装 Record packing into trade units with a GTIN "
              "(custodian only).", ANSWERS),
    StepRoute("shipment", "Shipped", "ship", "发运 Ship the lot to another organisation "
              "(custodian only).", ANSWERS),
    StepRoute("receipt", "Received", "receive", "收货 Receive a lot shipped to this "
              "organisation: it becomes the custodian.", ANSWERS),
    StepRoute("inspection", "Inspected", "inspect", "检验 Record an inspection or lab result (an "
              "inspector, or the custodian's own).", ANSWERS),
    StepRoute("certification", "Certified", "certify", "认证 Record a certificate, e.g. the "
              "承诺达标合格证 (custodian or inspector).", ANSWERS),
    StepRoute("hold", "Held", "hold", "扣留 Put the lot on hold: no handling until released "
              "(inspectors only).", ANSWERS),
    StepRoute("release", "Released", "release", "放行 Release a held lot (inspectors only).",
              ANSWERS),
    StepRoute("recall", "Recalled", "recall", "召回 Recall the lot and every lot made from it "
              "(inspectors only); see\n``GET /recalls/{recall}`` for the lots and holders it "
              "reaches.", ANSWERS),
    StepRoute("correction", "Corrected", "correct", "更正 Correct an earlier record of the lot "
              "(its maker, or an inspector).", ANSWERS),
)


def _step_endpoint(route: StepRoute) -> Callable[..., JSONResponse]:
    def endpoint(lot: LotPath, body: StepIn, recorder: RecorderDep) -> JSONResponse:
        return recorder.step(route.step, lot, body)
    # FastAPI takes the body's model from the signature: the step's own, from its definition.
    endpoint.__annotations__["body"] = STEP_BODIES[route.step]
    endpoint.__name__ = endpoint.__qualname__ = route.name
    endpoint.__doc__ = route.doc
    return endpoint


for _route in STEP_ROUTES:
    recording(f"/lots/{{lot}}/{_route.path}", _route.responses)(_step_endpoint(_route))


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
