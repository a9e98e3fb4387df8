"""Notices rebuilt from the log: for holds, recalls, releases and corrections stored without one.

Notices are written with their records (``ledger.platform.outbox``), so a store that recorded
holds and recalls before notices existed has records the recall feed and the webhooks know
nothing of. The records are the truth: ``backfill_notices`` reads the log in order, and every
record that produces a notice (``ledger.platform.notices.notice_of``) and has none gets one,
computed from the lots as they stood with that record applied, exactly as at commit time.
A notice is keyed by its record's hash (unique in the notices table), and rows are inserted
only where none is, so running it twice, or in two processes at once, adds nothing twice.

A backfilled notice goes into the feed in its record's place (the feed orders by leaf index)
but is delivered only to subscriptions made before its record was recorded: a platform that
subscribes today is not flooded with history; it reads the feed from the start instead.

The log position checked through is kept (``projection_state``, name ``platform_notices``),
so a later run reads only the records after it, and replays the lots from the start only when
one of those lacks its notice. The HTTP service runs it as it starts; ``agritrace notices
rebuild`` runs it from the command line (``--from-start`` reads the whole log again).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ledger.domain.lot import Lot
from ledger.persistence.store import EventStore
from ledger.persistence.tables import (
    platform_notices,
    projection_state,
    webhook_outbox,
    webhook_subscriptions,
)
from ledger.platform.notices import TYPES, PlatformNotice, notice_of
from ledger.platform.outbox import outbox_rows
from ledger.platform.subscriptions import subscription_of
from verify.records import Record

__all__ = ["MARKER", "Backfilled", "backfill_notices"]

MARKER = "platform_notices"  # the projection_state row: the notification id checked through


@dataclass(frozen=True)
class Backfilled:
    """What a run did: the notices added (in log order), the deliveries they made, and
    the log position now checked through."""

    notices: list[PlatformNotice]
    deliveries: int
    checked_through: int


def backfill_notices(store: EventStore, *, now_ms: int | None = None,
                     from_start: bool = False) -> Backfilled:
    """Give every record after the checked position (or every record, ``from_start``) that
    should have a notice and has none its notice, in log order; deliveries only to
    subscriptions older than the record."""
    engine = store.engine
    checked = 0 if from_start else _checked_through(engine)
    last = store.max_notification_id()
    if last <= checked:
        return Backfilled([], 0, checked)
    missing = _missing(store, engine, checked)
    notices = _rebuilt(store, missing, max(missing.values())) if missing else []
    made = 0
    with engine.begin() as connection:
        if notices:
            made = _insert(connection, notices, now_ms or int(time.time() * 1000))
        _advance(connection, last)
    if made:
        store.outbox.written.set()
    return Backfilled(notices, made, last)


def _lot_records(store: EventStore, start: int) -> Iterable[tuple[int, Record]]:
    """The lot records from notification id ``start`` on, in log order."""
    for stored in store.records(start=start):
        record = Record.from_bytes(stored.raw)
        if record.chain_kind == "lot":
            yield stored.notification_id, record


def _missing(store: EventStore, engine: Engine, checked: int) -> dict[str, int]:
    """The records after ``checked`` that may produce a notice and have none: hash hex to
    notification id. (Whether a correction concerns platforms needs the lots' state.)"""
    with engine.connect() as connection:
        known = {bytes(row[0]) for row in connection.execute(
            select(platform_notices.c.record_hash))}
    found: dict[str, int] = {}
    for position, record in _lot_records(store, checked + 1):
        if record.type not in TYPES or record.hash in known:
            continue
        if record.type == "Recalled" and record.data.get("because_of"):
            continue  # a cascade: its order's notice names this lot
        found[record.hash_hex] = position
    return found


def _rebuilt(store: EventStore, missing: dict[str, int], through: int) -> list[PlatformNotice]:
    """The notices of the ``missing`` records, from the lots replayed in log order up to the
    last of them: each computed with the lots as they stood with its record applied."""
    lots: dict[str, Lot] = {}

    def load(code: str) -> Lot:
        if code not in lots:
            lots[code] = _empty(code)
        return lots[code]

    notices = []
    for position, record in _lot_records(store, 1):
        if position > through:
            break
        lot = lots.get(record.subject)
        if lot is None or record.seq == 0:
            lot = lots[record.subject] = _empty(record.subject)
        lot.absorb(record, b"")
        if record.hash_hex in missing:
            notice = notice_of(record, load)
            if notice is not None:
                notices.append(notice)
    return notices


def _empty(code: str) -> Lot:
    lot: Lot = object.__new__(Lot)
    Lot.__init__(lot)
    lot.code = code
    return lot


def _insert(connection: Connection, notices: Sequence[PlatformNotice], now_ms: int) -> int:
    """Store ``notices`` where none is yet, each with deliveries to the subscriptions made
    before its record; how many deliveries were added."""
    subscriptions = [subscription_of(row) for row in connection.execute(
        select(webhook_subscriptions).where(webhook_subscriptions.c.deleted_ms.is_(None)))]
    added = 0
    for notice in notices:
        recorded = _millis(notice.recorded)
        earlier = [s for s in subscriptions if s.created_ms <= recorded]
        rows = outbox_rows([notice], earlier, now_ms)
        inserted = connection.execute(_insert_new(connection, platform_notices, rows.notices))
        if inserted.rowcount and rows.deliveries:
            connection.execute(_insert_new(connection, webhook_outbox, rows.deliveries))
            added += len(rows.deliveries)
    return added


def _insert_new(connection: Connection, table: Any, rows: list[dict[str, Any]]) -> Any:
    """An INSERT of ``rows`` that skips any whose unique columns are taken."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).values(rows).on_conflict_do_nothing()


def _millis(recorded: str) -> int:
    return int(datetime.fromisoformat(recorded.replace("Z", "+00:00")).timestamp() * 1000)


def _checked_through(engine: Engine) -> int:
    with engine.connect() as connection:
        row = connection.execute(select(projection_state.c.position).where(
            projection_state.c.name == MARKER)).first()
    return 0 if row is None else int(row[0])


def _advance(connection: Connection, position: int) -> None:
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    connection.execute(dialect.insert(projection_state).values(
        name=MARKER, position=0).on_conflict_do_nothing())
    connection.execute(update(projection_state).where(
        projection_state.c.name == MARKER, projection_state.c.position < position).values(
        position=position))
