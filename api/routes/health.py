"""``GET /healthz``: whether the service runs and its store answers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import LedgerDep

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(ledger: LedgerDep) -> JSONResponse:
    """Whether the service runs and its store answers."""
    try:
        records: int | None = ledger.store.max_notification_id()
    except Exception:  # any driver error means the same thing here: not reachable
        records = None
    reachable = records is not None
    body: dict[str, Any] = {
        "status": "ok" if reachable else "unavailable",
        "store": {"backend": ledger.store.backend.kind, "reachable": reachable,
                  "records": records},
    }
    return JSONResponse(body, status_code=200 if reachable else 503)
