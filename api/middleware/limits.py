"""Request limits: a token bucket per client address, costly work a few jobs at a time, and
the request body's size.

Client address: the peer that connected (``client_address``). Only a reverse proxy named in
``AGRITRACE_TRUSTED_PROXIES`` may name another, by ``X-Forwarded-For``: ``create_app`` then
puts ``ProxyHeadersMiddleware`` outermost, which makes the address that proxy forwarded for
the request's client for everything inside (the buckets, the ``/metrics`` allow-list, the
access log). ``agritrace serve`` turns uvicorn's own handling of those headers off, so this
is the one place that decides.

Rate: requests that present no token spend from their address's bucket: ``burst`` at once,
``rate`` per second after that (429 with ``Retry-After`` when spent). A request costs one
token; a costly one (rendering a label sheet) costs what its work is worth in ordinary
requests, and may leave the bucket in debt, which the client then waits out: the limit is on
cost, not on the number of requests. The buckets live in this process (each worker keeps its
own) and are bounded in number: when there are too many, the full ones (idle clients) are
forgotten first, then the oldest.

Work: ``WorkSlots`` lets a few costly jobs run at once in this process; another waits a
moment for a slot, then is 503 with ``Retry-After`` (``ServiceBusy``), so a burst of them
cannot starve everything else of the CPU.

Size: ``BodySizeGuard`` refuses a request whose ``Content-Length`` is over the limit with a
413 in the API's JSON error shape, before anything reads it; a body sent without a length
(chunked) is cut off as soon as it passes the limit while it is read (an ``HTTPException``
413, answered by ``api.errors`` in the same shape).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from ipaddress import IPv4Network, IPv6Network, ip_address

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BodySizeGuard", "RateLimiter", "ServiceBusy", "TooManyRequests", "WorkSlots",
           "client_address", "within"]

MAX_CLIENTS = 10_000


def client_address(request: Request) -> str:
    """The client's address: the peer, or what a trusted proxy forwarded for."""
    return request.client.host if request.client else "unknown"


def within(address: str, networks: Iterable[IPv4Network | IPv6Network]) -> bool:
    """Whether ``address`` (an IP address; anything else is not) is in one of ``networks``."""
    try:
        ip = ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


class TooManyRequests(Exception):
    """Raised when a client's bucket is empty; answered as 429 with ``Retry-After``."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(f"too many requests without a token; retry in {retry_after:.1f} s")


class ServiceBusy(Exception):
    """Raised when costly work finds no free slot in time; answered as 503 with
    ``Retry-After``."""

    def __init__(self, retry_after: float, reason: str) -> None:
        self.retry_after = retry_after
        self.reason = reason
        super().__init__(reason)


class RateLimiter:
    """``take(client, cost)`` spends from the client's bucket or raises."""

    def __init__(self, rate: float, burst: int, *, max_clients: int = MAX_CLIENTS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.burst = max(burst, 1)
        self._max_clients = max_clients
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # client → (tokens, as of)
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def take(self, client: str, cost: float = 1) -> None:
        """Spend ``cost`` tokens. A request needs one token to start; a costly one may spend
        more than the bucket holds, and the client waits until the debt is paid back."""
        if not self.enabled:
            return
        now = self._clock()
        with self._lock:
            tokens, since = self._buckets.get(client, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - since) * self.rate)
            if tokens < 1:
                self._buckets[client] = (tokens, now)
                raise TooManyRequests((1 - tokens) / self.rate)
            self._buckets[client] = (tokens - cost, now)
            if len(self._buckets) > self._max_clients:
                self._forget(now)

    def _forget(self, now: float) -> None:
        """Drop buckets that would be full again (their clients are idle), else the oldest
        half; a forgotten client starts again with a full bucket."""
        idle = [client for client, (tokens, since) in self._buckets.items()
                if tokens + (now - since) * self.rate >= self.burst]
        if not idle:
            by_age = sorted(self._buckets, key=lambda client: self._buckets[client][1])
            idle = by_age[: len(by_age) // 2]
        for client in idle:
            del self._buckets[client]


class WorkSlots:
    """At most ``slots`` costly jobs at once in this process (``held``); a job waits at most
    ``wait`` seconds for a slot, then ``ServiceBusy``. Waiting holds no thread."""

    def __init__(self, slots: int, wait: float) -> None:
        self.slots = slots
        self.wait = wait
        self._semaphore: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None

    def _current(self) -> asyncio.Semaphore:
        """The semaphore of the running event loop (a server has one; tests make several)."""
        loop = asyncio.get_running_loop()
        if self._semaphore is None or self._semaphore[0] is not loop:
            self._semaphore = (loop, asyncio.Semaphore(self.slots))
        return self._semaphore[1]

    @asynccontextmanager
    async def held(self, what: str) -> AsyncIterator[None]:
        semaphore = self._current()
        try:
            async with asyncio.timeout(self.wait):
                await semaphore.acquire()
        except TimeoutError:
            raise ServiceBusy(max(self.wait, 1), f"too many {what} are being made at once; "
                                                 "retry shortly") from None
        try:
            yield
        finally:
            semaphore.release()


class BodySizeGuard:
    """Pure ASGI middleware: 413 for a declared ``Content-Length`` over ``limit`` bytes, or
    over the limit ``larger`` names for the request's path (bulk endpoints)."""

    def __init__(self, app: ASGIApp, limit: int, larger: Mapping[str, int] | None = None
                 ) -> None:
        self.app = app
        self.limit = limit
        self.larger = dict(larger or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.larger.get(scope.get("path", ""), self.limit)
        for name, value in scope["headers"]:
            if name == b"content-length" and _over(value, limit):
                await _refuse(send, limit)
                return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, "the request body is over the limit")
            return message

        await self.app(scope, counted, send)


def _over(value: bytes, limit: int) -> bool:
    return not value.isdigit() or len(value) > 18 or int(value) > limit


async def _refuse(send: Send, limit: int) -> None:
    body = json.dumps({"error": "ContentTooLarge", "field": None,
                       "reason": f"the request body is over the limit of {limit:,} bytes"}
                      ).encode("utf-8")
    await send({"type": "http.response.start", "status": 413, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
