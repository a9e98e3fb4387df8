"""Salted hash commitments for private data (DESIGN §4 item 8).

A record never holds a farmer's name, phone or household id. It holds
``{"commitment": hex(SHA-256(CONTEXT || salt || canonical JSON of the value)))}``; the value
and the 16-byte salt are kept apart and can be erased without touching any record. Whoever
is shown the value and salt can check them against the record with ``verify_commitment``.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from verify.canonical import canonical_bytes
from verify.errors import HashMismatch

__all__ = ["SALT_SIZE", "commitment", "verify_commitment"]

_CONTEXT = b"agritrace/private/v1\n"
SALT_SIZE = 16


def commitment(value: Any, salt: bytes) -> str:
    """Hex commitment to ``value`` under ``salt`` (requires ``len(salt) == SALT_SIZE``)."""
    return hashlib.sha256(_CONTEXT + salt + canonical_bytes(value)).hexdigest()


def verify_commitment(expected: str, value: Any, salt: bytes) -> None:
    """Raise ``HashMismatch`` unless ``value`` and ``salt`` open ``expected``."""
    if not hmac.compare_digest(commitment(value, salt), expected):
        raise HashMismatch("private value does not match its commitment")
