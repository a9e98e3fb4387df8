"""The right edge of the log's tree, as the monitor keeps it (RFC 9162 section 2.1).

https://www.rfc-editor.org/rfc/rfc9162#section-2.1. A tree of ``size`` leaves is one complete
subtree per set bit of ``size`` (a compact range in the sense of transparency-dev/merkle):
the monitor keeps those O(log n) hashes, appends the leaves it verifies one at a time and
computes the root whenever a checkpoint states one, so it needs no proof from the log and
nothing but this list to resume. ``ledger.log.nodes.Frontier`` is the log's own; the monitor
keeps its own so that it imports nothing of the ledger.
"""

from __future__ import annotations

from collections.abc import Iterable
from hashlib import sha256

from verify.merkle import EMPTY_ROOT

__all__ = ["Frontier"]

_NODE = b"\x01"


class Frontier:
    """The complete subtrees of a tree of ``size`` leaves, leftmost (highest) first."""

    __slots__ = ("_stack", "size")

    def __init__(self, size: int = 0, hashes: Iterable[bytes] = ()) -> None:
        """The frontier of ``size`` leaves from its subtree hashes, highest first
        (``hashes()``); ``ValueError`` if there are not one per set bit of ``size``."""
        levels = [level for level in reversed(range(size.bit_length())) if size >> level & 1]
        given = list(hashes)
        if size < 0 or len(given) != len(levels) or any(len(h) != 32 for h in given):
            raise ValueError(f"a tree of {size} leaves has {len(levels)} frontier hashes")
        self.size = size
        self._stack = list(zip(levels, given, strict=True))

    def append(self, leaf_hash: bytes) -> None:
        """Append one leaf by its RFC 9162 leaf hash."""
        stack, level, value = self._stack, 0, leaf_hash
        while stack and stack[-1][0] == level:
            value = sha256(_NODE + stack.pop()[1] + value).digest()
            level += 1
        stack.append((level, value))
        self.size += 1

    def root(self) -> bytes:
        """MTH of the leaves appended so far; EMPTY_ROOT for none."""
        if not self._stack:
            return EMPTY_ROOT
        value = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            value = sha256(_NODE + left + value).digest()
        return value

    def hashes(self) -> list[bytes]:
        """The subtree hashes, highest first: what ``Frontier(size, hashes)`` takes back."""
        return [value for _, value in self._stack]

    def copy(self) -> Frontier:
        return Frontier(self.size, self.hashes())
