"""What agritrace relies on in eventsourcing, one test per hook, on SQLite and PostgreSQL.

The store (``ledger.persistence``) and the chains (``ledger.domain.chain``) reach into
eventsourcing further than its public API: a mapper of their own, private recorder methods
overridden, frozen events given attributes after they are made, ``Application.save``
bypassed for ``EventStore.put``, the aggregate cache filled and copied by hand, and SQL on
eventsourcing's own tables. An eventsourcing release that changes one of these fails the test
named after it here, rather than somewhere deep in a story. pyproject.toml pins the releases
this suite passed on.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from eventsourcing import persistence
from eventsourcing.application import AggregateNotFoundError, Recording
from eventsourcing.domain import Aggregate
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from eventsourcing.utils import get_topic, resolve_topic
from sqlalchemy import text

from ledger.config import Settings
from ledger.domain.chain import Chain, ChainEvent, chain_id
from ledger.persistence.recorders import (
    GuardedPostgresRecorder,
    GuardedSQLiteRecorder,
    KeysChanged,
)
from ledger.persistence.store import (
    EventStore,
    RecordMapper,
    events_table,
    notification_column,
)
from ledger.recording.records import build_record
from verify.records import ZERO_HASH, Record

SIGNATURE = bytes(range(64))


class Probe(Chain):
    """A chain with no rules of its own: only what eventsourcing does is under test."""

    kind = "probe"


def probe_record(name: str, seq: int, prev: bytes = ZERO_HASH) -> Record:
    moment = datetime(2026, 9, 10, 6, 0, seq, tzinfo=UTC).isoformat(timespec="milliseconds")
    moment = moment.replace("+00:00", "Z")
    return build_record(chain=f"lot/{name}", seq=seq, prev=prev, links=(), step="Probed",
                        data={"n": seq}, org="probe-org", key="probe-key", time=moment,
                        recorded=moment)


def probe_chain(name: str, length: int) -> Probe:
    """A new chain of ``length`` records, its events pending."""
    chain: Probe = Probe.begin(probe_record(name, 0), SIGNATURE)
    for seq in range(1, length):
        chain.extend(probe_record(name, seq, chain.head), SIGNATURE)
    return chain


@pytest.fixture
def store(settings: Settings) -> Iterator[EventStore]:
    opened = EventStore(settings)
    yield opened
    opened.close()


def stored_count(store: EventStore) -> int:
    return store.max_notification_id()


# -- the application ------------------------------------------------------------------------

def test_application_construct_mapper(store: EventStore) -> None:
    # Application.__init__ asks construct_mapper for the mapper the event store and the
    # repository then use.
    assert isinstance(store.app.mapper, RecordMapper)
    assert store.app.events.mapper is store.app.mapper
    assert store.repository.event_store is store.app.events


def test_application_recorder_topic(store: EventStore) -> None:
    # APPLICATION_RECORDER_TOPIC (ledger.config) picks the recorder class.
    guarded = (GuardedSQLiteRecorder if store.backend.kind == "sqlite"
               else GuardedPostgresRecorder)
    assert type(store.app.recorder) is guarded


def test_event_store_put_instead_of_application_save(store: EventStore) -> None:
    # EventStore.save calls events.put directly: one Recording per event, in order, each
    # with its notification id; keyword arguments go to the recorder.
    chain = probe_chain("PUT-1", 3)
    events = list(chain.collect_events())
    recordings = store.app.events.put(events, guards={})
    assert all(isinstance(recording, Recording) for recording in recordings)
    assert [recording.domain_event for recording in recordings] == events
    ids = [recording.notification.id for recording in recordings]
    assert ids == sorted(ids)
    assert len(set(ids)) == 3
    assert ids[-1] == store.max_notification_id()


# -- the mapper -----------------------------------------------------------------------------

def test_mapper_to_stored_event(store: EventStore) -> None:
    # The state eventsourcing stores is exactly what RecordMapper gave it: signature ||
    # record bytes, with no transcoding, compression or cipher in between.
    chain = probe_chain("MAP-1", 2)
    records = [event.parsed() for event in chain.pending_events]  # type: ignore[attr-defined]
    store.save(*chain.collect_events())
    query = text(f"SELECT topic, state FROM {events_table(store.backend)} "  # noqa: S608
                 f"ORDER BY {notification_column(store.backend)}")
    with store.engine.connect() as connection:
        rows = connection.execute(query).all()
    assert [(row[0], bytes(row[1])) for row in rows] == [
        (get_topic(Probe.Started), SIGNATURE + records[0].raw),
        (get_topic(Probe.Recorded), SIGNATURE + records[1].raw)]


def test_mapper_to_domain_event(store: EventStore) -> None:
    # Reading a chain back goes through RecordMapper.to_domain_event, for EventStore.get
    # (with gt and limit, as chain pages read) and for the repository.
    store.save(*probe_chain("MAP-2", 5).collect_events())
    events = list(store.app.events.get(chain_id("lot/MAP-2"), gt=1, limit=2))
    assert [event.originator_version for event in events] == [2, 3]
    assert all(isinstance(event, ChainEvent) for event in events)
    assert all(isinstance(event.__dict__["_record"], Record) for event in events)
    assert [event.parsed().seq for event in events] == [1, 2]  # type: ignore[attr-defined]
    assert store.chain_records("lot/MAP-2")[0].signature == SIGNATURE


def test_topics_of_nested_event_classes() -> None:
    # The mapper names a first event's aggregate by cutting the event's topic at its last
    # dot ("module:Lot.Started" -> "module:Lot").
    topic = get_topic(Probe.Started)
    assert topic == f"{__name__}:Probe.Started"
    assert resolve_topic(topic.rsplit(".", 1)[0]) is Probe


# -- events and aggregates ------------------------------------------------------------------

def test_aggregate_event_constructors_and_mutate() -> None:
    # Chain.begin and Chain.extend make events with these keywords and apply them with
    # mutate; the first version is 1 (the mapper relies on it).
    assert Aggregate.INITIAL_VERSION == 1
    chain = probe_chain("EVT-1", 2)
    started, recorded = chain.pending_events
    assert (started.originator_version, recorded.originator_version) == (1, 2)
    assert started.originator_topic == get_topic(Probe)  # type: ignore[attr-defined]
    assert (chain.id, chain.version, chain.length) == (chain_id("lot/EVT-1"), 2, 2)
    assert chain.collect_events() == [started, recorded]
    assert chain.pending_events == []


def test_frozen_events_set_with_object_setattr() -> None:
    # Events are frozen dataclasses with a __dict__: a signature attached at commit and the
    # parsed record are set with object.__setattr__, and the mapper builds an event by
    # giving a bare instance its __dict__.
    chain = probe_chain("EVT-2", 1)
    event: Any = chain.pending_events[0]
    assert dataclasses.is_dataclass(event)
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.signature = b"x" * 64
    Chain.attach_signature(event, b"y" * 64)
    assert event.signature == b"y" * 64
    assert "_record" in event.__dict__
    rebuilt: Any = object.__new__(Probe.Started)
    object.__setattr__(rebuilt, "__dict__", dict(event.__dict__))
    assert (rebuilt.originator_id, rebuilt.originator_version) == (chain.id, 1)
    assert rebuilt.mutate(None).head == chain.head


# -- the recorders ----------------------------------------------------------------------------

def test_recorder_insert_hook(store: EventStore) -> None:
    # GuardedSQLiteRecorder overrides _insert_events, GuardedPostgresRecorder
    # _insert_stored_events (with _lock_table, datastore.schema, events_table_name): each
    # must still run inside the insert transaction, get put's keyword arguments, and let an
    # IntegrityError raised there through unchanged, with nothing stored.
    hook = "_insert_events" if store.backend.kind == "sqlite" else "_insert_stored_events"
    base = (SQLiteApplicationRecorder if store.backend.kind == "sqlite"
            else PostgresApplicationRecorder)
    assert callable(getattr(base, hook, None)), f"eventsourcing's {base.__name__} has no {hook}"
    if store.backend.kind == "postgres":
        # With database functions on, inserts bypass _insert_stored_events altogether.
        datastore = store.app.recorder.datastore  # type: ignore[attr-defined]
        assert not getattr(datastore, "enable_db_functions", False)
    store.save(*probe_chain("GUARD-1", 2).collect_events())
    guarded = chain_id("lot/GUARD-1")
    with pytest.raises(KeysChanged, match="not 1"):
        store.save(*probe_chain("GUARD-2", 2).collect_events(), guards={guarded: 1})
    assert stored_count(store) == 2
    store.save(*probe_chain("GUARD-3", 1).collect_events(), guards={guarded: 2})
    assert stored_count(store) == 3


def test_recorder_refuses_a_taken_version_with_integrity_error(store: EventStore) -> None:
    # The unique (originator id, version) constraint is what stops two writers forking a
    # chain; the unit of work turns eventsourcing's IntegrityError into ChainConflict.
    store.save(*probe_chain("FORK-1", 2).collect_events())
    with pytest.raises(persistence.IntegrityError) as refused:
        store.save(*probe_chain("FORK-1", 1).collect_events())
    assert not isinstance(refused.value, KeysChanged)
    assert stored_count(store) == 2


def test_recorder_select_notifications(store: EventStore) -> None:
    # EventStore.records pages through select_notifications(start=, limit=); the bundle
    # builder and first_records read the same table by SQL, ordered by the notification
    # column (rowid on SQLite).
    store.save(*probe_chain("NOTE-1", 3).collect_events(), *probe_chain("NOTE-2", 2)
               .collect_events())
    notifications = store.app.recorder.select_notifications(start=2, limit=3)
    assert [n.id for n in notifications] == [2, 3, 4]
    assert [n.originator_version for n in notifications] == [2, 3, 1]
    assert isinstance(notifications[0].state, bytes)
    assert UUID(str(notifications[0].originator_id)) == chain_id("lot/NOTE-1")
    assert store.app.recorder.max_notification_id() == 5
    assert [stored.notification_id for stored in store.records(page=2)] == [1, 2, 3, 4, 5]
    query = text(f"SELECT {notification_column(store.backend)} "  # noqa: S608
                 f"FROM {events_table(store.backend)} ORDER BY 1")
    with store.engine.connect() as connection:
        assert [row[0] for row in connection.execute(query)] == [1, 2, 3, 4, 5]


def test_store_busy_errors_are_persistence_errors() -> None:
    # api.errors answers 503 for these two when the database is busy or gone.
    for name in ("OperationalError", "InterfaceError"):
        assert issubclass(getattr(persistence, name), persistence.PersistenceError)


# -- the repository and its cache -------------------------------------------------------------

def test_repository_get_raises_aggregate_not_found(store: EventStore) -> None:
    with pytest.raises(AggregateNotFoundError):
        store.repository.get(chain_id("lot/NOWHERE"))


def test_repository_cache_put_and_deepcopy(store: EventStore) -> None:
    # AGGREGATE_CACHE_MAXSIZE gives the repository a cache; EventStore.remember puts saved
    # chains in it; get hands out copies (Chain.__deepcopy__, which copies the pending
    # events list by its private name) and fast-forwards a cached chain that others
    # extended.
    assert store.repository.cache is not None
    chain = probe_chain("CACHE-1", 2)
    store.save(*chain.collect_events())
    store.remember([chain])
    first: Probe = store.repository.get(chain.id)
    second: Probe = store.repository.get(chain.id)
    assert first is not chain
    assert first is not second
    assert first.__dict__["_pending_events"] is not second.__dict__["_pending_events"]
    first.extend(probe_record("CACHE-1", 2, first.head), SIGNATURE)
    assert second.pending_events == []
    assert store.repository.get(chain.id).version == 2  # the cached chain is unchanged
    store.save(*first.collect_events())  # another writer, bypassing the cache
    assert store.repository.get(chain.id).version == 3
