"""Errors as HTTP responses, in one place, each a JSON body ``{"error", "field", "reason"}``;
a step refused by a domain rule adds ``rule`` (its name, docs/records.md) and ``records``
(the hashes of the records involved).

``LedgerError`` → status, first match wins::

    InvalidInput      400 when the URL carries it (GET: a malformed path or query),
                      422 when a submitted body does
    Unauthenticated   401   no token, or an unknown, expired or revoked one
    NotFound          404   unknown lot or record, a tree size never published, no such tile
    NotPermitted      403   not the custodian, not an inspector, not an admin
    WrongState, ChainConflict, AlreadyExists   409; a conflict adds the chain and its head
    RateLimited       429   with Retry-After (an organisation's key changes per day)
    StoreUnavailable  503
    ContentTooLarge   413   more listings (or other items) at once than the service takes
    anything else     500   (AuditFailed: the log will not serve what does not verify)

FastAPI's own checks answer like ``InvalidInput``: 400 for the path, query or headers, 422 for
the body, naming the field as a path into the request (``purchases[0].lot``). Routing errors
(no such path), bodies over the size limit (413), spent rate limits (429, with
``Retry-After``) and costly work that finds no free slot (503, with ``Retry-After``) answer
in the same shape. A database that is unreachable or too busy to hand
out a connection in time is 503 with ``Retry-After``. Nothing else escapes as a traceback: an
unexpected exception is logged and answered as a plain 500 of the same shape.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from eventsourcing import persistence
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sql
from starlette.exceptions import HTTPException

from api.middleware.limits import ServiceBusy, TooManyRequests
from api.services import services_of
from ledger.errors import (
    AlreadyExists,
    ChainConflict,
    ContentTooLarge,
    InvalidInput,
    LedgerError,
    NotFound,
    NotPermitted,
    RateLimited,
    StoreUnavailable,
    Unauthenticated,
    WrongState,
)

__all__ = ["STATUSES", "error_body", "error_response", "install_error_handlers", "status_of"]

log = logging.getLogger(__name__)

STATUSES: tuple[tuple[type[LedgerError], int], ...] = (
    (ContentTooLarge, 413),
    (NotFound, 404),
    (InvalidInput, 422),
    (Unauthenticated, 401),
    (NotPermitted, 403),
    (WrongState, 409),
    (ChainConflict, 409),
    (AlreadyExists, 409),
    (RateLimited, 429),
    (StoreUnavailable, 503),
)
URL_ONLY = frozenset({"GET", "HEAD"})  # methods whose only input is the URL
URL_PARTS = frozenset({"path", "query", "header", "cookie"})
# Driver errors that mean "the store cannot serve now", not "this request is wrong".
STORE_BUSY = (persistence.OperationalError, persistence.InterfaceError, sql.OperationalError,
              sql.InterfaceError, sql.TimeoutError)


def status_of(error: LedgerError, method: str = "POST") -> int:
    if isinstance(error, InvalidInput) and method in URL_ONLY:
        return 400
    return next((status for kind, status in STATUSES if isinstance(error, kind)), 500)


def _body(error: str, field: str | None, reason: str) -> dict[str, Any]:
    return {"error": error, "field": field, "reason": reason}


def error_body(error: LedgerError) -> dict[str, Any]:
    """The JSON body of ``error``: its kind, field and reason, and the rule it names."""
    body = _body(type(error).__name__, error.field, error.reason)
    if error.rule is not None:
        body.update(rule=error.rule, records=list(error.records))
    return body


def _ledger_error(request: Request, error: LedgerError) -> JSONResponse:
    body = error_body(error)
    headers = {}
    if isinstance(error, ChainConflict):
        body.update(chain=error.chain, head=error.head)
    if isinstance(error, Unauthenticated):
        headers["WWW-Authenticate"] = 'Bearer realm="agritrace"'
    if isinstance(error, RateLimited):
        headers["Retry-After"] = str(error.retry_after)
    return JSONResponse(body, status_code=status_of(error, request.method), headers=headers)


def field_path(location: Sequence[Any]) -> str | None:
    """``("body", "purchases", 0, "lot")`` → ``purchases[0].lot``; None for the whole body."""
    path = ""
    for part in location[1:]:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or None


def _invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
    first = error.errors()[0] if error.errors() else {}
    location = tuple(first.get("loc", ()))
    if first.get("type") == "json_invalid":
        detail = (first.get("ctx") or {}).get("error", "")
        return JSONResponse(_body("InvalidInput", None, f"the body is not valid JSON: {detail}"),
                            status_code=422)
    field = field_path(location)
    reason = str(first.get("msg", "the request is malformed"))
    if field is None and first.get("type") == "missing":
        reason = "send a JSON body (Content-Type: application/json)"
    in_url = bool(location) and location[0] in URL_PARTS
    status = 400 if in_url or request.method in URL_ONLY else 422
    return JSONResponse(_body("InvalidInput", field, reason), status_code=status)


def _http_error(request: Request, error: HTTPException) -> JSONResponse:
    name = HTTPStatus(error.status_code).phrase.replace(" ", "")
    reason = str(error.detail)
    if error.status_code == 404 and reason == "Not Found":  # routing found no route
        reason = f"nothing is served at {request.url.path}"
    elif error.status_code == 413:  # RFC 9110's name for it, as api.limits answers
        name, limit = "ContentTooLarge", services_of(request.app).settings.max_body_bytes
        reason = f"the request body is over the limit of {limit:,} bytes"
    return JSONResponse(_body(name, None, reason), status_code=error.status_code,
                        headers=error.headers)


def _too_many(_: Request, error: TooManyRequests) -> JSONResponse:
    seconds = max(1, math.ceil(error.retry_after))
    reason = (f"too many requests from this address without a token; retry in {seconds} s, "
              "or send a token")
    return JSONResponse(_body("TooManyRequests", None, reason), status_code=429,
                        headers={"Retry-After": str(seconds)})


def _busy(_: Request, error: ServiceBusy) -> JSONResponse:
    seconds = max(1, math.ceil(error.retry_after))
    return JSONResponse(_body("ServiceBusy", None, error.reason), status_code=503,
                        headers={"Retry-After": str(seconds)})


def _store_busy(request: Request, error: Exception) -> JSONResponse:
    log.warning("store unavailable in %s %s: %s", request.method, request.url.path, error)
    return JSONResponse(_body("StoreUnavailable", None, "the store is unreachable or busy; "
                                                        "retry shortly"),
                        status_code=503, headers={"Retry-After": "1"})


def _unexpected(request: Request, error: Exception) -> JSONResponse:
    log.exception("unexpected error in %s %s", request.method, request.url.path)
    return JSONResponse(_body("InternalError", None, "the service failed unexpectedly; the "
                                                     "error is logged"), status_code=500)


def error_response(request: Request, error: LedgerError | HTTPException) -> JSONResponse:
    """The answer to ``error`` raised where the handlers do not reach (in a middleware, before
    routing), the same as a route's."""
    if isinstance(error, LedgerError):
        return _ledger_error(request, error)
    return _http_error(request, error)


def install_error_handlers(app: FastAPI) -> None:
    app.exception_handler(LedgerError)(_ledger_error)
    app.exception_handler(RequestValidationError)(_invalid_request)
    app.exception_handler(HTTPException)(_http_error)
    app.exception_handler(TooManyRequests)(_too_many)
    app.exception_handler(ServiceBusy)(_busy)
    for kind in STORE_BUSY:
        app.exception_handler(kind)(_store_busy)
    app.exception_handler(Exception)(_unexpected)
