"""The delivery worker: sends due outbox rows as signed webhooks, retrying until delivered.

A daemon thread (started by the HTTP service's lifespan, like the log's integrator) claims
due deliveries (``ledger.platform.outbox``), a few per sender, each sent by one of
``concurrency`` threads, so one slow receiver holds up no other. A subscription's URL and
secret are remembered for a few seconds: a deleted subscription may still get a delivery
claimed within that time. It wakes when this process
commits new deliveries (``Outbox.written``), when a send ends, when the next retry falls due,
and at least every ``poll`` seconds (deliveries written by other processes).

Each delivery's body is built when it is sent: the notice with its record's leaf index, so
the worker waits for the log to integrate the record (up to ``leaf_wait`` seconds from the
notice, then it sends ``leaf_index: null``). A 2xx answer delivers it; anything else (another
status, a redirect, a refused connection, a timeout) is a failed attempt, retried after an
exponential backoff (``backoff`` × 2^(attempts-1) seconds, at most ``backoff_cap``, times a
random factor in [0.5, 1)) until ``horizon`` seconds after the delivery was created (or
replayed); then it is dead. Every attempt is logged in the attempts table and here, with the
subscription and the status or error; never a secret nor the URL's path or query.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit

from ledger.platform.notices import PlatformNotice
from ledger.platform.outbox import Attempt, Claimed, Finished, Outbox
from ledger.platform.subscriptions import Subscriptions
from ledger.platform.webhooks import post, signed_headers

__all__ = ["DeliverySettings", "DeliveryWorker", "backoff_delay", "payload"]

log = logging.getLogger(__name__)
LEAF_RECHECK = 0.1  # seconds between looks for a record's leaf index
QUEUED = 4  # deliveries claimed per sender at most (held, queued for a free sender)
REMEMBER = 5.0  # seconds a subscription's URL and secret are remembered between sends
MAX_REMEMBERED = 4096


@dataclass(frozen=True)
class DeliverySettings:
    """How deliveries are sent and retried (``api.settings`` reads them from the
    environment)."""

    timeout: float = 10.0  # seconds for each step of a POST
    backoff: float = 5.0  # seconds before the first retry
    backoff_cap: float = 3600.0  # the longest wait between tries
    horizon: float = 86400.0  # seconds from creation (or replay) to giving up
    poll: float = 2.0  # seconds between looks for deliveries other processes wrote
    lease: float = 60.0  # seconds a worker holds a claimed delivery; over ``timeout``
    concurrency: int = 16  # deliveries sent at once
    leaf_wait: float = 30.0  # seconds to wait for the record's leaf index
    allow_private: bool = False  # may call loopback and private addresses (tests)


def backoff_delay(attempts: int, settings: DeliverySettings,
                  rand: Callable[[], float] = random.random) -> float:
    """Seconds to wait after the ``attempts``-th failed try (1 for the first)."""
    delay = min(settings.backoff_cap, settings.backoff * 2.0 ** min(attempts - 1, 40))
    return float(delay * (0.5 + rand() / 2))


def payload(notice_type: str, recorded: str, data: dict[str, object]) -> bytes:
    """The JSON body of a webhook, as Standard Webhooks suggests: type, timestamp, data."""
    return json.dumps({"type": notice_type, "timestamp": recorded, "data": data},
                      ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class DeliveryWorker:
    """Delivers the outbox's due rows, in a thread from ``start`` until ``stop``, or once
    through with ``deliver_due`` (tests, tools)."""

    def __init__(self, outbox: Outbox, subscriptions: Subscriptions,
                 settings: DeliverySettings | None = None, *,
                 rand: Callable[[], float] = random.random) -> None:
        self.outbox = outbox
        self.subscriptions = subscriptions
        self.settings = settings or DeliverySettings()
        self._rand = rand
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._busy = 0
        self._lock = threading.Lock()
        # Subscriptions' URL and opened secret (None: deleted), and notices with their leaf
        # index once known (neither changes after), so a notice sent to a thousand
        # subscribers is read once, not a thousand times.
        self._destinations: dict[str, tuple[float, tuple[str, bytes] | None]] = {}
        self._notices: dict[str, tuple[PlatformNotice, int]] = {}
        self._finished: list[Finished] = []
        self._committing = threading.Lock()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        self._stop.clear()
        self._pool = ThreadPoolExecutor(self.settings.concurrency,
                                        thread_name_prefix="agritrace-webhook")
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name="agritrace-deliveries")
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop claiming, and wait for the sends under way (each ends within its timeout)."""
        self._stop.set()
        self.outbox.written.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def deliver_due(self) -> int:
        """Send every delivery due now, one after another, in this thread; how many tries."""
        tried = 0
        while True:
            owner, claimed = self.outbox.claim(self.settings.concurrency, self.settings.lease)
            if not claimed:
                return tried
            for one in claimed:
                tried += self._deliver(one, owner)

    def _run(self) -> None:
        while not self._stop.is_set():
            # Cleared before claiming: a commit after this point wakes the wait below.
            self.outbox.written.clear()
            try:
                full = self._claim_round()
            except Exception:
                log.exception("claiming webhook deliveries failed; retrying in %.1f s",
                              self.settings.poll)
                self._stop.wait(self.settings.poll)
                continue
            if not full:
                self.outbox.written.wait(self._rest())

    def _claim_round(self) -> bool:
        """Claim due deliveries for the free senders (and a few more each, queued for the
        next free one); True if all places were taken (more may be due)."""
        with self._lock:
            free = self.settings.concurrency * QUEUED - self._busy
        if free <= 0:
            return False
        owner, claimed = self.outbox.claim(free, self.settings.lease)
        for one in claimed:
            with self._lock:
                self._busy += 1
            assert self._pool is not None  # noqa: S101 - started before the thread
            self._pool.submit(self._send_one, one, owner)
        return bool(claimed) and len(claimed) == free

    def _send_one(self, claimed: Claimed, owner: str) -> None:
        try:
            self._deliver(claimed, owner)
        except Exception:
            log.exception("webhook delivery %s failed", claimed.delivery_id)
        finally:
            with self._lock:
                self._busy -= 1
            self.outbox.written.set()  # a sender is free: look again

    def _rest(self) -> float:
        """Seconds until the next retry falls due, within ``poll``."""
        due = self.outbox.next_due_ms()
        if due is None:
            return self.settings.poll
        return max(0.01, min(self.settings.poll, due / 1000 - self.outbox.clock()))

    def _deliver(self, claimed: Claimed, owner: str) -> int:
        """Try one delivery; 1 if it was sent, 0 if it waits for its leaf or was cancelled."""
        destination = self._destination(claimed.subscription_id)
        if destination is None:
            self.outbox.cancel(claimed, owner)
            return 0
        url, key = destination
        notice, leaf = self._notice(claimed.notice_id)
        now_ms = self.outbox.now_ms()
        if leaf is None and now_ms - claimed.created_ms < self.settings.leaf_wait * 1000:
            self.outbox.postpone(claimed, owner, now_ms + int(LEAF_RECHECK * 1000))
            return 0
        body = payload(notice.type, notice.recorded, notice.as_json(leaf))
        headers = signed_headers(key, claimed.delivery_id, int(time.time()), body)
        answer = post(url, body, headers, timeout=self.settings.timeout,
                      allow_private=self.settings.allow_private)
        attempt = Attempt(now_ms, answer.duration_ms, answer.status_code, answer.error)
        done = Finished(claimed, owner, attempt,
                        self._retry_at(claimed, attempt, self.outbox.now_ms()))
        self._finish(done)
        status = done.status
        log.info("webhook %s (%s) to %s of %s: %s in %d ms, now %s", claimed.delivery_id,
                 notice.type, urlsplit(url).hostname, claimed.subscription_id,
                 answer.status_code or answer.error, answer.duration_ms, status)
        return 1

    def _finish(self, done: Finished) -> None:
        """Store ``done``: whoever commits takes every result waiting, so senders finishing
        while a commit is under way share the next one (one commit, not one each)."""
        with self._lock:
            self._finished.append(done)
        with self._committing:
            with self._lock:
                waiting, self._finished = self._finished, []
            if waiting:
                self.outbox.finish(waiting)

    def _destination(self, subscription: str) -> tuple[str, bytes] | None:
        now = time.monotonic()
        with self._lock:
            remembered = self._destinations.get(subscription)
        if remembered is not None and now - remembered[0] < REMEMBER:
            return remembered[1]
        found = self.subscriptions.destination(subscription)
        with self._lock:
            if len(self._destinations) >= MAX_REMEMBERED:
                self._destinations.clear()
            self._destinations[subscription] = (now, found)
        return found

    def _notice(self, notice_id: str) -> tuple[PlatformNotice, int | None]:
        with self._lock:
            remembered = self._notices.get(notice_id)
        if remembered is not None:
            return remembered
        notice, leaf = self.outbox.notice(notice_id)
        if leaf is not None:
            with self._lock:
                if len(self._notices) >= MAX_REMEMBERED:
                    self._notices.clear()
                self._notices[notice_id] = (notice, leaf)
        return notice, leaf

    def _retry_at(self, claimed: Claimed, attempt: Attempt, now_ms: int) -> int | None:
        """When to try again after ``attempt``; None once past the horizon (or delivered)."""
        if attempt.delivered:
            return None
        deadline = claimed.since_ms + int(self.settings.horizon * 1000)
        if now_ms >= deadline:
            return None
        delay = backoff_delay(claimed.attempts + 1, self.settings, self._rand)
        return min(deadline, now_ms + int(delay * 1000))
