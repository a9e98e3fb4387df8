"""The recording app at ``/app``: server-rendered pages, small scripts, one service worker.

Each page is the same for everyone (no token, no lot in it): what a page shows of a lot the
script reads from the API (``GET /lots/{lot}``) or, offline, from what the phone kept. So
the service worker can keep every page and serve it offline, and a page is public. The
scripts (``api/static/app/``) make the phone's key, build and sign records and queue them;
the server checks every record again (``POST /records/signed``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse

from api.appforms import FORMS
from api.pages import render

__all__ = ["router"]

router = APIRouter(prefix="/app", include_in_schema=False)
STATIC = Path(__file__).resolve().parents[1] / "static" / "app"
# Pages are the same for everyone and change only with a release: a short cache, and the
# service worker keeps its own copy for offline use.
PAGE_HEADERS = {"Cache-Control": "no-cache"}


def _page(template: str, page: str, **context: Any) -> HTMLResponse:
    return HTMLResponse(render(f"app/{template}", "zh", page=page, **context),
                        headers=PAGE_HEADERS)


@router.get("")
def home() -> HTMLResponse:
    return _page("home.html", "home")


@router.get("/pair")
def pair() -> HTMLResponse:
    return _page("pair.html", "pair")


@router.get("/devices")
def devices() -> HTMLResponse:
    return _page("devices.html", "devices")


@router.get("/households")
def households() -> HTMLResponse:
    return _page("households.html", "households")


@router.get("/settings")
def settings() -> HTMLResponse:
    return _page("settings.html", "settings")


@router.get("/queue")
def queue() -> HTMLResponse:
    return _page("queue.html", "queue")


@router.get("/lot")
def lot() -> HTMLResponse:
    return _page("lot.html", "lot", forms=list(FORMS.values()))


@router.get("/step/{slug}")
def step(slug: str) -> HTMLResponse:
    form = FORMS.get(slug)
    if form is None:
        raise HTTPException(404, f"no form {slug!r}; one of {', '.join(FORMS)}")
    return _page("step.html", "step", form=form)


@router.get("/sw.js")
def service_worker() -> FileResponse:
    """The service worker, served under ``/app`` so that it may control every app page."""
    # Its scope is /app (the home page has no trailing slash), above its own folder /app/.
    return FileResponse(STATIC / "sw.js", media_type="text/javascript",
                        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/app"})


@router.get("/manifest.webmanifest")
def manifest() -> JSONResponse:
    return JSONResponse({
        "name": "agritrace 农事记录", "short_name": "农事记录", "lang": "zh-CN",
        "start_url": "/app", "scope": "/app", "display": "standalone",
        "background_color": "#ffffff", "theme_color": "#145a1f",
        "icons": [{"src": "/static/app/icon.svg", "sizes": "any", "type": "image/svg+xml"}],
    }, media_type="application/manifest+json")
