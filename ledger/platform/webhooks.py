"""Sending one webhook: the Standard Webhooks signature and one bounded HTTP POST.

Signature (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/
standard-webhooks.md): the headers ``webhook-id``, ``webhook-timestamp`` (integer seconds
since the epoch) and ``webhook-signature: v1,<base64 HMAC-SHA256>`` of
``"{id}.{timestamp}.{body}"`` under the secret's bytes (base64 after ``whsec_``).

The POST goes only to the subscription's scheme, host and port, with the standard library's
``http.client``: it never follows a redirect (a 3xx is a failed attempt), and reads at most
``MAX_ANSWER`` bytes of the answer. ``timeout`` bounds the whole attempt, not each step: the
attempt has a deadline; connecting and sending get the time left when they start, and every
read of the answer (status line, headers, body) gets the time left when it starts, so a
receiver trickling its answer a byte at a time is cut off at the deadline like one that never
answers. (Resolving the host name is the one step the standard library cannot bound, and a
TLS handshake's reads each get the time left when the handshake starts.)

Unless ``allow_private``, the host's addresses must all be public ones and the connection is
made to the address checked, so a name that resolves to a private address (or changes to one
between the check and the connection) is never called.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import io
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ledger.platform.subscriptions import SECRET_PREFIX, private_address

__all__ = ["MAX_ANSWER", "Answer", "post", "secret_bytes", "sign", "signed_headers"]

MAX_ANSWER = 4096
USER_AGENT = "agritrace-webhooks/1"


def secret_bytes(secret: str) -> bytes:
    """The key bytes of a ``whsec_…`` secret."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def sign(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: ``v1,`` and the base64 HMAC-SHA256 of
    ``{id}.{timestamp}.{body}``."""
    content = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()


def signed_headers(key: bytes, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(key, msg_id, timestamp, body),
            "content-type": "application/json", "user-agent": USER_AGENT}


@dataclass(frozen=True)
class Answer:
    """What one POST got: a status code, or the error instead; and how long it took."""

    status_code: int | None
    error: str | None
    duration_ms: int


class _Deadline:
    """The end of one attempt, on the monotonic clock."""

    def __init__(self, timeout: float) -> None:
        self.at = time.monotonic() + timeout

    def left(self) -> float:
        """Seconds left; ``TimeoutError`` once none are."""
        left = self.at - time.monotonic()
        if left <= 0:
            raise TimeoutError("timed out")
        return left


class _DeadlineReader(io.RawIOBase):
    """A socket's answer, each read allowed only the attempt's time left."""

    def __init__(self, sock: socket.socket, deadline: _Deadline) -> None:
        self._sock = sock
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        self._sock.settimeout(self._deadline.left())
        return self._sock.recv_into(buffer)


class _Response(http.client.HTTPResponse):
    """An answer read under the attempt's deadline (``http.client`` reads status line,
    headers and body through ``fp``)."""

    def __init__(self, sock: socket.socket, *args: Any, deadline: _Deadline,
                 **kwargs: Any) -> None:
        super().__init__(sock, *args, **kwargs)
        self.fp.close()  # the plain file over the socket, replaced before any read
        self.fp = io.BufferedReader(_DeadlineReader(sock, deadline))


class _Pinned(http.client.HTTPConnection):
    """A connection to a given address, whatever the host name resolves to later, each
    step within the attempt's deadline."""

    address: str = ""
    deadline: _Deadline

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.deadline.left())
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.settimeout(self.deadline.left())

    def response(self, sock: socket.socket, *args: Any, **kwargs: Any) -> _Response:
        return _Response(sock, *args, deadline=self.deadline, **kwargs)


class _PinnedTLS(http.client.HTTPSConnection):
    address: str = ""
    deadline: _Deadline

    def connect(self) -> None:
        raw = socket.create_connection((self.address, self.port), self.deadline.left())
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        raw.settimeout(self.deadline.left())
        context: ssl.SSLContext = self._context  # type: ignore[attr-defined]
        self.sock = context.wrap_socket(raw, server_hostname=self.host)
        self.sock.settimeout(self.deadline.left())

    def response(self, sock: socket.socket, *args: Any, **kwargs: Any) -> _Response:
        return _Response(sock, *args, deadline=self.deadline, **kwargs)


def _address(host: str, port: int, allow_private: bool) -> str:
    """An address of ``host`` to connect to; ``OSError`` if it has none allowed."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = [str(info[4][0]) for info in found]
    if not addresses:
        raise OSError(f"{host} has no address")
    if not allow_private:
        refused = [a for a in addresses if private_address(a)]
        if refused:
            raise OSError(f"{host} resolves to {refused[0]}, which is not a public address")
    return addresses[0]


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float,
         allow_private: bool) -> Answer:
    """POST ``body`` to ``url`` within ``timeout`` seconds in all: the status code, or the
    error, never an exception."""
    started = time.monotonic()
    deadline = _Deadline(timeout)
    parts = urlsplit(url)
    connection: Any = None
    try:
        host = parts.hostname or ""
        tls = parts.scheme == "https"
        port = parts.port or (443 if tls else 80)
        address = _address(host, port, allow_private)
        connection = (_PinnedTLS(host, port, timeout=timeout) if tls
                      else _Pinned(host, port, timeout=timeout))
        connection.address = address
        connection.deadline = deadline
        connection.response_class = connection.response
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.request("POST", target, body=body, headers=headers)
        response = connection.getresponse()
        response.read(MAX_ANSWER)  # the rest is never read: the connection is closed
        return Answer(response.status, None, _since(started))
    except (OSError, http.client.HTTPException, ValueError) as error:
        reason = "timed out" if isinstance(error, TimeoutError) else str(error) or \
            type(error).__name__
        return Answer(None, f"{type(error).__name__}: {reason}"[:300], _since(started))
    finally:
        if connection is not None:
            connection.close()


def _since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
