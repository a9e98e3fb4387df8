"""Platforms: verify listings in bulk with signed verdicts (``POST /platform/listings/verify``)
and the verdict key that signs them (``GET /.well-known/agritrace/verdict-key``).

Verifying listings needs a token: an organisation's with the ``platform`` role, or an admin
token (an operator checking on a platform's behalf). Anyone may read the verdict key, as
anyone may check a verdict. The work is in ``ledger.platform``; docs/platform.md has the
formats.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.concurrency import run_in_threadpool

from api.deps import CallerDep, ReaderDep, ServicesDep
from api.schemas import errors as documented
from ledger.access.grants import Caller
from ledger.application import Ledger
from ledger.errors import InvalidInput, NotPermitted
from ledger.platform.listings import MAX_LISTINGS, listings_from_csv, listings_from_json

__all__ = ["LISTINGS_BODY_LIMIT", "VERIFY_PATH", "router"]

router = APIRouter(tags=["platform 电商平台"])
# 10,000 listings of a few hundred bytes each; the service's usual limit is 1 MiB.
LISTINGS_BODY_LIMIT = 16 * 1024 * 1024
VERIFY_PATH = "/platform/listings/verify"
LISTING_SCHEMA = {
    "type": "object", "required": ["listing_id"],
    "properties": {
        "listing_id": {"type": "string", "maxLength": 100},
        "gtin": {"type": "string", "examples": ["06901234567892"]},
        "lot": {"type": "string", "examples": ["KG1"]},
        "serial": {"type": "string"},
        "product": {"type": "string"},
        "origin": {"type": "object", "properties": {
            part: {"type": "string"} for part in ("province", "county", "village")}},
        "province": {"type": "string"}, "county": {"type": "string"},
        "village": {"type": "string"},
        "grade": {"type": "string"},
        "net_weight": {"type": "string", "examples": ["5"]},
        "net_weight_unit": {"type": "string", "enum": ["kg", "g", "jin"]},
        "certificates": {"type": "array", "items": {"type": "string"}},
    }}


def _require_platform(ledger: Ledger, caller: Caller) -> None:
    if caller.admin:
        return
    org = caller.acting_org()
    if "platform" not in ledger.organisation(org).roles:
        raise NotPermitted(f"{org} is not registered with the platform role; listing "
                           "verification is for platforms (or an admin token)",
                           field="authorization")


@router.post(VERIFY_PATH, responses=documented(401, 403, 413, 422, 429), openapi_extra={
    "requestBody": {"required": True, "content": {
        "application/json": {"schema": {"oneOf": [
            {"type": "object", "required": ["listings"], "properties": {"listings": {
                "type": "array", "minItems": 1, "maxItems": MAX_LISTINGS,
                "items": LISTING_SCHEMA}}},
            LISTING_SCHEMA]}},
        "text/csv": {"schema": {"type": "string"}}}}})
async def verify_listings(
    request: Request, services: ServicesDep, caller: CallerDep,
    documents: Annotated[bool, Query(description="Carry each listing's complete verdict "
                                                 "document (bundle and key proof included), "
                                                 "for agritrace-verify verdict.")] = False,
) -> JSONResponse:
    """Verify what sellers claim (GTIN, lot or serial, product, origin, grade, net weight,
    certificates) against the lots' verified records: one signed verdict per listing, `ok`,
    `mismatch`, `recalled`, `held`, `unknown` or `expired` (that precedence: unknown first),
    with every claim that differs and the lot's verified state. JSON or CSV with a header
    row; up to 10,000 listings (413 over); malformed rows get per-row errors and the rest
    are still judged. 核验商品信息，逐条给出签名结论。"""
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    raw = await request.body()
    return await run_in_threadpool(_verify, services, caller, kind, raw, documents)


def _verify(services: Any, caller: Caller, kind: str, raw: bytes,
            documents: bool) -> JSONResponse:
    _require_platform(services.ledger, caller)
    if kind in ("text/csv", "application/csv"):
        parsed = listings_from_csv(raw)
    elif kind == "application/json" or kind.endswith("+json"):
        try:
            body = json.loads(raw.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError, RecursionError) as error:
            raise InvalidInput(f"the body is not valid JSON: {error}", field=None) from error
        parsed = listings_from_json(body)
    else:
        raise InvalidInput("send application/json or text/csv (with a header row)",
                           field="content-type")
    answer = services.verdicts.get().judge_listings(parsed, documents=documents)
    return JSONResponse(answer)


@router.get("/.well-known/agritrace/verdict-key", response_class=PlainTextResponse,
            responses={200: {"content": {"text/plain": {}},
                             "description": "The verdict key, name+hexid+base64."},
                       **documented(401, 429, plain=True)})
def verdict_key(services: ServicesDep, _: ReaderDep) -> PlainTextResponse:
    """The service's verdict key (a C2SP signed-note verifier key) that signs platform
    verdicts; pin it in `agritrace-verify verdict --verdict-key`. Its organisation, which
    records it in the log, is in the `Agritrace-Verdict-Org` header. 核验结论签名公钥。"""
    verdicts = services.verdicts.get()
    verdicts.publish()
    return PlainTextResponse(verdicts.key.vkey + "\n",
                             headers={"Agritrace-Verdict-Org": verdicts.key.org})
