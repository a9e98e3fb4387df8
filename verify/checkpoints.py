"""Checkpoints, https://c2sp.org/tlog-checkpoint: a log's signed statement of its tree.

The body of a signed note (``verify.notes``): the log's origin line, the tree size in
decimal, the RFC 9162 root hash in base64, then optional extension lines::

    agritrace.example/log
    36
    XbtQyJbTPFdnoiL64kS7wRfyPdVpdhMOl0pdxrAym2E=
    agritrace/heads Nsffq1x2dAIMY7E0zEtpbt2p8EcTtncsbQPARydToPc=
    agritrace/time 1789000000

The agritrace log signs two extension lines, each a name, a space and a value: the root of
the chain-head map (``verify.headmap``) as of the tree size, and the POSIX second it signed.
``heads_root`` and ``signed_time`` read them (None when absent, ``NoteInvalid`` when given
twice or malformed); other extension lines are ignored.

Parsing raises NoteInvalid. Which keys must sign it, and which witnesses cosign it, is
``verify.policy``'s business.
"""

from __future__ import annotations

from dataclasses import dataclass

from verify.encoding import decode_hash, encode_base64, is_decimal
from verify.errors import MalformedInput, NoteInvalid
from verify.notes import check_note_text, is_note_line

__all__ = [
    "HEADS_LINE",
    "MAX_TIME",
    "TIME_LINE",
    "Checkpoint",
    "heads_root",
    "signed_lines",
    "signed_time",
]

HEADS_LINE = "agritrace/heads"
TIME_LINE = "agritrace/time"
# The last second RFC 3339 can write (9999-12-31T23:59:59Z): a signed time is shown to people.
MAX_TIME = 253_402_300_799


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


def signed_lines(heads: bytes | None, time: int) -> tuple[str, ...]:
    """The extension lines the log signs: the heads map root (when it keeps one) and the
    POSIX second of signing."""
    lines = [] if heads is None else [f"{HEADS_LINE} {encode_base64(heads)}"]
    return (*lines, f"{TIME_LINE} {time}")


def _extension(checkpoint: Checkpoint, name: str) -> str | None:
    values = [line[len(name) + 1:] for line in checkpoint.extensions
              if line.startswith(name + " ") or line == name]
    if len(values) > 1:
        raise NoteInvalid(f"the checkpoint has {len(values)} {name} lines; at most one is "
                          "allowed")
    return values[0] if values else None


def heads_root(checkpoint: Checkpoint) -> bytes | None:
    """The chain-head map root of the ``agritrace/heads`` line; None without one. Raises
    NoteInvalid for two such lines or a value that is not a base64 32-byte hash."""
    value = _extension(checkpoint, HEADS_LINE)
    if value is None:
        return None
    try:
        return decode_hash(value, f"the checkpoint's {HEADS_LINE} line")
    except MalformedInput as error:
        raise NoteInvalid(error.reason) from None


def signed_time(checkpoint: Checkpoint) -> int | None:
    """The POSIX second of the ``agritrace/time`` line; None without one. Raises
    NoteInvalid for two such lines or a value that is not a decimal of at most
    ``MAX_TIME``."""
    value = _extension(checkpoint, TIME_LINE)
    if value is None:
        return None
    if not is_decimal(value) or int(value) > MAX_TIME:
        raise NoteInvalid(f"the checkpoint's {TIME_LINE} line is not a decimal POSIX time: "
                          f"{value[:30]!r}")
    return int(value)
