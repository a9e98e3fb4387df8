"""The monitor's view of a log over HTTP: one kept-alive connection, the standard library only.

It fetches what an agritrace log serves to anyone (``api/routes/log.py``): the latest
checkpoint (``GET /log/checkpoint``), tlog-tiles entry bundles and hash tiles
(``GET /log/tile/...``), the records' signatures beside them (``GET /log/signatures/...``)
and consistency proofs (``GET /log/proof/consistency``). A refused connection, a timeout or
a server error is ``LogUnreachable``; a spent rate limit (429, 503) is waited out as the
``Retry-After`` header says, a few times. A 4xx for something a checkpoint covers is the
caller's to judge (``Refused``): the log published it and must serve it.
"""

from __future__ import annotations

import base64
import http.client
import json
import time
import urllib.parse
from collections.abc import Callable

from ledger.monitor.errors import LogUnreachable, MonitorMisconfigured

__all__ = ["LogClient", "Refused"]

MAX_RETRIES = 5
MAX_WAIT = 30.0  # seconds: the longest Retry-After the monitor honours
USER_AGENT = "agritrace-monitor"


class Refused(Exception):
    """The log answered 4xx (other than 429): ``status`` and the reason it gave."""

    def __init__(self, status: int, reason: str) -> None:
        self.status = status
        self.reason = reason
        super().__init__(f"{status} {reason}")


class LogClient:
    """GETs below ``url`` (the service's base URL, e.g. ``http://127.0.0.1:8000``)."""

    def __init__(self, url: str, *, token: str | None = None, timeout: float = 30.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise MonitorMisconfigured(f"URL: {url!r} is not an http(s) URL of an agritrace "
                                       "service")
        self.url = url.rstrip("/")
        self._secure = parsed.scheme == "https"
        self._host = parsed.hostname
        self._port = parsed.port
        self._prefix = parsed.path.rstrip("/")
        self._headers = {"User-Agent": USER_AGENT, "Accept": "*/*"}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        self._timeout = timeout
        self._sleep = sleep
        self._token = token
        self._connection: http.client.HTTPConnection | None = None

    def another(self) -> LogClient:
        """A client of the same log on a connection of its own, for another thread."""
        return LogClient(self.url, token=self._token, timeout=self._timeout, sleep=self._sleep)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def checkpoint(self) -> str:
        """The latest signed checkpoint note; ``LogUnreachable`` when there is none to read."""
        try:
            data = self.get("/log/checkpoint")
        except Refused as refusal:
            raise LogUnreachable(f"{self.url} is not an agritrace log: GET /log/checkpoint "
                                 f"answered {refusal}") from None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise LogUnreachable(f"{self.url} is not an agritrace log: its /log/checkpoint "
                                 "is not text") from None

    def consistency(self, size1: int, size2: int) -> list[bytes]:
        """The log's consistency proof between two published sizes (``Refused`` if none)."""
        data = self.get(f"/log/proof/consistency?from={size1}&to={size2}")
        try:
            hashes = json.loads(data)["hashes"]
            return [base64.b64decode(h, validate=True) for h in hashes]
        except (ValueError, KeyError, TypeError) as error:
            raise LogUnreachable(f"{self.url} answered a malformed consistency proof: "
                                 f"{error}") from None

    def get(self, path: str) -> bytes:
        """The body of ``GET path``; ``Refused`` for a 4xx, ``LogUnreachable`` otherwise."""
        for attempt in range(MAX_RETRIES + 1):
            status, body, retry_after = self._exchange(path)
            if status == 200:
                return body
            if status in (429, 503) and attempt < MAX_RETRIES:
                self._sleep(min(MAX_WAIT, retry_after or 2.0 ** attempt))
                continue
            reason = _reason(body)
            if 400 <= status < 500 and status != 429:
                raise Refused(status, reason)
            break
        raise LogUnreachable(f"{self.url}{path} answered {status}: {reason}")

    def _exchange(self, path: str) -> tuple[int, bytes, float | None]:
        """One request, on the kept-alive connection; one fresh retry if it was closed."""
        for fresh in (False, True):
            connection = self._open(fresh)
            try:
                connection.request("GET", self._prefix + path, headers=self._headers)
                response = connection.getresponse()
                body = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                    http.client.CannotSendRequest, http.client.BadStatusLine) as error:
                self.close()
                if fresh:
                    raise LogUnreachable(f"{self.url} closed the connection: {error}") from None
                continue
            except (OSError, http.client.HTTPException) as error:
                self.close()
                raise LogUnreachable(f"{self.url} is unreachable: {error}") from None
            if response.will_close:
                self.close()
            return response.status, body, _seconds(response.getheader("Retry-After"))
        raise AssertionError("unreachable")  # pragma: no cover

    def _open(self, fresh: bool) -> http.client.HTTPConnection:
        if fresh:
            self.close()
        if self._connection is None:
            kind = http.client.HTTPSConnection if self._secure else http.client.HTTPConnection
            self._connection = kind(self._host, self._port, timeout=self._timeout)
        return self._connection


def _seconds(header: str | None) -> float | None:
    return float(header) if header is not None and header.isdecimal() else None


def _reason(body: bytes) -> str:
    """The reason an error body gives: the ``reason`` of agritrace's JSON errors, else the
    start of the text."""
    text = body[:2000].decode("utf-8", "replace")
    try:
        value = json.loads(text)
    except ValueError:
        return " ".join(text.split())[:200]
    reason = value.get("reason") if isinstance(value, dict) else None
    if isinstance(reason, str):
        return reason
    return " ".join(text.split())[:200]
