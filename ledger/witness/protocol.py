"""The C2SP tlog-witness add-checkpoint wire format.

https://c2sp.org/tlog-witness. A request body is an ``old <size>`` line (decimal, no leading
zeroes), at most 63 base64 consistency-proof lines, an empty line, then the signed checkpoint.
A body that is not one is refused with ``RequestMalformed`` (``ledger.witness.errors``, where
each refusal carries the HTTP status the spec requires).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ledger.witness.errors import RequestMalformed
from verify.encoding import decode_hash, encode_base64
from verify.errors import MalformedInput

__all__ = ["MAX_PROOF_LINES", "AddCheckpoint"]

MAX_PROOF_LINES = 63
_SIZE = re.compile("0|[1-9][0-9]{0,19}")  # ASCII decimal, no leading zeroes, fits a uint64


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
