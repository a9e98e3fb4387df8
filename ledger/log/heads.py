"""The log's chain-head map (``verify.headmap``): every chain's head as of a tree size.

Every checkpoint commits, in its ``agritrace/heads`` line, to the map of the log's first
``size`` leaves: replaying the leaves in order and setting each record's chain to its (seq,
record hash). This module derives that map from what the log stores, for three users:

- the integrator (``ledger.log.integrator``) keeps one map per process that follows the
  leaves it appends; when another process integrated meanwhile, ``follow`` catches it up by
  replaying the leaves it missed (or rebuilds it when that is cheaper);
- bundles (``ledger.bundles``) need head proofs at the latest checkpoint: ``CheckpointHeads``
  keeps one map per process at the latest checkpoint's size, built once by one grouped
  query (``load``: each chain's record at its largest leaf below the size) and advanced by
  replaying the leaves of each newer checkpoint, and checks its root against the signed line;
- the log audit (``ledger.log.audit``) recomputes the map from the records themselves.

A leaf's chain and seq are read from the record bytes (``record_head``): the stored bytes
are canonical JSON, whose first member is ``chain`` and whose last four are ``seq``,
``time``, ``type`` and ``v``, so two anchored patterns read them without parsing the whole
record; anything else is parsed in full (``verify.records.Record``), and bytes that are not a
record have no chain. Queries read only the first and last bytes of each record.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, text

from ledger.errors import AuditFailed
from ledger.persistence.store import EventStore, events_table, notification_column, split_state
from ledger.persistence.tables import log_leaves
from verify.checkpoints import Checkpoint, heads_root
from verify.errors import VerificationError
from verify.headmap import HeadMap
from verify.notes import Note
from verify.records import Record

__all__ = ["CheckpointHeads", "HeadProof", "follow", "load", "record_head", "replay"]

HeadProof = tuple[int, list[bytes]]  # (seq of the chain's head, map inclusion proof)

PREFIX, TAIL = 64, 160  # bytes of a record that hold its chain, and its seq
_CHAIN = re.compile(rb'\{"chain":"((?:lot|org)/[A-Za-z0-9._-]{1,40})"')
_SEQ = re.compile(rb',"seq":(0|[1-9][0-9]{0,15}),"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d'
                  rb'(?:\.\d{1,6})?Z","type":"[A-Z][A-Za-z]{1,39}","v":1\}\Z')
_PAGE = 20_000  # leaves replayed per query


def record_head(raw: bytes) -> tuple[str, int] | None:
    """(chain, seq) of record bytes; None when the bytes are not a record."""
    chain, seq = _CHAIN.match(raw), _SEQ.search(raw, max(0, len(raw) - TAIL))
    if chain is None or seq is None:
        return _parsed(raw)
    return chain.group(1).decode("ascii"), int(seq.group(1))


def _fast(prefix: bytes, tail: bytes) -> tuple[str, int] | None:
    chain, seq = _CHAIN.match(prefix), _SEQ.search(tail)
    if chain is None or seq is None:
        return None
    return chain.group(1).decode("ascii"), int(seq.group(1))


def _parsed(raw: bytes) -> tuple[str, int] | None:
    try:
        record = Record.from_bytes(raw)
    except VerificationError:
        return None
    return record.chain, record.seq


class _Queries:
    """The head queries over one store's events and leaves (SQLite or PostgreSQL)."""

    def __init__(self, store: EventStore) -> None:
        events, order = events_table(store.backend), notification_column(store.backend)
        tail = ("substr(e.state, -160)" if store.backend.kind == "sqlite"
                else "substr(e.state, greatest(length(e.state) - 159, 1))")
        # 1-based: the record bytes start after the 64-byte signature.
        parts = f"substr(e.state, 65, {PREFIX}), {tail}"
        join = f"JOIN {events} e ON e.{order} = l.notification_id"
        self.range = text(
            f"SELECT l.leaf_index, l.record_hash, {parts} FROM {log_leaves.name} l "  # noqa: S608
            f"{join} WHERE l.leaf_index >= :start AND l.leaf_index < :stop "
            "ORDER BY l.leaf_index")
        self.latest = text(
            f"SELECT l.leaf_index, l.record_hash, {parts} FROM "  # noqa: S608
            f"(SELECT max(l.leaf_index) AS leaf FROM {log_leaves.name} l {join} "
            "WHERE l.leaf_index < :size GROUP BY e.originator_id) h "
            f"JOIN {log_leaves.name} l ON l.leaf_index = h.leaf {join}")
        self.whole = text(
            f"SELECT l.leaf_index, e.state FROM {log_leaves.name} l {join} "  # noqa: S608
            "WHERE l.leaf_index IN :leaves").bindparams(bindparam("leaves", expanding=True))


_queries: dict[str, _Queries] = {}  # by backend kind: the SQL depends on nothing else


def _of(store: EventStore) -> _Queries:
    found = _queries.get(store.backend.kind)
    if found is None:
        found = _queries[store.backend.kind] = _Queries(store)
    return found


def _heads(connection: Connection, store: EventStore,
           rows: Iterable[Sequence[Any]]) -> Iterator[tuple[int, str, int, bytes]]:
    """(leaf index, chain, seq, record hash) of each row (leaf index, record hash, prefix,
    tail), in order, reading the whole record where the fast patterns do not match."""
    found: list[tuple[int, bytes, tuple[str, int] | None]] = []
    for leaf, digest, prefix, tail in rows:
        found.append((int(leaf), bytes(digest), _fast(bytes(prefix), bytes(tail))))
    slow = sorted(leaf for leaf, _, head in found if head is None)
    parsed: dict[int, tuple[str, int] | None] = {}
    if slow:
        for leaf, state in connection.execute(_of(store).whole, {"leaves": slow}):
            parsed[int(leaf)] = _parsed(split_state(bytes(state))[1])
    for leaf, digest, head in found:
        head = head if head is not None else parsed.get(leaf)
        if head is not None:
            yield leaf, head[0], head[1], digest


def load(connection: Connection, store: EventStore, size: int) -> HeadMap:
    """The map of the log's first ``size`` leaves, from one grouped query: each chain's
    record at its largest leaf index below ``size``."""
    rows = connection.execute(_of(store).latest, {"size": size}).all()
    latest: dict[str, tuple[int, int, bytes]] = {}
    for leaf, chain, seq, digest in _heads(connection, store, rows):
        if chain not in latest or latest[chain][0] < leaf:  # one chain, one aggregate: always
            latest[chain] = (leaf, seq, digest)
    return HeadMap.from_heads(((chain, seq, digest) for chain, (_, seq, digest)
                               in latest.items()), size)


def replay(connection: Connection, store: EventStore, heads: HeadMap, size: int) -> None:
    """Advance ``heads`` from ``heads.size`` to ``size`` by replaying those leaves."""
    query = _of(store).range
    for start in range(heads.size, size, _PAGE):
        stop = min(start + _PAGE, size)
        rows = connection.execute(query, {"start": start, "stop": stop}).all()
        if len(rows) != stop - start:
            raise AuditFailed(f"the log's leaves {start}-{stop - 1} are not all in the store: "
                              f"{len(rows)} of {stop - start} found")
        for _, chain, seq, digest in _heads(connection, store, rows):
            heads.set(chain, seq, digest)
        heads.size = stop


def follow(connection: Connection, store: EventStore, heads: HeadMap | None,
           size: int) -> HeadMap:
    """``heads`` brought to tree ``size``: caught up by replaying the leaves it missed, or
    rebuilt (``load``) when it is missing, ahead, or further behind than it has chains."""
    if heads is None or heads.size > size or size - heads.size > len(heads) + _PAGE:
        return load(connection, store, size)
    if heads.size < size:
        replay(connection, store, heads, size)
    return heads


class CheckpointHeads:
    """Per process: the map at the latest checkpoint a bundle asked for, for head proofs.

    ``proofs`` brings it to the checkpoint's size (``follow``), checks that its root is the
    one the checkpoint signed, and proves the chains asked for, all under one lock. A request
    for an older checkpoint than the map's (two bundles racing a new checkpoint) is answered
    from a map built for it alone.
    """

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._map: HeadMap | None = None

    def proofs(self, connection: Connection, note: str,
               chains: Iterable[str]) -> dict[str, HeadProof] | None:
        """Per chain, its head's seq and proof in the map of the checkpoint ``note``; None
        when that checkpoint carries no ``agritrace/heads`` line (signed before the log kept
        the map). Raises ``AuditFailed`` when the records give another root than it signed,
        or a chain has no head."""
        checkpoint = Checkpoint.from_text(Note.from_text(note).text)
        signed = heads_root(checkpoint)
        if signed is None:
            return None
        with self._lock:
            cached = self._map
            if cached is not None and cached.size > checkpoint.size:
                heads = load(connection, self.store, checkpoint.size)
            else:
                self._map = None  # until it is known to be right
                heads = follow(connection, self.store, cached, checkpoint.size)
            root = heads.root()
            if root != signed:
                raise AuditFailed(f"checkpoint {checkpoint.size} signs chain-head map root "
                                  f"{signed.hex()}, but the log's records give {root.hex()}; "
                                  "run agritrace audit")
            if cached is None or cached.size <= checkpoint.size:
                self._map = heads
            return {chain: _proof(heads, chain) for chain in chains}


def _proof(heads: HeadMap, chain: str) -> HeadProof:
    head = heads.head(chain)
    if head is None:
        raise AuditFailed(f"{chain} has no head in the log's chain-head map")
    return head[0], heads.prove(chain)
