"""The headers that protect pages and private data, set here for every response and nowhere
else.

Every response says ``X-Content-Type-Options: nosniff`` (a browser takes the media type as
sent: JSON or a PDF is never run as a page) and ``Referrer-Policy: no-referrer`` (a lot's
address, which names the lot, goes nowhere else).

A document — HTML or SVG — also carries ``Content-Security-Policy``: scripts only from this
service's own files and none inline, data fetched only from this service, no plugin, and no
framing by any site (``frame-ancestors 'none'``, so no page of ours can be dressed in
another's). Styles may be inline: a consumer page inlines its stylesheet to save a round trip
on slow rural connections, and no script can run from a style.

A response to a request that presents a token (``Authorization``) is ``Cache-Control:
no-store`` unless its route made it public: private values and tokens are only ever answered
to a token, and no browser or proxy may keep them. Public reads with a token (a tile, which
is immutable) keep their own caching.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CONTENT_SECURITY_POLICY", "EVERY_RESPONSE", "SecurityHeaders"]

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'")
EVERY_RESPONSE: Mapping[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
DOCUMENTS = frozenset({"text/html", "image/svg+xml"})
PRIVATE = "no-store"


class SecurityHeaders:
    """Pure ASGI middleware: the headers above on every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = any(name == b"authorization" for name, _ in scope["headers"])

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                _secure(MutableHeaders(scope=message), token=token)
            await send(message)

        await self.app(scope, receive, secured)


def _secure(headers: MutableHeaders, *, token: bool) -> None:
    for name, value in EVERY_RESPONSE.items():
        headers[name] = value
    media_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type in DOCUMENTS:
        headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    if token and not headers.get("cache-control", "").lower().startswith("public"):
        headers["Cache-Control"] = PRIVATE
