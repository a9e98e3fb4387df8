"""Where exported events come from: the store's lot records, read with their leaf indices
straight from the events table (as ``ledger.bundles`` reads them), mapped once each.

Only records the log has integrated are exported: an event carries its leaf index, and an
event's content, hence its id, must not change once published. A record still waiting for
the integrator appears in the next answer after it is integrated.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from sqlalchemy import text

from ledger.domain.chain import chain_id
from ledger.epcis.chains import ChainFacts, StoredEntry
from ledger.epcis.identities import Identities
from ledger.epcis.mapping import Mapper
from ledger.errors import LotNotFound
from ledger.persistence.store import EventStore, events_table, notification_column, split_state
from ledger.persistence.tables import log_leaves
from verify.records import Record

__all__ = ["EventSource"]

Event = dict[str, Any]


class EventSource:
    """Reads lot chains and maps their records; remembers recent chains and events."""

    def __init__(self, store: EventStore, identities: Identities | None = None, *,
                 kept: int = 2000) -> None:
        self.store = store
        self.identities = identities or Identities.from_env()
        self.mapper = Mapper(self.identities, self.facts)
        self._facts: OrderedDict[str, ChainFacts] = OrderedDict()
        self._events: OrderedDict[bytes, list[Event]] = OrderedDict()
        self._kept = kept
        self._lock = threading.RLock()  # routes run in a thread pool
        self._events_table = events_table(store.backend)
        self._order = notification_column(store.backend)
        self._sqlite = store.backend.kind == "sqlite"

    # -- chains -------------------------------------------------------------------------

    def facts(self, lot: str, seq: int = -1) -> ChainFacts:
        """The lot's chain as stored, read again unless a remembered one holds record
        ``seq`` (chains only grow, so what it holds up to there cannot have changed)."""
        with self._lock:
            found = self._facts.get(lot)
            if found is not None and found.covers(seq):
                self._facts.move_to_end(lot)
                return found
            facts = ChainFacts(lot, self._read_chain(lot))
            self._facts[lot] = facts
            while len(self._facts) > self._kept:
                self._facts.popitem(last=False)
            return facts

    def _read_chain(self, lot: str) -> list[StoredEntry]:
        query = text(f"SELECT e.state, l.leaf_index "  # noqa: S608
                     f"FROM {self._events_table} e LEFT JOIN {log_leaves.name} l "
                     f"ON l.notification_id = e.{self._order} "
                     f"WHERE e.originator_id = :id ORDER BY e.originator_version")
        identity = chain_id(f"lot/{lot}")
        with self.store.engine.connect() as connection:
            rows = connection.execute(query, {"id": identity.hex if self._sqlite else identity})
            return [_entry(state, leaf) for state, leaf in rows]

    # -- events -------------------------------------------------------------------------

    def record_events(self, entry: StoredEntry) -> list[Event]:
        """The events of one integrated record (remembered by record hash)."""
        with self._lock:
            found = self._events.get(entry.record.hash)
            if found is None:
                found = self.mapper.events(entry)
                self._events[entry.record.hash] = found
                while len(self._events) > self._kept * 10:
                    self._events.popitem(last=False)
            return found

    def lot_entries(self, lot: str) -> list[StoredEntry]:
        """The integrated records of one lot, in chain order; ``LotNotFound`` if none."""
        facts = self.facts(lot, 1 << 62)
        if not facts.entries:
            raise LotNotFound(f"lot {lot} is not registered", field="lot")
        return [entry for entry in facts.entries if entry.leaf_index is not None]

    def log_entries(self, start: int = 0, page: int = 500) -> Iterator[StoredEntry]:
        """Every integrated lot record from leaf index ``start`` on, in log order."""
        query = text(f"SELECT e.state, l.leaf_index "  # noqa: S608
                     f"FROM {log_leaves.name} l JOIN {self._events_table} e "
                     f"ON e.{self._order} = l.notification_id "
                     "WHERE l.leaf_index >= :start ORDER BY l.leaf_index LIMIT :page")
        position = start
        while True:
            with self.store.engine.connect() as connection:
                rows = connection.execute(query, {"start": position, "page": page}).all()
            for state, leaf in rows:
                entry = _entry(state, leaf)
                if entry.record.chain_kind == "lot":
                    yield entry
            if len(rows) < page:
                return
            position = int(rows[-1][1]) + 1


def _entry(state: Any, leaf: Any) -> StoredEntry:
    signature, raw = split_state(bytes(state))
    return StoredEntry(Record.from_bytes(raw), signature, None if leaf is None else int(leaf))
