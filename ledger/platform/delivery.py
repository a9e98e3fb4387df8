"""The delivery worker: sends due outbox rows as signed webhooks, retrying until delivered.

A daemon thread (started by the HTTP service's lifespan, like the log's integrator)
dispatches: it claims due deliveries for the free senders, in one query and one transaction
(``ledger.platform.outbox``), and hands each to one of ``concurrency`` sender threads, so one
slow receiver holds up no other; it refills when a quarter of the senders are free (or
50 ms after a claim), not after every send. Each claimed row comes with its subscription's
URL and sealed secret read by the claim itself, so a subscription deleted before the claim
gets nothing; one deleted by this process after the claim is skipped just before the POST
(``Subscriptions.deleted_here``). The dispatcher wakes when this process commits new
deliveries (``Outbox.written``), when senders are free, when the next retry falls due, every
``LEAF_RECHECK`` seconds while a delivery waits for its record's leaf index, and at least
every ``poll`` seconds (deliveries written by other processes).

Each notice's body is built once for all its subscribers: the notice with its record's leaf
index, so a delivery is claimed only once the log has integrated the record (or
``leaf_wait`` seconds after the notice, then with ``leaf_index: null``). Only the signature
is made per delivery. A 2xx answer delivers it; anything else (another status, a redirect,
a refused connection, the attempt's ``timeout`` running out) is a failed attempt, retried
after an exponential backoff (``backoff`` × 2^(attempts-1) seconds, at most ``backoff_cap``,
times a random factor in [0.5, 1)) until ``horizon`` seconds after the delivery was created
(or replayed); then it is dead. Senders only send; the dispatcher writes their outcomes
back in batches, every attempt and each delivery's new state in one transaction for all
that finished meanwhile. Every attempt is logged in the attempts table and here, with the
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
REFILL = 4  # claim again once 1/REFILL of the senders are free ...
REFILL_AFTER = 0.05  # ... or this many seconds after the last claim
FLUSH_AFTER = 0.1  # seconds an outcome may wait to be written with others
MAX_REMEMBERED = 4096


@dataclass(frozen=True)
class DeliverySettings:
    """How deliveries are sent and retried (``api.settings`` reads them from the
    environment)."""

    timeout: float = 10.0  # seconds for a whole attempt: connect, send, read the answer
    backoff: float = 5.0  # seconds before the first retry
    backoff_cap: float = 3600.0  # the longest wait between tries
    horizon: float = 86400.0  # seconds from creation (or replay) to giving up
    poll: float = 2.0  # seconds between looks for deliveries other processes wrote
    lease: float = 60.0  # seconds a worker holds a claimed delivery; over ``timeout``
    concurrency: int = 32  # deliveries sent at once (sender threads)
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


@dataclass(frozen=True)
class _Job:
    """A claimed delivery ready to send: where, with which key, which body."""

    claimed: Claimed
    owner: str
    key: bytes
    notice_type: str
    body: bytes


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
        self._last_claim = 0.0
        # Each notice's body per leaf index (built once for all its subscribers), and the
        # opened secrets by sealed form (a sealed secret never changes; the claim reads it).
        self._bodies: dict[tuple[str, int | None], tuple[str, bytes]] = {}
        self._keys: dict[bytes, bytes] = {}
        self._finished: list[Finished] = []
        self._oldest_finished = 0.0

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
        """Stop claiming, wait for the sends under way (each ends within its timeout), and
        write their outcomes."""
        self._stop.set()
        self.outbox.written.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        self._flush(force=True)

    def deliver_due(self) -> int:
        """Send every delivery due now once, one after another, in this thread; how many
        tries were made."""
        tried = 0
        due_by = self.outbox.now_ms()
        while True:
            owner, claimed = self.outbox.claim(
                self.settings.concurrency, self.settings.lease,
                leaf_wait_s=self.settings.leaf_wait, due_by_ms=due_by)
            if not claimed:
                return tried
            for job in self._jobs(claimed, owner):
                tried += self._send(job)
            self._flush(force=True)

    # -- the dispatcher --------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            # Cleared before claiming: a commit after this point wakes the wait below.
            self.outbox.written.clear()
            try:
                self._flush(force=False)
                more = self._claim_round()
            except Exception:
                log.exception("claiming webhook deliveries failed; retrying in %.1f s",
                              self.settings.poll)
                self._stop.wait(self.settings.poll)
                continue
            if not more:
                self.outbox.written.wait(self._rest())

    def _claim_round(self) -> bool:
        """Claim due deliveries for the free senders; True if every free one got one (more
        may be due)."""
        with self._lock:
            free = self.settings.concurrency - self._busy
        enough = max(1, self.settings.concurrency // REFILL)
        if free <= 0 or (free < enough and
                         time.monotonic() - self._last_claim < REFILL_AFTER):
            return False
        self._last_claim = time.monotonic()
        owner, claimed = self.outbox.claim(free, self.settings.lease,
                                           leaf_wait_s=self.settings.leaf_wait)
        assert self._pool is not None  # noqa: S101 - started before the thread
        for job in self._jobs(claimed, owner):
            with self._lock:
                self._busy += 1
            self._pool.submit(self._send_one, job)
        return bool(claimed) and len(claimed) == free

    def _rest(self) -> float:
        """Seconds until there may be something to do, within ``poll``."""
        with self._lock:
            waiting = bool(self._finished)
            free = self.settings.concurrency - self._busy
        if waiting:
            return FLUSH_AFTER
        if free < max(1, self.settings.concurrency // REFILL):
            return min(self.settings.poll, REFILL_AFTER * 2)  # senders finishing wake it
        due = self.outbox.next_due_ms(self.settings.leaf_wait, LEAF_RECHECK)
        if due is None:
            return self.settings.poll
        return max(0.01, min(self.settings.poll, due / 1000 - self.outbox.clock()))

    def _jobs(self, claimed: list[Claimed], owner: str) -> list[_Job]:
        """The claimed deliveries with their keys and bodies (each notice's built once)."""
        with self._lock:
            missing = {c.notice_id for c in claimed
                       if (c.notice_id, c.leaf_index) not in self._bodies}
        notices = self.outbox.notices(sorted(missing))
        jobs = []
        for one in claimed:
            notice_type, body = self._body(one, notices)
            jobs.append(_Job(one, owner, self._key(one), notice_type, body))
        return jobs

    def _body(self, claimed: Claimed, notices: dict[str, PlatformNotice]) -> tuple[str, bytes]:
        cached = (claimed.notice_id, claimed.leaf_index)
        with self._lock:
            found = self._bodies.get(cached)
        if found is not None:
            return found
        notice = notices[claimed.notice_id]
        built = (notice.type, payload(notice.type, notice.recorded,
                                      notice.as_json(claimed.leaf_index)))
        with self._lock:
            if len(self._bodies) >= MAX_REMEMBERED:
                self._bodies.clear()
            self._bodies[cached] = built
        return built

    def _key(self, claimed: Claimed) -> bytes:
        with self._lock:
            key = self._keys.get(claimed.sealed_secret)
        if key is None:
            key = self.subscriptions.open_secret(claimed.subscription_id, claimed.sealed_secret)
            with self._lock:
                if len(self._keys) >= MAX_REMEMBERED:
                    self._keys.clear()
                self._keys[claimed.sealed_secret] = key
        return key

    # -- the senders -----------------------------------------------------------------------

    def _send_one(self, job: _Job) -> None:
        try:
            self._send(job)
        except Exception:
            log.exception("webhook delivery %s failed", job.claimed.delivery_id)
        finally:
            with self._lock:
                self._busy -= 1
            self.outbox.written.set()  # a sender is free: look again

    def _send(self, job: _Job) -> int:
        """Try one delivery; 1 if it was sent, 0 if its subscription was deleted here since
        the claim (deleting cancelled its row)."""
        claimed = job.claimed
        if self.subscriptions.deleted_here(claimed.subscription_id):
            log.info("webhook %s not sent: subscription %s deleted", claimed.delivery_id,
                     claimed.subscription_id)
            return 0
        now_ms = self.outbox.now_ms()
        headers = signed_headers(job.key, claimed.delivery_id, int(time.time()), job.body)
        answer = post(claimed.url, job.body, headers, timeout=self.settings.timeout,
                      allow_private=self.settings.allow_private)
        attempt = Attempt(now_ms, answer.duration_ms, answer.status_code, answer.error)
        done = Finished(claimed, job.owner, attempt,
                        self._retry_at(claimed, attempt, self.outbox.now_ms()))
        with self._lock:
            if not self._finished:
                self._oldest_finished = time.monotonic()
            self._finished.append(done)
        log.info("webhook %s (%s) to %s of %s: %s in %d ms, now %s", claimed.delivery_id,
                 job.notice_type, urlsplit(claimed.url).hostname, claimed.subscription_id,
                 answer.status_code or answer.error, answer.duration_ms, done.status)
        return 1

    def _flush(self, *, force: bool) -> None:
        """Write the finished attempts in one transaction: at once when ``force``, when
        the senders are idle, when a quarter of them finished, or when the oldest has
        waited ``FLUSH_AFTER``."""
        with self._lock:
            if not self._finished:
                return
            due = (force or self._busy == 0
                   or len(self._finished) >= max(1, self.settings.concurrency // REFILL)
                   or time.monotonic() - self._oldest_finished >= FLUSH_AFTER)
            if not due:
                return
            waiting, self._finished = self._finished, []
        try:
            self.outbox.finish(waiting)
        except BaseException:
            with self._lock:  # written with the next batch (leases outlast a retry)
                self._finished = waiting + self._finished
            raise

    def _retry_at(self, claimed: Claimed, attempt: Attempt, now_ms: int) -> int | None:
        """When to try again after ``attempt``; None once past the horizon (or delivered)."""
        if attempt.delivered:
            return None
        deadline = claimed.since_ms + int(self.settings.horizon * 1000)
        if now_ms >= deadline:
            return None
        delay = backoff_delay(claimed.attempts + 1, self.settings, self._rand)
        return min(deadline, now_ms + int(delay * 1000))
