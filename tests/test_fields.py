"""Field parsers: the fast decimal path agrees with the Decimal path; GTIN check digits."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.domain.fields import decimal, format_decimal, gtin, gtin_check_digit
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
