"""The paths the monitor fetches, and splitting what comes back (https://c2sp.org/tlog-tiles).

Entry bundle ``N`` holds leaves ``N * 256 ..`` as big-endian uint16 length-prefixed entries;
hash tile ``0/N`` their leaf hashes, 32 bytes each; the agritrace log serves beside each entry
bundle the records' 64-byte signatures, ``signatures/N``. A bundle that is not full is named
``.p/<W>`` with its width ``W`` (1..255). ``N`` is written in 3-digit path elements, all but the
last prefixed with ``x``. The log's own side is ``ledger.log.tiles``; the monitor keeps its
copy of these few lines so that it imports nothing of the ledger (the tests hold the two
together).
"""

from __future__ import annotations

from dataclasses import dataclass

from ledger.monitor.errors import LogMisbehaved

__all__ = [
    "HASH_SIZE",
    "SIGNATURE_SIZE",
    "TILE_WIDTH",
    "Bundle",
    "bundles_between",
    "split_entries",
    "split_fixed",
]

TILE_WIDTH = 256
HASH_SIZE = 32
SIGNATURE_SIZE = 64


def _encode_index(index: int) -> str:
    digits = str(index)
    digits = "0" * (-len(digits) % 3) + digits
    groups = [digits[i:i + 3] for i in range(0, len(digits), 3)]
    return "/".join([*("x" + g for g in groups[:-1]), groups[-1]])


@dataclass(frozen=True)
class Bundle:
    """Bundle ``index`` of ``width`` leaves (256 when full): leaves ``first .. first + width``."""

    index: int
    width: int

    @property
    def first(self) -> int:
        return self.index * TILE_WIDTH

    def _suffix(self) -> str:
        name = _encode_index(self.index)
        return name if self.width == TILE_WIDTH else f"{name}.p/{self.width}"

    @property
    def entries_path(self) -> str:
        return f"tile/entries/{self._suffix()}"

    @property
    def leaf_tile_path(self) -> str:
        return f"tile/0/{self._suffix()}"

    @property
    def signatures_path(self) -> str:
        return f"signatures/{self._suffix()}"


def bundles_between(start: int, end: int) -> list[Bundle]:
    """The bundles of a tree of ``end`` leaves that hold leaves ``start .. end``
    (requires 0 <= start <= end); the first may begin before ``start``, the last be partial."""
    first, last = start // TILE_WIDTH, (end + TILE_WIDTH - 1) // TILE_WIDTH
    return [Bundle(n, min(TILE_WIDTH, end - n * TILE_WIDTH)) for n in range(first, last)]


def split_entries(data: bytes, bundle: Bundle) -> list[bytes]:
    """The entries of an entry bundle; ``LogMisbehaved`` unless it holds exactly its width."""
    entries: list[bytes] = []
    position = 0
    while position < len(data) and len(entries) < bundle.width:
        end = position + 2 + int.from_bytes(data[position:position + 2], "big")
        if end > len(data):
            break
        entries.append(data[position + 2:end])
        position = end
    if len(entries) != bundle.width or position != len(data):
        raise LogMisbehaved("served tiles", f"{bundle.entries_path} does not hold "
                            f"{bundle.width} length-prefixed entries ({len(data)} bytes)",
                            leaf=bundle.first + len(entries))
    return entries


def split_fixed(data: bytes, size: int, bundle: Bundle, path: str) -> list[bytes]:
    """``bundle.width`` items of ``size`` bytes; ``LogMisbehaved`` for any other length."""
    if len(data) != size * bundle.width:
        raise LogMisbehaved("served tiles", f"{path} is {len(data)} bytes, not "
                            f"{bundle.width} × {size}", leaf=bundle.first)
    return [data[i:i + size] for i in range(0, len(data), size)]
