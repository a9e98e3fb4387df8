"""QR images, label sheets and the compliance certificate, over HTTP.

- ``GET /qr/01/{gtin}/10/{lot}[/21/{serial}].png|.svg`` the QR code of a registered Digital
  Link on the public host (``?size=`` pixels per module for PNG, default 10);
- ``GET /lots/{lot}/labels.pdf[?first=&count=]`` A4 label sheets of a packed lot, at most
  ``SHEET_LABELS`` labels a request (``Link: rel="next"`` names the rest), kept once drawn
  and drawn a few at a time (``api.sheets``);
- ``GET /lots/{lot}/certificate`` and ``/certificate.pdf`` the lot's 承诺达标合格证.

Nothing is printed for a lot that is recalled or held, or made from one that is: 409 naming
the rule, the lot and the record (``ledger.labels.standing``).

Printing costs CPU (choosing a QR code's mask, drawing hundreds of labels), so these spend
from the caller's address's rate limit, as the other public endpoints do; a label sheet that
must be drawn spends a token per label.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from api.deps import LimiterDep, ScanningDep, ServicesDep
from api.middleware.limits import RateLimiter
from api.pages import language_of, render
from api.scan.resolving import NotRegistered, Scanning, raw_path, resolve
from api.scan.responses import answers, problem
from api.sheets import SHEET_LABELS
from ledger.digitallink.uris import MAX_PATH, parse_digital_link
from ledger.domain.fields import lot_code
from ledger.errors import InvalidInput, NotFound, WrongState
from ledger.labels import (
    certificate_pdf,
    compliance_certificate,
    label_sheet_pdf,
    labels_for,
    qr_png,
    qr_svg,
)
from ledger.labels.certificate import ComplianceCertificate

__all__ = ["limited", "router"]


def limited(request: Request, limiter: LimiterDep) -> None:
    """Spend one request from the address's bucket (429 when it is spent)."""
    charge(request, limiter, 1)


def charge(request: Request, limiter: RateLimiter, cost: float) -> None:
    """Spend ``cost`` from the address's bucket (429 when it is spent)."""
    limiter.take(request.client.host if request.client else "unknown", cost)


router = APIRouter(tags=["labels 标签"], dependencies=[Depends(limited)])
CACHED = "public, max-age=86400"
PDF = {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}
FORMATS = {".png": "image/png", ".svg": "image/svg+xml"}


@router.get("/qr/01/{path:path}", response_model=None,
            responses=answers({"image/png": {"schema": {"type": "string", "format": "binary"}},
                               "image/svg+xml": {"schema": {"type": "string"}}},
                              400, 404, 429),
            summary="QR code of a Digital Link 数字链接二维码")
def qr_code(path: str, request: Request, services: ScanningDep) -> Response:
    sent = raw_path(request, "/qr")
    suffix = sent[-4:].lower()
    if suffix not in FORMATS:
        return problem(request, 400, InvalidInput("must end in .png or .svg", field="path"),
                       code=sent[:MAX_PATH])
    try:
        link = parse_digital_link(sent[:-4])
        size = _size(request.query_params.get("size", "10"))
    except InvalidInput as error:
        return problem(request, 400, error, code=sent[:MAX_PATH])
    try:
        resolve(services, link)
    except NotRegistered as error:
        return problem(request, 404, error, code=link.uri(services.host))
    uri = link.uri(services.host)
    image = (qr_png(uri, box_size=size) if suffix == ".png"
             else qr_svg(uri, title=uri).encode())
    return Response(image, media_type=FORMATS[suffix], headers={"Cache-Control": CACHED})


def _size(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 40:
        raise InvalidInput("must be 1-40 pixels per module", field="size")
    return int(text)


@router.get("/lots/{lot}/labels.pdf", response_class=Response,
            responses=answers(PDF, 400, 404, 409, 429, 503, pages=False),
            summary="Label sheet of a packed lot 标签")
async def label_sheet(lot: str, request: Request, shared: ServicesDep,
                      first: Annotated[int | None, Query(ge=1, le=10**12,
                                                         description="first serial")] = None,
                      count: Annotated[int | None, Query(
                          ge=1, le=SHEET_LABELS, description=f"labels, at most {SHEET_LABELS} "
                                                             "a request")] = None) -> Response:
    """A4 sheets of 70 × 37 mm labels: product, lot, grade, net weight, pack date and the QR
    code; one per unit of a serialised lot, at most 200 a request (``Link: rel="next"``
    names the next range)."""
    services = shared.scanning
    summary = await run_in_threadpool(services.summaries.summary, lot_code(lot, "lot"))
    labels = labels_for(summary, services.host, first=first, count=count, limit=SHEET_LABELS)
    pdf = await shared.sheets.pdf(labels, f"标签 labels {summary.lot}", draw=label_sheet_pdf,
                                  charge=lambda: charge(request, shared.limiter, len(labels)))
    headers = {"Content-Disposition": f'inline; filename="{summary.lot}.labels.pdf"'}
    packing = summary.packing
    last = labels[-1].serial
    if packing and packing.serial_last is not None and last and int(last) < packing.serial_last:
        headers["Link"] = (f'</lots/{summary.lot}/labels.pdf?first={int(last) + 1}'
                           f'&count={SHEET_LABELS}>; rel="next"')
    return Response(pdf, media_type="application/pdf", headers=headers)


def _certificate(services: Scanning, lot: str) -> ComplianceCertificate:
    return compliance_certificate(services.summaries.summary(lot_code(lot, "lot")),
                                  services.host)


@router.get("/lots/{lot}/certificate", response_class=HTMLResponse,
            responses=answers({"text/html": {"schema": {"type": "string"}}}, 400, 404, 409,
                              429),
            summary="The lot's compliance certificate 承诺达标合格证")
def certificate_page(lot: str, request: Request, services: ScanningDep) -> Response:
    try:
        certificate = _certificate(services, lot)
    except InvalidInput as error:
        return problem(request, 400, error, code=lot[:MAX_PATH])
    except NotFound as error:
        return problem(request, 404, error, code=lot)
    except WrongState as error:
        return problem(request, 409, error, code=lot)
    lang = language_of(request)
    html = render("certificate.html", lang, c=certificate,
                  qr=Markup(qr_svg(certificate.uri, title=certificate.uri)),  # noqa: S704
                  page=certificate.uri, pdf=f"/lots/{certificate.lot}/certificate.pdf")
    return HTMLResponse(html, headers={"Content-Language": lang,
                                       "Vary": "Accept-Language"})


@router.get("/lots/{lot}/certificate.pdf", response_class=Response,
            responses=answers(PDF, 400, 404, 409, 429, pages=False),
            summary="The compliance certificate as PDF 承诺达标合格证 PDF")
def certificate_document(lot: str, services: ScanningDep) -> Response:
    certificate = _certificate(services, lot)
    return Response(certificate_pdf(certificate), media_type="application/pdf",
                    headers={"Content-Disposition":
                             f'inline; filename="{certificate.lot}.certificate.pdf"'})

