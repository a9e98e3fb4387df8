"""The log's integrator in a background thread, as the HTTP service runs it.

``BackgroundIntegrator`` integrates (and cosigns) batch after batch from ``start`` until
``stop``, resting ``idle`` seconds when caught up or when another process holds the
integrator lock; an error is logged and retried after a rest. Each batch runs inside
``writes``: on SQLite, the lock that this process's writers share (``write_lock``).
"""

from __future__ import annotations

import logging
import threading
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from ledger.log.integrator import caught_up
from ledger.log.service import TransparencyLog
from ledger.persistence.store import EventStore

__all__ = ["BackgroundIntegrator", "write_lock"]

log = logging.getLogger(__name__)


class BackgroundIntegrator:
    """``log``'s integrator (with cosigning) in a daemon thread, from ``start`` until
    ``stop``. With several processes on one store, one integrates at a time."""

    def __init__(self, log: TransparencyLog, *, idle: float = 0.5,
                 writes: AbstractContextManager[Any] | None = None) -> None:
        self.log = log
        self.idle = idle
        self.writes = writes or nullcontext()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name="agritrace-integrator")
        self._thread.start()

    def stop(self, timeout: float = 60.0) -> None:
        """Ask the thread to stop and wait for its batch (and any witness call) to end."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with self.writes:
                    result = self.log.integrate_batch()
            except Exception:
                log.exception("log integration failed; retrying in %.1f s", self.idle)
                self._stop.wait(self.idle)
                continue
            if caught_up(result, self.log.integrator.batch_size):
                self._stop.wait(self.idle)


def write_lock(store: EventStore) -> AbstractContextManager[Any]:
    """What one process's writers hold while they write: on SQLite, one lock.

    SQLite has one writer at a time anyway. Without the lock, the integrator (holding the
    database's write lock) can wait for a connection from the event store's pool, while a
    recording thread holds the pool's queue waiting for the pool's one writer connection,
    whose transaction waits for the integrator: a deadlock until the pool times out. Taking
    turns in-process first avoids it. PostgreSQL needs no such lock."""
    return threading.Lock() if store.backend.kind == "sqlite" else nullcontext()
