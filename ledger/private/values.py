"""Private data: seal values into commitments, keep the values apart, erase on request.

Records hold only ``{"commitment": hex}`` (``verify.commitments``). The values and salts live
in the ``private_values`` table, readable by authorised roles and erasable without touching
any record or chain.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select, update

from ledger.domain.steps import Committed, Secret
from ledger.persistence.tables import private_values
from ledger.private.scrubbing import scrub
from verify.commitments import SALT_SIZE, commitment

__all__ = ["Sealed", "erase_private", "read_private", "seal"]


@dataclass(frozen=True)
class Sealed:
    """A private value, its salt and the commitment a record holds instead."""

    commitment: str
    value: Any
    salt: bytes


def seal(data: Any, sealed: list[Sealed]) -> Any:
    """Replace every ``Secret`` in ``data`` by its commitment; append the openings to
    ``sealed``."""
    if isinstance(data, Secret):
        salt = os.urandom(SALT_SIZE)
        opening = Sealed(commitment(data.value, salt), data.value, salt)
        sealed.append(opening)
        return {"commitment": opening.commitment}
    if isinstance(data, Committed):
        return {"commitment": data.commitment}
    if isinstance(data, dict):
        return {key: seal(value, sealed) for key, value in data.items()}
    if isinstance(data, list):
        return [seal(value, sealed) for value in data]
    return data


def read_private(engine: Engine, chain: str) -> dict[str, Any]:
    """``{commitment: {"value": ..., "salt": hex}}`` for the chain's unerased values."""
    query = select(private_values.c.commitment, private_values.c.value_json,
                   private_values.c.salt).where(private_values.c.chain == chain,
                                                private_values.c.erased_at.is_(None))
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return {row.commitment: {"value": json.loads(row.value_json), "salt": bytes(row.salt).hex()}
            for row in rows}


def erase_private(engine: Engine, commitment_hex: str) -> bool:
    """Forget a value and its salt, and overwrite their bytes in the database files
    (``ledger.private.scrubbing``); the commitment in the record stays. True if erased."""
    with engine.begin() as connection:
        result = connection.execute(
            update(private_values)
            .where(private_values.c.commitment == commitment_hex,
                   private_values.c.erased_at.is_(None))
            .values(value_json=None, salt=None, erased_at=datetime.now(UTC)))
    if result.rowcount:
        scrub(engine, private_values)
    return bool(result.rowcount)
