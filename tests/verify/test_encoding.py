"""Canonical base64 (``verify.encoding``): one decoder, and every binary field in a note, a
key, a record or a bundle refuses the same non-canonical text."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verify.checkpoints import Checkpoint
from verify.encoding import decode_base64, decode_hash, encode_base64
from verify.errors import MalformedInput, NoteInvalid, VerificationError
from verify.keys import decode_public_key
from verify.notes import Signature
from verify.policy import decode_hashes
from verify.proofs import TlogProof

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _with_padding_bits(text: str) -> str:
    """``text`` (canonical, ending in one ``=``) with the unused bits of its last character
    set: strict decoders accept it and give the same bytes, but it is not canonical."""
    last = text[-2]
    changed = text[:-2] + ALPHABET[ALPHABET.index(last) | 3] + "="
    assert changed != text
    assert base64.b64decode(changed, validate=True) == base64.b64decode(text)
    return changed


HASH = encode_base64(bytes(range(32)))  # 32 bytes: one "=", two unused bits
SIGNATURE = encode_base64(bytes(4) + bytes(range(64)))  # key id and signature: likewise


PARSERS: dict[str, Callable[[str], object]] = {
    "public key in a key record": decode_public_key,
    "proof hash": lambda text: decode_hashes([text], "proof"),
    "bundle record bytes": lambda text: decode_base64(text, "record", 64),
    "tlog-proof hash": lambda text: TlogProof.from_text(
        f"c2sp.org/tlog-proof@v1\nindex 0\n{text}\n\ncheckpoint\n"),
    "checkpoint root hash": lambda text: Checkpoint.from_text(f"example.com/log\n1\n{text}\n"),
    "note signature": lambda text: Signature.from_line(f"— example.com/log {text}"),
}
CANONICAL = {"note signature": SIGNATURE}


@pytest.mark.parametrize("field", PARSERS)
def test_every_binary_field_refuses_non_canonical_base64(field: str) -> None:
    canonical = CANONICAL.get(field, HASH)
    PARSERS[field](canonical)  # the canonical text is accepted
    with pytest.raises((MalformedInput, NoteInvalid)):
        PARSERS[field](_with_padding_bits(canonical))


def test_a_key_record_with_a_non_canonical_public_key_is_refused() -> None:
    # The ledger writes public keys with encode_base64; a record holding another text for
    # the same key would give two encodings of one key, so the verifier refuses it.
    text = encode_base64(bytes(range(32)))
    assert decode_public_key(text) == bytes(range(32))
    with pytest.raises(MalformedInput, match="public key is not canonical base64"):
        decode_public_key(_with_padding_bits(text))
    with pytest.raises(MalformedInput, match="public key must be a base64 string"):
        decode_public_key(None)


@settings(max_examples=300, deadline=None)
@given(st.one_of(
    st.binary(min_size=30, max_size=34).map(encode_base64),
    st.text(alphabet=ALPHABET + "=é \n", min_size=40, max_size=48),
))
def test_the_hash_fast_path_agrees_with_the_general_decoder(text: str) -> None:
    def general(value: str) -> bytes | str:
        try:
            raw = decode_base64(value, "h", 32)
        except VerificationError:
            return "refused"
        return raw if len(raw) == 32 else "refused"

    try:
        fast: bytes | str = decode_hash(text, "h")
    except VerificationError:
        fast = "refused"
    assert fast == general(text)
