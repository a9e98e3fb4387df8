"""Organisation keys: Ed25519 public keys, key ids and record signatures.

A key id is the first 8 bytes (16 hex digits) of SHA-256("agritrace/key/v1\\n" || public key).
Public keys travel as canonical standard base64 of the 32 raw bytes (``verify.encoding``).

Proof of possession: a key an organisation holds itself is registered only with the key's own
Ed25519 signature over ``"agritrace/key-possession/v1\\n" || organisation id || "\\n" || key
id`` (UTF-8), so nobody can register a public key whose private key they do not hold; the
message names the organisation, so the proof cannot be replayed for another one.
"""

from __future__ import annotations

import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from verify.encoding import decode_base64, encode_base64
from verify.errors import BadSignature, MalformedInput
from verify.records import Record, signing_message

__all__ = ["decode_public_key", "encode_public_key", "key_id", "key_possession_message",
           "verify_key_possession", "verify_record_signature"]

_KEY_CONTEXT = b"agritrace/key/v1\n"
_POSSESSION_CONTEXT = b"agritrace/key-possession/v1\n"
SIGNATURE_SIZE = 64


def key_id(public_key: bytes) -> str:
    """The id of a 32-byte Ed25519 public key."""
    return hashlib.sha256(_KEY_CONTEXT + public_key).digest()[:8].hex()


def encode_public_key(public_key: bytes) -> str:
    return encode_base64(public_key)


def decode_public_key(text: object) -> bytes:
    """Raw 32 public-key bytes from canonical base64 text; raises ``MalformedInput``."""
    raw = decode_base64(text, "public key")
    if len(raw) != 32:
        raise MalformedInput(f"public key must be 32 bytes, not {len(raw)}")
    return raw


def verify_record_signature(public_key: Ed25519PublicKey, record: Record,
                            signature: bytes) -> None:
    """Check ``signature`` over ``record``; raises ``BadSignature``."""
    if len(signature) != SIGNATURE_SIZE:
        raise BadSignature(f"signature must be {SIGNATURE_SIZE} bytes, not {len(signature)}",
                           record=record.hash_hex)
    try:
        public_key.verify(signature, signing_message(record.hash))
    except InvalidSignature as error:
        raise BadSignature(f"signature by key {record.key} does not verify",
                           record=record.hash_hex) from error


def key_possession_message(org: str, public_key: bytes) -> bytes:
    """The message a new key signs to be registered for organisation ``org``."""
    return _POSSESSION_CONTEXT + org.encode() + b"\n" + key_id(public_key).encode()


def verify_key_possession(public_key: bytes, org: str, signature: bytes) -> None:
    """Check the proof that the holder of ``public_key`` registers it for ``org``; raises
    ``BadSignature``."""
    if len(signature) != SIGNATURE_SIZE:
        raise BadSignature(f"signature must be {SIGNATURE_SIZE} bytes, not {len(signature)}")
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(
            signature, key_possession_message(org, public_key))
    except (InvalidSignature, ValueError) as error:
        raise BadSignature(f"is not a signature by key {key_id(public_key)} over its "
                           f"registration for {org}") from error
