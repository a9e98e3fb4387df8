"""CORS for the resolver and the public reads, so that a page or app on any origin can read
them (the GS1-Conformant Resolver standard: a resolver SHALL support CORS and GET, HEAD and
OPTIONS).

``PublicReadCORS`` is pure ASGI middleware. For a path in ``PUBLIC_READS`` it:

- answers ``OPTIONS`` (a preflight, or a client asking what is allowed) itself: 204 with
  ``Allow`` and the ``Access-Control-Allow-*`` headers, cacheable for a day;
- adds ``Access-Control-Allow-Origin: *`` and ``Access-Control-Allow-Methods`` to every
  ``GET`` and ``HEAD`` answer, errors included, whether or not the request named an
  ``Origin`` (GS1's test suite looks for them on a plain request), and exposes the headers a
  client of the resolver reads (``Link``, ``ETag``, ``Retry-After``).

The origin is ``*`` and credentials are never allowed: these reads need no token, and the
service authenticates by bearer token only, which a browser never sends by itself. Other
paths (recording, tokens, private values, administration) get no CORS headers, and their
``OPTIONS`` is answered by the router as before.
"""

from __future__ import annotations

import re

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CORS_HEADERS", "PUBLIC_READS", "PublicReadCORS"]

# Paths anyone may read: the resolver (plain and compressed Digital Links, its description
# file, QR codes), a lot's public JSON, page, bundle, certificate and trace back, records,
# organisations and the log.
PUBLIC_READS = re.compile(
    r"/01/.*|/[A-Za-z0-9_-]{10,}|/\.well-known/gs1resolver|/qr/01/.*"
    r"|/lots/[^/]+(?:/(?:bundle|page|certificate|certificate\.pdf|trace/back))?"
    r"|/records/[^/]+|/orgs(?:/[^/]+)?|/log/.*")
METHODS = "GET, HEAD, OPTIONS"
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": METHODS,
    "Access-Control-Expose-Headers": "Link, ETag, Retry-After",
}
PREFLIGHT_HEADERS = {
    **CORS_HEADERS,
    "Allow": METHODS,
    "Access-Control-Allow-Headers": "Accept, Accept-Language, If-None-Match",
    "Access-Control-Max-Age": "86400",
}


class PublicReadCORS:
    """Answers ``OPTIONS`` and marks ``GET``/``HEAD`` answers of ``PUBLIC_READS`` as
    readable from any origin."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope.get("method", "")
        if (scope["type"] != "http" or method not in ("GET", "HEAD", "OPTIONS")
                or not PUBLIC_READS.fullmatch(scope["path"])):
            await self.app(scope, receive, send)
            return
        if method == "OPTIONS":
            headers = [(k.lower().encode(), v.encode()) for k, v in PREFLIGHT_HEADERS.items()]
            await send({"type": "http.response.start", "status": 204, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return

        async def marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in CORS_HEADERS.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, marked)
