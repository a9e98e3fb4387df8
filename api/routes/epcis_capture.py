"""EPCIS 2.0 REST capture binding: ``POST /epcis/capture`` records an EPCISDocument's events
as the calling organisation's steps, all or nothing (``ledger.epcis.capture``), and answers
202 with the capture job's ``Location``; ``GET /epcis/capture/{id}`` shows the finished job
(its success, and each error with the JSON pointer of the event field it concerns);
``OPTIONS /epcis/capture`` tells the limits.

Capture runs while the request waits, so the job is finished when the 202 is sent. A
document that cannot be received at all is refused at once as ``application/problem+json``:
400 (not an EPCIS document, or against the EPCIS JSON schema, each violation by pointer), 413
over ``GS1-EPCIS-Capture-Limit`` events or ``GS1-EPCIS-Capture-File-Size-Limit`` bytes (the
body limit of the service), 415 not JSON. Only ``rollback`` is offered as the capture error
behaviour: agritrace never keeps part of a document.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.deps import CallerDep, ServicesDep
from api.routes.epcis import PROBLEM, VERSION_HEADERS
from api.schemas import errors as documented
from ledger.epcis.capture import DEFAULT_EVENT_LIMIT, capture, check_document
from ledger.epcis.jobs import EventError, load_job

__all__ = ["router"]

router = APIRouter(tags=["EPCIS 2.0"])

JSON_TYPES = ("application/json", "application/ld+json")


def _limits(services: Any) -> dict[str, str]:
    return {**VERSION_HEADERS, "GS1-EPCIS-Capture-Limit": str(DEFAULT_EVENT_LIMIT),
            "GS1-EPCIS-Capture-File-Size-Limit": str(services.settings.max_body_bytes),
            "GS1-Capture-Error-Behaviour": "rollback"}


@router.options("/epcis/capture", status_code=204, response_class=Response)
def capture_options(services: ServicesDep) -> Response:
    """What the capture interface takes: EPCIS and CBV 2.0, at most so many events and bytes
    per document, all or nothing. 导入接口的限制。"""
    return Response(status_code=204, headers={"Allow": "OPTIONS, POST", **_limits(services)})


@router.post("/epcis/capture", status_code=202, response_class=Response, responses={
    **documented(401, 403, 429),
    202: {"description": "The capture job, finished: its Location, and the job (success, "
                         "errors by JSON pointer)."},
    400: {"description": "Not an EPCIS document, or against the EPCIS JSON schema "
                         "(epcisException:ValidationException).", "content": {PROBLEM: {}}},
    413: {"description": "Over GS1-EPCIS-Capture-Limit events or the file size limit "
                         "(epcisException:CaptureLimitExceededException).",
          "content": {PROBLEM: {}}},
    415: {"description": "Not JSON or JSON-LD.", "content": {PROBLEM: {}}}})
async def capture_document(request: Request, services: ServicesDep,
                           caller: CallerDep) -> Response:
    """Capture an EPCISDocument: its events recorded as the calling organisation's steps,
    all or nothing. 导入EPCIS事件文档，全部记录或全部拒绝。"""
    org = caller.acting_org()
    headers = _limits(services)
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if kind not in JSON_TYPES:
        return _refused(415, [EventError("", "send the EPCISDocument as application/ld+json "
                                         "or application/json", "UnsupportedMediaType", 415)],
                        headers)
    if request.headers.get("GS1-Capture-Error-Behaviour", "rollback").strip() != "rollback":
        return _refused(400, [EventError("", "this repository captures all or nothing "
                                         "(GS1-Capture-Error-Behaviour: rollback) only",
                                         "InvalidInput")], headers)
    try:
        document = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        return _refused(400, [EventError("", "the body is not JSON")], headers)
    refusals = await run_in_threadpool(check_document, document)
    if refusals:
        status = 413 if any(error.status == 413 for error in refusals) else 400
        return _refused(status, refusals, headers)
    job = await run_in_threadpool(capture, services.ledger, services.epcis, org, document)
    body = json.dumps(job.document(), ensure_ascii=False).encode("utf-8")
    return Response(body, status_code=202, media_type="application/json",
                    headers={**headers, "Location": f"/epcis/capture/{job.capture_id}"})


@router.get("/epcis/capture/{capture_id}", response_class=Response,
            responses=documented(401, 404, 429))
def capture_job(capture_id: str, services: ServicesDep, caller: CallerDep) -> Response:
    """A capture job of the calling organisation (an admin sees every one). 导入任务。"""
    job = load_job(services.ledger.store, capture_id[:64], None if caller.admin else
                   caller.acting_org())
    body = json.dumps(job.document(), ensure_ascii=False).encode("utf-8")
    return Response(body, media_type="application/json", headers=_limits(services))


def _refused(status: int, errors: list[EventError], headers: dict[str, str]) -> Response:
    first = errors[0]
    kind = {413: "epcisException:CaptureLimitExceededException",
            415: "epcisException:UnsupportedMediaTypeException"}.get(
        status, "epcisException:ValidationException")
    body = {"type": kind, "title": "Capture refused", "status": status,
            "detail": f"{first.pointer}: {first.reason}" if first.pointer else first.reason,
            "error": first.error, "field": first.pointer, "reason": first.reason,
            "errors": [error.problem() for error in errors]}
    return Response(json.dumps(body, ensure_ascii=False).encode("utf-8"), status_code=status,
                    media_type=PROBLEM, headers=headers)
