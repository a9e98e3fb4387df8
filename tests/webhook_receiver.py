"""A webhook receiver on 127.0.0.1 for tests and benchmarks: a real HTTP server in a thread
that keeps every request it gets and answers as told (fail n times, redirect, hang, or
trickle its answer a byte at a time)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    path: str
    at: float  # time.monotonic() when it arrived
    answered: int


@dataclass
class Behaviour:
    failures: int = 0  # answer 500 this many times first
    redirect_to: str | None = None  # answer 307 to this URL
    hang: float = 0.0  # seconds to wait before answering
    trickle: float = 0.0  # seconds between the answer's bytes, sent one at a time
    status: int = 204


@dataclass
class Receiver:
    url: str
    behaviour: Behaviour
    received: list[Received] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, count: int, timeout: float) -> list[Received]:
        """The requests once ``count`` have arrived; fails after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(self.received)} of {count} requests arrived "
                                         f"within {timeout} s")
                self.arrived.wait(left)
            return list(self.received)

    @property
    def delivered(self) -> list[Received]:
        return [r for r in self.received if 200 <= r.answered < 300]


@contextmanager
def receiver(behaviour: Behaviour | None = None, path: str = "/hooks") -> Iterator[Receiver]:
    """A receiver listening on a free port of 127.0.0.1 until the block ends."""
    told = behaviour or Behaviour()
    state = Receiver("", told)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            if told.hang:
                time.sleep(told.hang)
            failing = sum(1 for r in state.received if r.answered >= 500) < told.failures
            status = 500 if failing else 307 if told.redirect_to else told.status
            with state.arrived:
                state.received.append(Received(
                    {k.lower(): v for k, v in self.headers.items()}, body, self.path,
                    time.monotonic(), status))
                state.arrived.notify_all()
            if told.trickle:
                self._trickle(status)
                return
            self.send_response(status)
            if told.redirect_to and not failing:
                self.send_header("Location", told.redirect_to)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _trickle(self, status: int) -> None:
            answer = f"HTTP/1.1 {status} OK\r\nX-Slow: {'.' * 40}\r\nContent-Length: 0\r\n\r\n"
            self.close_connection = True
            try:
                for byte in answer.encode("ascii"):
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(told.trickle)
            except OSError:
                pass  # the sender gave up

        def log_message(self, format: str, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        # A listening queue as long as a production server's (nginx 511, uvicorn 2048),
        # not socketserver's 5: many senders at once must not find it full (a refused SYN
        # is retried after a second, which would be measured as the sender's latency).
        request_queue_size = 1024

    server = Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
