"""Corrections: what a chain's records say once their ``Corrected`` records are applied.

What a correction means — resolving ``corrects`` to the original, merging ``values`` — is
``verify.corrections``, shared with the verifiers' derived state (docs/records.md): the
ledger and a phone verifying a bundle read a corrected record alike.

``History`` holds one chain's records in order and answers, for each, its effective data and
what each correction changed, from what to what.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from verify.corrections import merged, original_of
from verify.records import Record

__all__ = ["Change", "Correction", "History", "merged"]


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


class History:
    """One chain's records in chain order, with their corrections applied.

    Copies are cheap: a copy shares the list of records with its original and knows how many
    of them are its own (a chain only grows at its end, so the shared part never changes).
    A copy that appends where the shared list has grown on another copy's account takes its
    own list first. The repository hands out a copy of a lot on every read."""

    def __init__(self) -> None:
        self._records: list[Record] = []
        self._count = 0
        self._index: dict[str, int] = {}  # hash → position, shared like the records
        self._values: dict[str, dict[str, Any]] = {}  # original hash → merged values
        self.corrections: list[Correction] = []

    def __copy__(self) -> History:
        clone = History()
        clone._records, clone._count, clone._index = self._records, self._count, self._index
        clone._values, clone.corrections = self._values, self.corrections  # replaced, not changed
        return clone

    def detached(self) -> History:
        """A copy sharing nothing that changes: for trying out a record."""
        clone = History()
        clone._records = self._records[:self._count]
        clone._count = self._count
        clone._index = {record.hash_hex: i for i, record in enumerate(clone._records)}
        clone._values, clone.corrections = self._values, self.corrections
        return clone

    @classmethod
    def of(cls, records: Iterable[Record]) -> History:
        history = cls()
        for record in records:
            history.add(record)
        return history

    @property
    def records(self) -> list[Record]:
        """The chain's records, in order."""
        return self._records[:self._count]

    @property
    def first(self) -> Record:
        return self._records[0]

    def __len__(self) -> int:
        return self._count

    def add(self, record: Record) -> Correction | None:
        """Take the chain's next record; a correction is resolved and applied (returned),
        unless it names no earlier record of the chain (then it changes nothing)."""
        if len(self._records) != self._count:  # another copy appended to the shared list
            self._records = self._records[:self._count]
            self._index = {r.hash_hex: i for i, r in enumerate(self._records)}
        self._index[record.hash_hex] = self._count
        self._records.append(record)
        self._count += 1
        if record.type != "Corrected":
            return None
        corrects = record.data.get("corrects")
        values = record.data.get("values")
        original = original_of(corrects, record.chain, record.seq, self.find)
        if original is None or not isinstance(values, Mapping):
            return None
        before = self.data(original)
        after = merged(before, values)
        changes = tuple(Change(name, before.get(name), after.get(name)) for name in values)
        # Later values win; a null stays, to withdraw the field from the original's data.
        self._values = {**self._values,
                        original.hash_hex: {**self._values.get(original.hash_hex, {}), **values}}
        correction = Correction(
            record=record.hash_hex, corrects=str(corrects), original=original.hash_hex,
            original_type=original.type, original_seq=original.seq,
            reason=str(record.data.get("reason", "")), changes=changes, org=record.org,
            time=record.time)
        self.corrections = [*self.corrections, correction]
        return correction

    def find(self, digest: str) -> Record | None:
        """The chain's record with hash ``digest`` (hex), if it holds one."""
        position = self._index.get(digest)
        if position is None or position >= self._count:
            return None
        record = self._records[position]
        return record if record.hash_hex == digest else None

    def original(self, digest: str) -> Record | None:
        """The original that a correction naming ``digest``, appended next, would correct."""
        if not self._count:
            return None
        return original_of(digest, self.first.chain, self._count, self.find)

    def data(self, record: Record) -> dict[str, Any]:
        """``record``'s effective data: its own with its corrections merged in."""
        values = self._values.get(record.hash_hex)
        return merged(record.data, values) if values else record.data

    def is_corrected(self, record: Record) -> bool:
        return record.hash_hex in self._values

    def corrections_of(self, record: Record) -> list[Correction]:
        return [c for c in self.corrections if c.original == record.hash_hex]
