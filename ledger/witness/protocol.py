"""The C2SP tlog-witness add-checkpoint wire format and its refusals.

https://c2sp.org/tlog-witness. A request body is an ``old <size>`` line (decimal, no leading
zeroes), at most 63 base64 consistency-proof lines, an empty line, then the signed checkpoint.
Each refusal is a ``ledger.errors`` class (so ``api/`` maps it as usual) that also carries the
HTTP status the spec requires: 400, 403, 404, 409 (with the witness's size) or 422.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from ledger.errors import InvalidInput, LedgerError, NotFound, NotPermitted, WrongState
from verify.encoding import decode_hash, encode_base64
from verify.errors import MalformedInput

__all__ = [
    "MAX_PROOF_LINES",
    "AddCheckpoint",
    "CheckpointForbidden",
    "OldSizeConflict",
    "ProofRejected",
    "RequestMalformed",
    "RootConflict",
    "UnknownOrigin",
    "WitnessRefused",
]

MAX_PROOF_LINES = 63
_SIZE = re.compile("0|[1-9][0-9]{0,19}")  # ASCII decimal, no leading zeroes, fits a uint64


class WitnessRefused(LedgerError):
    """The witness will not cosign; ``status`` is the tlog-witness HTTP status."""

    status: ClassVar[int] = 400


class RequestMalformed(WitnessRefused, InvalidInput):
    status = 400


class UnknownOrigin(WitnessRefused, NotFound):
    status = 404


class CheckpointForbidden(WitnessRefused, NotPermitted):
    status = 403


class OldSizeConflict(WitnessRefused, WrongState):
    """``old`` is not the witness's latest size, ``latest_size`` (a ``text/x.tlog.size`` body)."""

    status = 409

    def __init__(self, reason: str, *, latest_size: int) -> None:
        self.latest_size = latest_size
        super().__init__(reason)


class RootConflict(WitnessRefused, WrongState):
    """A checkpoint of the size last cosigned, with another root: the log forked."""

    status = 409


class ProofRejected(WitnessRefused, InvalidInput):
    status = 422


@dataclass(frozen=True)
class AddCheckpoint:
    """An add-checkpoint request: old size, consistency proof, signed checkpoint note."""

    old_size: int
    proof: tuple[bytes, ...]
    note: str

    @classmethod
    def from_body(cls, body: bytes | str) -> AddCheckpoint:
        """Parse a request body; ``RequestMalformed`` when it is not one."""
        try:
            text = body.decode("utf-8") if isinstance(body, bytes) else body
            head, blank, note = text.partition("\n\n")
            lines = head.split("\n")
            old = lines[0].removeprefix("old ")
            if not blank or not lines[0].startswith("old ") or not _SIZE.fullmatch(old):
                raise ValueError("the body must start with 'old <size>' and a proof, then a "
                                 "blank line")
            if len(lines) - 1 > MAX_PROOF_LINES:
                raise ValueError(f"more than {MAX_PROOF_LINES} consistency proof lines")
            proof = tuple(_hash(line) for line in lines[1:])
        except (UnicodeDecodeError, ValueError) as error:
            raise RequestMalformed(f"malformed add-checkpoint request: {error}") from None
        return cls(int(old), proof, note)

    def to_body(self) -> bytes:
        lines = [f"old {self.old_size}", *(encode_base64(h) for h in self.proof)]
        return ("\n".join(lines) + "\n\n" + self.note).encode("utf-8")


def _hash(line: str) -> bytes:
    try:
        return decode_hash(line, "proof line")
    except MalformedInput:
        raise ValueError(f"proof line {line[:48]!r} is not a base64 SHA-256 hash") from None
