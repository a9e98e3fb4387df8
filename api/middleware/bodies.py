"""JSON request bodies are read strictly before any route sees them
(``ledger.recording.json_input``):
no name twice in one object, no lone surrogate, nothing nested over ``MAX_DEPTH`` levels, no
number of thousands of digits, and UTF-8 text only (RFC 8259 §8.1). A body that breaks a rule
is 422 naming the field (the JSON error shape of ``api.errors``), so such a body never reaches
a route, an idempotency fingerprint or the ledger. A body that is not JSON at all is left to
FastAPI, which answers 422 "not valid JSON" with the position.

``JsonBodies`` is pure ASGI middleware placed inside ``api.middleware.limits.BodySizeGuard``: it
reads a
JSON body whole (never more than the size limit, which the guard enforces as it is read),
checks it, and hands the same bytes on. Other content types pass untouched.
"""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_response
from ledger.errors import InvalidInput
from ledger.recording.json_input import parse_json

__all__ = ["JsonBodies"]


class JsonBodies:
    """Pure ASGI middleware: refuse a JSON request body ``ledger.recording.json_input`` refuses."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _declares_json(scope):
            await self.app(scope, receive, send)
            return
        try:
            body = await _read(receive)
        except HTTPException as error:  # over the size limit, as BodySizeGuard counts
            await error_response(Request(scope), error)(scope, receive, send)
            return
        if body is None:  # the client went away
            return
        refusal = _refusal(body)
        if refusal is not None:
            await error_response(Request(scope), refusal)(scope, receive, send)
            return
        handed = False

        async def replay() -> Message:
            nonlocal handed
            if handed:
                return await receive()
            handed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


def _declares_json(scope: Scope) -> bool:
    """``Content-Type: application/json`` or ``application/*+json``: what FastAPI parses."""
    for name, value in scope["headers"]:
        if name == b"content-type":
            kind = bytes(value).split(b";", 1)[0].strip().lower()
            return kind == b"application/json" or (
                kind.startswith(b"application/") and kind.endswith(b"+json"))
    return False


async def _read(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _refusal(body: bytes) -> InvalidInput | None:
    """Why the body is refused, or None to pass it on."""
    if not body:
        return None
    try:
        # A byte order mark is dropped, as FastAPI's own reading drops it.
        parse_json(body.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        return InvalidInput(f"the body is not UTF-8 text (byte {error.start} cannot be read); "
                            "send JSON as UTF-8")
    except json.JSONDecodeError:
        return None  # not JSON: FastAPI answers with the line and column
    except InvalidInput as error:
        return error
    return None
