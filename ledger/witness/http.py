"""The witness over HTTP: ``POST /add-checkpoint`` (C2SP tlog-witness), server and client.

https://c2sp.org/tlog-witness. The server is the standard library's threading HTTP server, so
an inspector's office can run a witness with one command and no other dependency; ``api/`` may
mount ``Witness.handle`` in FastAPI instead. Responses: 200 with the cosignature line
(``text/plain``); a refusal's status with its reason; 409 with the witness's latest size when
the request's old size is stale, typed exactly ``text/x.tlog.size`` (no parameters: clients
compare the whole header). It speaks HTTP/1.1 with keep-alive, so a log sends checkpoint after
checkpoint over one connection; an answer that leaves the request body unread closes it.

The client, used by the log to collect cosignatures, raises the matching ``WitnessRefused``
subclass for a refusal and ``WitnessUnreachable`` when the witness cannot be reached.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ledger.witness.errors import (
    CheckpointForbidden,
    OldSizeConflict,
    ProofRejected,
    RequestMalformed,
    RootConflict,
    UnknownOrigin,
    WitnessRefused,
    WitnessUnreachable,
)
from ledger.witness.protocol import AddCheckpoint
from ledger.witness.service import Witness
from verify.errors import VerificationError
from verify.notes import Signature

__all__ = ["MAX_BODY", "submit_checkpoint", "witness_server"]

MAX_BODY = 1 << 20  # a checkpoint, 64 proof hashes and signatures fit many times over
SIZE_TYPE = "text/x.tlog.size"
TEXT_TYPE = "text/plain; charset=utf-8"
IDLE_SECONDS = 30  # an idle kept-alive connection is closed after this long


def witness_server(witness: Witness, host: str = "127.0.0.1",
                   port: int = 0) -> ThreadingHTTPServer:
    """An HTTP server for ``witness`` (call ``serve_forever``; port 0 picks a free one)."""

    class Handler(BaseHTTPRequestHandler):
        server_version = "agritrace-witness"
        protocol_version = "HTTP/1.1"  # keep-alive; every answer carries Content-Length
        timeout = IDLE_SECONDS

        def do_POST(self) -> None:
            length = self.headers.get("Content-Length", "")
            if not length.isdecimal() or int(length) > MAX_BODY:
                # The body's end is unknown, so the connection cannot carry another request.
                self._reply(400 if length.isdecimal() else 411, "bad Content-Length\n",
                            close=True)
                return
            body = self.rfile.read(int(length))
            if self.path != "/add-checkpoint":
                self._reply(404, "only POST /add-checkpoint is served\n")
                return
            try:
                line = witness.handle(body)
            except OldSizeConflict as refusal:
                self._reply(409, f"{refusal.latest_size}\n", SIZE_TYPE)
            except WitnessRefused as refusal:
                self._reply(refusal.status, refusal.reason + "\n")
            else:
                self._reply(200, line)

        def _reply(self, status: int, text: str, content_type: str = TEXT_TYPE, *,
                   close: bool = False) -> None:
            data = text.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            if close:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass  # quiet: the witness's answers are its log

    return ThreadingHTTPServer((host, port), Handler)


_REFUSALS: dict[int, type[WitnessRefused]] = {
    400: RequestMalformed, 403: CheckpointForbidden, 404: UnknownOrigin, 409: RootConflict,
    422: ProofRejected,
}


def submit_checkpoint(url: str, request: AddCheckpoint, *,
                      timeout: float = 5.0) -> tuple[Signature, ...]:
    """POST ``request`` to a witness's add-checkpoint URL; returns its signature lines."""
    if not url.startswith(("http://", "https://")):
        raise WitnessUnreachable(f"witness URL {url!r} is not http(s)")
    post = urllib.request.Request(url, data=request.to_body(), method="POST",  # noqa: S310
                                  headers={"Content-Type": "text/plain"})
    try:
        with urllib.request.urlopen(post, timeout=timeout) as response:  # noqa: S310
            text = response.read(MAX_BODY).decode("utf-8")
    except urllib.error.HTTPError as error:
        reason = error.read(4096).decode("utf-8", "replace").strip()
        if error.code == 409 and reason.isascii() and reason.isdigit():
            raise OldSizeConflict(f"the witness is at size {reason}",
                                  latest_size=int(reason)) from None
        refusal = _REFUSALS.get(error.code)
        if refusal is None:
            raise WitnessUnreachable(f"witness {url} answered {error.code}: {reason}") from None
        raise refusal(f"witness {url} refused: {reason}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise WitnessUnreachable(f"witness {url} is unreachable: {error}") from None
    try:
        return tuple(Signature.from_line(line) for line in text.splitlines() if line)
    except VerificationError as error:
        raise WitnessUnreachable(f"witness {url} answered a malformed line: {error}") from None
