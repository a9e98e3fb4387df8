"""Where each private value sits: the record, and the field of its data holding the
commitment.

A record holds a private value as ``{"commitment": hex}`` at some field of its data
(``data.harvester``, ``data.purchases[2].household``, a correction's
``data.values.harvester``). ``commitment_fields`` lists them with their paths, so a value
read or erased is named by the record (hash, chain, seq) and the field it belongs to. A
commitment inside a list entry (a purchase) comes with that entry's public fields (the lot it
came from, how much, at what price), which say what the private value is about.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from verify.records import Record

__all__ = ["CommitmentField", "commitment_fields"]


@dataclass(frozen=True)
class CommitmentField:
    """One commitment a record holds, and where."""

    record: Record
    field: str  # e.g. data.purchases[0].household
    commitment: str
    # The public fields of the list entry (a purchase) holding it, if any.
    entry: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def name(self) -> str:
        """The field's own name (``household``, ``harvester``)."""
        return self.field.rsplit(".", 1)[-1]

    def label(self) -> dict[str, Any]:
        """The record and field, as answers name them."""
        record = self.record
        return {"lot": record.subject, "record": record.hash_hex, "chain": record.chain,
                "seq": record.seq, "type": record.type, "org": record.org,
                "field": self.field, "commitment": self.commitment}


def _is_commitment(value: Any) -> bool:
    return isinstance(value, Mapping) and set(value) == {"commitment"} \
        and isinstance(value["commitment"], str)


def _walk(data: Any, path: str, entry: Mapping[str, Any]
          ) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    if _is_commitment(data):
        yield path, data["commitment"], entry
    elif isinstance(data, Mapping):
        for name, value in data.items():
            yield from _walk(value, f"{path}.{name}", entry)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            public = {name: item for name, item in value.items() if not _is_commitment(item)} \
                if isinstance(value, Mapping) else {}
            yield from _walk(value, f"{path}[{i}]", public)


def commitment_fields(record: Record) -> list[CommitmentField]:
    """Every commitment ``record``'s data holds, in the order of its fields."""
    return [CommitmentField(record, path, commitment, entry)
            for path, commitment, entry in _walk(record.data, "data", {})]
