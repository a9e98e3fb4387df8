"""Finding records: by hash, pages of chains kept in memory, their leaf indices, and the
log's lag.

A record is found by hash through the log's leaf table once integrated; records the
integrator has not reached yet are few (the integrator's lag) and are found by hashing the
stored records after the log's position.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from hashlib import sha256

from sqlalchemy import select

from ledger.errors import NotFound
from ledger.log.integrator import read_state
from ledger.persistence.store import EventStore, SignedRecord, StoredRecord
from ledger.persistence.tables import log_leaves
from verify.records import Record

__all__ = ["ChainReader", "FoundRecord", "LogProgress", "find_record",
           "leaf_indices", "log_progress"]


@dataclass(frozen=True)
class FoundRecord:
    record: Record
    signature: bytes
    leaf_index: int | None  # None until the integrator has appended it


@dataclass(frozen=True)
class LogProgress:
    """How far the log is: leaves integrated, and stored records not yet integrated."""

    size: int
    position: int
    latest: int

    @property
    def lag(self) -> int:
        """Notification ids past the log's position (ids may have gaps: an upper bound)."""
        return max(self.latest - self.position, 0)


def find_record(store: EventStore, digest: bytes) -> FoundRecord:
    """The record whose SHA-256 is ``digest``; ``NotFound`` if none is stored."""
    with store.engine.connect() as connection:
        row = connection.execute(
            select(log_leaves.c.leaf_index, log_leaves.c.notification_id)
            .where(log_leaves.c.record_hash == digest)).first()
        _, position = read_state(connection)
    if row is not None:
        stored = _at(store, int(row.notification_id))
        if stored is not None:
            return FoundRecord(Record.from_bytes(stored.raw), stored.signature,
                               int(row.leaf_index))
    for stored in store.records(start=position + 1):
        if sha256(stored.raw).digest() == digest:
            return FoundRecord(Record.from_bytes(stored.raw), stored.signature, None)
    raise NotFound(f"no record has hash {digest.hex()}", field="hash")


def _at(store: EventStore, notification_id: int) -> StoredRecord | None:
    stored = next(store.records(start=notification_id, page=1), None)
    return stored if stored is not None and stored.notification_id == notification_id else None


class ChainReader:
    """Pages of chains, from parsed records kept in this process.

    A chain only ever grows (the store refuses a second record at any position), so the
    records read once stay right: a page costs one query for records past those kept, and
    none is parsed twice. Chains are forgotten least recently read first, beyond
    ``max_records`` kept in all. (A store restored from a backup needs a restart.)"""

    def __init__(self, store: EventStore, *, max_records: int = 50_000) -> None:
        self._store = store
        self._max = max_records
        self._chains: OrderedDict[str, list[SignedRecord]] = OrderedDict()
        self._kept = 0
        self._lock = threading.Lock()

    def page(self, chain: str, offset: int, limit: int) -> list[SignedRecord]:
        """Records ``offset`` … ``offset + limit - 1`` of ``chain`` (fewer at its end)."""
        with self._lock:
            known = self._chains.get(chain, [])
        newer = self._store.chain_records(chain, after=len(known))
        records = known + newer if newer else known
        with self._lock:
            current = self._chains.get(chain, [])
            if len(records) > len(current):
                self._chains[chain] = records
                self._kept += len(records) - len(current)
            if chain in self._chains:
                self._chains.move_to_end(chain)
            while self._kept > self._max and len(self._chains) > 1:
                _, dropped = self._chains.popitem(last=False)
                self._kept -= len(dropped)
        return records[offset:offset + limit]


def leaf_indices(store: EventStore, digests: Sequence[bytes]) -> dict[bytes, int]:
    """The leaf index of each integrated record among ``digests``."""
    if not digests:
        return {}
    with store.engine.connect() as connection:
        rows = connection.execute(
            select(log_leaves.c.record_hash, log_leaves.c.leaf_index)
            .where(log_leaves.c.record_hash.in_(list(digests)))).all()
    return {bytes(row.record_hash): int(row.leaf_index) for row in rows}


def log_progress(store: EventStore) -> LogProgress:
    with store.engine.connect() as connection:
        size, position = read_state(connection)
    return LogProgress(size, position, store.max_notification_id())
