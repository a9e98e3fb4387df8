"""Witness cosignatures, https://c2sp.org/tlog-cosignature: cosignature/v1, Ed25519.

A witness that has checked a checkpoint (``verify.checkpoints``) adds a signature line of
type 0x04 (``COSIGNATURE_V1``) to its note (``verify.notes``). The signature is a uint64
big-endian POSIX timestamp followed by an Ed25519 signature over::

    cosignature/v1
    time <timestamp>
    <checkpoint text>

so a cosignature states when the witness saw the checkpoint, and cannot be moved to another
note. ``verify.notes.verified_signers`` checks cosignatures with ``verify_cosignature``.
"""

from __future__ import annotations

from verify.checkpoints import Checkpoint
from verify.errors import BadSignature, NoteInvalid
from verify.notes import COSIGNATURE_V1, Note, Signature, Signer, Verifier

__all__ = ["cosign_note", "cosignature_message", "cosignature_timestamp", "verify_cosignature"]

_SIZE = 72  # timestamp (8 bytes) || Ed25519 signature (64 bytes)


def cosignature_message(checkpoint: Checkpoint, timestamp: int) -> bytes:
    """The cosignature/v1 signed message; requires 0 <= timestamp <= 2**63 - 1."""
    if not 0 <= timestamp < 2**63:
        raise NoteInvalid(f"cosignature timestamp {timestamp} out of range")
    return f"cosignature/v1\ntime {timestamp}\n{checkpoint.to_text()}".encode()


def cosignature_timestamp(signature: Signature) -> int:
    """The POSIX time in a cosignature/v1 signature: its first 8 bytes, big-endian."""
    if len(signature.signature) != _SIZE:
        raise NoteInvalid(f"signature by {signature.name} is not a cosignature/v1")
    return int.from_bytes(signature.signature[:8], "big")


def cosign_note(note: Note, cosigner: Signer, timestamp: int) -> Note:
    """Add a cosignature/v1 by ``cosigner`` (type COSIGNATURE_V1) to a checkpoint note."""
    if cosigner.sig_type != COSIGNATURE_V1:
        raise ValueError(f"{cosigner.name} is not a cosignature/v1 key")
    message = cosignature_message(Checkpoint.from_text(note.text), timestamp)
    raw = timestamp.to_bytes(8, "big") + cosigner.sign(message)
    return Note(note.text, (*note.signatures, Signature(cosigner.name, cosigner.key_id, raw)))


def verify_cosignature(note: Note, signature: Signature, verifier: Verifier) -> None:
    """Check a cosignature/v1 by ``verifier`` on ``note``; raises BadSignature, or NoteInvalid
    when the note is not a well-formed checkpoint."""
    if len(signature.signature) != _SIZE:
        raise BadSignature(f"cosignature by {signature.name} is not {_SIZE} bytes")
    message = cosignature_message(Checkpoint.from_text(note.text),
                                  cosignature_timestamp(signature))
    verifier.verify(message, signature.signature[8:])
