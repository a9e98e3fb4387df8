"""A small cache of public summaries, valid while the store holds no new record.

A summary is a pure function of the records, and records are only ever appended, so the
store's highest notification id is a version that changes whenever a summary might: one cheap
query per request instead of loading a lot's whole family. Bounded, least recently used
first out; safe to share between threads.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from ledger.application import Ledger
from ledger.consumer.model import LotSummary
from ledger.consumer.summary import public_summary

__all__ = ["SummaryCache"]


class SummaryCache:
    def __init__(self, ledger: Ledger, *, size: int = 512) -> None:
        self.ledger = ledger
        self.size = size
        self._entries: OrderedDict[str, tuple[int, LotSummary]] = OrderedDict()
        self._lock = threading.Lock()

    def version(self) -> int:
        return self.ledger.store.max_notification_id()

    def summary(self, code: str) -> LotSummary:
        """The summary of lot ``code`` as of now; raises like ``public_summary``."""
        return self.versioned(code)[1]

    def versioned(self, code: str) -> tuple[int, LotSummary]:
        """The summary with the store version it is valid for."""
        version = self.version()
        with self._lock:
            hit = self._entries.get(code)
            if hit is not None and hit[0] == version:
                self._entries.move_to_end(code)
                return hit
        summary = public_summary(self.ledger, code)
        with self._lock:
            self._entries[code] = (version, summary)
            self._entries.move_to_end(code)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return version, summary
