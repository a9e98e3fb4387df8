"""Errors as HTTP responses, in one place, each a JSON body ``{"error", "field", "reason"}``.

``LedgerError`` → status, first match wins::

    InvalidInput      400 when the URL carries it (GET: a malformed path or query),
                      422 when a submitted body does
    NotFound          404   unknown lot or record, a tree size never published, no such tile
    NotPermitted      403
    WrongState, ChainConflict, AlreadyExists   409
    StoreUnavailable  503
    anything else     500   (AuditFailed: the log will not serve what does not verify)

FastAPI's own parameter checks (a size that is not a number) answer like ``InvalidInput``, and
its routing errors (no such path) in the same JSON shape.
"""

from __future__ import annotations

from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

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

__all__ = ["STATUSES", "install_error_handlers", "status_of"]

STATUSES: tuple[tuple[type[LedgerError], int], ...] = (
    (NotFound, 404),
    (InvalidInput, 422),
    (NotPermitted, 403),
    (WrongState, 409),
    (ChainConflict, 409),
    (AlreadyExists, 409),
    (StoreUnavailable, 503),
)
URL_ONLY = frozenset({"GET", "HEAD"})  # methods whose only input is the URL


def status_of(error: LedgerError, method: str = "POST") -> int:
    if isinstance(error, InvalidInput) and method in URL_ONLY:
        return 400
    return next((status for kind, status in STATUSES if isinstance(error, kind)), 500)


def _body(error: str, field: str | None, reason: str) -> dict[str, str | None]:
    return {"error": error, "field": field, "reason": reason}


def _ledger_error(request: Request, error: LedgerError) -> JSONResponse:
    return JSONResponse(_body(type(error).__name__, error.field, error.reason),
                        status_code=status_of(error, request.method))


def _invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
    first = error.errors()[0] if error.errors() else {}
    location = tuple(first.get("loc", ()))
    field = str(location[-1]) if len(location) > 1 else None
    reason = str(first.get("msg", "the request is malformed"))
    status = 400 if request.method in URL_ONLY else 422
    return JSONResponse(_body("InvalidInput", field, reason), status_code=status)


def _http_error(request: Request, error: HTTPException) -> JSONResponse:
    name = HTTPStatus(error.status_code).phrase.replace(" ", "")
    reason = str(error.detail)
    if error.status_code == 404 and reason == "Not Found":  # routing found no route
        reason = f"nothing is served at {request.url.path}"
    return JSONResponse(_body(name, None, reason), status_code=error.status_code,
                        headers=error.headers)


def install_error_handlers(app: FastAPI) -> None:
    app.exception_handler(LedgerError)(_ledger_error)
    app.exception_handler(RequestValidationError)(_invalid_request)
    app.exception_handler(HTTPException)(_http_error)
