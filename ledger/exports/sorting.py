"""Rows in time order within bounded memory: an external merge sort.

Rows are kept in memory up to ``run`` at a time; each full run is sorted and written to a
temporary file of its own (pickled here and read back only here), and the sorted runs are
merged lazily (``heapq.merge``). A trace of ten thousand rows never touches the disk; one of
a million holds at most ``run`` rows in memory while sorting, and one per run while merging.
"""

from __future__ import annotations

import heapq
import pickle
import tempfile
from collections.abc import Iterator
from types import TracebackType
from typing import IO, Any

__all__ = ["RUN", "SpillingSorter"]

RUN = 50_000
SortKey = tuple[Any, ...]
Item = tuple[SortKey, tuple[Any, ...]]


class SpillingSorter:
    """Collects ``(key, row)`` pairs, then hands the rows out sorted by key. Use it as a
    context manager: closing removes the temporary files."""

    def __init__(self, run: int = RUN) -> None:
        self._run = run
        self._held: list[Item] = []
        self._files: list[IO[bytes]] = []
        self.count = 0

    def add(self, key: SortKey, row: tuple[Any, ...]) -> None:
        self._held.append((key, row))
        self.count += 1
        if len(self._held) >= self._run:
            self._spill()

    def rows(self) -> Iterator[tuple[Any, ...]]:
        """Every row added, in key order (may be read once)."""
        self._held.sort(key=_key)
        runs = [_read(handle) for handle in self._files]
        for _, row in heapq.merge(*runs, iter(self._held), key=_key):
            yield row

    def _spill(self) -> None:
        self._held.sort(key=_key)
        handle = tempfile.TemporaryFile(prefix="agritrace-trace-")
        for item in self._held:  # one pickle each: a shared memo would cross items
            pickle.dump(item, handle, protocol=pickle.HIGHEST_PROTOCOL)
        handle.seek(0)
        self._files.append(handle)
        self._held = []

    def close(self) -> None:
        for handle in self._files:
            handle.close()
        self._files = []
        self._held = []

    def __enter__(self) -> SpillingSorter:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()


def _key(item: Item) -> SortKey:
    return item[0]


def _read(handle: IO[bytes]) -> Iterator[Item]:
    """A run's items back, in the order written: only files this module wrote."""
    while True:
        try:
            yield pickle.load(handle)  # noqa: S301 - our own temporary file
        except EOFError:
            return
