"""Prometheus metrics in the text exposition format (version 0.0.4), without a client library.

Counted by ``MetricsMiddleware`` around every HTTP request: requests by method, route template
and status (``/lots/{lot}``, never the raw path, so the number of series stays bounded) and a
latency histogram by method and route. Recording routes add the records they made. At scrape
time the store adds the log's size and the integrator's lag. Each worker process counts its
own requests, as Prometheus expects of multi-process servers; ``process_start_time_seconds``
tells the processes apart.
"""

from __future__ import annotations

import threading
import time
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BUCKETS", "Metrics", "MetricsMiddleware"]

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
UNMATCHED = "<unmatched>"


class Metrics:
    """Counters of one process. Requests are counted on the event loop; records from the
    worker threads, under a lock."""

    def __init__(self) -> None:
        self.started = time.time()
        self.requests: dict[tuple[str, str, int], int] = defaultdict(int)
        self.latency: dict[tuple[str, str], list[int]] = {}
        self.latency_sum: dict[tuple[str, str], float] = defaultdict(float)
        self.records = 0
        self._lock = threading.Lock()

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests[(method, route, status)] += 1
        counts = self.latency.setdefault((method, route), [0] * (len(BUCKETS) + 1))
        counts[bisect_left(BUCKETS, seconds)] += 1
        self.latency_sum[(method, route)] += seconds

    def recorded(self, count: int) -> None:
        with self._lock:
            self.records += count

    def render(self, gauges: Iterable[tuple[str, str, float]] = ()) -> str:
        """The exposition text; ``gauges`` are (name, help, value) read at scrape time."""
        lines = [
            "# HELP agritrace_http_requests_total HTTP requests by method, route and status.",
            "# TYPE agritrace_http_requests_total counter"]
        for (method, route, status), count in sorted(self.requests.items()):
            series = _labels(method=method, route=route, status=str(status))
            lines.append(f"agritrace_http_requests_total{series} {count}")
        lines += ["# HELP agritrace_http_request_duration_seconds HTTP request latency.",
                  "# TYPE agritrace_http_request_duration_seconds histogram"]
        for (method, route), counts in sorted(self.latency.items()):
            cumulative = 0
            for bound, hits in zip((*BUCKETS, float("inf")), counts, strict=True):
                cumulative += hits
                le = "+Inf" if bound == float("inf") else repr(bound)
                lines.append(f"agritrace_http_request_duration_seconds_bucket"
                             f"{_labels(method=method, route=route, le=le)} {cumulative}")
            series = _labels(method=method, route=route)
            lines.append(f"agritrace_http_request_duration_seconds_sum{series} "
                         f"{self.latency_sum[(method, route)]:.6f}")
            lines.append(f"agritrace_http_request_duration_seconds_count{series} "
                         f"{cumulative}")
        lines += ["# HELP agritrace_records_recorded_total Records this process recorded.",
                  "# TYPE agritrace_records_recorded_total counter",
                  f"agritrace_records_recorded_total {self.records}",
                  "# HELP process_start_time_seconds Start time of the process (Unix time).",
                  "# TYPE process_start_time_seconds gauge",
                  f"process_start_time_seconds {self.started:.3f}"]
        for name, text, value in gauges:
            lines += [f"# HELP {name} {text}", f"# TYPE {name} gauge", f"{name} {value:g}"]
        return "\n".join(lines) + "\n"


def _labels(**labels: str) -> str:
    escaped = (f'{key}="{_escape(value)}"' for key, value in labels.items())
    return "{" + ",".join(escaped) + "}"


def _escape(value: str) -> str:
    return value.replace("\\", r"\\").replace('"', r"\"").replace("\n", r"\n")


class MetricsMiddleware:
    """Pure ASGI middleware (no per-request task, unlike ``BaseHTTPMiddleware``)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # unless a response starts: an error no handler answered

        async def counted(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, counted)
        finally:
            route = getattr(scope.get("route"), "path", UNMATCHED)
            self.metrics.observe(scope["method"], route, status, time.perf_counter() - started)
