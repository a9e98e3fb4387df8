"""EPCIS 2.0 REST query binding: ``GET /epcis/events`` answers an EPCISQueryDocument of the
events that match (``ledger.epcis.query``), a page at a time, with the ``GS1-EPCIS-Version``
and ``GS1-CBV-Version`` headers and, when there is more, the ``Link: …; rel="next"`` header
and ``nextPageToken`` the bindings describe.

Content negotiation as the bindings have it: JSON-LD or JSON (``Accept``), EPCIS and CBV
2.0 (``GS1-EPCIS-Min``/``-Max``, ``GS1-CBV-Min``/``-Max``), Digital Link identifiers
(``GS1-EPC-Format``: ``Always_EPC_URN`` cannot be honoured). What cannot be given is 406;
a bad parameter is 400; both as ``application/problem+json`` (RFC 7807, the EPCIS exception
type) that also carries agritrace's ``error``, ``field`` and ``reason``.

Events name who shipped what to whom, so a token is needed, as for tracing forward.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import CallerDep, ServicesDep
from api.schemas import errors as documented
from ledger.epcis.document import query_document
from ledger.epcis.query import EventQuery, run_query
from ledger.errors import InvalidInput

__all__ = ["router"]

router = APIRouter(tags=["EPCIS 2.0"])

EPCIS_VERSION = "2.0.0"
CBV_VERSION = "2.0.0"
VERSION_HEADERS = {"GS1-EPCIS-Version": EPCIS_VERSION, "GS1-CBV-Version": CBV_VERSION,
                   "GS1-EPC-Format": "Always_GS1_Digital_Link"}
JSON_TYPES = ("application/ld+json", "application/json")
PROBLEM = "application/problem+json"


@router.get("/epcis/events", response_class=Response, responses={
    **documented(401, 429),
    200: {"description": "An EPCISQueryDocument (EPCIS 2.0 REST bindings).",
          "content": {"application/ld+json": {}, "application/json": {}}},
    400: {"description": "A parameter this repository does not support or cannot read "
                         "(epcisException:QueryParameterException).",
          "content": {PROBLEM: {}}},
    406: {"description": "A representation or version this repository cannot give "
                         "(epcisException:NotAcceptableException).",
          "content": {PROBLEM: {}}}})
def events(request: Request, services: ServicesDep, _: CallerDep) -> Response:
    """EPCIS events matching the query parameters (eventType, GE_/LT_eventTime,
    GE_/LT_recordTime, EQ_bizStep, EQ_disposition, MATCH_epc, MATCH_anyEPC,
    MATCH_epcClass, MATCH_anyEPCClass, EQ_bizLocation, … perPage, nextPageToken), oldest
    first. 按EPCIS 2.0 标准查询事件。"""
    refusal = _not_acceptable(request)
    if refusal is not None:
        return refusal
    try:
        query = EventQuery.parse(request.query_params.multi_items())
    except InvalidInput as error:
        return _problem(400, "epcisException:QueryParameterException",
                        "EPCIS query parameter exception", error)
    page = run_query(services.epcis, query)
    headers = dict(VERSION_HEADERS)
    document: dict[str, Any] = query_document(page.events)
    if page.next_token is not None:
        kept = [(name, value) for name, value in request.query_params.multi_items()
                if name != "nextPageToken"]
        url = request.url.replace(query=urlencode([*kept, ("nextPageToken", page.next_token)]))
        headers["Link"] = f'<{url}>; rel="next"'
        document["epcisBody"]["queryResults"]["nextPageToken"] = page.next_token
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(body, media_type=_media_type(request), headers=headers)


def _media_type(request: Request) -> str:
    accept = request.headers.get("accept", "")
    return "application/json" if "application/json" in accept and \
        "application/ld+json" not in accept else "application/ld+json"


def _not_acceptable(request: Request) -> Response | None:
    headers = request.headers
    accept = headers.get("accept", "*/*").lower()
    if not any(kind in accept for kind in (*JSON_TYPES, "*/*", "application/*")):
        return _problem(406, "epcisException:NotAcceptableException",
                        "Conflicting request and response headers",
                        InvalidInput("this repository answers in JSON-LD or JSON only",
                                     field="Accept"))
    for name, version in (("GS1-EPCIS", EPCIS_VERSION), ("GS1-CBV", CBV_VERSION)):
        low, high = headers.get(f"{name}-Min"), headers.get(f"{name}-Max")
        if (low and _version(low) > _version(version)) or \
                (high and _version(high) < _version(version)):
            return _problem(406, "epcisException:NotAcceptableException",
                            "Conflicting request and response headers",
                            InvalidInput(f"this repository speaks {name.removeprefix('GS1-')} "
                                         f"{version} only", field=f"{name}-Min"
                                         if low and _version(low) > _version(version)
                                         else f"{name}-Max"))
    if headers.get("GS1-EPC-Format", "").strip() == "Always_EPC_URN":
        return _problem(406, "epcisException:NotAcceptableException",
                        "Conflicting request and response headers",
                        InvalidInput("lots without a GTIN have no EPC URN; identifiers are "
                                     "GS1 Digital Link URIs", field="GS1-EPC-Format"))
    return None


def _version(text: str) -> tuple[int, ...]:
    parts = [part for part in text.strip().split(".") if part.isdigit()]
    return tuple(int(part) for part in parts) + (0,) * (3 - len(parts))


def _problem(status: int, kind: str, title: str, error: InvalidInput) -> Response:
    body = {"type": kind, "title": title, "status": status,
            "detail": f"{error.field}: {error.reason}",
            "error": type(error).__name__, "field": error.field, "reason": error.reason}
    return Response(json.dumps(body, ensure_ascii=False).encode("utf-8"), status_code=status,
                    media_type=PROBLEM, headers=VERSION_HEADERS)
