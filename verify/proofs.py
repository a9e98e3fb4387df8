"""Inclusion proofs as text, https://c2sp.org/tlog-proof: a leaf index, its RFC 9162
inclusion proof and the signed checkpoint it leads to, in one document::

    c2sp.org/tlog-proof@v1
    extra <base64>          (optional)
    index <leaf index>
    <base64 proof hash>     (one line per hash)

    <signed checkpoint note>

Parsing raises MalformedInput. The checkpoint is kept verbatim: check it with
``verify.notes.open_note`` and ``verify.checkpoints.Checkpoint``, then the proof with
``verify.merkle.verify_inclusion``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from verify.encoding import decode_base64, decode_hash, encode_base64, is_decimal
from verify.errors import MalformedInput

__all__ = ["TlogProof"]

_PROOF_HEADER: Final = "c2sp.org/tlog-proof@v1"


@dataclass(frozen=True)
class TlogProof:
    """A tlog-proof: leaf index, inclusion proof, signed checkpoint text, optional extra."""

    index: int
    proof: tuple[bytes, ...]
    checkpoint: str
    extra: bytes | None = None

    def __post_init__(self) -> None:
        if self.index < 0 or any(len(h) != 32 for h in self.proof) or not self.checkpoint:
            raise MalformedInput("tlog-proof index, hashes or checkpoint out of range")

    @classmethod
    def from_text(cls, text: str) -> TlogProof:
        """Parse a tlog-proof; the checkpoint is kept verbatim. Raises MalformedInput."""
        head, sep, checkpoint = text.partition("\n\n")
        lines = head.split("\n")
        extra = None
        if not sep or not checkpoint or lines.pop(0) != _PROOF_HEADER or not lines:
            raise MalformedInput("not a tlog-proof")
        if lines[0].startswith("extra "):
            extra = decode_base64(lines.pop(0).removeprefix("extra "), "tlog-proof extra")
        index = lines.pop(0) if lines else ""
        if not (index.startswith("index ") and is_decimal(index[6:])):
            raise MalformedInput("tlog-proof has no decimal index line")
        proof = tuple(decode_hash(line, "tlog-proof hash") for line in lines)
        return cls(int(index[6:]), proof, checkpoint, extra)

    def to_text(self) -> str:
        extra = "" if self.extra is None else f"extra {encode_base64(self.extra)}\n"
        hashes = "".join(encode_base64(h) + "\n" for h in self.proof)
        return f"{_PROOF_HEADER}\n{extra}index {self.index}\n{hashes}\n{self.checkpoint}"
