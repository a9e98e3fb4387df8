"""Canonical record bytes: RFC 8785 (JSON Canonicalization Scheme).

Records hold no floats: quantities and temperatures are decimal strings, so the only numbers
are integers inside the IEEE 754 safe range. For such values RFC 8785 output equals Python's
``json.dumps`` with sorted keys and no whitespace, except that RFC 8785 sorts keys by UTF-16
code units. The two orders agree while every key is below U+D800, which is checked; anything
else goes through the reference ``rfc8785`` encoder. ``tests/verify/test_canonical.py`` checks the
fast path against ``rfc8785`` with hypothesis.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

import rfc8785

from verify.errors import MalformedInput, NotCanonical

__all__ = ["MAX_SAFE_INTEGER", "canonical_bytes", "parse_canonical"]

MAX_SAFE_INTEGER = 2**53 - 1
_FIRST_SURROGATE = "\ud800"
# UTF-8 lead bytes of characters from U+E000 up (private use, CJK compatibility and
# fullwidth forms, and everything beyond the Basic Multilingual Plane).
_HIGH_CHARACTER = re.compile(b"[\xee-\xf4]")

_dumps = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, sort_keys=True, separators=(",", ":")
).encode


def canonical_bytes(value: Any) -> bytes:
    """Return the RFC 8785 bytes of ``value``.

    Requires ``value`` to be built from dict (str keys), list, str, int, bool and None;
    raises ``MalformedInput`` for floats, out-of-range integers and lone surrogates.
    """
    if _fast_path_applies(value):
        try:
            return _dumps(value).encode("utf-8")
        except UnicodeEncodeError as error:
            raise MalformedInput("text contains a lone surrogate") from error
    try:
        return rfc8785.dumps(value)
    except rfc8785.CanonicalizationError as error:
        raise MalformedInput(f"cannot canonicalise: {error}") from error


def _fast_path_applies(value: Any) -> bool:
    """True when ``value`` has only JCS-safe types and keys that sort alike in both orders.

    Raises ``MalformedInput`` for values no JSON canonical form can hold. Scalars are checked
    where they are found, so only containers go on the work list.
    """
    if type(value) is not dict and type(value) is not list:
        _check_scalar(value)
        return True
    pending = [value]
    items: Iterable[Any]
    while pending:
        container = pending.pop()
        if type(container) is dict:
            for key in container:
                if type(key) is not str:
                    raise MalformedInput(f"object key {key!r} is not a string")
                if not key.isascii() and max(key) >= _FIRST_SURROGATE:
                    return False
            items = container.values()
        else:
            items = container
        for item in items:
            kind = type(item)
            if kind is str:
                continue
            if kind is dict or kind is list:
                pending.append(item)
            else:
                _check_scalar(item)
    return True


def _check_scalar(item: Any) -> None:
    kind = type(item)
    if kind is str or kind is bool or item is None:
        return
    if kind is int:
        if not -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
            raise MalformedInput(f"integer {item} is outside the safe range of RFC 8785")
        return
    if kind is float:
        raise MalformedInput("floats are not allowed; use a decimal string")
    raise MalformedInput(f"value of type {kind.__name__} cannot be canonicalised")


def _reject_float(text: str) -> Any:
    raise MalformedInput(f"number {text} is not an integer; decimals must be strings")


def _reject_constant(text: str) -> Any:
    raise MalformedInput(f"{text} is not valid JSON")


def _checked_int(text: str) -> int:
    number = int(text)
    if not -MAX_SAFE_INTEGER <= number <= MAX_SAFE_INTEGER:
        raise MalformedInput(f"integer {text} is outside the safe range of RFC 8785")
    return number


_decoder = json.JSONDecoder(
    parse_float=_reject_float,
    parse_int=_checked_int,
    parse_constant=_reject_constant,
)


def parse_canonical(raw: bytes) -> Any:
    """Parse ``raw`` and require it to be exactly its own RFC 8785 encoding.

    Raises ``MalformedInput`` when ``raw`` is not JSON of the allowed shape, and
    ``NotCanonical`` when it parses but is not in canonical form. Duplicate keys need no
    separate check: the decoder keeps one of them, so re-encoding cannot give ``raw`` back.
    """
    try:
        text = raw.decode("utf-8")
        value = _decoder.decode(text)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        if isinstance(error, MalformedInput):
            raise
        raise MalformedInput(f"not valid UTF-8 JSON: {error}") from error
    if _HIGH_CHARACTER.search(raw) is None:
        # The decoder has already refused floats, unsafe integers and non-finite numbers,
        # and with no character at or above U+E000 anywhere, code-point key order is
        # UTF-16 order: the plain encoder gives the canonical bytes without a walk.
        try:
            expected = _dumps(value).encode("utf-8")
        except UnicodeEncodeError as error:
            raise MalformedInput("text contains a lone surrogate") from error
    else:
        expected = canonical_bytes(value)
    if expected != raw:
        raise NotCanonical("bytes are not in RFC 8785 canonical form")
    return value
