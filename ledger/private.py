"""Private data: seal values into commitments, keep the values apart, erase on request.

Records hold only ``{"commitment": hex}`` (``verify.commitments``). The values and salts live
in the ``private_values`` table, readable by authorised roles and erasable without touching
any record or chain.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from ledger.domain.steps import Committed, Secret
from verify.commitments import SALT_SIZE, commitment

__all__ = ["Sealed", "seal"]


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
