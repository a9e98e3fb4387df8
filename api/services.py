"""The services of one application, made once by ``create_app`` and kept, frozen, on
``app.state.services``.

Routes reach them through the dependencies of ``api.deps``; middleware and error handlers
that see only the request use ``services_of(request.app)``. ``Services.open`` makes them
from the two settings: the ledger over its store, the transparency log, the integrator
thread (started by the app's lifespan), the lock this process's writers share, the metrics,
the anonymous rate limit, the idempotency keys, the chain reader, the token cache, the label
sheets, the resolver's services, the webhook subscriptions and the delivery thread (also
started by the lifespan). ``backfill_notices`` gives records stored without a platform
notice theirs (the lifespan runs it first). ``close`` stops both threads and closes the store.
"""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from starlette.applications import Starlette

from api.middleware.limits import RateLimiter
from api.middleware.metrics import Metrics
from api.scan.resolving import RenderedPages, Scanning
from api.settings import ServiceSettings
from api.sheets import LabelSheets
from api.workers import shared_directory
from ledger.access.grants import Authenticator
from ledger.application import Ledger
from ledger.config import Settings
from ledger.consumer import SummaryCache
from ledger.consumer.scans import ScanCounter
from ledger.digitallink.uris import public_url
from ledger.epcis.source import EventSource
from ledger.log import TransparencyLog, load_log_key
from ledger.log.background import BackgroundIntegrator, write_lock
from ledger.persistence.idempotency import IdempotencyKeys, fingerprint_secret
from ledger.persistence.lookup import ChainReader
from ledger.platform.backfill import backfill_notices
from ledger.platform.delivery import DeliveryWorker
from ledger.platform.subscriptions import Subscriptions
from ledger.platform.verdicts import VerdictService

__all__ = ["Services", "services_of"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Services:
    """Everything one application serves with, one of each per process."""

    settings: ServiceSettings
    ledger: Ledger
    log: TransparencyLog
    integrator: BackgroundIntegrator
    writes: AbstractContextManager[Any]  # held while writing (``write_lock``)
    metrics: Metrics
    limiter: RateLimiter  # requests without a token, per client address
    idempotency: IdempotencyKeys
    chains: ChainReader  # parsed records kept for reading chains
    authenticator: Authenticator  # token grants, remembered a moment
    sheets: LabelSheets
    scanning: Scanning  # the resolver's summaries, scan counts and rendered pages
    epcis: EventSource  # lot records mapped to EPCIS events, the recent ones remembered
    verdicts: VerdictService  # platform verdicts, signed by the verdict key (made on first use)
    subscriptions: Subscriptions  # platforms' webhooks
    deliveries: DeliveryWorker  # sends the outbox's webhooks

    @classmethod
    def open(cls, settings: Settings, service: ServiceSettings) -> Services:
        """The services over the store ``settings`` names; the store is closed again if
        anything after opening it fails."""
        ledger = Ledger(settings)
        try:
            log = TransparencyLog(ledger.store, load_log_key(settings),
                                  batch_size=service.batch_size, witnesses=service.witnesses)
            writes = write_lock(ledger.store)
            subscriptions = Subscriptions(ledger.store.engine, settings.master_key)
            return cls(
                settings=service, ledger=ledger, log=log,
                integrator=BackgroundIntegrator(log, idle=service.idle, writes=writes),
                writes=writes, metrics=Metrics(shared_directory()),
                limiter=RateLimiter(service.rate_per_second, service.rate_burst),
                idempotency=IdempotencyKeys(
                    ledger.store.engine, fingerprint_secret(settings.master_key),
                    lease=timedelta(seconds=service.idempotency_lease)),
                chains=ChainReader(ledger.store),
                authenticator=Authenticator(ledger.authenticate, ttl=service.token_cache),
                sheets=LabelSheets(),
                scanning=Scanning(ledger=ledger, log=log, summaries=SummaryCache(ledger),
                                  scans=ScanCounter(ledger.store.engine),
                                  pages=RenderedPages(), host=public_url()),
                epcis=EventSource(ledger.store),
                verdicts=VerdictService(ledger, log),
                subscriptions=subscriptions,
                deliveries=DeliveryWorker(ledger.store.outbox, subscriptions,
                                          service.delivery))
        except BaseException:
            ledger.close()
            raise

    def backfill_notices(self) -> None:
        """Give holds, recalls, releases and corrections stored without a notice (before
        notices existed) theirs; a failure is logged and the service starts anyway (the
        next start tries again)."""
        try:
            done = backfill_notices(self.ledger.store)
        except Exception:
            log.exception("rebuilding platform notices from the log failed")
            return
        if done.notices:
            log.info("platform notices rebuilt from the log: %d, with %d deliveries",
                     len(done.notices), done.deliveries)

    def close(self) -> None:
        """Stop the integrator (waiting for its batch) and the delivery thread (waiting for
        the sends under way), then close the store."""
        self.integrator.stop()
        self.deliveries.stop()
        self.ledger.close()


def services_of(app: Starlette) -> Services:
    """The services ``create_app`` put on ``app``."""
    services: Services = app.state.services
    return services
