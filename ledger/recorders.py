"""Event recorders that refuse to store records signed with a key that changed meanwhile.

A record is valid only if its key was active at the record's place in the log. Without a
guard, a writer could load an organisation (key K active), another process could revoke K
and commit, and the first writer could then commit a record signed with K *after* the
revocation: a record that every audit would reject. So a save carries ``guards``: the
version at which each signing organisation's chain was read. Inside the insert transaction,
once the store's write lock is held (PostgreSQL's table lock, SQLite's write lock taken by
the first insert), each guarded chain must still be at that version; otherwise the whole
save fails as a conflict and the caller retries with fresh keys.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

__all__ = ["GuardedPostgresRecorder", "GuardedSQLiteRecorder", "KeysChanged"]

Guards = Mapping[UUID, int]


class KeysChanged(IntegrityError):
    """An organisation's key history changed between reading it and saving."""


def _refuse(chain: UUID, expected: int, found: int) -> KeysChanged:
    return KeysChanged(f"organisation chain {chain} is at version {found}, not {expected}")


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
        super()._insert_stored_events(curs, stored_events, **kwargs)
