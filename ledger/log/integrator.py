"""The integrator: appends every stored record, in notification order, as a leaf of the log.

RFC 9162 section 2.1 (https://www.rfc-editor.org/rfc/rfc9162#section-2.1): leaf = the record's
bytes, leaf hash = SHA-256(0x00 || bytes). Leaf indices are dense and assigned here, in the
store's notification order (the store's ids may have gaps, DESIGN §3).

One batch is one database transaction: take the integrator lock, read the log's size and
position, read the next records after that position, append them to the in-memory frontier
and their heads to the chain-head map, insert their leaf rows and every node they complete
(executemany), advance size and position, and, when the `CheckpointPolicy` says so, sign and
store a checkpoint committing to the tree and to the map's root. A crash anywhere rolls the
whole batch back, so a restart never skips, repeats or reorders a leaf.

The chain-head map (``ledger.log.heads``) lives in memory, one per process, and follows the
leaves: at a batch's start it is brought to the log's size (replaying what another process
integrated meanwhile), and a batch that fails drops it, to be rebuilt from the store.
``commit_heads=False`` keeps no map and signs checkpoints without the heads line (what the
log did before; the benchmarks' baseline).

Exactly one integrator writes at a time: on PostgreSQL the batch runs under
``pg_try_advisory_xact_lock`` (a busy lock makes the batch a no-op, so other server processes
keep serving); on SQLite the batch's first statement takes the database's write lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from hashlib import sha256
from itertools import islice
from typing import Any

from sqlalchemy import Connection, Engine, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from ledger.errors import AuditFailed, ChainConflict, InvalidInput
from ledger.log.checkpoints import PublishedCheckpoint, latest_checkpoint, publish_checkpoint
from ledger.log.heads import follow, record_head
from ledger.log.logkey import LogKey
from ledger.log.nodes import Frontier, NodeCache, bulk_insert, insert_nodes
from ledger.persistence.store import EventStore, StoredRecord
from ledger.persistence.tables import log_leaves, log_state
from verify.headmap import HeadMap
from verify.merkle import Node, leaf_hash

__all__ = ["BatchResult", "CheckpointPolicy", "Integrator", "batches", "caught_up", "read_state"]

@dataclass(frozen=True)
class CheckpointPolicy:
    """When a batch ends with a checkpoint: once ``min_leaves`` leaves are unpublished, or
    once any leaf is and the latest checkpoint is ``max_age`` seconds old."""

    min_leaves: int = 1
    max_age: float | None = None

    def due(self, unpublished: int, latest: PublishedCheckpoint | None) -> bool:
        if unpublished <= 0:
            return False
        if unpublished >= self.min_leaves or latest is None:
            return True
        if self.max_age is None:
            return False
        created = latest.created_at
        if created.tzinfo is None:  # SQLite hands back naive UTC times
            created = created.replace(tzinfo=UTC)
        return (datetime.now(UTC) - created).total_seconds() >= self.max_age


@dataclass(frozen=True)
class BatchResult:
    """What one batch did: leaves appended, the log's size and position after it, the
    checkpoint it published (if any), and whether another integrator held the lock."""

    leaves: int
    size: int
    position: int
    checkpoint: PublishedCheckpoint | None = None
    busy: bool = False


def caught_up(result: BatchResult, batch_size: int) -> bool:
    """Whether integrating goes on later: the batch was short (nothing more to read), or
    another process holds the integrator lock."""
    return result.busy or result.leaves < batch_size


def batches(step: Callable[[], BatchResult], batch_size: int) -> Iterator[BatchResult]:
    """Run ``step`` (one batch of ``batch_size``) until caught up, yielding each result."""
    while True:
        result = step()
        yield result
        if caught_up(result, batch_size):
            return


def read_state(connection: Connection) -> tuple[int, int]:
    """``(size, position)``: leaves integrated and the last integrated notification id."""
    row = connection.execute(
        select(log_state.c.size, log_state.c.position).where(log_state.c.id == 1)).first()
    return (0, 0) if row is None else (int(row[0]), int(row[1]))


class Integrator:
    """Follows ``store.records()`` and integrates them batch by batch."""

    def __init__(self, store: EventStore, key: LogKey, *, batch_size: int = 1000,
                 policy: CheckpointPolicy | None = None, commit_heads: bool = True) -> None:
        if batch_size < 1:
            raise InvalidInput("must be at least 1", field="batch_size")
        self.store = store
        self.key = key
        self.batch_size = batch_size
        self.policy = policy or CheckpointPolicy()
        self.commit_heads = commit_heads
        self._lock_key = _advisory_key(store.backend.schema)
        self._heads: HeadMap | None = None  # the chain-head map, as of the size it says
        self._batch = threading.Lock()  # one batch at a time in this process: the map is one
        _ensure_state_row(store.engine)

    @property
    def engine(self) -> Engine:
        return self.store.engine

    def integrate_batch(self) -> BatchResult:
        """Integrate up to ``batch_size`` new records in one transaction."""
        with self._batch:
            try:
                return self._integrate_batch()
            except BaseException:
                self._heads = None  # it may hold leaves that were rolled back
                raise

    def _integrate_batch(self) -> BatchResult:
        with self.engine.begin() as connection:
            if not self._lock(connection):
                size, position = read_state(connection)
                return BatchResult(0, size, position, busy=True)
            size, position = read_state(connection)
            records = list(islice(
                self.store.records(start=position + 1, page=self.batch_size),
                self.batch_size))
            heads = None
            if self.commit_heads:
                heads = self._heads = follow(connection, self.store, self._heads, size)
            frontier = _frontier(connection, size)
            nodes = _append(frontier, records, position)
            if records:
                digests = _insert_leaves(connection, size, records)
                _insert_nodes(connection, nodes)
                if heads is not None:
                    _set_heads(heads, records, digests, frontier.size)
                position = records[-1].notification_id
                _advance(connection, size, frontier.size, position)
            checkpoint = self._publish_if_due(connection, frontier, nodes, heads)
            return BatchResult(len(records), frontier.size, position, checkpoint)

    def integrate(self) -> int:
        """Integrate batches until caught up; returns leaves appended."""
        return sum(result.leaves for result in batches(self.integrate_batch, self.batch_size))

    def _lock(self, connection: Connection) -> bool:
        if self.store.backend.kind == "postgres":
            taken = connection.execute(text("SELECT pg_try_advisory_xact_lock(:key)"),
                                       {"key": self._lock_key}).scalar()
            return bool(taken)
        # SQLite: a write first, so the whole batch runs under the database's write lock.
        connection.execute(update(log_state).where(log_state.c.id == 1)
                           .values(size=log_state.c.size))
        return True

    def _publish_if_due(self, connection: Connection, frontier: Frontier,
                        nodes: list[Node], heads: HeadMap | None) -> PublishedCheckpoint | None:
        latest = latest_checkpoint(connection)
        unpublished = frontier.size - (latest.size if latest else 0)
        if not self.policy.due(unpublished, latest):
            return None
        cache = NodeCache(connection, {(n.level, n.index): n.hash for n in nodes})
        return _publish(connection, self.key, frontier.size, frontier.root(), cache,
                        None if heads is None else heads.root())


def _frontier(connection: Connection, size: int) -> Frontier:
    try:
        return Frontier.load(connection, size)
    except LookupError as error:
        raise AuditFailed(f"the log's stored tree of size {size} is damaged: {error}"
                          ) from error


def _append(frontier: Frontier, records: list[StoredRecord], position: int) -> list[Node]:
    nodes: list[Node] = []
    for record in records:
        if record.notification_id <= position:
            raise AuditFailed(f"notification {record.notification_id} is not after "
                              f"{position}: the store's order changed")
        position = record.notification_id
        nodes.extend(frontier.append(leaf_hash(record.raw)))
    return nodes


def _insert_leaves(connection: Connection, size: int,
                   records: list[StoredRecord]) -> list[bytes]:
    """Insert the leaf rows; returns the record hashes."""
    digests = [sha256(r.raw).digest() for r in records]
    rows = [(size + i, r.notification_id, digest)
            for i, (r, digest) in enumerate(zip(records, digests, strict=True))]
    try:
        bulk_insert(connection, log_leaves.name,
                    ("leaf_index", "notification_id", "record_hash"), rows)
    except IntegrityError as error:
        raise AuditFailed(f"records from notification {records[0].notification_id} repeat a "
                          "record or notification already in the log") from error
    return digests


def _set_heads(heads: HeadMap, records: list[StoredRecord], digests: list[bytes],
               size: int) -> None:
    """Each record, in leaf order, becomes its chain's head; the map is then at ``size``."""
    for record, digest in zip(records, digests, strict=True):
        head = record_head(record.raw)
        if head is not None:
            heads.set(head[0], head[1], digest)
    heads.size = size


def _insert_nodes(connection: Connection, nodes: list[Node]) -> None:
    insert_nodes(connection, nodes)


def _advance(connection: Connection, old_size: int, size: int, position: int) -> None:
    moved = connection.execute(
        update(log_state).where(log_state.c.id == 1, log_state.c.size == old_size)
        .values(size=size, position=position))
    if moved.rowcount != 1:
        raise ChainConflict("another integrator advanced the log first; retry", chain="log")


def _publish(connection: Connection, key: LogKey, size: int, root: bytes, cache: NodeCache,
             heads: bytes | None) -> PublishedCheckpoint:
    return publish_checkpoint(connection, key, size, root, cache, heads=heads)


def _ensure_state_row(engine: Engine) -> None:
    dialect_insert: Any = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
    with engine.begin() as connection:
        connection.execute(dialect_insert(log_state).values(id=1, size=0, position=0)
                           .on_conflict_do_nothing(index_elements=["id"]))


def _advisory_key(schema: str | None) -> int:
    """A 64-bit advisory lock key per schema: advisory locks are database-wide."""
    digest = sha256(f"agritrace-log:{schema or 'public'}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)
