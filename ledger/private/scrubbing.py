"""Making erased bytes leave the database files, not only the rows.

An erasure overwrites a value in its row, but the database may keep the old bytes:

- **SQLite** keeps freed cell space as it was, unless ``secure_delete`` is on (it is on every
  connection the store opens, ``ledger.persistence.store``); and in WAL mode the page images written
  before the erasure stay in the ``-wal`` file, and the main file keeps the old page until a
  checkpoint copies the new one over it. ``PRAGMA wal_checkpoint(TRUNCATE)`` does both: it
  writes every page back and empties the ``-wal`` file.
- **PostgreSQL** writes a new row version and leaves the old one in the table's heap. No
  vacuum removes it while a transaction that began before the erasure is still open (it may
  still read the old version), so the scrub first waits for those to end. A plain ``VACUUM``
  then frees the old version but may leave its bytes in the page's free space (seen on
  PostgreSQL 15), so the table is rewritten (``VACUUM FULL``: a short exclusive lock on that
  table alone). ``VACUUM`` cannot run in a transaction: it gets a connection of its own in
  autocommit mode.

What neither reaches (PostgreSQL's write-ahead log until its segments are recycled, WAL
archives, backups, free blocks of the file system) is stated in docs/records.md.
"""

from __future__ import annotations

import time

from sqlalchemy import Connection, Engine, Table, text

from ledger.errors import StoreUnavailable

__all__ = ["scrub"]

# How long an erasure waits for older PostgreSQL transactions to end.
OLDER_TRANSACTIONS_WAIT = 10.0
_POLL = 0.05

_OLDER_TRANSACTIONS = text(
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
    "AND pid <> pg_backend_pid() AND xact_start < :since "
    "AND (backend_xmin IS NOT NULL OR backend_xid IS NOT NULL)")


def scrub(engine: Engine, table: Table, *, wait: float = OLDER_TRANSACTIONS_WAIT) -> None:
    """Rewrite the database files so that bytes overwritten or deleted in ``table`` by
    committed transactions are gone from them. Raises ``StoreUnavailable`` when another
    connection keeps them: an open SQLite reader past the busy timeout, or a PostgreSQL
    transaction older than the erasure still open after ``wait`` seconds."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if engine.dialect.name == "sqlite":
            busy, _, _ = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
            if busy:
                raise StoreUnavailable("the value is erased, but a reader kept its old bytes "
                                       "in the write-ahead log; they go at the next erasure")
            return
        _await_older_transactions(connection, wait)
        name = engine.dialect.identifier_preparer.format_table(table)
        connection.exec_driver_sql(f"VACUUM (FULL) {name}")


def _await_older_transactions(connection: Connection, wait: float) -> None:
    since = connection.execute(text("SELECT clock_timestamp()")).scalar_one()
    deadline = time.monotonic() + wait
    while connection.execute(_OLDER_TRANSACTIONS, {"since": since}).scalar_one():
        if time.monotonic() >= deadline:
            raise StoreUnavailable("the value is erased, but a transaction older than the "
                                   "erasure is still open, so its old bytes stay in the "
                                   "table until the next erasure")
        time.sleep(_POLL)
