"""The outbox: each notice and one delivery row per subscriber, stored with the record.

A unit of work that commits records producing notices (``ledger.platform.notices``) passes
``OutboxRows`` to the event store, which inserts them inside the transaction of the events
(``ledger.persistence.recorders``): a recall is never stored without its notifications, even
if the process dies right after the commit. The rows are picked up by the delivery worker
(``ledger.platform.delivery``), in this process or another, which claims a batch of them with
a lease in one transaction:

    SELECT due ones (FOR UPDATE SKIP LOCKED on PostgreSQL) ORDER BY next_attempt LIMIT n
    UPDATE outbox SET lease_owner = me, lease_until = now + lease
     WHERE delivery_id IN (due ones) AND status IN ('pending', 'retrying')
       AND (lease_until IS NULL OR lease_until < now)

A row updated by one claim no longer matches another's ``WHERE`` (SQLite has one writer;
PostgreSQL re-checks the condition on the locked row, and a worker skips rows another is
claiming), so two workers never hold one row at once. A worker that dies loses its lease and
the row is claimed again: at least once. A row is due when its next attempt's time has come
and its notice's record has a leaf index (or ``leaf_wait`` has passed since it was written):
a webhook carries its record's leaf index. The claim reads each row's subscription afresh,
URL and sealed secret, so nothing about a subscription is remembered between claims.
Outcomes are written back in batches (``finish``), one transaction for many sends.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Engine,
    and_,
    bindparam,
    case,
    func,
    insert,
    or_,
    select,
    update,
)

from ledger.errors import InvalidInput, NotFound, WrongState
from ledger.persistence.tables import (
    log_leaves,
    platform_notices,
    webhook_attempts,
    webhook_outbox,
    webhook_subscriptions,
)
from ledger.platform.notices import PlatformNotice
from ledger.platform.subscriptions import Subscription, subscription_of

__all__ = ["STATUSES", "Attempt", "Claimed", "Finished", "Outbox", "OutboxRows",
           "delivery_id", "outbox_rows"]

STATUSES = ("pending", "retrying", "delivered", "dead", "cancelled")
DUE = ("pending", "retrying")
Clock = Callable[[], float]


def delivery_id(notice_id: str, subscription_id: str) -> str:
    """The webhook-id of a notice's delivery to a subscription: the same on every attempt
    and replay, so a receiver drops what it has seen."""
    digest = hashlib.sha256(f"{notice_id}\n{subscription_id}".encode("ascii")).hexdigest()
    return "msg_" + digest[:32]


@dataclass(frozen=True)
class OutboxRows:
    """Rows to insert with a save: notices and deliveries, as column dictionaries."""

    notices: list[dict[str, Any]] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.notices)


def outbox_rows(notices: Sequence[PlatformNotice], subscriptions: Sequence[Subscription],
                now_ms: int) -> OutboxRows:
    """The rows that store ``notices`` and their deliveries to the matching subscriptions."""
    rows = OutboxRows()
    for notice in notices:
        rows.notices.append({"notice_id": notice.id, "record_hash": bytes.fromhex(notice.id),
                             "notice_json": notice.stored(), "created_ms": now_ms})
        for subscription in subscriptions:
            if subscription.wants(notice.affected_lots, notice.gtins, notice.parties):
                rows.deliveries.append({
                    "delivery_id": delivery_id(notice.id, subscription.id),
                    "subscription_id": subscription.id, "owner": subscription.owner,
                    "notice_id": notice.id, "status": "pending", "attempts": 0,
                    "next_attempt_ms": now_ms, "lease_owner": None, "lease_until_ms": None,
                    "created_ms": now_ms, "since_ms": now_ms, "delivered_ms": None})
    return rows


@dataclass(frozen=True)
class Claimed:
    """A delivery a worker holds: whom to (the subscription's URL and sealed secret, read
    with the claim), which notice and its leaf index, how many attempts so far."""

    delivery_id: str
    subscription_id: str
    notice_id: str
    attempts: int
    since_ms: int
    created_ms: int
    url: str = ""
    sealed_secret: bytes = b""
    leaf_index: int | None = None
    claimed_ms: int = 0


@dataclass(frozen=True)
class Attempt:
    """One try: the answer's status code, or why there was none."""

    at_ms: int
    duration_ms: int
    status_code: int | None
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True)
class Finished:
    """An attempt made on a held delivery, and when to try again: delivered when the
    attempt was, else retrying at ``retry_at_ms``, or dead when that is None."""

    claimed: Claimed
    owner: str
    attempt: Attempt
    retry_at_ms: int | None

    @property
    def status(self) -> str:
        if self.attempt.delivered:
            return "delivered"
        return "retrying" if self.retry_at_ms is not None else "dead"


class Outbox:
    """Writing, claiming, finishing, listing and replaying deliveries. ``written`` is set
    when this process commits rows, to wake its worker at once."""

    def __init__(self, engine: Engine, *, clock: Clock = time.time) -> None:
        self._engine = engine
        self.clock = clock
        self.written = threading.Event()

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    # -- writing, before a unit of work commits ------------------------------------------

    def rows_for(self, notices: Sequence[PlatformNotice]) -> OutboxRows:
        """The rows to store with the records that produced ``notices``."""
        if not notices:
            return OutboxRows()
        with self._engine.connect() as connection:
            found = connection.execute(select(webhook_subscriptions).where(
                webhook_subscriptions.c.deleted_ms.is_(None)))
            subscriptions = [subscription_of(row) for row in found]
        return outbox_rows(notices, subscriptions, self.now_ms())

    # -- the worker's side ---------------------------------------------------------------

    def _due(self, now: int, leaf_wait_ms: int, due_by: int | None = None) -> ColumnElement[bool]:
        """Rows to send now: due, held by no one, their record integrated or waited for."""
        o = webhook_outbox.c
        free = or_(o.lease_until_ms.is_(None), o.lease_until_ms < now)
        return and_(o.status.in_(DUE), o.next_attempt_ms <= (now if due_by is None else due_by),
                    free, or_(log_leaves.c.leaf_index.is_not(None),
                              o.created_ms <= now - leaf_wait_ms))

    def claim(self, limit: int, lease_s: float, *, leaf_wait_s: float = 0.0,
              due_by_ms: int | None = None) -> tuple[str, list[Claimed]]:
        """Up to ``limit`` due deliveries no other worker holds, leased for ``lease_s``, in
        one transaction, each with its subscription's URL and sealed secret and its
        record's leaf index. A row whose record the log has not integrated waits up to
        ``leaf_wait_s`` from its creation; ``due_by_ms`` (default now) bounds the next
        attempt's time."""
        now = self.now_ms()
        owner = secrets.token_hex(16)
        o = webhook_outbox.c
        joined = webhook_outbox.join(
            platform_notices, platform_notices.c.notice_id == o.notice_id).outerjoin(
            log_leaves, log_leaves.c.record_hash == platform_notices.c.record_hash)
        due = self._due(now, int(leaf_wait_s * 1000), due_by_ms)
        free = or_(o.lease_until_ms.is_(None), o.lease_until_ms < now)
        with self._engine.begin() as connection:
            ids = [row[0] for row in connection.execute(
                select(o.delivery_id).select_from(joined).where(due)
                .order_by(o.next_attempt_ms).limit(limit)
                .with_for_update(skip_locked=True, of=webhook_outbox))]
            if not ids:
                return owner, []
            connection.execute(update(webhook_outbox).where(
                o.delivery_id.in_(ids), o.status.in_(DUE), free).values(
                lease_owner=owner, lease_until_ms=now + int(lease_s * 1000)))
            s = webhook_subscriptions.c
            rows = connection.execute(
                select(o.delivery_id, o.subscription_id, o.notice_id, o.attempts, o.since_ms,
                       o.created_ms, s.url, s.sealed_secret, s.deleted_ms,
                       log_leaves.c.leaf_index)
                .select_from(joined.join(webhook_subscriptions,
                                         s.subscription_id == o.subscription_id))
                .where(o.lease_owner == owner, o.delivery_id.in_(ids))
                .order_by(o.next_attempt_ms)).all()
            gone = [r.delivery_id for r in rows if r.deleted_ms is not None]
            if gone:  # deleted meanwhile (deleting cancels them too): never sent
                connection.execute(update(webhook_outbox).where(
                    o.delivery_id.in_(gone), o.lease_owner == owner).values(
                    status="cancelled", lease_owner=None, lease_until_ms=None))
        return owner, [Claimed(r.delivery_id, r.subscription_id, r.notice_id, r.attempts,
                               r.since_ms, r.created_ms, str(r.url), bytes(r.sealed_secret),
                               None if r.leaf_index is None else int(r.leaf_index), now)
                       for r in rows if r.deleted_ms is None]

    def next_due_ms(self, leaf_wait_s: float = 0.0, recheck_s: float = 0.1) -> int | None:
        """When the next delivery can be claimed, or None: the latest of its next attempt
        and the end of another worker's lease; ``recheck_s`` from now while one waits only
        for its record's leaf index (another process's integrator gives it)."""
        now = self.now_ms()
        o = webhook_outbox.c
        joined = webhook_outbox.join(
            platform_notices, platform_notices.c.notice_id == o.notice_id).outerjoin(
            log_leaves, log_leaves.c.record_hash == platform_notices.c.record_hash)
        waits = and_(log_leaves.c.leaf_index.is_(None),
                     o.created_ms > now - int(leaf_wait_s * 1000))
        ready = case((o.lease_until_ms > o.next_attempt_ms, o.lease_until_ms),
                     else_=o.next_attempt_ms)
        # Waiting rows first: a row stops waiting (integrated, or waited long enough) but
        # never starts again, so one not found waiting here is found by the second query,
        # even if the log integrates it in between (PostgreSQL reads each afresh).
        with self._engine.connect() as connection:
            waiting = connection.execute(select(o.delivery_id).select_from(joined).where(
                o.status.in_(DUE), o.next_attempt_ms <= now, waits).limit(1)).first()
            found = connection.execute(select(func.min(ready)).select_from(joined)
                                       .where(o.status.in_(DUE), ~waits)).scalar()
        if waiting is not None:
            recheck = now + int(recheck_s * 1000)
            return recheck if found is None else min(int(found), recheck)
        return None if found is None else int(found)

    def notices(self, notice_ids: Sequence[str]) -> dict[str, PlatformNotice]:
        """Stored notices by id."""
        if not notice_ids:
            return {}
        with self._engine.connect() as connection:
            rows = connection.execute(select(platform_notices.c.notice_id,
                                             platform_notices.c.notice_json).where(
                platform_notices.c.notice_id.in_(list(notice_ids))))
            return {row.notice_id: PlatformNotice.from_stored(row.notice_json) for row in rows}

    def finish(self, results: Sequence[Finished]) -> None:
        """Log each attempt and move its delivery on (``Finished.status``), all in one
        transaction: senders that finish together share one commit."""
        o = webhook_outbox.c
        with self._engine.begin() as connection:
            connection.execute(insert(webhook_attempts), [{
                "delivery_id": done.claimed.delivery_id, "at_ms": done.attempt.at_ms,
                "duration_ms": done.attempt.duration_ms,
                "status_code": done.attempt.status_code,
                "error": None if done.attempt.error is None else done.attempt.error[:300]}
                for done in results])
            # Only while this worker still holds it and no one cancelled it meanwhile.
            connection.execute(update(webhook_outbox).where(
                o.delivery_id == bindparam("b_id"), o.lease_owner == bindparam("b_owner"),
                or_(*(o.status == status for status in DUE))).values(
                status=bindparam("b_status"), attempts=bindparam("b_attempts"),
                lease_owner=None, lease_until_ms=None,
                next_attempt_ms=func.coalesce(bindparam("b_next", type_=BigInteger),
                                              o.next_attempt_ms),
                delivered_ms=func.coalesce(bindparam("b_delivered", type_=BigInteger),
                                           o.delivered_ms)), [{
                    "b_id": done.claimed.delivery_id, "b_owner": done.owner,
                    "b_status": done.status, "b_attempts": done.claimed.attempts + 1,
                    "b_next": done.retry_at_ms,
                    "b_delivered": done.attempt.at_ms + done.attempt.duration_ms
                    if done.status == "delivered" else None} for done in results])

    # -- the platform's side -------------------------------------------------------------

    def deliveries(self, owner: str | None, *, admin: bool, status: str | None = None,
                   limit: int = 100, after: str | None = None,
                   only: str | None = None) -> list[dict[str, Any]]:
        """Deliveries in id order, with every attempt: ``owner``'s (everyone's for an
        admin), of one ``status`` if given, after the delivery id ``after`` (paging), or
        just the one named ``only``."""
        if status is not None and status not in STATUSES:
            raise InvalidInput(f"must be one of {', '.join(STATUSES)}", field="status")
        o = webhook_outbox.c
        query = select(webhook_outbox)
        if not admin:
            query = query.where(o.owner == owner)
        if status is not None:
            query = query.where(o.status == status)
        if after is not None:
            query = query.where(o.delivery_id > after)
        if only is not None:
            query = query.where(o.delivery_id == only)
        query = query.order_by(o.delivery_id).limit(limit)
        with self._engine.connect() as connection:
            rows = list(connection.execute(query))
            ids = [row.delivery_id for row in rows]
            attempts: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
            if ids:
                for a in connection.execute(select(webhook_attempts).where(
                        webhook_attempts.c.delivery_id.in_(ids))
                        .order_by(webhook_attempts.c.attempt_id)):
                    attempts[a.delivery_id].append({
                        "at_ms": a.at_ms, "duration_ms": a.duration_ms,
                        "status_code": a.status_code, "error": a.error})
        return [{"id": row.delivery_id, "subscription": row.subscription_id,
                 "notice": row.notice_id, "status": row.status, "attempts": attempts[
                     row.delivery_id], "next_attempt_ms": row.next_attempt_ms
                 if row.status in DUE else None, "created_ms": row.created_ms,
                 "delivered_ms": row.delivered_ms} for row in rows]

    def replay(self, delivery: str, owner: str | None, *, admin: bool) -> None:
        """Queue a dead (or retrying) delivery again at once, with a new horizon."""
        o = webhook_outbox.c
        with self._engine.begin() as connection:
            row = connection.execute(select(o.owner, o.status).where(
                o.delivery_id == delivery)).first()
            if row is None or not (admin or row.owner == owner):
                raise NotFound(f"no delivery {delivery}", field="delivery")
            if row.status not in ("dead", "retrying"):
                raise WrongState(f"is {row.status}; only a dead or retrying delivery is "
                                 "replayed", field="delivery")
            now = self.now_ms()
            connection.execute(update(webhook_outbox).where(o.delivery_id == delivery).values(
                status="retrying", next_attempt_ms=now, since_ms=now, lease_owner=None,
                lease_until_ms=None))
        self.written.set()
