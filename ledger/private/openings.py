"""Openings a client sends with records it sealed itself.

A phone that signs its own records cannot let the server seal a private value (the server
would choose the salt, and the bytes the phone signed would no longer be the record), so it
seals the value itself: the record holds ``{"commitment": hex}`` as ever, and beside the
signed records it sends the opening, the value and its 16-byte salt. The server keeps an
opening only if it opens a commitment that one of the submitted records holds, on that
record's chain, so the organisation and the inspectors who may read the lot's private values
read it as they read a server-sealed one; a wrong opening is refused, naming it, and nothing
is stored.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ledger.domain.fields import text
from ledger.errors import InvalidInput
from ledger.private.values import Sealed
from verify.commitments import SALT_SIZE, commitment
from verify.records import Record

__all__ = ["Opening", "check_openings"]

VALUE = text(80)


@dataclass(frozen=True)
class Opening:
    """A value and salt the client says open ``commitment``."""

    commitment: str
    value: Any
    salt: bytes


def _commitments(data: Any) -> Iterator[str]:
    if isinstance(data, Mapping):
        if set(data) == {"commitment"} and isinstance(data["commitment"], str):
            yield data["commitment"]
            return
        for value in data.values():
            yield from _commitments(value)
    elif isinstance(data, list):
        for value in data:
            yield from _commitments(value)


def check_openings(records: Sequence[Record],
                   openings: Sequence[Opening]) -> list[tuple[Sealed, str]]:
    """Each opening, checked, with the chain of the record holding its commitment."""
    held = {found: record.chain for record in records for found in _commitments(record.data)}
    checked: list[tuple[Sealed, str]] = []
    seen: set[str] = set()
    for i, opening in enumerate(openings):
        field = f"private[{i}]"
        value = VALUE(opening.value, f"{field}.value")
        if len(opening.salt) != SALT_SIZE:
            raise InvalidInput(f"must be {SALT_SIZE} bytes", field=f"{field}.salt")
        if opening.commitment in seen:
            raise InvalidInput("opens a commitment opened before", field=f"{field}.commitment")
        seen.add(opening.commitment)
        chain = held.get(opening.commitment)
        if chain is None:
            raise InvalidInput("is not held by any submitted record",
                               field=f"{field}.commitment")
        if commitment(value, opening.salt) != opening.commitment:
            raise InvalidInput("the value and salt do not open this commitment",
                               field=f"{field}.commitment")
        checked.append((Sealed(opening.commitment, value, opening.salt), chain))
    return checked
