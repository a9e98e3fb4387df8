"""A lot's chain as the EPCIS mapping reads it: its records with their signatures and leaf
indices, and what the lot was called and counted in at each point (its GTIN, its unit).

An event names its lot as the lot was at that record, not as it is now, so an event's
content, and with it its CBV hash id, never changes when later records arrive: a harvest
lot is a class URI, the same lot after packing is an LGTIN.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from verify.corrections import merged, original_of
from verify.records import Record

__all__ = ["ChainFacts", "StoredEntry"]


@dataclass(frozen=True)
class StoredEntry:
    """A record with its signature and its leaf index in the log."""

    record: Record
    signature: bytes
    leaf_index: int | None  # None until the log integrates it


@dataclass
class ChainFacts:
    """One lot chain, whole, in chain order."""

    lot: str
    entries: Sequence[StoredEntry]
    _by_hash: dict[str, Record] = field(default_factory=dict, init=False, repr=False)
    _gtins: list[str | None] = field(default_factory=list, init=False, repr=False)
    _units: list[str] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        gtin: str | None = None
        unit = ""
        for entry in self.entries:
            record = entry.record
            self._by_hash[record.hash_hex] = record
            gtin, unit = _identity_after(record, gtin, unit, self._original)
            self._gtins.append(gtin)
            self._units.append(unit)

    def covers(self, seq: int) -> bool:
        """Whether the chain as read holds record ``seq``."""
        return seq < len(self.entries)

    def gtin_after(self, seq: int) -> str | None:
        """The lot's GTIN once record ``seq`` is recorded (``None`` before the chain)."""
        return self._gtins[seq] if 0 <= seq < len(self._gtins) else None

    def unit_after(self, seq: int) -> str:
        return self._units[min(max(seq, 0), len(self._units) - 1)] if self._units else "kg"

    def record(self, digest: str) -> Record | None:
        return self._by_hash.get(digest)

    def original(self, correction: Record) -> Record | None:
        """The record a correction corrects, through corrections of corrections."""
        return self._original(correction)

    def _original(self, correction: Record) -> Record | None:
        return original_of(correction.data.get("corrects"), correction.chain, correction.seq,
                           self._by_hash.get)

    def effective(self, original: Record, upto: int) -> dict[str, Any]:
        """``original``'s data with every correction of it up to seq ``upto`` merged in."""
        data = dict(original.data)
        for entry in self.entries[original.seq + 1:upto + 1]:
            record = entry.record
            if record.type == "Corrected" and self._original(record) is original:
                data = merged(data, record.data.get("values", {}))
        return data


def _identity_after(record: Record, gtin: str | None, unit: str,
                    original: Any) -> tuple[str | None, str]:
    data: Mapping[str, Any] = record.data
    if record.seq == 0:
        product = data.get("product", {})
        return product.get("gtin"), str(data.get("unit", unit))
    if record.type == "Packed":
        return data.get("gtin", gtin), unit
    if record.type == "Corrected":
        values = data.get("values", {})
        target = original(record)
        if target is not None and target.type == "Packed" and values.get("gtin"):
            gtin = values["gtin"]
        if target is not None and target.seq == 0 and isinstance(values.get("product"), dict):
            gtin = values["product"].get("gtin")
        if isinstance(values.get("unit"), str):
            unit = values["unit"]
    return gtin, unit
