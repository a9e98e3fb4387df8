"""What the log must prove in a bundle, and to whom: the pinned log key, witnesses, history.

Parsing at the edge (``parse_checkpoint``, ``parse_consistency``, ``decode_hashes``...) raises
``MalformedInput``. The log's steps of ``verify.verification.verify_bundle`` (the record steps
are in that module):

1. ``verify_log_signature``: the checkpoint note has a valid signature by a pinned log key,
   and that key is named after the checkpoint's origin (https://c2sp.org/tlog-checkpoint);
2. ``verify_witnesses``: every cosignature by a pinned witness verifies
   (https://c2sp.org/tlog-cosignature), and at least ``min_witnesses`` distinct pinned
   witnesses cosigned; cosignatures by anyone else are ignored;
3. ``InclusionChecker``: each record's leaf is in the checkpoint's tree (RFC 9162 section
   2.1.3.2, https://www.rfc-editor.org/rfc/rfc9162#section-2.1.3.2);
6. ``verify_consistency_with``: a checkpoint the verifier saw before, signed by the same log,
   and the bundle's checkpoint are the same tree or one extends the other (RFC 9162 section
   2.1.4). The proof comes with the earlier checkpoint (``SeenCheckpoint.proof``) or from
   the bundle.

Each function returns what it established or raises a ``VerificationError``; a policy that
can never be met (no log key, more witnesses required than pinned) is ``MalformedInput``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from verify.checkpoints import Checkpoint
from verify.encoding import decode_hash
from verify.errors import MalformedInput, NoteInvalid, ProofInvalid, RootMismatch
from verify.merkle import node_hash, verify_consistency
from verify.notes import ED25519, Note, Verifier, verified_signers

__all__ = [
    "MAX_PROOF_HASHES",
    "InclusionChecker",
    "SeenCheckpoint",
    "check_policy",
    "decode_hashes",
    "parse_checkpoint",
    "parse_consistency",
    "parse_proof_lines",
    "verify_consistency_with",
    "verify_log_signature",
    "verify_witnesses",
]

MAX_NOTE_CHARS = 32 * 1024
MAX_PROOF_HASHES = 64  # a tree of 2**64 leaves needs no more


def parse_checkpoint(text: Any, limit: int = MAX_NOTE_CHARS) -> tuple[Note, Checkpoint]:
    """A signed checkpoint note and its body (signatures unchecked); raises MalformedInput."""
    if type(text) is not str or len(text) > limit:
        raise MalformedInput(f"checkpoint must be a signed note of at most {limit} characters")
    try:
        note = Note.from_text(text)
        return note, Checkpoint.from_text(note.text)
    except NoteInvalid as error:
        raise MalformedInput(f"checkpoint is unreadable: {error.reason}") from error


def decode_hashes(value: Any, what: str, known: dict[str, bytes] | None = None,
                  limit: int = MAX_PROOF_HASHES) -> tuple[bytes, ...]:
    """A list of at most ``limit`` (64) base64 SHA-256 hashes; raises MalformedInput.

    ``known`` caches hashes already decoded: the upper nodes of a tree recur in every proof.
    """
    if type(value) is not list or len(value) > limit:
        raise MalformedInput(f"{what} must be a list of at most {limit} hashes")
    cache = {} if known is None else known
    hashes = []
    for i, item in enumerate(value):
        raw = cache.get(item) if type(item) is str else None
        if raw is None:
            raw = cache[item] = decode_hash(item, f"{what}[{i}]")
        hashes.append(raw)
    return tuple(hashes)


def check_policy(log_keys: Sequence[Verifier], witnesses: Sequence[Verifier],
                 min_witnesses: int) -> None:
    """Refuse a policy that cannot be met or that mixes key kinds; raises MalformedInput."""
    if not log_keys:
        raise MalformedInput("pin at least one log key")
    for key in log_keys:
        if key.sig_type != ED25519:
            raise MalformedInput(f"log key {key.name!r} is not an Ed25519 note key")
    if type(min_witnesses) is not int or not 0 <= min_witnesses <= len(witnesses):
        raise MalformedInput(f"min witnesses must be between 0 and the {len(witnesses)} "
                             f"pinned witnesses, not {min_witnesses!r}")


def verify_log_signature(note: Note, checkpoint: Checkpoint,
                         log_keys: Sequence[Verifier]) -> Verifier:
    """Step 1: the pinned log key that signed ``note``; raises NoteInvalid or BadSignature."""
    named = [key for key in log_keys if key.name == checkpoint.origin]
    if not named:
        pinned = ", ".join(sorted({key.name for key in log_keys}))
        raise NoteInvalid(f"the checkpoint is from log {checkpoint.origin!r}, but the pinned "
                          f"log key is for {pinned}")
    signers = verified_signers(note, named)
    if not signers:
        raise NoteInvalid(f"the checkpoint carries no signature by the pinned key of "
                          f"{checkpoint.origin}")
    return signers[0]


def verify_witnesses(note: Note, witnesses: Sequence[Verifier],
                     min_witnesses: int) -> tuple[str, ...]:
    """Step 2: names of the pinned witnesses that cosigned; raises NoteInvalid or
    BadSignature when a pinned witness's cosignature is bad or too few cosigned."""
    cosigned = tuple(key.name for key in verified_signers(note, witnesses))
    if len(cosigned) < min_witnesses:
        raise NoteInvalid(f"the checkpoint is cosigned by {len(cosigned)} of the pinned "
                          f"witnesses; at least {min_witnesses} required")
    return cosigned


class InclusionChecker:
    """Step 3 against one checkpoint: ``verify.merkle.verify_inclusion``, computed the same
    way with the same errors, but remembering node hashes, since a bundle's leaves share the
    upper parts of their paths (``tests/verify/test_bundle_format.py`` cross-checks the two)."""

    def __init__(self, size: int, root: bytes) -> None:
        self.size, self.root = size, root
        self._nodes: dict[tuple[bytes, bytes], bytes] = {}

    def verify(self, index: int, leaf: bytes, proof: Sequence[bytes]) -> None:
        """Requires 32-byte hashes; raises ProofInvalid or RootMismatch."""
        calculated = self.root_from(index, leaf, proof)
        if calculated != self.root:
            raise RootMismatch(f"inclusion proof root: expected {self.root.hex()}, "
                               f"calculated {calculated.hex()}")

    def root_from(self, index: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
        if not 0 <= index < self.size:
            raise ProofInvalid(f"leaf index {index} is outside a tree of size {self.size}")
        fn, sn, r = index, self.size - 1, leaf
        for i, p in enumerate(proof):
            if sn == 0:
                raise ProofInvalid(f"inclusion proof is longer than {i} hashes")
            if fn & 1 or fn == sn:
                pair = (p, r)
                while not fn & 1 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
            else:
                pair = (r, p)
            found = self._nodes.get(pair)
            if found is None:
                found = self._nodes[pair] = node_hash(*pair)
            r = found
            fn, sn = fn >> 1, sn >> 1
        if sn != 0:
            raise ProofInvalid(f"inclusion proof of {len(proof)} hashes is too short")
        return r


def parse_consistency(value: Any, limit: int) -> tuple[tuple[int, tuple[bytes, ...]], ...]:
    """A bundle's consistency proofs: ``[{"from": size, "proof": [hash...]}]``, at most
    ``limit`` of them, one per earlier size; raises MalformedInput."""
    if type(value) is not list or len(value) > limit:
        raise MalformedInput(f"consistency must be a list of at most {limit} proofs")
    proofs: dict[int, tuple[bytes, ...]] = {}
    for i, entry in enumerate(value):
        where = f"consistency[{i}]"
        if type(entry) is not dict or set(entry) != {"from", "proof"}:
            raise MalformedInput(f"{where} must be an object of from and proof")
        size = entry["from"]
        if type(size) is not int or size < 1:
            raise MalformedInput(f"{where}.from must be an integer of 1 or more")
        if size in proofs:
            raise MalformedInput(f"{where}: a second proof from size {size}")
        proofs[size] = decode_hashes(entry["proof"], f"{where}.proof")
    return tuple(proofs.items())


def parse_proof_lines(text: str) -> tuple[bytes, ...]:
    """A consistency proof written as one base64 SHA-256 hash per line (blank lines ignored)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return decode_hashes(lines, "consistency proof")


@dataclass(frozen=True)
class SeenCheckpoint:
    """A signed checkpoint the verifier saw before, and optionally a consistency proof
    between its tree and the bundle's (in whichever direction the sizes require)."""

    note: Note
    checkpoint: Checkpoint
    proof: tuple[bytes, ...] | None = None

    @classmethod
    def from_text(cls, text: str | bytes, proof: Sequence[bytes] | None = None
                  ) -> SeenCheckpoint:
        """Parse a signed checkpoint note; raises MalformedInput (signatures are checked in
        step 6, against the pinned log key)."""
        if isinstance(text, bytes):
            try:
                text = text.decode("utf-8")
            except UnicodeDecodeError as error:
                raise MalformedInput("the earlier checkpoint is not UTF-8") from error
        try:
            note, checkpoint = parse_checkpoint(text)
        except MalformedInput as error:
            raise MalformedInput(f"the earlier checkpoint: {error.reason}") from error
        return cls(note, checkpoint, None if proof is None else tuple(proof))


def verify_consistency_with(seen: SeenCheckpoint, checkpoint: Checkpoint,
                            log_keys: Sequence[Verifier],
                            bundled: Callable[[int], tuple[bytes, ...] | None]) -> int:
    """Step 6: the size of ``seen`` once its tree and ``checkpoint``'s are consistent.

    ``bundled(size)`` returns the bundle's proof from tree ``size`` to its checkpoint, if
    any. Raises NoteInvalid or BadSignature (the earlier checkpoint is not the log's),
    ProofInvalid (no usable proof) or RootMismatch (the log forked).
    """
    if seen.checkpoint.origin != checkpoint.origin:
        raise NoteInvalid(f"the earlier checkpoint is from log {seen.checkpoint.origin!r}, "
                          f"not {checkpoint.origin!r}")
    verify_log_signature(seen.note, seen.checkpoint, log_keys)
    old, new = seen.checkpoint, checkpoint
    if old.size == new.size:
        verify_consistency(old.size, new.size, old.root_hash, new.root_hash, ())
        return old.size
    if old.size < new.size:
        proof = seen.proof if seen.proof is not None else bundled(old.size)
        if proof is None:
            raise ProofInvalid(f"the bundle has no consistency proof from tree size "
                               f"{old.size} to {new.size}")
        verify_consistency(old.size, new.size, old.root_hash, new.root_hash, proof)
        return old.size
    if seen.proof is None:
        raise ProofInvalid(f"the bundle's checkpoint (size {new.size}) is older than the one "
                           f"seen before (size {old.size}); a consistency proof from "
                           f"{new.size} to {old.size} is needed")
    verify_consistency(new.size, old.size, new.root_hash, old.root_hash, seen.proof)
    return old.size
