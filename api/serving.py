"""How ``agritrace serve`` runs the app under uvicorn: an HTTP protocol that turns Nagle's
algorithm off on every connection.

asyncio sets ``TCP_NODELAY`` only on sockets whose protocol number is ``IPPROTO_TCP``. With
``--workers N`` (N > 1) uvicorn binds the listening socket itself with protocol number 0, so
the connections it accepts keep Nagle's algorithm on, and a response written in two parts
(head, then body) waits for the client's delayed acknowledgement: about 40 ms a request on
Linux, measured here (``tests/benchmarks/bench_api.py``). ``NoDelayH11Protocol`` is uvicorn's
h11 protocol that sets ``TCP_NODELAY`` as each connection opens; ``serve`` names it with
``http=HTTP_PROTOCOL`` (uvicorn's ``--http`` option takes the same import string).
"""

from __future__ import annotations

import asyncio
import socket
from contextlib import suppress

from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["HTTP_PROTOCOL", "NoDelayH11Protocol"]

HTTP_PROTOCOL = "api.serving:NoDelayH11Protocol"
_TCP = (socket.AF_INET, socket.AF_INET6)


class NoDelayH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, with ``TCP_NODELAY`` on every TCP connection."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        connection = transport.get_extra_info("socket")
        if connection is not None and connection.family in _TCP:
            with suppress(OSError):  # a socket already closed by the client: nothing to tune
                connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
