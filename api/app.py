"""The HTTP service: ``create_app(settings, service)`` builds the FastAPI application.

One ``Ledger`` and one ``TransparencyLog`` per process, on ``app.state``, closed at shutdown.
Unless ``service.integrate`` is false, the lifespan runs the log's integrator in a background
thread (``TransparencyLog.run``) that appends new records, signs checkpoints and collects
witness cosignatures; shutdown stops it before the store is closed. Routes are plain ``def``:
the ledger blocks, so FastAPI runs them in its thread pool. Errors become JSON in one place
(``api.errors``).
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.errors import install_error_handlers
from api.routes import health, log, lots
from api.settings import ServiceSettings
from ledger.application import Ledger
from ledger.config import Settings
from ledger.log import TransparencyLog, load_log_key

__all__ = ["BackgroundIntegrator", "create_app"]

STATIC = Path(__file__).resolve().parent / "static"


class BackgroundIntegrator:
    """``log.run`` in a daemon thread, from ``start`` until ``stop``."""

    def __init__(self, log: TransparencyLog, *, idle: float = 0.5) -> None:
        self.log = log
        self.idle = idle
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self.log.run, args=(self._stop,),
                                        kwargs={"idle": self.idle}, daemon=True,
                                        name="agritrace-integrator")
        self._thread.start()

    def stop(self, timeout: float = 60.0) -> None:
        """Ask the thread to stop and wait for its batch (and any witness call) to end."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None


def create_app(settings: Settings | None = None,
               service: ServiceSettings | None = None) -> FastAPI:
    """The application over one ledger; both settings default to the environment."""
    settings = settings or Settings.from_env()
    service = service or ServiceSettings.from_env()
    ledger = Ledger(settings)
    try:
        transparency_log = TransparencyLog(ledger.store, load_log_key(settings),
                                           batch_size=service.batch_size,
                                           witnesses=service.witnesses)
    except BaseException:
        ledger.close()
        raise
    integrator = BackgroundIntegrator(transparency_log, idle=service.idle)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if service.integrate:
            integrator.start()
        try:
            yield
        finally:
            integrator.stop()
            ledger.close()

    app = FastAPI(title="agritrace", summary="农产品追溯账本 produce traceability ledger",
                  lifespan=lifespan)
    app.state.ledger = ledger
    app.state.log = transparency_log
    app.state.integrator = integrator
    install_error_handlers(app)
    for module in (health, lots, log):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
