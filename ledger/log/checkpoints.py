"""Signed checkpoints: publishing, reading and cosigning the log's tree heads.

A checkpoint is a C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint: origin, decimal
tree size, base64 RFC 9162 root hash) signed as a C2SP signed note
(https://c2sp.org/signed-note) with the log's Ed25519 key, with two extension lines
(``verify.checkpoints``): ``agritrace/heads``, the root of the chain-head map of that many
leaves (``ledger.log.heads``), and ``agritrace/time``, the POSIX second it was signed.
Every published checkpoint is kept in ``agritrace_log_checkpoints``, one per size, with the
cosignatures witnesses returned (https://c2sp.org/tlog-cosignature) appended to its note.

Publishing refuses (``AuditFailed``) rather than sign two different roots (or chain-head map
roots) for one size, a tree
smaller than one already published, or a tree the stored nodes cannot prove consistent
(RFC 9162 section 2.1.4) with the previous checkpoint: no request and no damaged table can make
the log sign two inconsistent checkpoints.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, func, insert, select, update

from ledger.errors import AuditFailed, InvalidInput, NotFound
from ledger.log.logkey import LogKey
from ledger.log.nodes import NodeCache
from ledger.persistence.tables import log_checkpoints
from verify.checkpoints import Checkpoint, heads_root, signed_lines
from verify.errors import VerificationError
from verify.merkle import consistency_proof, verify_consistency
from verify.notes import Note, Signature, sign_note

__all__ = [
    "PublishedCheckpoint",
    "all_checkpoints",
    "attach_cosignatures",
    "checkpoint_at",
    "latest_checkpoint",
    "publish_checkpoint",
]


@dataclass(frozen=True)
class PublishedCheckpoint:
    """A checkpoint the log signed: its size, root, full note text and publication time."""

    size: int
    root_hash: bytes
    origin: str
    note: str
    created_at: datetime

    @property
    def signed_note(self) -> Note:
        return Note.from_text(self.note)

    @property
    def checkpoint(self) -> Checkpoint:
        return Checkpoint.from_text(self.signed_note.text)

    @property
    def heads_root(self) -> bytes | None:
        """The chain-head map root it signed; None for a checkpoint signed without one.
        Raises ``AuditFailed`` when its ``agritrace/heads`` line is malformed."""
        try:
            return heads_root(self.checkpoint)
        except VerificationError as error:
            raise AuditFailed(f"the checkpoint stored under size {self.size}: "
                              f"{error.reason}") from error

    @classmethod
    def from_row(cls, size: int, note: str, created_at: datetime) -> PublishedCheckpoint:
        try:
            parsed = Checkpoint.from_text(Note.from_text(note).text)
        except VerificationError as error:
            raise AuditFailed(f"the checkpoint stored under size {size} is unreadable: "
                              f"{error.reason}") from error
        if parsed.size != size:
            raise AuditFailed(f"the checkpoint stored under size {size} is of size "
                              f"{parsed.size}")
        return cls(size, parsed.root_hash, parsed.origin, note, created_at)


_COLUMNS = (log_checkpoints.c.size, log_checkpoints.c.note, log_checkpoints.c.created_at)


def latest_checkpoint(connection: Connection) -> PublishedCheckpoint | None:
    """The published checkpoint of the largest size, or None before the first."""
    row = connection.execute(
        select(*_COLUMNS).order_by(log_checkpoints.c.size.desc()).limit(1)).first()
    return None if row is None else PublishedCheckpoint.from_row(int(row[0]), row[1], row[2])


def checkpoint_at(connection: Connection, size: int, *,
                  field: str = "size") -> PublishedCheckpoint:
    """The checkpoint published for tree ``size``; ``NotFound`` (naming ``field``) if none."""
    row = connection.execute(select(*_COLUMNS).where(log_checkpoints.c.size == size)).first()
    if row is None:
        latest = connection.execute(select(func.max(log_checkpoints.c.size))).scalar()
        hint = "none is published yet" if latest is None else f"the latest is size {latest}"
        raise NotFound(f"no checkpoint of tree size {size} was published; {hint}",
                       field=field)
    return PublishedCheckpoint.from_row(int(row[0]), row[1], row[2])


def all_checkpoints(connection: Connection) -> Iterator[PublishedCheckpoint]:
    """Every published checkpoint, smallest size first."""
    rows = connection.execute(select(*_COLUMNS).order_by(log_checkpoints.c.size))
    for size, note, created_at in rows:
        yield PublishedCheckpoint.from_row(int(size), note, created_at)


def publish_checkpoint(connection: Connection, key: LogKey, size: int, root: bytes,
                       nodes: NodeCache, *, heads: bytes | None = None,
                       now: datetime | None = None) -> PublishedCheckpoint:
    """Sign and store the checkpoint (key.origin, size, root, with the chain-head map root
    ``heads`` and the signing time as extension lines), or return the equal one.

    Requires size >= 1 and ``nodes`` to read the stored tree of ``size`` leaves, whose root
    the caller computed as ``root``; ``heads`` is the map root of those leaves (None only
    for a log that keeps no map). Steps:

    1. the latest published checkpoint, if any, must be for this origin;
    2. it must not be larger, and one of equal size must have the same root and, when it
       carries one, the same heads root (it is returned);
    3. a consistency proof from it to ``size``, read from the stored nodes, must verify;
    4. the new note is signed and stored.
    """
    if size < 1:
        raise InvalidInput("the log publishes checkpoints of one leaf or more", field="size")
    latest = latest_checkpoint(connection)
    if latest is not None:
        if latest.origin != key.origin:
            raise InvalidInput(f"the log's checkpoints are for origin {latest.origin!r}, "
                               f"not {key.origin!r}", field="origin")
        if latest.size > size:
            raise AuditFailed(f"refusing to sign tree size {size}: checkpoint {latest.size} "
                              "was already published (the log tables were truncated?)")
        if latest.size == size:
            if latest.root_hash != root:
                raise AuditFailed(f"refusing to sign a second root for tree size {size}")
            signed = latest.heads_root
            if heads is not None and signed is not None and signed != heads:
                raise AuditFailed(f"refusing to sign a second chain-head map root for tree "
                                  f"size {size}")
            return latest
        _require_consistent(latest, size, root, nodes)
    moment = now or datetime.now(UTC)
    body = Checkpoint(key.origin, size, root, signed_lines(heads, int(moment.timestamp())))
    note = sign_note(body.to_text(), [key.signer]).to_text()
    connection.execute(insert(log_checkpoints).values(size=size, note=note, created_at=moment))
    return PublishedCheckpoint(size, root, key.origin, note, moment)


def _require_consistent(latest: PublishedCheckpoint, size: int, root: bytes,
                        nodes: NodeCache) -> None:
    try:
        proof = nodes.prefetch(lambda get: consistency_proof(latest.size, size, get))
        verify_consistency(latest.size, size, latest.root_hash, root, proof)
    except (VerificationError, LookupError) as error:
        raise AuditFailed(f"refusing to sign tree size {size}: the stored tree is not "
                          f"consistent with published checkpoint {latest.size}: {error}"
                          ) from error


def attach_cosignatures(connection: Connection, size: int,
                        signatures: Sequence[Signature]) -> PublishedCheckpoint:
    """Append witnesses' cosignature lines to the stored note of ``size``.

    The signed text never changes; a signature whose (name, key id) is already on the note is
    not added twice. The caller checks each cosignature against its witness's key first.
    """
    current = checkpoint_at(connection, size)
    note = current.signed_note
    present = {(s.name, s.key_id) for s in note.signatures}
    added = []
    for signature in signatures:
        if (signature.name, signature.key_id) not in present:
            present.add((signature.name, signature.key_id))
            added.append(signature)
    if not added:
        return current
    text = Note(note.text, (*note.signatures, *added)).to_text()
    connection.execute(update(log_checkpoints).where(log_checkpoints.c.size == size)
                       .values(note=text))
    return PublishedCheckpoint(size, current.root_hash, current.origin, text,
                               current.created_at)
