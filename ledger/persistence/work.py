"""A unit of work: every chain a use case touches, saved together or not at all.

A use case loads chains through the unit, appends checked and signed records to them, and
commits once. Private values are written before the events (a crash in between leaves an
unreferenced value, never a commitment without its value) and removed again if the events
cannot be saved. A unique-constraint conflict means another writer extended a chain first:
it surfaces as ``ChainConflict`` with that chain's current head, and nothing is written.
A unit run under an idempotency claim stores what it recorded with its key, in the same
transaction (``ledger.persistence.idempotency``). Records that platforms must hear of (holds,
recalls, releases, their corrections) are stored with their notices and one webhook delivery
per matching subscription, in the same transaction too (``ledger.platform.outbox``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError
from sqlalchemy import delete, insert

from ledger.domain.chain import Chain, ChainEvent, chain_id
from ledger.domain.lot import Lot
from ledger.domain.notices import Notice
from ledger.domain.organisation import Organisation
from ledger.errors import AlreadyExists, ChainConflict, LotNotFound, OrganisationNotFound
from ledger.keys.signing import RecordSigner, sign_records
from ledger.persistence.idempotency import FIELD, Claim, Recorded, RequestTakenOver, outcome_json
from ledger.persistence.recorders import ClaimLost, KeysChanged
from ledger.persistence.store import EventStore
from ledger.persistence.tables import private_values
from ledger.platform.notices import notices_of
from ledger.private.values import Sealed
from ledger.recording.records import now
from verify.records import Record

__all__ = ["Receipt", "UnitOfWork"]

_UNSIGNED = b""


@dataclass(frozen=True)
class Receipt:
    """What was recorded: one entry per record, in the order they were appended."""

    hash: str
    chain: str
    seq: int
    type: str
    notification_id: int
    warnings: tuple[Notice, ...] = ()
    """Facts the record states that were accepted with a warning (``ledger.domain.notices``)."""


class UnitOfWork:
    """Chains loaded and extended by one use case (or one all-or-nothing batch)."""

    def __init__(self, store: EventStore, *, recorded: str | None = None) -> None:
        self._store = store
        self._chains: dict[str, Chain] = {}
        self._appended: list[tuple[Record, str]] = []
        self._sealed: list[tuple[Sealed, str]] = []
        self._to_sign: list[tuple[ChainEvent, RecordSigner, Record]] = []
        self._notices: dict[bytes, tuple[Notice, ...]] = {}
        # One recording time for the whole unit: its records are stored in one transaction.
        self.recorded = recorded or now()
        # Server-held signing keys chosen for organisations during this unit.
        self.signers: dict[str, tuple[str, RecordSigner]] = {}

    def lot(self, code: str) -> Lot:
        chain = self._load(f"lot/{code}")
        if not isinstance(chain, Lot):
            raise LotNotFound(f"lot {code} is not registered", field="lot")
        return chain

    def organisation(self, org_id: str) -> Organisation:
        chain = self._load(f"org/{org_id}")
        if not isinstance(chain, Organisation):
            raise OrganisationNotFound(f"organisation {org_id} is not registered", field="org")
        return chain

    def exists(self, chain: str) -> bool:
        return self._load(chain) is not None

    def require_new(self, chain: str, field: str) -> None:
        if self.exists(chain):
            kind, name = chain.split("/", 1)
            noun = "lot" if kind == "lot" else "organisation"
            raise AlreadyExists(f"{noun} {name} already exists", field=field)

    def _load(self, chain: str) -> Chain | None:
        if chain in self._chains:
            return self._chains[chain]
        try:
            loaded: Chain = self._store.repository.get(chain_id(chain))
        except AggregateNotFoundError:
            return None
        self._chains[chain] = loaded
        return loaded

    def start(self, cls: type[Chain], record: Record, signature: bytes | RecordSigner) -> Any:
        """Begin a chain with ``record``, signed already or by ``signature`` at commit."""
        chain = cls.begin(record, signature if isinstance(signature, bytes) else _UNSIGNED)
        self._chains[record.chain] = chain
        self._note(chain.pending_events[-1], record, signature)
        return chain

    def extend(self, chain: Chain, record: Record, signature: bytes | RecordSigner) -> None:
        """Append ``record``, signed already or by ``signature`` at commit."""
        event = chain.extend(record, signature if isinstance(signature, bytes) else _UNSIGNED)
        self._note(event, record, signature)

    def _note(self, event: Any, record: Record, signature: bytes | RecordSigner) -> None:
        self._appended.append((record, record.chain))
        if not isinstance(signature, bytes):
            self._to_sign.append((event, signature, record))

    @property
    def appended(self) -> list[Record]:
        """The records appended so far, in order."""
        return [record for record, _ in self._appended]

    def notice(self, record: Record, notices: list[Notice]) -> None:
        """Warnings to answer with ``record``'s receipt."""
        if notices:
            self._notices[record.hash] = tuple(notices)

    def keep_private(self, sealed: list[Sealed], chain: str) -> None:
        self._sealed.extend((opening, chain) for opening in sealed)

    def commit(self, claim: Claim | None = None) -> list[Receipt]:
        """Save everything appended; raises ``ChainConflict`` if another writer was first,
        and ``RequestTakenOver`` if ``claim`` no longer holds its idempotency key."""
        if not self._appended:
            return []
        signatures = sign_records([(key, record) for _, key, record in self._to_sign])
        for (event, _, _), signature in zip(self._to_sign, signatures, strict=True):
            Chain.attach_signature(event, signature)
        self._write_private()
        # Save in append order, so that a record's links always precede it in the log.
        pending = {(event.originator_id, event.originator_version): event
                   for chain in self._chains.values() for event in chain.collect_events()}
        events = [pending[(chain_id(chain), record.seq + 1)] for record, chain in self._appended]
        outcome = "" if claim is None else outcome_json(
            Recorded(record.hash_hex, record.chain, record.seq, record.type)
            for record, _ in self._appended)
        outbox = self._store.outbox.rows_for(notices_of(self.appended, self.lot))
        try:
            ids = self._store.save(*events, guards=self._guards(), claim=claim, outcome=outcome,
                                   outbox=outbox)
        except ClaimLost as error:
            self._erase_private()
            raise RequestTakenOver("a retry with this Idempotency-Key took the request over "
                                   "(its lease had ended); the retry's answer counts",
                                   field=FIELD) from error
        except IntegrityError as error:
            self._erase_private()
            raise self._conflict(error) from error
        except BaseException:
            self._erase_private()
            raise
        self._store.remember(chain for chain in self._chains.values())
        if outbox.deliveries:
            self._store.outbox.written.set()  # wake this process's delivery worker
        return [
            Receipt(record.hash_hex, record.chain, record.seq, record.type, notification_id,
                    self._notices.get(record.hash, ()))
            for (record, _), notification_id in zip(self._appended, ids, strict=True)
        ]

    def _guards(self) -> dict[UUID, int]:
        """Organisations whose keys signed records here, at the versions they were read.
        Chains this unit itself extends need no guard: their own inserts conflict."""
        extended = {record.chain for record, _ in self._appended}
        signers = {record.org for record, _ in self._appended}
        return {chain.id: chain.version for name, chain in self._chains.items()
                if name.startswith("org/") and name[4:] in signers and name not in extended}

    def _conflict(self, error: IntegrityError) -> ChainConflict:
        if isinstance(error, KeysChanged):
            return ChainConflict("an organisation's keys changed while recording; retry",
                                 chain=self._appended[0][1])
        for record, chain in self._appended:
            try:
                current: Chain = self._store.repository.get(chain_id(chain))
            except AggregateNotFoundError:
                continue
            if current.length > record.seq:
                return ChainConflict(
                    f"{chain} was extended by another writer (now {current.length} records); "
                    "reload and retry", chain=chain, head=current.head.hex())
        return ChainConflict("another writer changed a chain first; retry",
                             chain=self._appended[0][1])

    def _write_private(self) -> None:
        if not self._sealed:
            return
        moment = datetime.now(UTC)
        with self._store.engine.begin() as connection:
            connection.execute(insert(private_values), [
                {"commitment": opening.commitment, "chain": chain,
                 "value_json": json.dumps(opening.value, ensure_ascii=False),
                 "salt": opening.salt, "created_at": moment}
                for opening, chain in self._sealed
            ])

    def _erase_private(self) -> None:
        if not self._sealed:
            return
        with self._store.engine.begin() as connection:
            connection.execute(delete(private_values).where(
                private_values.c.commitment.in_([s.commitment for s, _ in self._sealed])))
