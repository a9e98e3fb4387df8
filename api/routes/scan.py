"""The GS1 Digital Link resolver: what a scanned QR code opens (DESIGN §6).

``GET /01/{gtin}/10/{lot}[/21/{serial}]``:

- a browser gets the consumer page, in the language of ``Accept-Language`` (Chinese by
  default, ``?lang=en|zh`` to choose);
- ``Accept: application/json`` (or ``?linkType=gs1:traceability``) gets the public summary;
- ``?linkType=all`` (or ``Accept: application/linkset+json``) gets the RFC 9264 link set;
- ``?linkType=gs1:recallStatus`` gets the recall status; ``gs1:certificationInfo`` and
  ``agritrace:bundle`` redirect to the certificate and the proof bundle; a link type not
  offered gets the default, the page.

A malformed path (bad check digit, qualifiers out of order, a serial over 20 characters) is a
400; a well-formed code that names no registered lot or unit is a 404 page saying the product
may be counterfeit. Serialised codes have their scans counted (``ledger.scans``).
``GET /lots/{lot}/page`` is the same page for lots without a GTIN. QR images, label sheets and
the certificate are in ``api.routes.printing``, included here.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from api.linkset import BUNDLE, GS1, LINKSET_TYPE, link_set, link_type, recall_status
from api.pages import wants
from api.responses import answers, consumer_page, problem
from api.routes import printing
from api.scanning import NotRegistered, Scanning, raw_path, resolve, scanning
from ledger.consumer import LotSummary
from ledger.digitallink import MAX_PATH, DigitalLink, parse_digital_link
from ledger.domain.fields import lot_code
from ledger.errors import InvalidInput, NotFound
from ledger.scans import ScanStats, scan_warnings

__all__ = ["public_json", "router"]

router = APIRouter(tags=["scan 扫码"])
router.include_router(printing.router)


ANY: dict[str, Any] = {}
PAGE = {"text/html": {"schema": {"type": "string"}}, "application/json": {"schema": ANY}}


@router.get("/01/{path:path}", response_model=None,
            responses=answers({**PAGE, LINKSET_TYPE: {"schema": ANY}}, 304, 307, 400, 404),
            summary="Resolve a GS1 Digital Link 解析 GS1 数字链接")
def resolve_digital_link(path: str, request: Request) -> Response:
    services = scanning(request)
    sent = raw_path(request)
    try:
        link = parse_digital_link(sent)
    except InvalidInput as error:
        return problem(request, 400, error, code=sent[:MAX_PATH])
    try:
        version, summary = resolve(services, link)
    except NotRegistered as error:
        return problem(request, 404, error, code=link.uri(services.host))
    relation = link_type(request.query_params.get("linkType"))
    lot = summary.lot
    if relation == "all" or (relation is None and wants(request, LINKSET_TYPE)):
        return JSONResponse(link_set(summary, link.uri(services.host), services.host),
                            media_type=LINKSET_TYPE, headers={"Vary": "Accept"})
    if relation == GS1 + "recallStatus":
        return JSONResponse(recall_status(summary), headers={"Cache-Control": "no-cache"})
    if relation == BUNDLE:
        return RedirectResponse(f"/lots/{lot}/bundle", status_code=307)
    if relation == GS1 + "certificationInfo" and summary.compliance_certificate():
        return RedirectResponse(f"/lots/{lot}/certificate", status_code=307)
    stats = _scanned(services, link, count=request.method == "GET")
    if relation == GS1 + "traceability" or (relation is None
                                             and wants(request, "application/json")):
        return JSONResponse(public_json(summary, link, services, stats),
                            headers={"Vary": "Accept", "Cache-Control": "no-cache"})
    return consumer_page(request, services, summary, version, link=link, stats=stats)


@router.get("/lots/{lot}/page", response_model=None, responses=answers(PAGE, 304, 400, 404),
            summary="A lot's consumer page 批次追溯页面")
def lot_page(lot: str, request: Request) -> Response:
    """The consumer page by lot code, for lots without a GTIN (harvest, collection and grade
    lots); a packed lot's page is its Digital Link."""
    services = scanning(request)
    try:
        version, summary = services.summaries.versioned(lot_code(lot, "lot"))
    except InvalidInput as error:
        return problem(request, 400, error, code=lot[:MAX_PATH])
    except NotFound as error:
        return problem(request, 404, error, code=lot)
    link = DigitalLink(gtin=summary.gtin, lot=summary.lot) if summary.gtin else None
    if wants(request, "application/json"):
        return JSONResponse(public_json(summary, link, services, None),
                            headers={"Vary": "Accept", "Cache-Control": "no-cache"})
    return consumer_page(request, services, summary, version, link=link)


# HEAD answers like GET without a body, and counts no scan.
router.add_api_route("/01/{path:path}", resolve_digital_link, methods=["HEAD"],
                     include_in_schema=False, response_model=None)
router.add_api_route("/lots/{lot}/page", lot_page, methods=["HEAD"], include_in_schema=False,
                     response_model=None)


def _scanned(services: Scanning, link: DigitalLink, *, count: bool) -> ScanStats | None:
    if link.serial is None or link.lot is None:
        return None
    if count:
        return services.scans.count(link.gtin, link.lot, link.serial)
    return services.scans.stats(link.gtin, link.lot, link.serial)


def public_json(summary: LotSummary, link: DigitalLink | None, services: Scanning,
                stats: ScanStats | None) -> dict[str, Any]:
    """The public summary as JSON, with where to find the rest."""
    lot = summary.lot
    body = summary.to_json()
    body["links"] = {
        "page": link.uri(services.host) if link else f"{services.host}/lots/{lot}/page",
        "bundle": f"{services.host}/lots/{lot}/bundle",
        "linkset": f"{link.uri(services.host)}?linkType=all" if link else None,
        "certificate": (f"{services.host}/lots/{lot}/certificate"
                        if summary.compliance_certificate() else None),
    }
    if link is not None:
        body["digital_link"] = link.uri(services.host)
    if link is not None and link.serial is not None:
        packing = summary.packing
        body["serial"] = link.serial
        body["scans"] = stats.scans if stats else 0
        body["warnings"] = scan_warnings(stats, packing.best_before if packing else None)
    return body
