"""What a person or a program gets back from the resolver: the consumer page (kept while the
store is unchanged, with an ETag for a cheap revalidation on a slow connection) or a problem:
400 for a malformed code, 404 for one not registered, 409 for a lot nothing may be printed
for (recalled or held), as a page or as JSON.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from markupsafe import Markup

from api.errors import error_body
from api.pages import language_of, render, wants
from api.scan.coldchart import chart
from api.scan.linkset import linkset_link
from api.scan.resolving import Scanning, etag
from ledger.consumer import LotSummary
from ledger.consumer.scans import ScanStats, scan_warnings
from ledger.consumer.summary import PUBLIC_ORIGIN
from ledger.consumer.timeline import local_date
from ledger.digitallink.uris import DigitalLink
from ledger.errors import InvalidInput, NotFound, WrongState

__all__ = ["ERROR", "answers", "consumer_page", "problem"]

# The JSON body of every error (api.errors): what went wrong, which field, why.
ERROR: dict[str, Any] = {
    "type": "object", "required": ["error", "field", "reason"],
    "properties": {"error": {"type": "string"}, "field": {"type": ["string", "null"]},
                   "reason": {"type": "string"}, "rule": {"type": "string"},
                   "records": {"type": "array", "items": {"type": "string"}}}}
_WHY = {
    304: "Not modified: the page of this ETag is still current.",
    307: "The resource this link type names (Location).",
    400: "A malformed code or value: a page saying so, or the error as JSON.",
    404: "Not registered (possibly counterfeit): a page saying so, or the error as JSON.",
    409: "The lot is not packed (it has no GTIN to print), or it or a lot it was made from is "
         "recalled or held: nothing is printed for it (the error names the rule and record).",
    429: "Too many requests from this address; see Retry-After.",
    503: "Too much of this is being made at once; see Retry-After.",
}


def answers(ok: dict[str, Any], *codes: int, pages: bool = True) -> dict[int | str, Any]:
    """OpenAPI ``responses``: 200 in the media types ``ok``, and the other ``codes``; 400 and
    404 as a page or JSON where the route answers people (``pages``), else as JSON."""
    documented: dict[int | str, Any] = {200: {"description": "OK", "content": ok}}
    for code in codes:
        content: dict[str, Any] = {"application/json": {"schema": ERROR}}
        if pages and code in (400, 404, 409):
            content["text/html"] = {"schema": {"type": "string"}}
        documented[code] = {"description": _WHY[code]}
        if code not in (304, 307):
            documented[code]["content"] = content
    return documented


_PROBLEMS = {  # status → (kind, title, text)
    404: ("not-registered", "not_registered", "not_registered_text"),
    409: ("refused", "refused", "refused_text"),
}


def problem(request: Request, status: int, error: NotFound | InvalidInput | WrongState,
            code: str | None = None) -> Response:
    """A 400, 404 or 409 as JSON (``{"error", "field", "reason"}``, and the rule) for
    programs, as a page for people."""
    if wants(request, "application/json") or wants(request, "application/linkset+json"):
        return JSONResponse(error_body(error), status_code=status, headers={"Vary": "Accept"})
    lang = language_of(request)
    kind, title, text = _PROBLEMS.get(status, ("malformed", "bad_code", "bad_code_text"))
    html = render("problem.html", lang, kind=kind, code=code, reason=error.reason,
                  title=title, text=text)
    return HTMLResponse(html, status_code=status, headers={
        "Content-Language": lang, "Vary": "Accept, Accept-Language"})


def _field(name: str) -> Markup:
    return Markup('<span data-field="{}"></span>').format(name)


# Every status a page may show: the server's (in-transit) and the verified state's (released).
STATUSES = ("active", "in-transit", "held", "released", "recalled", "consumed")
HOTLINE = Markup('<a href="tel:12315">12315</a>')  # 全国市场监管投诉举报热线


WARNINGS = Markup("<!--agritrace:warnings-->")  # recorded text is escaped: it cannot fake this


def consumer_page(request: Request, services: Scanning, summary: LotSummary, version: int,
                  *, link: DigitalLink | None, stats: ScanStats | None = None) -> Response:
    """The consumer page of ``summary`` (valid at store ``version``), reached by ``link``
    (None: by lot code); for a serialised unit, warnings from its scan ``stats``.

    The page is rendered once per store version and kept; a unit's warnings, which change
    with its scans, are rendered apart and put in their place."""
    lang = language_of(request)
    packing = summary.packing
    best_before = packing.best_before if packing else None
    passed = bool(scan_warnings(None, best_before))
    key = (summary.lot, lang, link.path if link else None, passed)
    kept = services.pages.get(key, version)
    if kept is None:
        page = _render(services, summary, lang, link, passed)
        kept = services.pages.put(key, version, (page, etag(page)))
    html, tag = kept
    if link is not None and link.serial is not None:
        warnings = [(name, {"scans": stats.scans if stats else 0,
                            "date": local_date(best_before) if best_before else ""})
                    for name in scan_warnings(stats, best_before)]
        html = html.replace(WARNINGS, render("_warnings.html", lang, warnings=warnings), 1)
        tag = etag(html)
    else:
        html = html.replace(WARNINGS, "", 1)
    headers = {"Content-Language": lang, "Cache-Control": "no-cache",
               "Vary": "Accept, Accept-Language", "ETag": tag}
    if link is not None:
        headers["Link"] = linkset_link(link.uri(services.host))
    if tag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return HTMLResponse(html, headers=headers)


def _render(services: Scanning, summary: LotSummary, lang: str, link: DigitalLink | None,
            best_before_passed: bool) -> str:
    lot = summary.lot
    return render(
        "consumer.html", lang, s=summary, serial=link.serial if link else None,
        warnings_html=WARNINGS, chart=chart(summary.cold_chain), field=_field,
        best_before_passed=best_before_passed, statuses=STATUSES, hotline=HOTLINE,
        origin=" ".join(summary.origin[k] for k in PUBLIC_ORIGIN if k in summary.origin),
        verify={"log_key": services.log.vkey, "witnesses": services.witnesses},
        links={"linkset": f"{link.path}?linkType=all" if link else None,
               "bundle": f"/lots/{lot}/bundle", "certificate": f"/lots/{lot}/certificate"})
