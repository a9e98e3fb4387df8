"""The HTTP service: ``create_app(settings, service)`` builds the FastAPI application.

One ``Ledger`` and one ``TransparencyLog`` per process, with everything else the routes use,
in one frozen ``api.services.Services`` on ``app.state.services``; closed at shutdown.
Unless ``service.integrate`` is false, the lifespan runs the log's integrator in a background
thread that appends new records, signs checkpoints and collects witness cosignatures;
shutdown stops it before the store is closed. Unless ``service.deliver`` is false, it also
runs the webhook delivery thread (``ledger.platform.delivery``). Before either starts, it
gives holds and recalls stored without a notice theirs (``ledger.platform.backfill``). On
SQLite, recording and integrating in one process take turns
(``ledger.log.background.write_lock``).
Routes are plain ``def``:
the ledger blocks, so FastAPI runs them in its thread pool. Errors become JSON in one place
(``api.errors``). Bodies over ``service.max_body_bytes`` are 413 (``api.middleware.limits``); JSON
bodies with repeated names, lone surrogates or absurd nesting are 422 (``api.middleware.bodies``);
``api.middleware.metrics`` counts every request; ``api.middleware.cors`` lets any origin read the
resolver and the
public reads; ``api.middleware.headers`` sets the security and caching headers of every response.
Behind proxies named in ``service.trusted_proxies``, ``ProxyHeadersMiddleware`` takes the
client from ``X-Forwarded-For``. The lifespan hands the read timeouts to the server's
protocol (``api.serving``). With ``uvicorn --factory api.app:create_app`` (as
``agritrace serve --workers N`` runs it) each worker builds its own app from the environment.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from api.errors import install_error_handlers
from api.middleware.bodies import JsonBodies
from api.middleware.cors import PublicReadCORS
from api.middleware.headers import SecurityHeaders
from api.middleware.limits import BodySizeGuard
from api.middleware.metrics import MetricsMiddleware
from api.routes import (
    app as recording_app,
)
from api.routes import (
    devices,
    docs,
    epcis,
    epcis_capture,
    exports,
    feed,
    health,
    inspection,
    lineage,
    log,
    lots,
    orgs,
    platform,
    recording,
    records,
    reports,
    scan,
    subscriptions,
    tokens,
)
from api.services import Services, services_of
from api.serving import READ_TIMEOUTS
from api.settings import ServiceSettings
from ledger.config import Settings

__all__ = ["create_app"]

STATIC = Path(__file__).resolve().parent / "static"


def create_app(settings: Settings | None = None,
               service: ServiceSettings | None = None) -> FastAPI:
    """The application over one ledger; both settings default to the environment."""
    settings = settings or Settings.from_env()
    service = service or ServiceSettings.from_env()
    services = Services.open(settings, service)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        running = services_of(app)
        await run_in_threadpool(running.backfill_notices)
        if running.settings.integrate:
            running.integrator.start()
        if running.settings.deliver:
            running.deliveries.start()
        try:
            yield {READ_TIMEOUTS: (running.settings.header_timeout,
                                   running.settings.body_timeout)}
        finally:
            running.close()

    app = FastAPI(title="agritrace", summary="农产品追溯账本 produce traceability ledger",
                  description=DESCRIPTION, version="1", lifespan=lifespan,
                  # /docs is served from the package (api.routes.docs), never from a CDN.
                  docs_url=None, redoc_url=None, swagger_ui_oauth2_redirect_url=None)
    app.state.services = services
    install_error_handlers(app)
    app.add_middleware(JsonBodies)
    app.add_middleware(PublicReadCORS)  # the resolver and public reads, from any origin
    # Consumers scan on slow rural connections: the page is ~30 KB as HTML, ~7 KB gzipped.
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.add_middleware(MetricsMiddleware, metrics=services.metrics)
    app.add_middleware(BodySizeGuard, limit=service.max_body_bytes,
                       larger={platform.VERIFY_PATH: platform.LISTINGS_BODY_LIMIT})
    if service.trusted_proxies:
        app.add_middleware(ProxyHeadersMiddleware,
                           trusted_hosts=[str(proxy) for proxy in service.trusted_proxies])
    app.add_middleware(SecurityHeaders)  # outermost: on every answer, a 413 too
    # feed before lineage: /recalls/feed, not /recalls/{recall}
    for module in (docs, health, lots, feed, lineage, records, recording, orgs, devices, tokens,
                   log, scan, recording_app, reports, epcis, platform, subscriptions, exports,
                   inspection, epcis_capture):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


DESCRIPTION = """\
Every step of a lot's life — harvest, collection, grading, pre-cooling, storage, packing,
shipping, receiving, inspection, certification, recall — as a signed, hash-chained record,
each a leaf of a transparency log. 每个环节都是签名并哈希链接的记录。

**Access 权限.** Send `Authorization: Bearer <token>`. An organisation's token records what
the ledger allows it (only the custodian handles a lot; custody moves by shipment and
receipt; inspectors inspect, hold, release and recall any lot). An admin token (made by
`agritrace token create --admin`) registers organisations and issues tokens; every issuance
and revocation is in the token log (`GET /tokens/log`). Reading a lot,
its records, its bundle and the log is public, and rate-limited per address without a token.

**Errors 错误.** Every error is JSON `{"error", "field", "reason"}`; a conflict on a lot's
chain (409) adds `chain` and its current `head`. A JSON body must be UTF-8 I-JSON (RFC 7493):
no name twice in an object, no lone surrogate, at most 32 levels deep; otherwise 422.

**Retries 重试.** Send `Idempotency-Key` with a recording request: a retry with the same key
and body answers the first response and records nothing twice.
"""
