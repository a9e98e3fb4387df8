"""Reading lots: a lot's paged history (``GET /lots/{lot}``), its proof bundle, a search over
every lot (``GET /lots``), and a bilingual index page (``GET /``).

A lot's history and bundle are public, as a scanned QR code is: the records hold no private
values, only commitments. Search needs a token: it enumerates the whole ledger.
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from api.deps import CallerDep, ChainsDep, LedgerDep, LogDep, LotPath, ReaderDep
from api.pages import render
from api.schemas import LotHistoryPublic, LotRowPublic, SearchPublic
from api.schemas import errors as documented
from api.schemas.common import ORG_PATTERN
from ledger.bundles import MEDIA_TYPE, build_bundle
from ledger.domain.fields import gtin as parse_gtin
from ledger.domain.fields import timestamp
from ledger.errors import InvalidInput
from ledger.persistence.projections import LotQuery
from ledger.views import lot_summary, record_view

__all__ = ["router"]

INDEX_LIMIT = 200
MAX_OFFSET = 10**9
NAME = r"^[^\x00-\x1f\x7f]+$"  # no control characters
router = APIRouter(tags=["lots 批次"])


@router.get("/lots/{lot}/bundle", response_class=Response,
            responses={200: {"content": {MEDIA_TYPE: {}},
                             "description": "the lot's proof bundle (docs/bundle.md)"},
                       **documented(400, 401, 404, 429, 503, plain=True)})
def lot_bundle(lot: LotPath, ledger: LedgerDep, log: LogDep, _: ReaderDep,
               since: Annotated[list[Annotated[int, Query(ge=1, le=2**63 - 1)]] | None, Query(
                   max_length=16,
                   description="earlier checkpoint sizes to prove consistency from")] = None,
               ) -> Response:
    """The lot's proof bundle (format 2) at the latest checkpoint: its chain, every
    ancestor's and every signer's, each whole, with inclusion proofs and the proof that each
    chain ends at its head in the checkpoint's chain-head map; check it offline with
    ``agritrace-verify``. 400 naming the lot when it would hold more records than a
    verifier reads."""
    bundle = build_bundle(ledger, log, lot, since=since or ())
    return Response(bundle.to_json(), media_type=MEDIA_TYPE,
                    headers={"Content-Disposition": f'inline; filename="{quote(lot)}.bundle.json"'})


@router.get("/lots/{lot}", response_model=LotHistoryPublic,
            responses=documented(400, 401, 404, 429))
def lot_history(
    lot: LotPath, ledger: LedgerDep, chains: ChainsDep, request: Request, _: ReaderDep,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="First record.")] = 0,
    limit: Annotated[int, Query(ge=1, le=500, description="Records per page.")] = 100,
) -> JSONResponse:
    """A lot's summary and its records, in chain order, a page at a time."""
    # The hottest read: plain views straight to JSON, skipping a second validation of the
    # same views in the thread pool (the OpenAPI tests check the shape).
    current = ledger.lot(lot)
    page = chains.page(current.chain_name, offset, limit)
    following = offset + limit
    return JSONResponse({
        "lot": lot_summary(current),
        "history": [record_view(record, signature) for record, signature in page],
        "offset": offset, "limit": limit, "total": current.length,
        "next": (str(request.url.include_query_params(offset=following, limit=limit))
                 if following < current.length else None)})


SEARCH_FILTERS = ("product", "county", "org", "status", "gtin", "since", "until", "limit",
                  "offset")


@router.get("/lots", responses=documented(400, 401, 429))
def search_lots(
    ledger: LedgerDep, _: CallerDep, request: Request,
    product: Annotated[str | None, Query(max_length=80, pattern=NAME,
                                         description="Part of the product name.")] = None,
    county: Annotated[str | None, Query(max_length=40, pattern=NAME,
                                        description="Origin county, e.g. 凤凰县.")] = None,
    org: Annotated[str | None, Query(pattern=ORG_PATTERN,
                                     description="Producer or current custodian.")] = None,
    status: Literal["active", "in-transit", "held", "consumed", "recalled"] | None = None,
    gtin: Annotated[str | None, Query(max_length=14, pattern=r"^[0-9]{8,14}$",
                                      description="GTIN the lot is packed under (8-14 "
                                                  "digits, check digit checked).")] = None,
    since: Annotated[str | None, Query(max_length=40, description="Started at or after (ISO "
                                                                  "8601 with zone).")] = None,
    until: Annotated[str | None, Query(max_length=40, description="Started at or before.")
                     ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> SearchPublic:
    """Lots by product, origin county, organisation, status, GTIN and start date, newest
    first; every filter given must hold. An unknown query parameter is 400 naming it, so a
    misspelt filter never silently returns every lot."""
    unknown = sorted(set(request.query_params) - set(SEARCH_FILTERS))
    if unknown:
        raise InvalidInput(f"is not a filter of /lots; one of {', '.join(SEARCH_FILTERS)}",
                           field=unknown[0])
    query = LotQuery(product=product, county=county, org=org, status=status,
                     gtin=parse_gtin(gtin, "gtin") if gtin else None,
                     since=timestamp(since, "since") if since else None,
                     until=timestamp(until, "until") if until else None,
                     limit=limit, offset=offset)
    rows = [LotRowPublic(**row) for row in ledger.search_lots(query)]
    return SearchPublic(lots=rows, offset=offset, limit=limit)


@router.get("/", response_class=HTMLResponse, responses=documented(401, 429, plain=True))
def index(ledger: LedgerDep, _: ReaderDep) -> HTMLResponse:
    """A small bilingual page listing the lots (the demo lots after ``agritrace demo``)."""
    lots = ledger.chains("lot")[:INDEX_LIMIT]
    return HTMLResponse(render("index.html", "zh", lots=lots))
