"""Chains as eventsourcing aggregates: every event holds one signed record, nothing else.

A lot or an organisation is an aggregate whose events are its records, in chain order. The
event's stored state is exactly ``signature || record bytes`` (see ``ledger.persistence.store``),
so the
event store holds the signed bytes and the aggregate's state is a pure function of them.
The store's unique (aggregate id, version) constraint is what stops two writers from forking
a chain: the loser gets ``ChainConflict`` and may retry.
"""

from __future__ import annotations

import copy
import uuid
from datetime import datetime
from functools import lru_cache
from typing import Any, ClassVar

from eventsourcing.domain import Aggregate, AggregateCreated, AggregateEvent
from eventsourcing.utils import get_topic

from verify.records import ZERO_HASH, Record

__all__ = ["Chain", "ChainEvent", "chain_id"]

_NAMESPACE = uuid.UUID("6f1b7f52-54c4-4bb4-8c7e-2f3c0f4a9d11")


@lru_cache(maxsize=65536)
def chain_id(chain: str) -> uuid.UUID:
    """The aggregate id of chain ``lot/<code>`` or ``org/<id>``."""
    return uuid.uuid5(_NAMESPACE, chain)


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


class ChainEvent:
    """Mixin for events that carry one signed record."""

    raw: bytes
    signature: bytes

    def parsed(self) -> Record:
        cached = self.__dict__.get("_record")
        return cached if cached is not None else Record.from_bytes(self.raw)


class Chain(Aggregate):
    """A hash chain of signed records. Subclasses give the state that records build."""

    kind: ClassVar[str]
    # Containers that records change in place; ``__deepcopy__`` copies these and shares the
    # rest, which records only ever replace.
    mutable_state: ClassVar[tuple[str, ...]] = ()

    class Started(AggregateCreated, ChainEvent):
        raw: bytes
        signature: bytes

        def apply(self, aggregate: Any) -> None:
            aggregate.absorb(self.parsed(), self.signature)

    class Recorded(AggregateEvent, ChainEvent):
        raw: bytes
        signature: bytes

        def apply(self, aggregate: Any) -> None:
            aggregate.absorb(self.parsed(), self.signature)

    def __init__(self) -> None:
        self.chain_name = ""
        self.head: bytes = ZERO_HASH
        self.length = 0
        self.last_time = ""

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        # The repository deep-copies cached aggregates on every read; a generic deepcopy
        # walks every nested value and costs more than recording the record itself.
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone.__dict__["_pending_events"] = list(self.pending_events)
        for name in self.mutable_state:
            clone.__dict__[name] = copy.copy(self.__dict__[name])
        return clone

    @property
    def next_seq(self) -> int:
        return self.length

    @classmethod
    def begin(cls, record: Record, signature: bytes) -> Any:
        """A new chain whose first record is ``record``."""
        started: Any = cls.Started  # a dataclass made by eventsourcing's metaclass
        event = started(
            originator_id=chain_id(record.chain),
            originator_version=cls.INITIAL_VERSION,
            timestamp=_moment(record.recorded),
            originator_topic=get_topic(cls),
            raw=record.raw,
            signature=signature,
        )
        object.__setattr__(event, "_record", record)
        chain: Chain = event.mutate(None)
        chain.pending_events.append(event)
        return chain

    @staticmethod
    def attach_signature(event: ChainEvent, signature: bytes) -> None:
        """Give a pending event the signature its record got after it was appended.

        Records are signed in bulk when a unit of work commits (``ledger.keys.signing``); the
        chain's state depends on record hashes only, never on signatures."""
        object.__setattr__(event, "signature", signature)

    def extend(self, record: Record, signature: bytes) -> ChainEvent:
        """Append ``record``; it must already have passed the subclass's checks."""
        recorded: Any = self.Recorded
        event = recorded(
            originator_id=self.id,
            originator_version=self.version + 1,
            timestamp=_moment(record.recorded),
            raw=record.raw,
            signature=signature,
        )
        object.__setattr__(event, "_record", record)
        event.mutate(self)
        self.pending_events.append(event)
        return event  # type: ignore[no-any-return]

    def absorb(self, record: Record, signature: bytes) -> None:
        """Evolve state by one record. Subclasses extend ``apply_record``."""
        self.chain_name = record.chain
        self.head = record.hash
        self.length = record.seq + 1
        self.last_time = record.time
        self.apply_record(record)

    def apply_record(self, record: Record) -> None:
        """Subclass hook: the state a record of this kind changes."""
