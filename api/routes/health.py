"""``GET /healthz`` (the service runs and its store answers) and ``GET /metrics``
(Prometheus text: requests, latencies, records recorded, the log's size and lag), for an
admin token or an address in ``AGRITRACE_METRICS_ALLOW`` only: the counts by route and
status say what the service is asked and how it copes, which is not for everyone."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse

from api.deps import LedgerDep, MetricsDep, ScraperDep
from api.schemas import errors as documented
from ledger.application import Ledger
from ledger.persistence.lookup import LogProgress, log_progress

__all__ = ["router"]

router = APIRouter(tags=["health 运行状况"])
PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8"


def _progress(ledger: Ledger) -> LogProgress | None:
    try:
        return log_progress(ledger.store)
    except Exception:  # any driver error means the same thing here: not reachable
        return None


@router.get("/healthz", responses={
    200: {"description": "The service runs and its store answers."},
    503: {"description": "The store cannot be reached."}})
def healthz(ledger: LedgerDep) -> JSONResponse:
    """Whether the service runs and its store answers, and how far the log is."""
    try:
        records: int | None = ledger.store.max_notification_id()
    except Exception:  # any driver error means the same thing here: not reachable
        records = None
    reachable = records is not None
    body: dict[str, Any] = {
        "status": "ok" if reachable else "unavailable",
        "store": {"backend": ledger.store.backend.kind, "reachable": reachable,
                  "records": records},
    }
    progress = _progress(ledger) if reachable else None
    if progress is not None:
        body["log"] = {"size": progress.size, "lag": progress.lag}
    return JSONResponse(body, status_code=200 if reachable else 503)


@router.get("/metrics", response_class=PlainTextResponse,
            responses={200: {"content": {PROMETHEUS: {}},
                             "description": "Prometheus text exposition format 0.0.4."},
                       **documented(401, 403, plain=True)})
def metrics(ledger: LedgerDep, counted: MetricsDep, _: ScraperDep) -> PlainTextResponse:
    """Requests by route and status, latency histograms, records recorded (by every worker),
    and, read from the store, the log's tree size and the integrator's lag. For an admin
    token, or a scraper at an address in AGRITRACE_METRICS_ALLOW."""
    gauges: list[tuple[str, str, float]] = []
    progress = _progress(ledger)
    if progress is not None:
        gauges = [
            ("agritrace_store_records", "Records stored (highest notification id).",
             progress.latest),
            ("agritrace_log_tree_size", "Leaves in the transparency log.", progress.size),
            ("agritrace_log_integrator_lag", "Stored records the log has not integrated yet "
                                             "(by notification id).", progress.lag),
        ]
    gauges.append(("agritrace_store_up", "1 if the store answered this scrape.",
                   1 if progress is not None else 0))
    return PlainTextResponse(counted.render(gauges), media_type=PROMETHEUS)
