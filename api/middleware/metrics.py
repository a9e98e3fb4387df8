"""Prometheus metrics (prometheus-client), in the text exposition format (version 0.0.4).

Counted by ``MetricsMiddleware`` around every HTTP request: requests by method, route template
and status (``/lots/{lot}``, never the raw path, so the number of series stays bounded) and a
latency histogram by method and route. Recording routes add the records they made. At scrape
time the store adds the log's size and the integrator's lag.

A process that serves alone counts in memory, each app in its own registry. The workers of
one ``--workers N`` run count into one directory (``api.workers``) in prometheus-client's
multiprocess mode, and a scrape sums every worker's counts, whichever worker answers it;
``process_start_time_seconds`` then has one series per live worker, by ``pid``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.workers import use_directory

__all__ = ["BUCKETS", "Metrics", "MetricsMiddleware"]

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
UNMATCHED = "<unmatched>"

# A counter's creation time is one more series per counter that no dashboard here reads.
# (prometheus-client leaves this function unannotated.)
disable_created_metrics()  # type: ignore[no-untyped-call]


class Metrics:
    """The service's counters: in this app's own registry, or, with ``directory``, in the
    files the run's workers share there."""

    def __init__(self, directory: Path | None = None) -> None:
        self.registry = CollectorRegistry()
        counted: CollectorRegistry | None = self.registry
        if directory is not None:
            use_directory(directory)
            # prometheus-client leaves this constructor unannotated.
            MultiProcessCollector(  # type: ignore[no-untyped-call]
                self.registry, path=str(directory))
            counted = None  # the collector reads them back from the files
        self.requests = Counter("agritrace_http_requests",
                                "HTTP requests by method, route and status.",
                                ["method", "route", "status"], registry=counted)
        self.latency = Histogram("agritrace_http_request_duration_seconds",
                                 "HTTP request latency.", ["method", "route"],
                                 buckets=BUCKETS, registry=counted)
        self.records = Counter("agritrace_records_recorded", "Records recorded.",
                               registry=counted)
        self.started = Gauge("process_start_time_seconds",
                             "Start time of the process (Unix time).", registry=counted,
                             multiprocess_mode="liveall")
        self.started.set(time.time())

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def recorded(self, count: int) -> None:
        self.records.inc(count)

    def render(self, gauges: Iterable[tuple[str, str, float]] = ()) -> str:
        """The exposition text; ``gauges`` are (name, help, value) read at scrape time."""
        counts = generate_latest(self.registry).decode()
        return counts + generate_latest(_Readings(gauges)).decode()


class _Readings(Collector):
    """Gauges read at scrape time (from the store), not kept between scrapes."""

    def __init__(self, gauges: Iterable[tuple[str, str, float]]) -> None:
        self.gauges = list(gauges)

    def collect(self) -> Iterator[Metric]:
        for name, text, value in self.gauges:
            yield GaugeMetricFamily(name, text, value=value)


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
