"""The HTTP service, minimal for now: health, a lot's history and a bilingual index page.

``create_app(settings)`` opens one ``Ledger`` for the process and closes it at shutdown.
Routes are plain ``def``: the ledger blocks, so FastAPI runs them in its thread pool. Every
``LedgerError`` becomes a JSON body naming the field and the reason, in one handler, with
the status ``STATUSES`` gives it.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from html import escape
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse

from ledger.application import Ledger, SignedRecord
from ledger.config import Settings
from ledger.domain.fields import format_decimal
from ledger.domain.lot import Lot
from ledger.errors import (
    AlreadyExists,
    ChainConflict,
    InvalidInput,
    LedgerError,
    NotFound,
    NotPermitted,
    StoreUnavailable,
    WrongState,
)

__all__ = ["STATUSES", "create_app", "status_of"]

# First match wins; anything else (an audit failure) is the server's fault: 500.
STATUSES: tuple[tuple[type[LedgerError], int], ...] = (
    (NotFound, 404),
    (InvalidInput, 422),
    (NotPermitted, 403),
    (WrongState, 409),
    (ChainConflict, 409),
    (AlreadyExists, 409),
    (StoreUnavailable, 503),
)
INDEX_LIMIT = 200


def status_of(error: LedgerError) -> int:
    return next((status for kind, status in STATUSES if isinstance(error, kind)), 500)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The application over one ledger; settings default to the environment."""
    ledger = Ledger(settings or Settings.from_env())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        ledger.close()

    app = FastAPI(title="agritrace", summary="农产品追溯账本 produce traceability ledger",
                  lifespan=lifespan)
    app.state.ledger = ledger
    app.add_exception_handler(LedgerError, _ledger_error)  # type: ignore[arg-type]
    app.include_router(router)
    return app


def _ledger_error(_: Request, error: LedgerError) -> JSONResponse:
    body = {"error": type(error).__name__, "field": error.field, "reason": error.reason}
    return JSONResponse(body, status_code=status_of(error))


def get_ledger(request: Request) -> Ledger:
    ledger: Ledger = request.app.state.ledger
    return ledger


LedgerDep = Annotated[Ledger, Depends(get_ledger)]
router = APIRouter()


@router.get("/healthz")
def healthz(ledger: LedgerDep) -> JSONResponse:
    """Whether the service runs and its store answers."""
    try:
        records: int | None = ledger.store.max_notification_id()
    except Exception:  # any driver error means the same thing here: not reachable
        records = None
    reachable = records is not None
    body = {"status": "ok" if reachable else "unavailable",
            "store": {"backend": ledger.store.backend.kind, "reachable": reachable,
                      "records": records}}
    return JSONResponse(body, status_code=200 if reachable else 503)


@router.get("/lots/{lot}")
def lot_history(lot: str, ledger: LedgerDep) -> dict[str, Any]:
    """A lot's summary and every record of its chain, in order."""
    history = ledger.lot_history(lot)
    return {"lot": lot_summary(ledger.lot(lot)),
            "history": [record_entry(signed) for signed in history]}


def lot_summary(lot: Lot) -> dict[str, Any]:
    return {
        "lot": lot.code, "product": lot.product, "origin": lot.origin,
        "quantity": format_decimal(lot.quantity), "remaining": format_decimal(lot.remaining),
        "unit": lot.unit, "status": lot.status, "custodian": lot.custodian,
        "in_transit_to": lot.in_transit_to, "grade": lot.grade, "gtin": lot.gtin,
        "started": lot.started_at, "parents": lot.parents, "children": lot.children,
        "head": lot.head.hex(),
    }


def record_entry(signed: SignedRecord) -> dict[str, Any]:
    record = signed.record
    return {
        "seq": record.seq, "type": record.type, "time": record.time, "org": record.org,
        "data": record.data, "hash": record.hash_hex, "prev": record.prev.hex(),
        "links": [link.hex() for link in record.links], "key": record.key,
        "recorded": record.recorded,
        "signature": base64.b64encode(signed.signature).decode("ascii"),
    }


@router.get("/", response_class=HTMLResponse)
def index(ledger: LedgerDep) -> HTMLResponse:
    """A small bilingual page listing the lots (the demo lots after ``agritrace demo``)."""
    firsts = ledger.chains("lot")[:INDEX_LIMIT]
    rows = "\n".join(
        f'<li><a href="/lots/{quote(first.subject)}">{escape(first.subject)}</a> '
        f"{escape(str(first.data.get('product', {}).get('name', '')))} "
        f"<small>{escape(first.type)} {escape(first.time)}</small></li>"
        for first in firsts)
    body = (f"<ul>\n{rows}\n</ul>" if rows else
            "<p>尚无批次。运行 <code>agritrace demo</code> 写入演示数据。<br>"
            "No lots yet: run <code>agritrace demo</code> to seed the demo data.</p>")
    return HTMLResponse(PAGE.format(body=body))


PAGE = """<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>agritrace 农产品追溯 · produce traceability</title>
</head>
<body>
<h1>农产品追溯账本 <small lang="en">Produce traceability ledger</small></h1>
<p>每条记录都经签名并哈希链接。<span lang="en">Every record is signed and hash-chained.</span></p>
<h2>批次 <small lang="en">Lots</small></h2>
{body}
<p><a href="/healthz">healthz</a> · <a href="/docs">API docs</a></p>
</body>
</html>
"""
