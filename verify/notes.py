"""Signed notes, https://c2sp.org/signed-note: text signed by named keys, Ed25519 only.

A note is UTF-8 text ending in a newline, a blank line, then one line per signature,
``— <key name> base64(key ID || signature)``, where key ID = SHA-256(name || 0x0A || type ||
key)[:4]. Verifier keys are ``name+hexid+base64(type || public key)``, signer keys
``PRIVATE+KEY+name+hexid+base64(type || seed)``. Two signature types are known: Ed25519
(0x01), signing the note text, and the witness cosignature of ``verify.cosignatures`` (0x04),
signing a message built from the note text, which must be a checkpoint
(``verify.checkpoints``).

Parsing raises NoteInvalid (notes, signature lines) or MalformedInput (keys, ambiguous key
sets); a bad signature by a known key raises BadSignature.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from hashlib import sha256
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from verify.encoding import decode_base64, encode_base64
from verify.errors import BadSignature, MalformedInput, NoteInvalid

__all__ = [
    "COSIGNATURE_V1",
    "ED25519",
    "MAX_SIGNATURES",
    "Note",
    "Signature",
    "Signer",
    "Verifier",
    "check_note_text",
    "is_note_line",
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
_HEX_ID = re.compile("[0-9a-fA-F]{8}")


def check_note_text(text: str) -> None:
    """Note text: UTF-8, no control characters but newline, ends in a newline."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise NoteInvalid("note is not valid UTF-8") from None
    if _CONTROL.search(text) or not text.endswith("\n"):
        raise NoteInvalid("note text has control characters or does not end in a newline")


def is_note_line(line: str) -> bool:
    """A non-empty line of note text: no newline or other control character."""
    return bool(line) and "\n" not in line and not _CONTROL.search(line)


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
        check_note_text(self.text)
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
        check_note_text(signed)
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
    check_note_text(text)
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
    # A cosignature signs a message built from a checkpoint; that format builds on notes, so
    # it is imported where it is needed rather than at the top.
    from verify.cosignatures import verify_cosignature

    verify_cosignature(note, sig, verifier)


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
