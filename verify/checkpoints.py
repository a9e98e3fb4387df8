"""Checkpoints, https://c2sp.org/tlog-checkpoint: a log's signed statement of its tree.

The body of a signed note (``verify.notes``): the log's origin line, the tree size in
decimal, the RFC 9162 root hash in base64, then optional extension lines::

    agritrace.example/log
    36
    XbtQyJbTPFdnoiL64kS7wRfyPdVpdhMOl0pdxrAym2E=

Parsing raises NoteInvalid. Which keys must sign it, and which witnesses cosign it, is
``verify.policy``'s business.
"""

from __future__ import annotations

from dataclasses import dataclass

from verify.encoding import decode_hash, encode_base64, is_decimal
from verify.errors import MalformedInput, NoteInvalid
from verify.notes import check_note_text, is_note_line

__all__ = ["Checkpoint"]


@dataclass(frozen=True)
class Checkpoint:
    """A tlog-checkpoint note body: origin, tree size, root hash, extension lines."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not all(is_note_line(line) for line in (self.origin, *self.extensions)):
            raise NoteInvalid("checkpoint origin and extension lines must be non-empty lines")
        if not 0 <= self.size < 2**64 or len(self.root_hash) != 32:
            raise NoteInvalid("checkpoint size or root hash out of range")

    @classmethod
    def from_text(cls, text: str) -> Checkpoint:
        """Parse a checkpoint note text (without signatures). Raises NoteInvalid."""
        check_note_text(text)
        lines = text[:-1].split("\n")
        if len(lines) < 3 or not is_decimal(lines[1]):
            raise NoteInvalid("checkpoint needs origin, decimal tree size and root hash")
        try:
            root = decode_hash(lines[2], "checkpoint root hash")
        except MalformedInput as error:
            raise NoteInvalid(error.reason) from None
        return cls(lines[0], int(lines[1]), root, tuple(lines[3:]))

    def to_text(self) -> str:
        lines = (self.origin, str(self.size), encode_base64(self.root_hash), *self.extensions)
        return "".join(line + "\n" for line in lines)
