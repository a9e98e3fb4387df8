"""The private values kept for chains, erased ones included (as erased), in one query.

``ledger.private.values.read_private`` lists a chain's unerased values; an inspector's read
names every commitment of a lineage, so it also says which were erased (the row stays, with
its commitment and the time of erasure) and which were never kept here (a client sealed the
value and sent no opening).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from ledger.persistence.tables import private_values

__all__ = ["Kept", "kept_values"]

_CHUNK = 500  # chains per query: well under every backend's bound on parameters


@dataclass(frozen=True)
class Kept:
    """What the table keeps for one commitment: the value and salt, or when they were
    erased."""

    value: Any
    salt: bytes | None
    erased_at: datetime | None

    @property
    def erased(self) -> bool:
        return self.erased_at is not None


def kept_values(engine: Engine, chains: Iterable[str]) -> dict[str, Kept]:
    """``{commitment: Kept}`` for every value kept for ``chains``."""
    names = sorted(set(chains))
    found: dict[str, Kept] = {}
    with engine.connect() as connection:
        for start in range(0, len(names), _CHUNK):
            query = select(private_values.c.commitment, private_values.c.value_json,
                           private_values.c.salt, private_values.c.erased_at).where(
                private_values.c.chain.in_(names[start:start + _CHUNK]))
            for row in connection.execute(query):
                value = None if row.value_json is None else json.loads(row.value_json)
                salt = None if row.salt is None else bytes(row.salt)
                found[row.commitment] = Kept(value, salt, row.erased_at)
    return found
