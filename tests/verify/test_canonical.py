"""The fast canonical encoder produces exactly the RFC 8785 bytes of the reference encoder."""

from __future__ import annotations

import json
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from verify.canonical import MAX_SAFE_INTEGER, canonical_bytes, parse_canonical
from verify.errors import MalformedInput, NotCanonical

# Text across the whole of Unicode except lone surrogates, which JSON text cannot carry.
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
ASCII_KEYS = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=8)
SCALARS = (st.none() | st.booleans() | TEXT
           | st.integers(min_value=-MAX_SAFE_INTEGER, max_value=MAX_SAFE_INTEGER))


def json_values(keys: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    return st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(keys, inner, max_size=4), max_leaves=20)


@settings(max_examples=300)
@given(json_values(TEXT | ASCII_KEYS))
def test_same_bytes_as_the_reference_encoder(value: Any) -> None:
    assert canonical_bytes(value) == rfc8785.dumps(value)


@settings(max_examples=200)
@given(json_values(ASCII_KEYS))
def test_stable_under_key_order(value: Any) -> None:
    if isinstance(value, dict):
        reordered = dict(reversed(list(value.items())))
        assert canonical_bytes(reordered) == canonical_bytes(value)


@settings(max_examples=200)
@given(json_values(TEXT))
def test_canonical_bytes_parse_back(value: Any) -> None:
    raw = canonical_bytes(value)
    assert parse_canonical(raw) == value


def test_keys_sort_by_utf16_code_units() -> None:
    # U+1F600 (surrogates D83D DE00) sorts before U+FB01 in UTF-16, after it in code points.
    value = {"\ufb01": 1, "\U0001f600": 2}
    assert canonical_bytes(value) == rfc8785.dumps(value)
    assert canonical_bytes(value).index("😀".encode()) < canonical_bytes(value).index(
        "\ufb01".encode())


@pytest.mark.parametrize("value", [1.5, {"a": float("nan")}, 2**53, [-(2**53)], {"a": b"x"}])
def test_refuses_what_json_canonical_form_cannot_hold(value: Any) -> None:
    with pytest.raises(MalformedInput):
        canonical_bytes(value)


@pytest.mark.parametrize("raw", [
    b'{"b":1,"a":2}',          # keys out of order
    b'{"a": 1}',               # whitespace
    b'{"a":1,"a":1}',          # duplicate key
    b'{"a":"\\u0041"}',        # needless escape
    b'{"a":10E1}',             # exponent
])
def test_rejects_non_canonical_bytes(raw: bytes) -> None:
    with pytest.raises((NotCanonical, MalformedInput)):
        parse_canonical(raw)


@pytest.mark.parametrize("raw", [b"{", b"\xff", b'{"a":1.0}', b"NaN", b'{"a":9007199254740993}'])
def test_rejects_malformed_bytes(raw: bytes) -> None:
    with pytest.raises(MalformedInput):
        parse_canonical(raw)


def test_round_trip_of_a_realistic_record() -> None:
    record = {"v": 1, "chain": "lot/KG1", "seq": 0, "data": {"产地": "凤凰县", "t": "2.4"}}
    raw = canonical_bytes(record)
    assert raw == json.dumps(record, sort_keys=True, separators=(",", ":"),
                             ensure_ascii=False).encode()
