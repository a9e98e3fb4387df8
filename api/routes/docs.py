"""``GET /docs``: the interactive API documentation (Swagger UI), every asset served from
this service (``api/static/vendor/swagger-ui``), so it works without internet access."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
PAGE = (Path(__file__).resolve().parents[1] / "templates" / "api-docs.html").read_text(
    encoding="utf-8")


@router.get("/docs", response_class=HTMLResponse)
def docs() -> HTMLResponse:
    return HTMLResponse(PAGE)
