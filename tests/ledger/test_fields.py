"""Field parsers: the fast decimal path agrees with the Decimal path; GTIN check digits; what
text a person may give as a name or a note."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.domain.fields import decimal, format_decimal, gtin, gtin_check_digit, text
from ledger.errors import InvalidInput

PARSE = decimal(minimum=Decimal(-1000), maximum=Decimal(10**9), places=4)


@settings(max_examples=300)
@given(st.from_regex(r"-?[0-9]{1,10}(\.[0-9]{1,6})?", fullmatch=True))
def test_plain_decimal_strings_match_the_decimal_path(text: str) -> None:
    number = Decimal(text)
    try:
        expected: str | None = PARSE(number, "x")  # a Decimal takes the slow path
    except InvalidInput:
        expected = None
    try:
        got: str | None = PARSE(text, "x")
    except InvalidInput:
        got = None
    assert got == expected
    if got is not None:
        assert got == format_decimal(number)


@pytest.mark.parametrize("code", ["06901234567892", "6901234567892", "96385074"])
def test_valid_gtins_become_gtin_14(code: str) -> None:
    assert len(gtin(code, "gtin")) == 14


def test_a_wrong_check_digit_names_the_right_one() -> None:
    with pytest.raises(InvalidInput, match="expected 2"):
        gtin("06901234567893", "gtin")


def test_check_digit_of_the_gs1_example() -> None:
    # GS1 General Specifications example: 0950110153000 → check digit 3 (09501101530003).
    assert gtin_check_digit("0950110153000") == "3"


@pytest.mark.parametrize("code", ["00000000000000", "0000000000000", "00000000"])
def test_all_zeros_is_no_gtin_though_its_check_digit_fits(code: str) -> None:
    with pytest.raises(InvalidInput, match="all zeros") as refused:
        gtin(code, "product.gtin")
    assert refused.value.field == "product.gtin"


def test_a_gtin_is_ascii_digits() -> None:
    with pytest.raises(InvalidInput, match="digits"):
        gtin("０６９０１２３４５６７８９２", "gtin")  # fullwidth digits pass str.isdigit()


@pytest.mark.parametrize(("value", "reason"), [
    ("\ud800", "lone surrogate (U+D800)"),
    ("张\udfff三", "lone surrogate (U+DFFF)"),
    ("\u202e\u2066", "bidirectional"),
    ("\u202eevil.exe", "bidirectional"),
    ("张三\u2067", "bidirectional"),
    ("\u200b\u200b", "visible character"),
    ("\u200e\u200f\ufeff\u2060", "visible character"),
    ("\u3164", "visible character"),  # Hangul filler: a letter that shows nothing
    ("\u0301\u0302", "visible character"),  # combining marks on nothing
    ("a\x00b", "control characters"),
])
def test_text_refuses_what_is_not_readable_text(value: str, reason: str) -> None:
    with pytest.raises(InvalidInput, match=re.escape(reason)) as refused:
        text(80)(value, "harvester")
    assert refused.value.field == "harvester"


@pytest.mark.parametrize("value", ["张三", "石光明", "N°5", "—", "🥝", "ﾀﾅｶ", "a\tb",
                                   "al\u200dhamdu", "مرحبا", "\u200f مرحبا"])
def test_text_takes_any_readable_text(value: str) -> None:
    assert text(80)(value, "harvester") == value.strip()
