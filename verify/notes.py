"""Signed notes, checkpoints, cosignatures and proofs in the C2SP text formats, Ed25519 only.

- signed-note, https://c2sp.org/signed-note: text, a blank line, then lines
  ``— <key name> base64(key ID || signature)``; key ID = SHA-256(name || 0x0A || type || key)[:4].
  Verifier keys are ``name+hexid+base64(type || public key)``, signer keys
  ``PRIVATE+KEY+name+hexid+base64(type || seed)``.
- tlog-checkpoint, https://c2sp.org/tlog-checkpoint: origin, tree size, base64 root hash,
  optional extension lines.
- tlog-cosignature, https://c2sp.org/tlog-cosignature: cosignature/v1, type 0x04, signature
  = uint64 big-endian timestamp || Ed25519 over "cosignature/v1\\ntime <t>\\n" + checkpoint.
- tlog-proof, https://c2sp.org/tlog-proof: index, inclusion proof and checkpoint in one text.

Parsing raises NoteInvalid (notes, checkpoints) or MalformedInput (keys, ambiguous key sets,
proof texts); a bad signature by a known key raises BadSignature.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from hashlib import sha256
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from verify.encoding import decode_base64, decode_hash, encode_base64
from verify.errors import BadSignature, MalformedInput, NoteInvalid

__all__ = [
    "COSIGNATURE_V1",
    "ED25519",
    "MAX_SIGNATURES",
    "Checkpoint",
    "Note",
    "Signature",
    "Signer",
    "TlogProof",
    "Verifier",
    "cosign_note",
    "cosignature_message",
    "cosignature_timestamp",
    "note_key_id",
    "open_note",
    "sign_note",
    "verified_signers",
    "verify_note",
]

ED25519: Final = 0x01  # signed-note Ed25519 signature type
COSIGNATURE_V1: Final = 0x04  # tlog-cosignature timestamped Ed25519 type
MAX_SIGNATURES: Final = 100
_SIG_PREFIX: Final = "— "  # em dash (U+2014), space
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f]")
_DECIMAL = re.compile("0|[1-9][0-9]{0,19}")  # at most 20 digits: a uint64 fits
_HEX_ID = re.compile("[0-9a-fA-F]{8}")


def _check_text(text: str) -> None:
    """Note text: UTF-8, no control characters but newline, ends in a newline."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise NoteInvalid("note is not valid UTF-8") from None
    if _CONTROL.search(text) or not text.endswith("\n"):
        raise NoteInvalid("note text has control characters or does not end in a newline")


def _valid_name(name: str) -> bool:
    """Non-empty, no spaces, plus signs, control characters or lone surrogates."""
    bad = any(c.isspace() or c < " " or "\ud800" <= c <= "\udfff" for c in name)
    return bool(name) and "+" not in name and not bad


def _check_key(name: str, key: bytes, sig_type: int) -> None:
    if not _valid_name(name) or len(key) != 32 or sig_type not in (ED25519, COSIGNATURE_V1):
        raise MalformedInput(f"malformed key for {name!r} (type {sig_type})")


def note_key_id(name: str, public_key: bytes, sig_type: int = ED25519) -> int:
    """SHA-256(name || 0x0A || sig_type || public_key)[:4] as a big-endian uint32."""
    digest = sha256(name.encode("utf-8") + b"\n" + bytes([sig_type]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def _parse_key(text: str) -> tuple[str, int, int, bytes]:
    """``name+hexid+base64(type || key)`` -> (name, key id, type, 32-byte key)."""
    name, _, rest = text.partition("+")
    hex_id, _, encoded = rest.partition("+")
    try:
        raw = decode_base64(encoded, "key")
    except MalformedInput:
        raw = b""
    if not (_valid_name(name) and _HEX_ID.fullmatch(hex_id) and len(raw) == 33):
        raise MalformedInput(f"malformed key for {name!r}")
    if raw[0] not in (ED25519, COSIGNATURE_V1):
        raise MalformedInput(f"key {name!r} has unknown signature type {raw[0]}")
    return name, int(hex_id, 16), raw[0], raw[1:]


@dataclass(frozen=True)
class Verifier:
    """A public key that checks signatures by ``name`` of type ED25519 or COSIGNATURE_V1."""

    name: str
    public_key: bytes
    sig_type: int = ED25519

    def __post_init__(self) -> None:
        _check_key(self.name, self.public_key, self.sig_type)

    @property
    def key_id(self) -> int:
        return note_key_id(self.name, self.public_key, self.sig_type)

    @classmethod
    def from_vkey(cls, vkey: str) -> Verifier:
        """Parse ``name+hexid+base64(type || key)``; the key id must match."""
        name, stated, sig_type, public_key = _parse_key(vkey)
        verifier = cls(name, public_key, sig_type)
        if verifier.key_id != stated:
            raise MalformedInput(f"key id {stated:08x} does not match key {name!r}")
        return verifier

    def to_vkey(self) -> str:
        encoded = encode_base64(bytes([self.sig_type]) + self.public_key)
        return f"{self.name}+{self.key_id:08x}+{encoded}"

    def verify(self, message: bytes, signature: bytes) -> None:
        """Check a raw Ed25519 signature; raises BadSignature."""
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except InvalidSignature:
            raise BadSignature(f"signature by {self.name} does not verify") from None


@dataclass(frozen=True)
class Signer:
    """A private Ed25519 key (32-byte seed) that signs as ``name``."""

    name: str
    seed: bytes = field(repr=False)
    sig_type: int = ED25519

    def __post_init__(self) -> None:
        _check_key(self.name, self.seed, self.sig_type)

    @property
    def verifier(self) -> Verifier:
        key = Ed25519PrivateKey.from_private_bytes(self.seed).public_key()
        return Verifier(self.name, key.public_bytes_raw(), self.sig_type)

    @property
    def key_id(self) -> int:
        return self.verifier.key_id

    @classmethod
    def generate(cls, name: str, sig_type: int = ED25519) -> Signer:
        """A new random key for ``name``; ``signer.verifier.to_vkey()`` is its public form."""
        return cls(name, Ed25519PrivateKey.generate().private_bytes_raw(), sig_type)

    @classmethod
    def from_skey(cls, skey: str) -> Signer:
        """Parse ``PRIVATE+KEY+name+hexid+base64(type || seed)``; the key id must match."""
        prefix, _, rest = skey.partition("PRIVATE+KEY+")
        if prefix:
            raise MalformedInput("private key does not start with PRIVATE+KEY+")
        name, stated, sig_type, seed = _parse_key(rest)
        signer = cls(name, seed, sig_type)
        if signer.key_id != stated:
            raise MalformedInput(f"key id {stated:08x} does not match key {name!r}")
        return signer

    def to_skey(self) -> str:
        encoded = encode_base64(bytes([self.sig_type]) + self.seed)
        return f"PRIVATE+KEY+{self.name}+{self.key_id:08x}+{encoded}"

    def sign(self, message: bytes) -> bytes:
        """Raw, deterministic Ed25519 signature (RFC 8032)."""
        return Ed25519PrivateKey.from_private_bytes(self.seed).sign(message)


@dataclass(frozen=True)
class Signature:
    """One signature line: key name, key id and the signature bytes after the key id."""

    name: str
    key_id: int
    signature: bytes

    def __post_init__(self) -> None:
        if not _valid_name(self.name) or not 0 <= self.key_id < 2**32:
            raise NoteInvalid(f"malformed signature name {self.name!r} or key id")

    @classmethod
    def from_line(cls, line: str) -> Signature:
        name, _, encoded = line.removeprefix(_SIG_PREFIX).partition(" ")
        try:
            raw = decode_base64(encoded, "signature")
        except MalformedInput:
            raw = b""
        if not line.startswith(_SIG_PREFIX) or not _valid_name(name) or len(raw) < 5:
            raise NoteInvalid(f"malformed signature line {line[:60]!r}")
        return cls(name, int.from_bytes(raw[:4], "big"), raw[4:])

    def to_line(self) -> str:
        encoded = encode_base64(self.key_id.to_bytes(4, "big") + self.signature)
        return f"{_SIG_PREFIX}{self.name} {encoded}\n"


@dataclass(frozen=True)
class Note:
    """A signed note: its text (ending in a newline) and its signatures, as given."""

    text: str
    signatures: tuple[Signature, ...] = ()

    def __post_init__(self) -> None:
        _check_text(self.text)
        if len(self.signatures) > MAX_SIGNATURES:
            raise NoteInvalid(f"note has more than {MAX_SIGNATURES} signatures")

    @classmethod
    def from_text(cls, signed: str | bytes) -> Note:
        """Parse a signed note (no signature is checked). Raises NoteInvalid."""
        if isinstance(signed, bytes):
            try:
                signed = signed.decode("utf-8")
            except UnicodeDecodeError:
                raise NoteInvalid("note is not valid UTF-8") from None
        _check_text(signed)
        split = signed.rfind("\n\n")  # the text may hold blank lines; the last one separates
        if split < 0 or split + 2 == len(signed):
            raise NoteInvalid("note has no signature block")
        lines = signed[split + 2 : -1].split("\n")
        if len(lines) > MAX_SIGNATURES:
            raise NoteInvalid(f"note has more than {MAX_SIGNATURES} signatures")
        return cls(signed[: split + 1], tuple(Signature.from_line(x) for x in lines))

    def to_text(self) -> str:
        return self.text + "\n" + "".join(s.to_line() for s in self.signatures)


def sign_note(text: str, signers: Iterable[Signer]) -> Note:
    """Sign ``text`` (which must end in a newline) with Ed25519 note signers."""
    _check_text(text)
    sigs = []
    for s in signers:
        if s.sig_type != ED25519:
            raise ValueError(f"{s.name} is a cosigner: use cosign_note")
        sigs.append(Signature(s.name, s.key_id, s.sign(text.encode("utf-8"))))
    return Note(text, tuple(sigs))


def _check_signature(note: Note, sig: Signature, verifier: Verifier) -> None:
    if verifier.sig_type == ED25519:
        if len(sig.signature) != 64:
            raise BadSignature(f"signature by {sig.name} is not 64 bytes")
        verifier.verify(note.text.encode("utf-8"), sig.signature)
        return
    if len(sig.signature) != 72:
        raise BadSignature(f"cosignature by {sig.name} is not 72 bytes")
    message = cosignature_message(Checkpoint.from_text(note.text), cosignature_timestamp(sig))
    verifier.verify(message, sig.signature[8:])


def verified_signers(note: Note, verifiers: Iterable[Verifier]) -> tuple[Verifier, ...]:
    """The known verifiers whose signatures on ``note`` verify, in signature order.

    1. Verifiers sharing a name and key id are ambiguous: MalformedInput.
    2. Signatures whose (name, key id) is unknown are ignored.
    3. Every signature by a known key must verify (BadSignature), cosignatures over a
       well-formed checkpoint (NoteInvalid).
    """
    known: dict[tuple[str, int], Verifier] = {}
    for v in verifiers:
        if (v.name, v.key_id) in known:
            raise MalformedInput(f"ambiguous key {v.name}+{v.key_id:08x}")
        known[v.name, v.key_id] = v
    found: dict[Verifier, None] = {}
    for sig in note.signatures:
        verifier = known.get((sig.name, sig.key_id))
        if verifier is not None:
            _check_signature(note, sig, verifier)
            found[verifier] = None
    return tuple(found)


def verify_note(note: Note, verifiers: Iterable[Verifier]) -> None:
    """Require at least one valid signature by a known key (see `verified_signers`)."""
    if not verified_signers(note, verifiers):
        raise NoteInvalid("note has no valid signature by a known key")


def open_note(signed: str | bytes, verifiers: Iterable[Verifier]) -> Note:
    """Parse a signed note and `verify_note` it; returns the note."""
    note = Note.from_text(signed)
    verify_note(note, verifiers)
    return note


@dataclass(frozen=True)
class Checkpoint:
    """A tlog-checkpoint note body: origin, tree size, root hash, extension lines."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        lines = (self.origin, *self.extensions)
        if not all(lines) or any("\n" in x or _CONTROL.search(x) for x in lines):
            raise NoteInvalid("checkpoint origin and extension lines must be non-empty lines")
        if not 0 <= self.size < 2**64 or len(self.root_hash) != 32:
            raise NoteInvalid("checkpoint size or root hash out of range")

    @classmethod
    def from_text(cls, text: str) -> Checkpoint:
        """Parse a checkpoint note text (without signatures). Raises NoteInvalid."""
        _check_text(text)
        lines = text[:-1].split("\n")
        if len(lines) < 3 or not _DECIMAL.fullmatch(lines[1]):
            raise NoteInvalid("checkpoint needs origin, decimal tree size and root hash")
        try:
            root = decode_hash(lines[2], "checkpoint root hash")
        except MalformedInput as error:
            raise NoteInvalid(error.reason) from None
        return cls(lines[0], int(lines[1]), root, tuple(lines[3:]))

    def to_text(self) -> str:
        lines = (self.origin, str(self.size), encode_base64(self.root_hash), *self.extensions)
        return "".join(line + "\n" for line in lines)


def cosignature_message(checkpoint: Checkpoint, timestamp: int) -> bytes:
    """The cosignature/v1 signed message; requires 0 <= timestamp <= 2**63 - 1."""
    if not 0 <= timestamp < 2**63:
        raise NoteInvalid(f"cosignature timestamp {timestamp} out of range")
    return f"cosignature/v1\ntime {timestamp}\n{checkpoint.to_text()}".encode()


def cosignature_timestamp(signature: Signature) -> int:
    """The POSIX time in a cosignature/v1 signature: its first 8 bytes, big-endian."""
    if len(signature.signature) != 72:
        raise NoteInvalid(f"signature by {signature.name} is not a cosignature/v1")
    return int.from_bytes(signature.signature[:8], "big")


def cosign_note(note: Note, cosigner: Signer, timestamp: int) -> Note:
    """Add a cosignature/v1 by ``cosigner`` (type COSIGNATURE_V1) to a checkpoint note."""
    if cosigner.sig_type != COSIGNATURE_V1:
        raise ValueError(f"{cosigner.name} is not a cosignature/v1 key")
    message = cosignature_message(Checkpoint.from_text(note.text), timestamp)
    raw = timestamp.to_bytes(8, "big") + cosigner.sign(message)
    return Note(note.text, (*note.signatures, Signature(cosigner.name, cosigner.key_id, raw)))


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
        if not (index.startswith("index ") and _DECIMAL.fullmatch(index[6:])):
            raise MalformedInput("tlog-proof has no decimal index line")
        proof = tuple(decode_hash(line, "tlog-proof hash") for line in lines)
        return cls(int(index[6:]), proof, checkpoint, extra)

    def to_text(self) -> str:
        extra = "" if self.extra is None else f"extra {encode_base64(self.extra)}\n"
        hashes = "".join(encode_base64(h) + "\n" for h in self.proof)
        return f"{_PROOF_HEADER}\n{extra}index {self.index}\n{hashes}\n{self.checkpoint}"
