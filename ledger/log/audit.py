"""Audit of the transparency log: recompute the tree from the records, never trust the tables.

The RFC 9162 tree (https://www.rfc-editor.org/rfc/rfc9162#section-2.1) over every stored record,
in notification order, is rebuilt from the event store and compared with what the log keeps:

1. leaf i of the log is the i-th record: same notification id, record hash and leaf hash, and
   the log has no leaf the store lacks (a truncated or rolled-back events table);
2. every stored interior node equals the recomputed one, and there are exactly as many nodes
   as a tree of the log's size has, so every proof the log serves is right;
3. every stored checkpoint is a C2SP signed note (https://c2sp.org/tlog-checkpoint) that
   verifies with the log's key, for the log's origin, whose root equals the recomputed root of
   that many records, and whose ``agritrace/heads`` line equals the root of the chain-head
   map (``verify.headmap``) recomputed from those records; checkpoints signed before the log
   kept the map have no such line, and are counted, not failed;
4. given a checkpoint saved earlier elsewhere (``agritrace audit --checkpoint FILE``), the
   store's first ``size`` records hash to its root. This catches a truncated, rolled-back or
   rewritten store even when the log's own tables were rewritten to match.

The first failure raises ``AuditFailed`` naming the first bad record (or leaf range) it can.
Records the integrator has not reached yet are counted, not failed.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from hashlib import sha256
from itertools import islice

from sqlalchemy import Connection, func, select

from ledger.errors import AuditFailed, InvalidInput
from ledger.log.checkpoints import PublishedCheckpoint, all_checkpoints
from ledger.log.heads import record_head
from ledger.log.integrator import read_state
from ledger.log.nodes import Frontier
from ledger.persistence.store import EventStore, StoredRecord
from ledger.persistence.tables import log_leaves, log_nodes
from verify.checkpoints import Checkpoint
from verify.errors import VerificationError
from verify.headmap import HeadMap
from verify.merkle import Node, leaf_hash
from verify.notes import Verifier, open_note, verify_note

__all__ = ["LogAuditReport", "audit_log", "read_saved_checkpoint"]


@dataclass(frozen=True)
class LogAuditReport:
    """What the audit checked: records in the store, leaves in the log, stored checkpoints,
    the root of all records, and the size of the saved checkpoint (if one was given); the
    chain-head map root of all records, and the sizes of the stored checkpoints signed
    without a heads line (the rest had theirs checked)."""

    records: int
    leaves: int
    checkpoints: int
    root: bytes
    saved_checkpoint_size: int | None
    seconds: float
    heads_root: bytes = bytes(32)
    without_heads: tuple[int, ...] = ()

    @property
    def heads_checked(self) -> int:
        return self.checkpoints - len(self.without_heads)


def read_saved_checkpoint(note: str | bytes, log_key: Verifier,
                          origin: str | None = None) -> Checkpoint:
    """Parse a saved checkpoint and require the log's signature; ``InvalidInput`` otherwise."""
    try:
        checkpoint = Checkpoint.from_text(open_note(note, [log_key]).text)
    except VerificationError as error:
        raise InvalidInput(f"not a checkpoint signed by {log_key.name}: {error.reason}",
                           field="checkpoint") from error
    if checkpoint.origin != (origin or log_key.name):
        raise InvalidInput(f"the checkpoint is for origin {checkpoint.origin!r}, not "
                           f"{origin or log_key.name!r}", field="checkpoint")
    return checkpoint


def audit_log(store: EventStore, log_key: Verifier, *, origin: str | None = None,
              saved_checkpoint: str | bytes | None = None, chunk: int = 4096) -> LogAuditReport:
    """Run steps 1-4 of the module docstring; raises ``AuditFailed`` (or ``InvalidInput`` for
    a saved checkpoint that is unreadable or not signed by ``log_key``)."""
    started = time.perf_counter()
    origin = origin or log_key.name
    saved = None if saved_checkpoint is None else read_saved_checkpoint(
        saved_checkpoint, log_key, origin)
    with store.engine.connect() as connection:
        size, _ = read_state(connection)
        _check_table_sizes(connection, size)
        checkpoints = list(_stored_checkpoints(connection))
        audit = _Walk(connection, size, checkpoints, log_key, origin, saved)
        count = audit.run(store.records(page=chunk), chunk)
    return LogAuditReport(records=count, leaves=size, checkpoints=len(checkpoints),
                          root=audit.frontier.root(),
                          saved_checkpoint_size=None if saved is None else saved.size,
                          seconds=time.perf_counter() - started,
                          heads_root=audit.heads.root(),
                          without_heads=tuple(audit.without_heads))


def _stored_checkpoints(connection: Connection) -> Iterator[PublishedCheckpoint]:
    try:
        yield from all_checkpoints(connection)
    except AuditFailed as error:
        raise AuditFailed(f"a stored checkpoint is unreadable: {error}") from error


def _check_table_sizes(connection: Connection, size: int) -> None:
    leaves = connection.execute(select(func.count()).select_from(log_leaves)).scalar_one()
    if leaves != size:
        raise AuditFailed(f"the log's state says {size} leaves but it stores {leaves}")
    nodes = connection.execute(select(func.count()).select_from(log_nodes)).scalar_one()
    expected = 2 * size - size.bit_count()  # complete subtrees of a tree of `size` leaves
    if nodes != expected:
        raise AuditFailed(f"the log stores {nodes} nodes; a tree of {size} leaves has "
                          f"{expected}")


class _Walk:
    """One pass over the records, checking leaves, nodes and checkpoints as sizes are met."""

    def __init__(self, connection: Connection, size: int,
                 checkpoints: list[PublishedCheckpoint], log_key: Verifier, origin: str,
                 saved: Checkpoint | None) -> None:
        self.connection = connection
        self.size = size
        self.log_key = log_key
        self.origin = origin
        self.saved = saved
        self.frontier = Frontier()
        self.heads = HeadMap()
        self.without_heads: list[int] = []
        self.due: dict[int, list[PublishedCheckpoint]] = defaultdict(list)
        for checkpoint in checkpoints:
            self.due[checkpoint.size].append(checkpoint)
        self.last_good = 0  # the largest size whose checkpoints all verified

    def run(self, records: Iterator[StoredRecord], chunk: int) -> int:
        while batch := list(islice(records, chunk)):
            self._compare_leaves(self.frontier.size, batch)
            expected: list[Node] = []
            for record in batch:
                expected.extend(self.frontier.append(leaf_hash(record.raw)))
                head = record_head(record.raw)
                if head is not None:
                    self.heads.set(head[0], head[1], sha256(record.raw).digest())
                self._at_size(self.frontier.size)
            self._compare_nodes([n for n in expected if self._stored(n)])
        self._at_end(self.frontier.size)
        return self.frontier.size

    def _stored(self, node: Node) -> bool:
        return (node.index + 1) << node.level <= self.size

    def _compare_leaves(self, start: int, batch: list[StoredRecord]) -> None:
        """Step 1 for leaves [start, start + len(batch)) that the log holds."""
        end = min(start + len(batch), self.size)
        if start >= end:
            return
        leaves = {int(i): (int(n), bytes(h)) for i, n, h in self.connection.execute(
            select(log_leaves.c.leaf_index, log_leaves.c.notification_id,
                   log_leaves.c.record_hash)
            .where(log_leaves.c.leaf_index >= start, log_leaves.c.leaf_index < end))}
        for offset, record in enumerate(batch[:end - start]):
            index, digest = start + offset, sha256(record.raw).digest()
            if leaves.get(index) != (record.notification_id, digest):
                stored = leaves.get(index)
                said = "nothing" if stored is None else \
                    f"notification {stored[0]}, record {stored[1].hex()}"
                raise AuditFailed(f"leaf {index} should be notification "
                                  f"{record.notification_id}, record {digest.hex()}, but the "
                                  f"log holds {said}", record=digest.hex())

    def _compare_nodes(self, expected: list[Node]) -> None:
        """Step 2 for the nodes (leaf hashes included) that these records complete."""
        by_level: dict[int, dict[int, bytes]] = defaultdict(dict)
        for node in expected:
            by_level[node.level][node.index] = node.hash
        for level, wanted in by_level.items():
            self._compare_level(level, wanted)

    def _compare_level(self, level: int, wanted: dict[int, bytes]) -> None:
        rows = self.connection.execute(
            select(log_nodes.c.node_index, log_nodes.c.hash)
            .where(log_nodes.c.level == level, log_nodes.c.node_index >= min(wanted),
                   log_nodes.c.node_index <= max(wanted)))
        stored = {int(i): bytes(h) for i, h in rows}
        for index in sorted(wanted):
            if stored.get(index) != wanted[index]:
                first, last = index << level, ((index + 1) << level) - 1
                raise AuditFailed(f"the log's node at level {level} index {index} (leaves "
                                  f"{first}-{last}) is missing or wrong; the leaves are right")

    def _at_size(self, size: int) -> None:
        """Step 3 and 4 for checkpoints of exactly ``size`` records."""
        root = self.frontier.root()
        for checkpoint in self.due.pop(size, []):
            self._check_stored(checkpoint, root)
            self.last_good = size
        if self.saved is not None and self.saved.size == size and self.saved.root_hash != root:
            raise AuditFailed(f"the store's first {size} records hash to {root.hex()}, but the "
                              f"saved checkpoint says {self.saved.root_hash.hex()}: records "
                              "were rewritten or replaced since it was signed")

    def _check_stored(self, checkpoint: PublishedCheckpoint, root: bytes) -> None:
        where = f"stored checkpoint {checkpoint.size}"
        try:
            verify_note(checkpoint.signed_note, [self.log_key])
        except VerificationError as error:
            raise AuditFailed(f"{where} is not signed by the log key: {error.reason}"
                              ) from error
        if checkpoint.origin != self.origin:
            raise AuditFailed(f"{where} is for origin {checkpoint.origin!r}")
        if checkpoint.root_hash != root:
            raise AuditFailed(f"{where} has root {checkpoint.root_hash.hex()} but the records "
                              f"give {root.hex()}: a record among leaves {self.last_good}-"
                              f"{checkpoint.size - 1} changed")
        signed = checkpoint.heads_root
        if signed is None:
            self.without_heads.append(checkpoint.size)
            return
        heads = self.heads.root()
        if signed != heads:
            raise AuditFailed(f"{where} signs chain-head map root {signed.hex()} but its "
                              f"{checkpoint.size} records give {heads.hex()}: the log "
                              "committed to chain heads its records do not have")

    def _at_end(self, count: int) -> None:
        if count < self.size:
            missing = self.connection.execute(
                select(log_leaves.c.notification_id, log_leaves.c.record_hash)
                .where(log_leaves.c.leaf_index == count)).first()
            what = "" if missing is None else \
                f" (notification {missing[0]}, record {bytes(missing[1]).hex()})"
            raise AuditFailed(f"the store holds {count} records but the log has {self.size} "
                              f"leaves: leaf {count}{what} is missing from the store; it was "
                              "truncated or rolled back",
                              record=None if missing is None else bytes(missing[1]).hex())
        if self.due:
            size = min(self.due)
            raise AuditFailed(f"stored checkpoint {size} covers more records than the store's "
                              f"{count}: it was truncated or rolled back")
        if self.saved is not None and self.saved.size > count:
            raise AuditFailed(f"the store holds {count} records but the saved checkpoint "
                              f"covers {self.saved.size}: it was truncated or rolled back "
                              f"(record {count} onwards is gone)")
