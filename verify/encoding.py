"""Canonical standard base64 (RFC 4648 section 4), the one encoding of binary values; and the
canonical decimal of the C2SP text formats.

https://www.rfc-editor.org/rfc/rfc4648#section-4: the standard alphabet, ``=`` padding to a
multiple of four characters. Canonical means the one text ``base64.b64encode`` gives for the
bytes: no line breaks, spaces or characters outside the alphabet, padding exactly as needed,
and the unused low bits of the last character zero (RFC 4648 section 3.5). Every binary value
agritrace writes (records and signatures in bundles, proof hashes, note signatures and keys,
checkpoint roots, public keys inside key records) is read back through ``decode_base64``, so
each value has exactly one text and parsing then formatting gives the input back.
"""

from __future__ import annotations

import base64
import binascii
import re

from verify.errors import MalformedInput
from verify.merkle import HASH_SIZE

__all__ = ["decode_base64", "decode_hash", "encode_base64", "is_decimal"]

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
# Canonical base64 of 32 bytes: the 43rd character carries 4 bits and two zero padding bits.
_HASH_BASE64 = re.compile(r"[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=")
_DECIMAL = re.compile("0|[1-9][0-9]{0,19}")  # at most 20 digits: a uint64 fits


def encode_base64(raw: bytes) -> str:
    """The canonical standard base64 text of ``raw``."""
    return base64.b64encode(raw).decode("ascii")


def decode_base64(value: object, what: str, limit: int | None = None) -> bytes:
    """The bytes of canonical standard base64 ``value``, at most ``limit`` of them when given.

    Raises ``MalformedInput`` naming ``what`` when ``value`` is not a string, is longer than
    ``limit`` bytes could need, or is not the canonical encoding of any bytes.
    """
    if limit is not None and (type(value) is not str or len(value) > (limit + 2) // 3 * 4):
        raise MalformedInput(f"{what} must be base64 of at most {limit} bytes")
    if type(value) is not str:
        raise MalformedInput(f"{what} must be a base64 string")
    try:
        raw = binascii.a2b_base64(value, strict_mode=True)  # b64decode(validate=True)
    except (binascii.Error, ValueError):  # ValueError: characters outside ASCII
        raw = None
    if raw is None or len(value) != (len(raw) + 2) // 3 * 4 or _padding_bits(value):
        raise MalformedInput(f"{what} is not canonical base64")
    return raw


def _padding_bits(text: str) -> int:
    """The unused bits of the last character, which canonical base64 leaves zero. With
    strict decoding and the canonical length, the only other way to be non-canonical."""
    if text.endswith("=="):
        return _ALPHABET.index(text[-3]) & 15
    if text.endswith("="):
        return _ALPHABET.index(text[-2]) & 3
    return 0


def decode_hash(value: object, what: str) -> bytes:
    """A 32-byte SHA-256 hash in canonical base64; raises ``MalformedInput`` naming ``what``.

    A bundle holds thousands of proof hashes, so the common, canonical case is matched by one
    pattern and decoded without the general checks.
    """
    if type(value) is str and _HASH_BASE64.fullmatch(value):
        return binascii.a2b_base64(value)
    raw = decode_base64(value, what, HASH_SIZE)
    if len(raw) != HASH_SIZE:
        raise MalformedInput(f"{what} is {len(raw)} bytes, not {HASH_SIZE}")
    return raw


def is_decimal(text: str) -> bool:
    """True when ``text`` is a C2SP decimal: ASCII digits without leading zeroes, at most 20
    of them (so every uint64 has exactly one text)."""
    return _DECIMAL.fullmatch(text) is not None
