"""Inclusion and consistency proofs against published checkpoints (RFC 9162 section 2.1.3-4).

https://www.rfc-editor.org/rfc/rfc9162#section-2.1.3 and section-2.1.4. A proof is always made
for exactly the tree size of a published checkpoint, and is returned with that checkpoint's
signed note, so a client checks the proof against a root the log signed. Each proof reads
O(log n) stored nodes, in one query (``NodeCache.prefetch``); the leaf by hash or index is one
indexed read, the checkpoint another.

Impossible requests raise ``InvalidInput`` (a malformed hash, a negative or inverted size, an
index outside the tree) or ``NotFound`` (an unknown record, a size never published), with the
field and the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select

from ledger.errors import InvalidInput, NotFound
from ledger.log.checkpoints import PublishedCheckpoint, checkpoint_at, latest_checkpoint
from ledger.log.nodes import NodeCache
from ledger.persistence.tables import log_leaves
from verify.merkle import HASH_SIZE, consistency_proof, inclusion_proof
from verify.proofs import TlogProof

__all__ = [
    "ConsistencyProof",
    "InclusionProof",
    "consistency_between",
    "inclusion_by_hash",
    "inclusion_by_index",
    "parse_record_hash",
]


@dataclass(frozen=True)
class InclusionProof:
    """Leaf ``leaf_index`` (the record with ``record_hash``) is in the tree of ``checkpoint``."""

    leaf_index: int
    record_hash: bytes
    leaf_hash: bytes
    hashes: tuple[bytes, ...]
    checkpoint: PublishedCheckpoint

    @property
    def tree_size(self) -> int:
        return self.checkpoint.size

    def to_tlog_proof(self) -> TlogProof:
        """The C2SP tlog-proof text form (https://c2sp.org/tlog-proof)."""
        return TlogProof(self.leaf_index, self.hashes, self.checkpoint.note)


@dataclass(frozen=True)
class ConsistencyProof:
    """The tree of checkpoint ``new`` extends the tree of checkpoint ``old``."""

    hashes: tuple[bytes, ...]
    old: PublishedCheckpoint
    new: PublishedCheckpoint


def parse_record_hash(value: str | bytes) -> bytes:
    """A record hash from 64 hex digits or 32 bytes; ``InvalidInput`` otherwise."""
    if isinstance(value, bytes):
        raw = value
    else:
        try:
            raw = bytes.fromhex(value) if len(value) == 2 * HASH_SIZE else b""
        except ValueError:
            raw = b""
    if len(raw) != HASH_SIZE:
        raise InvalidInput("must be a SHA-256 record hash: 64 hex digits", field="hash")
    return raw


def _checkpoint(connection: Connection, size: int | None) -> PublishedCheckpoint:
    if size is None:
        latest = latest_checkpoint(connection)
        if latest is None:
            raise NotFound("the log has published no checkpoint yet", field="size")
        return latest
    if size < 1:
        raise InvalidInput("must be a tree size of at least 1", field="size")
    return checkpoint_at(connection, size)


def inclusion_by_index(connection: Connection, index: int,
                       size: int | None = None) -> InclusionProof:
    """Proof that leaf ``index`` is in the published tree of ``size`` (default: latest)."""
    if index < 0:
        raise InvalidInput("must be a leaf index of 0 or more", field="index")
    checkpoint = _checkpoint(connection, size)
    if index >= checkpoint.size:
        raise InvalidInput(f"leaf {index} is not in the tree of size {checkpoint.size}",
                           field="index")
    row = connection.execute(select(log_leaves.c.record_hash)
                             .where(log_leaves.c.leaf_index == index)).first()
    if row is None:
        raise NotFound(f"the log stores no leaf {index}", field="index")
    return _inclusion(connection, index, bytes(row[0]), checkpoint)


def inclusion_by_hash(connection: Connection, record_hash: str | bytes,
                      size: int | None = None) -> InclusionProof:
    """Proof that the record with ``record_hash`` is in the published tree of ``size``."""
    digest = parse_record_hash(record_hash)
    checkpoint = _checkpoint(connection, size)
    row = connection.execute(select(log_leaves.c.leaf_index)
                             .where(log_leaves.c.record_hash == digest)).first()
    if row is None:
        raise NotFound(f"no record with hash {digest.hex()} is in the log", field="hash")
    index = int(row[0])
    if index >= checkpoint.size:
        raise InvalidInput(f"record {digest.hex()} is leaf {index}, not in the tree of size "
                           f"{checkpoint.size}; ask for a later checkpoint", field="size")
    return _inclusion(connection, index, digest, checkpoint)


def _inclusion(connection: Connection, index: int, digest: bytes,
               checkpoint: PublishedCheckpoint) -> InclusionProof:
    leaf, hashes = NodeCache(connection).prefetch(
        lambda get: (get(0, index), inclusion_proof(index, checkpoint.size, get)))
    return InclusionProof(index, digest, leaf, tuple(hashes), checkpoint)


def consistency_between(connection: Connection, size1: int, size2: int) -> ConsistencyProof:
    """Proof that published tree ``size2`` extends published tree ``size1``.

    Requires 1 <= size1 <= size2, both published; equal sizes give an empty proof.
    """
    if size1 < 1:
        raise InvalidInput("must be a tree size of at least 1", field="from")
    if size1 > size2:
        raise InvalidInput(f"from ({size1}) must not exceed to ({size2})", field="from")
    old = checkpoint_at(connection, size1, field="from")
    new = checkpoint_at(connection, size2, field="to")
    hashes = NodeCache(connection).prefetch(lambda get: consistency_proof(size1, size2, get))
    return ConsistencyProof(tuple(hashes), old, new)
