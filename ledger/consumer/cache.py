"""Values valid for one store version, kept in a small cache; and the cache of public
summaries built on it.

A summary is a pure function of the records, and records are only ever appended, so the
store's highest notification id is a version that changes whenever a summary might: one cheap
query per request instead of loading a lot's whole family. The same holds for anything
derived from the records alone, such as a rendered page (``api.scan.responses``). Bounded,
least recently used first out; safe to share between threads.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

from ledger.application import Ledger
from ledger.consumer.model import LotSummary
from ledger.consumer.summary import public_summary

__all__ = ["SummaryCache", "VersionedCache"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class VersionedCache(Generic[K, V]):
    """At most ``size`` values, each kept with the store version it was made at; a value is
    found only at that version."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._entries: OrderedDict[K, tuple[int, V]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: K, version: int) -> V | None:
        """The value kept for ``key`` at ``version``, if any."""
        with self._lock:
            hit = self._entries.get(key)
            if hit is None or hit[0] != version:
                return None
            self._entries.move_to_end(key)
            return hit[1]

    def put(self, key: K, version: int, value: V) -> V:
        """Keep ``value`` for ``key`` at ``version`` (the least recently used goes when
        full); returns ``value``."""
        with self._lock:
            self._entries[key] = (version, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return value


class SummaryCache:
    """Public summaries of lots, each valid until the store holds a new record."""

    def __init__(self, ledger: Ledger, *, size: int = 512) -> None:
        self.ledger = ledger
        self._kept: VersionedCache[str, LotSummary] = VersionedCache(size)

    def __len__(self) -> int:
        return len(self._kept)

    def version(self) -> int:
        return self.ledger.store.max_notification_id()

    def summary(self, code: str) -> LotSummary:
        """The summary of lot ``code`` as of now; raises like ``public_summary``."""
        return self.versioned(code)[1]

    def versioned(self, code: str) -> tuple[int, LotSummary]:
        """The summary with the store version it is valid for."""
        version = self.version()
        kept = self._kept.get(code, version)
        if kept is None:
            kept = self._kept.put(code, version, public_summary(self.ledger, code))
        return version, kept
