"""How ``agritrace serve`` runs the app under uvicorn: an HTTP protocol that turns Nagle's
algorithm off on every connection and gives a request's head and body each a deadline.

asyncio sets ``TCP_NODELAY`` only on sockets whose protocol number is ``IPPROTO_TCP``. With
``--workers N`` (N > 1) uvicorn binds the listening socket itself with protocol number 0, so
the connections it accepts keep Nagle's algorithm on, and a response written in two parts
(head, then body) waits for the client's delayed acknowledgement: about 40 ms a request on
Linux, measured here (``tests/benchmarks/bench_api.py``).

uvicorn's h11 protocol closes a connection idle between requests (``timeout_keep_alive``),
but any byte stops that clock, and it has no deadline for a request being sent: a client
sending a byte every few seconds holds a connection (and its buffers) for as long as it
likes, and a few hundred such clients hold them all. Here a request's head must be complete
within the header timeout of the connection opening (or of a following request's first
byte), else the client gets 408 and the connection closes; once the head is in, the whole
body must follow within the body timeout, else the connection closes and the app sees the
client gone. The app hands its timeouts over through the lifespan state (``READ_TIMEOUTS``);
without them the defaults hold.

``TimedH11Protocol`` is uvicorn's h11 protocol with both; ``serve`` names it by its import
string, ``api.serving:TimedH11Protocol`` (``ledger.cli.serve.HTTP_PROTOCOL``; uvicorn's
``--http`` option takes the same).
"""

from __future__ import annotations

import asyncio
import json
import socket
from contextlib import suppress
from typing import Any

import h11
from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

__all__ = ["READ_TIMEOUTS", "TimedH11Protocol"]

READ_TIMEOUTS = "read_timeouts"  # lifespan state: (head seconds, body seconds)
DEFAULT_TIMEOUTS = (10.0, 30.0)
_TCP = (socket.AF_INET, socket.AF_INET6)


class TimedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, with ``TCP_NODELAY`` and deadlines for a request's head and
    body."""

    def __init__(self, config: Config, server_state: ServerState, app_state: dict[str, Any],
                 _loop: asyncio.AbstractEventLoop | None = None) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._head_timeout, self._body_timeout = app_state.get(READ_TIMEOUTS, DEFAULT_TIMEOUTS)
        self._deadline: asyncio.TimerHandle | None = None
        self._reading: str | None = None  # "head" or "body" while a deadline runs
        self._head_begun = False  # some of the awaited head has arrived

    # uvicorn's own H11Protocol.connection_made takes an asyncio.Transport where asyncio's
    # Protocol has a BaseTransport, with the same ignore: the override follows uvicorn's.
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        connection = transport.get_extra_info("socket")
        if connection is not None and connection.family in _TCP:
            with suppress(OSError):  # a socket already closed by the client: nothing to tune
                connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
        self._start("head", self._head_timeout)

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE:
            self._head_begun = True
            if self._reading is None:  # a following request: its head's clock starts now
                self._start("head", self._head_timeout)
        super().data_received(data)
        self._follow()

    def on_response_complete(self) -> None:
        super().on_response_complete()  # may take up a pipelined request
        self._follow()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop()
        super().connection_lost(exc)

    def _follow(self) -> None:
        """Move the deadline along with what the client is sending now."""
        state = self.conn.their_state
        if state is h11.IDLE:
            return  # the head's deadline, if any, keeps running
        self._head_begun = False
        if state is h11.SEND_BODY:
            if self._reading != "body":
                self._start("body", self._body_timeout)
        else:
            self._stop()

    def _start(self, reading: str, seconds: float) -> None:
        self._stop()
        self._reading = reading
        self._deadline = self.loop.call_later(seconds, self._timed_out)

    def _stop(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline, self._reading = None, None

    def _timed_out(self) -> None:
        reading, self._deadline, self._reading = self._reading, None, None
        if self.transport.is_closing():
            return
        if reading == "head" and self.conn.their_state is h11.IDLE and self._head_begun:
            # h11 cannot answer a request it has not read: the response goes out raw.
            self.transport.write(_request_timeout(self._head_timeout))
        self.transport.close()  # uvicorn then tells a running app the client has gone


def _request_timeout(seconds: float) -> bytes:
    """408 in the API's error shape (``api.errors``), closing the connection."""
    body = json.dumps({"error": "RequestTimeout", "field": None,
                       "reason": f"the request's head was not complete within {seconds:g} s"}
                      ).encode("utf-8")
    return (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\n"
            b"connection: close\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))
