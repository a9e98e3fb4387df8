"""Errors raised by the verifier. One family, so callers catch one thing.

VerificationError            something does not verify (exit 1)
 ├─ MalformedInput           input could not be parsed or has the wrong shape (exit 2)
 ├─ NotCanonical             record bytes are not their RFC 8785 canonical form
 ├─ HashMismatch             a record's hash is not SHA-256 of its bytes
 ├─ ChainBroken              a record does not link to the one before it in its chain
 ├─ ChainIncomplete          a chain in the bundle stops before its head at the checkpoint
 ├─ LinkBroken               a record links to a parent record that is missing or wrong
 ├─ BadSignature             an Ed25519 signature does not verify
 ├─ UnknownKey               a record is signed by a key that is unknown, revoked or not the
 │                           recording organisation's at that position
 ├─ ProofInvalid             a Merkle inclusion or consistency proof does not verify
 │   └─ RootMismatch         the calculated root differs from the expected one
 └─ NoteInvalid              a signed note or checkpoint is malformed or not signed as required

Every error carries a human sentence and, where one is known, the first bad record.
"""

from __future__ import annotations

__all__ = [
    "BadSignature",
    "ChainBroken",
    "ChainIncomplete",
    "HashMismatch",
    "LinkBroken",
    "MalformedInput",
    "NotCanonical",
    "NoteInvalid",
    "ProofInvalid",
    "RootMismatch",
    "UnknownKey",
    "VerificationError",
]


class VerificationError(Exception):
    """Something failed to verify. ``record`` names the first bad record, when known."""

    def __init__(self, reason: str, *, record: str | None = None, step: str | None = None) -> None:
        self.reason = reason
        self.record = record
        self.step = step
        where = f" (record {record})" if record else ""
        super().__init__(f"{reason}{where}")


class MalformedInput(VerificationError):
    """The input could not be parsed, or has the wrong shape."""


class NotCanonical(VerificationError):
    """Record bytes are not the RFC 8785 canonical encoding of their content."""


class HashMismatch(VerificationError):
    """A stated record hash is not SHA-256 of the record bytes."""


class ChainBroken(VerificationError):
    """A record's ``prev`` or position does not follow the previous record of its chain."""


class ChainIncomplete(VerificationError):
    """A chain in the bundle is not shown whole: its last record there is not the chain's
    head in the checkpoint's chain-head map, or no valid head proof says it is."""


class LinkBroken(VerificationError):
    """A record links to a parent record that is missing or does not match."""


class BadSignature(VerificationError):
    """An Ed25519 signature does not verify."""


class UnknownKey(VerificationError):
    """A record was signed by a key that was not valid for its organisation at that point."""


class ProofInvalid(VerificationError):
    """A Merkle inclusion or consistency proof is malformed or does not verify."""


class RootMismatch(ProofInvalid):
    """The root calculated from a proof differs from the expected root."""


class NoteInvalid(VerificationError):
    """A signed note or checkpoint is malformed, or lacks a required valid signature."""
