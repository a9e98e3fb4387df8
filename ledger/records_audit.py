"""Audit: re-verify every record from the stored events, never from snapshots or read models.

For each stored event, in the store's notification order:

1. its bytes parse as a record in canonical form (hash = SHA-256 of those bytes);
2. it is stored where its content says: the aggregate of its chain, at version seq + 1,
   under the event type of its chain's kind;
3. it continues its chain, its links point at earlier records, its key was valid for its
   organisation at that point, and its signature verifies (``verify.chain``).

The first failure stops the audit and names the record: notification id, chain, position,
hash and reason.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from ledger.domain.chain import chain_id
from ledger.errors import AuditFailed
from ledger.persistence.store import EventStore, StoredRecord
from verify.chain import ChainVerifier
from verify.errors import VerificationError
from verify.records import Record

__all__ = ["AuditReport", "audit_store"]

_TOPIC_OF_KIND = {"lot": ":Lot.", "org": ":Organisation."}


@dataclass(frozen=True)
class AuditReport:
    records: int
    lots: int
    organisations: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0


def audit_store(store: EventStore, progress: Callable[[int], None] | None = None) -> AuditReport:
    """Verify the whole store; raises ``AuditFailed`` naming the first bad record."""
    started = time.perf_counter()
    verifier = ChainVerifier()
    for stored in store.records():
        record = _parse(stored)
        _check_placement(stored, record)
        try:
            verifier.add(record, stored.signature)
        except VerificationError as error:
            raise AuditFailed(f"notification {stored.notification_id}: {error.reason}",
                              record=record.hash_hex) from error
        if progress is not None and verifier.count % 1000 == 0:
            progress(verifier.count)
    lots = sum(1 for chain in verifier.heads if chain.startswith("lot/"))
    return AuditReport(records=verifier.count, lots=lots,
                       organisations=len(verifier.heads) - lots,
                       seconds=time.perf_counter() - started)


def _parse(stored: StoredRecord) -> Record:
    try:
        return Record.from_bytes(stored.raw)
    except VerificationError as error:
        digest = hashlib.sha256(stored.raw).hexdigest()
        raise AuditFailed(f"notification {stored.notification_id}: record {digest[:16]}… "
                          f"is unreadable: {error.reason}", record=digest) from error


def _check_placement(stored: StoredRecord, record: Record) -> None:
    where = f"notification {stored.notification_id}: {record.chain}#{record.seq}"
    if stored.originator_id != chain_id(record.chain):
        raise AuditFailed(f"{where} is stored in another chain's aggregate",
                          record=record.hash_hex)
    if stored.originator_version != record.seq + 1:
        raise AuditFailed(f"{where} is stored at version {stored.originator_version}, not "
                          f"{record.seq + 1}", record=record.hash_hex)
    expected = _TOPIC_OF_KIND[record.chain_kind] + ("Started" if record.seq == 0 else "Recorded")
    if not stored.topic.endswith(expected):
        raise AuditFailed(f"{where} is stored as {stored.topic}", record=record.hash_hex)
