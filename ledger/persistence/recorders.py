"""Event recorders that refuse to store records signed with a key that changed meanwhile.

A record is valid only if its key was active at the record's place in the log. Without a
guard, a writer could load an organisation (key K active), another process could revoke K
and commit, and the first writer could then commit a record signed with K *after* the
revocation: a record that every audit would reject. So a save carries ``guards``: the
version at which each signing organisation's chain was read. Inside the insert transaction,
once the store's write lock is held (PostgreSQL's table lock, SQLite's write lock taken by
the first insert), each guarded chain must still be at that version; otherwise the whole
save fails as a conflict and the caller retries with fresh keys.

A save may also carry an idempotency ``claim`` (``ledger.persistence.idempotency``): in the same
transaction its key takes the save's ``outcome``, if the claim still holds the key and it has
none yet; otherwise (a retry took the key over) the save fails with ``ClaimLost`` and
nothing is stored. So the records and their key's outcome are stored together or not at all.

A save may carry ``outbox`` (``ledger.platform.outbox.OutboxRows``): the notices its records
produce and their deliveries to subscribers, inserted in the same transaction, so a recall is
never stored without its notifications.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from ledger.persistence.idempotency import Claim
from ledger.persistence.tables import (
    idempotency_keys,
    platform_notices,
    webhook_outbox,
)

if TYPE_CHECKING:
    from ledger.platform.outbox import OutboxRows

__all__ = ["ClaimLost", "GuardedPostgresRecorder", "GuardedSQLiteRecorder", "KeysChanged"]

Guards = Mapping[UUID, int]
_COMPLETE = ("UPDATE {0} SET outcome = {1} WHERE scope = {1} AND key = {1} AND owner = {1} "
             "AND outcome IS NULL RETURNING owner")


class KeysChanged(IntegrityError):
    """An organisation's key history changed between reading it and saving."""


class ClaimLost(IntegrityError):
    """The save's idempotency claim no longer holds its key: a retry took it over."""


def _refuse(chain: UUID, expected: int, found: int) -> KeysChanged:
    return KeysChanged(f"organisation chain {chain} is at version {found}, not {expected}")


def _outbox(kwargs: Mapping[str, Any]) -> list[tuple[str, list[str], list[tuple[Any, ...]]]]:
    """The outbox rows of the save, per table: (table name, columns, rows)."""
    rows: OutboxRows | None = kwargs.get("outbox")
    if not rows:
        return []
    found = []
    for table, dicts in ((platform_notices.name, rows.notices),
                         (webhook_outbox.name, rows.deliveries)):
        if dicts:
            columns = list(dicts[0])
            found.append((table, columns, [tuple(d[c] for c in columns) for d in dicts]))
    return found


def _completion(kwargs: Mapping[str, Any]) -> tuple[str, str, str, str] | None:
    """The parameters of ``_COMPLETE`` for the save's claim, if it has one."""
    claim: Claim | None = kwargs.get("claim")
    if claim is None:
        return None
    return (str(kwargs["outcome"]), claim.scope, claim.key, claim.owner)


class GuardedSQLiteRecorder(SQLiteApplicationRecorder):
    def _insert_events(self, c: SQLiteCursor, stored_events: Sequence[StoredEvent],
                       **kwargs: Any) -> Sequence[int] | None:
        # Insert first: the first write takes SQLite's write lock, so no other writer can
        # change a guarded chain between the check below and the commit.
        ids = super()._insert_events(c, stored_events, **kwargs)
        guards: Guards = kwargs.get("guards") or {}
        for chain, expected in guards.items():
            c.execute(f"SELECT MAX(originator_version) FROM {self.events_table_name} "  # noqa: S608
                      "WHERE originator_id = ?", (chain.hex,))
            found = c.fetchone()[0] or 0
            if found != expected:
                raise _refuse(chain, expected, found)
        completion = _completion(kwargs)
        if completion is not None:
            c.execute(_COMPLETE.format(idempotency_keys.name, "?"), completion)
            if not c.fetchall():
                raise ClaimLost("a retry took this request's idempotency key over")
        for table, columns, rows in _outbox(kwargs):
            c.executemany(f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608
                          f"VALUES ({', '.join('?' for _ in columns)})", rows)
        return ids


class GuardedPostgresRecorder(PostgresApplicationRecorder):
    def _insert_stored_events(self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent],
                              **kwargs: Any) -> None:
        guards: Guards = kwargs.get("guards") or {}
        if guards:
            # The table lock serialises writers; taking it again later in the same
            # transaction (as the parent does) is a no-op.
            self._lock_table(curs)
            query = SQL("SELECT MAX(originator_version) AS v FROM {0}.{1} "
                        "WHERE originator_id = %s").format(
                Identifier(self.datastore.schema), Identifier(self.events_table_name))
            for chain, expected in guards.items():
                curs.execute(query, (chain,))
                row = curs.fetchone()
                found = (row["v"] if row else None) or 0
                if found != expected:
                    raise _refuse(chain, expected, found)
        completion = _completion(kwargs)
        if completion is not None:
            # Before the insert: an error raised here leaves nothing to commit.
            curs.execute(SQL(_COMPLETE).format(
                Identifier(self.datastore.schema, idempotency_keys.name), SQL("%s")),
                completion)
            if not curs.fetchall():
                raise ClaimLost("a retry took this request's idempotency key over")
        # Before the events' insert too: the parent reads its RETURNING rows from this
        # cursor afterwards. Any failure rolls the whole transaction back.
        for table, columns, rows in _outbox(kwargs):
            curs.executemany(SQL("INSERT INTO {0} ({1}) VALUES ({2})").format(
                Identifier(self.datastore.schema, table),
                SQL(", ").join(Identifier(c) for c in columns),
                SQL(", ").join(SQL("%s") for _ in columns)), rows)
        super()._insert_stored_events(curs, stored_events, **kwargs)
