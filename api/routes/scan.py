"""The GS1 Digital Link resolver: what a scanned QR code opens (DESIGN §6).

``GET /01/{gtin}/10/{lot}[/21/{serial}]``:

- a browser gets the consumer page, in the language of ``Accept-Language`` (Chinese by
  default, ``?lang=en|zh`` to choose);
- ``Accept: application/json`` (or ``?linkType=gs1:traceability``) gets the public summary;
- ``?linkType=linkset`` or ``all`` (or ``Accept: application/linkset+json``) gets the
  RFC 9264 link set;
- ``?linkType=gs1:recallStatus`` gets the recall status; ``gs1:certificationInfo`` and
  ``agritrace:bundle`` redirect (307) to the certificate and the proof bundle, passing on the
  rest of the query string; a link type not offered gets the default, the page.

``GET /{compressed}``: a compressed Digital Link (``ledger.digitallink.compressed``) gets the answer
of the uncompressed one, its query pairs before the request's own, with the uncompressed URI
in a ``Link`` header (``rel="owl:sameAs"``). ``GET /.well-known/gs1resolver`` is the resolver
description file (``api.scan.gs1resolver``). CORS for all of them is in ``api.middleware.cors``.

A malformed path (bad check digit, qualifiers out of order, a serial over 20 characters) is a
400; a well-formed code that names no registered lot or unit is a 404 page saying the product
may be counterfeit. Serialised codes have their scans counted (``ledger.consumer.scans``).
``GET /lots/{lot}/page`` is the same page for lots without a GTIN. QR images, label sheets and
the certificate are in ``api.routes.printing``, included here.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.convertors import Convertor, register_url_convertor

from api.deps import ScanningDep
from api.pages import wants
from api.routes import printing
from api.scan.gs1resolver import resolver_description
from api.scan.linkset import (
    BUNDLE,
    GS1,
    LINKSET_TYPE,
    link_set,
    link_type,
    linkset_link,
    recall_status,
)
from api.scan.resolving import NotRegistered, Scanning, raw_path, resolve
from api.scan.responses import answers, consumer_page, problem
from ledger.consumer import LotSummary
from ledger.consumer.scans import ScanStats, scan_warnings
from ledger.digitallink.compressed import decompress_digital_link
from ledger.digitallink.uris import MAX_PATH, DigitalLink, parse_digital_link
from ledger.domain.fields import lot_code
from ledger.errors import InvalidInput, NotFound

__all__ = ["public_json", "router"]

router = APIRouter(tags=["scan 扫码"])
router.include_router(printing.router)


ANY: dict[str, Any] = {}
PAGE = {"text/html": {"schema": {"type": "string"}}, "application/json": {"schema": ANY}}


@router.get("/01/{path:path}", response_model=None,
            responses=answers({**PAGE, LINKSET_TYPE: {"schema": ANY}}, 304, 307, 400, 404),
            summary="Resolve a GS1 Digital Link 解析 GS1 数字链接")
def resolve_digital_link(path: str, request: Request, services: ScanningDep) -> Response:
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
        return _redirect(request, f"/lots/{lot}/bundle", link.uri(services.host))
    if relation == GS1 + "certificationInfo" and summary.compliance_certificate():
        return _redirect(request, f"/lots/{lot}/certificate", link.uri(services.host))
    stats = _scanned(services, link, count=request.method == "GET")
    if relation == GS1 + "traceability" or (relation is None
                                             and wants(request, "application/json")):
        return JSONResponse(public_json(summary, link, services, stats),
                            headers={"Vary": "Accept", "Cache-Control": "no-cache"})
    return consumer_page(request, services, summary, version, link=link, stats=stats)


class _Compressed(Convertor[str]):
    """A path segment that may be a compressed Digital Link: URI-safe base64, at least as
    long as the shortest (a GTIN alone, 10 characters), so short words are left alone; one
    too long is refused by ``decompress_digital_link`` (400)."""

    regex = "[A-Za-z0-9_-]{10,}"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("gs1compressed", _Compressed())


@router.get("/{compressed:gs1compressed}", response_model=None,
            responses=answers({**PAGE, LINKSET_TYPE: {"schema": ANY}}, 304, 307, 400, 404),
            summary="Resolve a compressed GS1 Digital Link 解析压缩的 GS1 数字链接")
def resolve_compressed(compressed: str, request: Request, services: ScanningDep) -> Response:
    """The answer of the uncompressed Digital Link, which the ``Link`` header names
    (``rel="owl:sameAs"``)."""
    try:
        found = decompress_digital_link(compressed)
    except InvalidInput as error:
        return problem(request, 400, error, code=compressed[:MAX_PATH])
    query = urlencode([*found.query, *request.query_params.multi_items()])
    uncompressed = Request({**request.scope, "path": found.path,
                            "raw_path": found.path.encode("ascii"),
                            "query_string": query.encode("ascii")}, request.receive)
    response = resolve_digital_link(found.path, uncompressed, services)
    same = (f"{services.host}{found.path}"
            + (f"?{urlencode(found.query)}" if found.query else ""))
    links = [response.headers.get("link"), f'<{same}>; rel="owl:sameAs"']
    response.headers["Link"] = ", ".join(link for link in links if link)
    return response


@router.get("/.well-known/gs1resolver", summary="The resolver description file 解析器说明")
def gs1resolver(services: ScanningDep) -> JSONResponse:
    """What this GS1 Digital Link resolver serves (GS1-Conformant Resolver standard)."""
    return JSONResponse(resolver_description(services.host),
                        headers={"Cache-Control": "public, max-age=3600"})


@router.get("/lots/{lot}/page", response_model=None, responses=answers(PAGE, 304, 400, 404),
            summary="A lot's consumer page 批次追溯页面")
def lot_page(lot: str, request: Request, services: ScanningDep) -> Response:
    """The consumer page by lot code, for lots without a GTIN (harvest, collection and grade
    lots); a packed lot's page is its Digital Link."""
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
router.add_api_route("/{compressed:gs1compressed}", resolve_compressed, methods=["HEAD"],
                     include_in_schema=False, response_model=None)
router.add_api_route("/.well-known/gs1resolver", gs1resolver, methods=["HEAD"],
                     include_in_schema=False)


def _redirect(request: Request, target: str, anchor: str) -> RedirectResponse:
    """307 to ``target`` with the request's query string but for ``linkType`` (GS1: a
    resolver passes the query on when it redirects), naming the link set of ``anchor``."""
    rest = [(key, value) for key, value in request.query_params.multi_items()
            if key != "linkType"]
    return RedirectResponse(target + (f"?{urlencode(rest)}" if rest else ""), status_code=307,
                            headers={"Link": linkset_link(anchor)})


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
