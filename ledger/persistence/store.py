"""The event store: ``eventsourcing`` on SQLite or PostgreSQL, holding exactly the signed bytes.

``RecordMapper`` stores a chain event's state as ``signature (64 bytes) || record bytes`` —
no transcoding, compression or cipher — so what the store holds is what was signed, and the
audit reads it back unchanged. Tables beside the events (``ledger.persistence.tables``) use
SQLAlchemy on
the same database.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import Mapper, Notification, StoredEvent
from eventsourcing.utils import get_topic, resolve_topic
from sqlalchemy import Engine, create_engine, event, text

from ledger.config import Backend, Settings
from ledger.domain.chain import ChainEvent, chain_id
from ledger.domain.lot import Lot
from ledger.domain.organisation import Organisation
from ledger.errors import StoreUnavailable
from ledger.keys.secret_files import restrict_to_owner
from ledger.persistence.idempotency import Claim
from ledger.persistence.tables import RETIRED_TABLES, metadata
from ledger.platform.outbox import Outbox, OutboxRows
from verify.keys import SIGNATURE_SIZE
from verify.records import Record

__all__ = ["EventStore", "SignedRecord", "StoredRecord", "events_table", "notification_column"]

AGGREGATES = (Lot, Organisation)


@lru_cache(maxsize=64)
def _event_class(topic: str) -> Any:
    return resolve_topic(topic)


class RecordMapper(Mapper[UUID]):
    """Maps chain events to ``signature || record bytes`` and back; others as usual."""

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        if isinstance(domain_event, ChainEvent):
            return StoredEvent(
                originator_id=domain_event.originator_id,  # type: ignore[attr-defined]
                originator_version=domain_event.originator_version,  # type: ignore[attr-defined]
                topic=get_topic(type(domain_event)),
                state=domain_event.signature + domain_event.raw,
            )
        return super().to_stored_event(domain_event)

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        cls = _event_class(stored_event.topic)
        if not issubclass(cls, ChainEvent):
            return super().to_domain_event(stored_event)
        signature, raw = split_state(stored_event.state)
        record = Record.from_bytes(raw)
        state: dict[str, Any] = {
            "originator_id": stored_event.originator_id,
            "originator_version": stored_event.originator_version,
            "timestamp": datetime.fromisoformat(record.recorded),
            "raw": raw,
            "signature": signature,
            "_record": record,
        }
        if stored_event.originator_version == 1:
            # "module:Lot.Started" belongs to the aggregate "module:Lot".
            state["originator_topic"] = stored_event.topic.rsplit(".", 1)[0]
        domain_event = object.__new__(cls)
        object.__setattr__(domain_event, "__dict__", state)
        return domain_event


def split_state(state: bytes) -> tuple[bytes, bytes]:
    """``(signature, record bytes)`` from a stored chain event's state."""
    return state[:SIGNATURE_SIZE], state[SIGNATURE_SIZE:]


def _as_uuid(value: UUID | str) -> UUID:
    return value if isinstance(value, UUID) else UUID(value)


class _Application(Application[UUID]):
    name = "agritrace"

    def construct_mapper(self) -> Mapper[UUID]:
        return RecordMapper(transcoder=self.construct_transcoder())


@dataclass(frozen=True)
class StoredRecord:
    """A record as the store holds it, with its place in the store's notification order."""

    notification_id: int
    originator_id: UUID
    originator_version: int
    topic: str
    signature: bytes
    raw: bytes


class SignedRecord(NamedTuple):
    """A record of a chain with its signature."""

    record: Record
    signature: bytes


def events_table(backend: Backend) -> str:
    """The name of the table ``eventsourcing`` keeps events in."""
    return "stored_events" if backend.kind == "sqlite" else "agritrace_events"


def notification_column(backend: Backend) -> str:
    """The column holding an event's notification id (SQLite uses the rowid)."""
    return "rowid" if backend.kind == "sqlite" else "notification_id"


class EventStore:
    """Opens the eventsourcing application and the SQLAlchemy engine for one database."""

    def __init__(self, settings: Settings, *, cache_size: int = 1000) -> None:
        self.backend = settings.backend
        env = dict(self.backend.eventsourcing_env)
        env["AGGREGATE_CACHE_MAXSIZE"] = str(cache_size)
        try:
            if self.backend.sqlite_path is not None:
                _prepare_sqlite_files(self.backend.sqlite_path)
            self.engine = _engine(self.backend)
            with _setup_lock(self.engine, self.backend):
                if self.backend.schema:
                    self._create_schema(self.engine, self.backend.schema)
                self.app = _Application(env=env)
                metadata.create_all(self.engine)
                self._drop_retired(self.engine)
        except Exception as error:  # connection refused, bad credentials, unwritable file
            if isinstance(error, StoreUnavailable):
                raise
            raise StoreUnavailable(f"cannot open the store at {settings.db_url}: "
                                   f"{type(error).__name__}: {error}") from error
        self.repository = self.app.repository
        # Notices and webhook deliveries, written with the records (ledger.platform.outbox).
        self.outbox = Outbox(self.engine)

    @staticmethod
    def _create_schema(engine: Engine, schema: str) -> None:
        with engine.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))

    @staticmethod
    def _drop_retired(engine: Engine) -> None:
        with engine.begin() as connection:
            for name in RETIRED_TABLES:
                connection.execute(text(f'DROP TABLE IF EXISTS "{name}"'))

    def save(self, *events: Any, guards: Mapping[UUID, int] | None = None,
             claim: Claim | None = None, outcome: str = "",
             outbox: OutboxRows | None = None) -> list[int]:
        """Store ``events`` in this order, in one transaction; returns notification ids.

        Goes straight to the event store: ``Application.save`` would spend an
        ``isinstance`` check against a runtime Protocol on every event, which costs more
        than signing the record, and offers nothing we use (no snapshots, no followers).
        ``guards`` are organisation chains that must still be at the given versions
        (``ledger.persistence.recorders``). ``claim`` is an idempotency key the save completes with
        ``outcome``, in the same transaction, if the claim still holds the key. ``outbox``
        holds the notices the events' records produce and their webhook deliveries, stored
        in the same transaction too.
        """
        recordings = self.app.events.put(list(events), guards=guards or {}, claim=claim,
                                         outcome=outcome, outbox=outbox)
        return [recording.notification.id for recording in recordings]

    def remember(self, chains: Iterable[Any]) -> None:
        """Put just-saved chains in the aggregate cache, so the next use case does not read
        back (and re-parse) the records it has just written."""
        cache = self.repository.cache
        if cache is not None:
            for chain in chains:
                cache.put(chain.id, chain)

    def records(self, start: int = 1, page: int = 1000) -> Iterator[StoredRecord]:
        """Every stored chain event in notification order, read page by page."""
        recorder = self.app.recorder
        position = start
        while True:
            notifications: Sequence[Notification] = recorder.select_notifications(
                start=position, limit=page)
            for notification in notifications:
                signature, raw = split_state(notification.state)
                yield StoredRecord(
                    notification_id=notification.id,
                    originator_id=_as_uuid(notification.originator_id),
                    originator_version=notification.originator_version,
                    topic=notification.topic,
                    signature=signature,
                    raw=raw,
                )
            if len(notifications) < page:
                return
            position = notifications[-1].id + 1

    def chain_records(self, chain: str, *, after: int = 0,
                      limit: int | None = None) -> list[SignedRecord]:
        """Records ``after`` … ``after + limit - 1`` of ``chain`` (to its end without a
        ``limit``) with their signatures, in chain order.

        The one way a chain's records are read: the ledger's history, the pages the API
        keeps (``ledger.persistence.lookup.ChainReader``) and the earlier records a step
        refers to all come here. A proof bundle reads rows itself, joined with their leaf
        indices and tolerant of bytes that no longer parse (``ledger.bundles``). A record at
        position ``seq`` is the chain aggregate's version ``seq + 1``."""
        events = self.app.events.get(chain_id(chain), gt=after or None, limit=limit)
        return [SignedRecord(event.parsed(), event.signature) for event in events
                if isinstance(event, ChainEvent)]

    def first_records(self) -> list[Record]:
        """The first record of every chain, in log order."""
        table, order = events_table(self.backend), notification_column(self.backend)
        query = text(f"SELECT state FROM {table} WHERE originator_version = 1 "  # noqa: S608
                     f"ORDER BY {order}")
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        return [Record.from_bytes(split_state(bytes(row[0]))[1]) for row in rows]

    def max_notification_id(self) -> int:
        return int(self.app.recorder.max_notification_id() or 0)

    def close(self) -> None:
        self.app.close()
        self.engine.dispose()


def _prepare_sqlite_files(path: Path) -> None:
    """The database file and its ``-wal`` and ``-shm`` hold private values: the owner's
    alone, made so before SQLite opens (and creates) any of them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    restrict_to_owner(path, create=True)
    for suffix in ("-wal", "-shm"):
        restrict_to_owner(path.with_name(path.name + suffix), create=False)


_SETUP_LOCK = 0x61677269  # "agri": PostgreSQL advisory lock key for creating tables


@contextmanager
def _setup_lock(engine: Engine, backend: Backend) -> Iterator[None]:
    """Serialise table creation across processes starting at once: PostgreSQL's
    ``CREATE ... IF NOT EXISTS`` races with itself (duplicate ``pg_type`` rows), and
    SQLAlchemy's check-then-create races on SQLite. A file lock beside the SQLite file, an
    advisory lock on PostgreSQL."""
    if backend.sqlite_path is not None:
        lock_path = backend.sqlite_path.with_name(backend.sqlite_path.name + ".setup-lock")
        with open(lock_path, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _SETUP_LOCK})
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _SETUP_LOCK})
            connection.commit()


def _engine(backend: Backend) -> Engine:
    if backend.kind == "sqlite":
        engine = create_engine(backend.sqlalchemy_url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(connection: Any, _record: Any) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            # Freed space is zeroed, so an erased value leaves no bytes in its page.
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.close()

        return engine
    options = {"options": f"-csearch_path={backend.schema}"} if backend.schema else {}
    return create_engine(backend.sqlalchemy_url, pool_pre_ping=True, pool_size=2,
                         max_overflow=8, connect_args=options)
