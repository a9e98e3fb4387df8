"""Corrections: what a chain's records say once their ``Corrected`` records are applied.

Nothing is ever edited. A ``Corrected`` record names an earlier record of the same chain
(``corrects``), why (``reason``) and new values for some of its fields (``values``). The
record it names may itself be a correction: the chain of ``corrects`` is followed to the
first record that is not a correction, the *original*. The *effective* data of an original
is its data with the ``values`` of every correction resolving to it merged in, field by field
at the top level, in chain order: a later correction of a field wins, and ``null`` withdraws
an optional field. ``verify/`` derives a lot's state with the same meaning (docs/records.md).

``History`` holds one chain's records in order and answers, for each, its effective data and
what each correction changed, from what to what.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from verify.records import Record

__all__ = ["Change", "Correction", "History", "merged", "original_of"]


@dataclass(frozen=True)
class Change:
    """One field a correction changed: its value before (None: absent) and after."""

    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class Correction:
    """A ``Corrected`` record resolved to the original it corrects."""

    record: str  # the correction's hash, hex
    corrects: str  # the hash it names (an original, or an earlier correction)
    original: str  # the original record it resolves to
    original_type: str
    original_seq: int
    reason: str
    changes: tuple[Change, ...]
    org: str
    time: str

    @property
    def fields(self) -> list[str]:
        return [change.field for change in self.changes]


def merged(data: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` with ``values`` replacing its top-level fields; a ``None`` value removes one."""
    result = dict(data)
    for name, value in values.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = value
    return result


def original_of(digest: str, find: Callable[[str], Record | None]) -> Record | None:
    """The record a correction naming ``digest`` corrects: ``digest``'s record, or, when that
    is a correction itself, the original it resolves to. None when a hash on the way is no
    record ``find`` knows."""
    current = find(digest)
    seen: set[str] = set()
    while current is not None and current.type == "Corrected":
        if current.hash_hex in seen:
            return None
        seen.add(current.hash_hex)
        target = current.data.get("corrects")
        current = find(target) if isinstance(target, str) else None
    return current


class History:
    """One chain's records in chain order, with their corrections applied."""

    def __init__(self) -> None:
        self.records: list[Record] = []
        self.corrections: list[Correction] = []
        self._index: dict[str, int] = {}
        self._values: dict[str, dict[str, Any]] = {}  # original hash → merged values

    def __copy__(self) -> History:
        clone = History()
        clone.records = list(self.records)
        clone.corrections = list(self.corrections)
        clone._index = dict(self._index)
        clone._values = dict(self._values)  # the inner dicts are replaced, never changed
        return clone

    @classmethod
    def of(cls, records: Iterable[Record]) -> History:
        history = cls()
        for record in records:
            history.add(record)
        return history

    def add(self, record: Record) -> Correction | None:
        """Take the chain's next record; a correction is resolved and applied (returned),
        unless it names no earlier record of the chain (then it changes nothing)."""
        self._index[record.hash_hex] = len(self.records)
        self.records.append(record)
        if record.type != "Corrected":
            return None
        corrects = record.data.get("corrects")
        values = record.data.get("values")
        original = original_of(corrects, self.find) if isinstance(corrects, str) else None
        if original is None or not isinstance(values, Mapping) or \
                original.chain != record.chain:
            return None
        before = self.data(original)
        after = merged(before, values)
        changes = tuple(Change(name, before.get(name), after.get(name)) for name in values)
        # Later values win; a null stays, to withdraw the field from the original's data.
        self._values[original.hash_hex] = {**self._values.get(original.hash_hex, {}), **values}
        correction = Correction(
            record=record.hash_hex, corrects=str(corrects), original=original.hash_hex,
            original_type=original.type, original_seq=original.seq,
            reason=str(record.data.get("reason", "")), changes=changes, org=record.org,
            time=record.time)
        self.corrections.append(correction)
        return correction

    def find(self, digest: str) -> Record | None:
        """The chain's record with hash ``digest`` (hex), if it holds one."""
        position = self._index.get(digest)
        return None if position is None else self.records[position]

    def original(self, digest: str) -> Record | None:
        """The original that a correction naming ``digest`` would correct."""
        return original_of(digest, self.find)

    def data(self, record: Record) -> dict[str, Any]:
        """``record``'s effective data: its own with its corrections merged in."""
        values = self._values.get(record.hash_hex)
        return merged(record.data, values) if values else record.data

    def is_corrected(self, record: Record) -> bool:
        return record.hash_hex in self._values

    def corrections_of(self, record: Record) -> list[Correction]:
        return [c for c in self.corrections if c.original == record.hash_hex]
