"""Field parsers: turn loosely typed input into the exact JSON a record holds.

Each parser takes the raw value and its dotted path, returns a canonical JSON value (never a
float), and raises ``InvalidInput`` naming the path and the reason. The configurable ones
(``text(80)``, ``decimal(...)``, ``obj({...})``) are small frozen objects whose settings can
be read back, so the HTTP API derives its request bodies from the same definitions.

(Over 300 lines: every parser a record's field uses, each short; they are read together.)
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import KW_ONLY, dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ledger.errors import InvalidInput

__all__ = [
    "MASS_UNITS",
    "MAX_DECIMAL",
    "UNITS",
    "Parser",
    "boolean",
    "choice",
    "count",
    "decimal",
    "format_time",
    "gtin",
    "identifier",
    "list_of",
    "lot_code",
    "obj",
    "parse_time",
    "record_hash",
    "text",
    "timestamp",
    "unicode_text",
]

Parser = Callable[[Any, str], Any]

# Mass units convert to kilograms; count units do not convert.
MASS_UNITS: Mapping[str, Decimal] = {
    "kg": Decimal(1), "g": Decimal("0.001"), "t": Decimal(1000), "jin": Decimal("0.5"),
}
COUNT_UNITS = frozenset({"box", "crate", "bag", "carton", "piece", "pallet"})
UNITS = frozenset(MASS_UNITS) | COUNT_UNITS

_LOT_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,19}")
_IDENTIFIER = re.compile(r"[a-z0-9][a-z0-9-]{1,39}")
_HASH = re.compile(r"[0-9a-f]{64}")
_DIGITS = re.compile(r"[0-9]+")  # ASCII only: str.isdigit() also takes "٣" and "３"
MAX_DECIMAL = Decimal("1e12")


# Embeddings, overrides and isolates reorder what is shown around them ("Trojan Source",
# CVE-2021-42574): a name could read differently from the text recorded. Chinese and
# English never need them; the marks U+200E and U+200F, which reorder nothing, stay allowed.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f]")  # tab and newline are allowed
_SURROGATE = re.compile("[\ud800-\udfff]")
# Letters that show nothing: Hangul fillers and the blank Braille pattern.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


@dataclass(frozen=True)
class text:  # noqa: N801 - a parser, named like the other parser factories
    """Text people read: trimmed, not empty, at most ``max_length`` characters, valid Unicode,
    with something visible in it, and without control or bidirectional control characters."""

    max_length: int = 200

    def __call__(self, value: Any, path: str) -> str:
        if not isinstance(value, str):
            raise InvalidInput("must be text", field=path)
        cleaned: str = value.strip()
        if not cleaned:
            raise InvalidInput("must not be empty", field=path)
        if len(cleaned) > self.max_length:
            raise InvalidInput(f"must be at most {self.max_length} characters", field=path)
        unicode_text(cleaned, path)
        if _CONTROL.search(cleaned):
            raise InvalidInput("must not contain control characters", field=path)
        if _BIDI_CONTROLS.search(cleaned):
            raise InvalidInput("must not contain bidirectional override or isolate characters "
                               "(U+202A-U+202E, U+2066-U+2069)", field=path)
        if not any(_visible(character) for character in cleaned):
            raise InvalidInput("must contain a visible character (a letter, digit, "
                               "punctuation mark or symbol)", field=path)
        return cleaned


def unicode_text(value: str, path: str) -> str:
    """``value`` if it is Unicode text: no lone surrogate (``"\\ud800"`` in JSON), which no
    UTF-8 can hold. The one check of it, for fields and for whole JSON documents alike."""
    found = _SURROGATE.search(value)
    if found is not None:
        raise InvalidInput(f"holds a lone surrogate (U+{ord(found.group()):04X}), which is not "
                           "text", field=path or None)
    return value


def _visible(character: str) -> bool:
    return (unicodedata.category(character)[0] in "LNPS"
            and character not in _BLANK_LETTERS)


@dataclass(frozen=True)
class choice:  # noqa: N801 - a parser, named like the other parser factories
    """One of ``options``."""

    options: frozenset[str] | set[str]

    def __call__(self, value: Any, path: str) -> str:
        if value not in self.options:
            raise InvalidInput(f"must be one of {', '.join(sorted(self.options))}", field=path)
        return str(value)


@dataclass(frozen=True, kw_only=True)
class decimal:  # noqa: N801 - a parser, named like the other parser factories
    """Decimal strings, never floats. ``positive`` means strictly greater than zero;
    ``description`` says what the number is (degrees Celsius), for people."""

    minimum: Decimal | None = None
    positive: bool = False
    maximum: Decimal = MAX_DECIMAL
    places: int = 6
    description: str = ""

    def __call__(self, value: Any, path: str) -> str:
        minimum, positive, maximum, places = (self.minimum, self.positive, self.maximum,
                                              self.places)
        if type(value) is str and _PLAIN_DECIMAL.fullmatch(value):
            shortest = _shortest_plain(value)
            if _within(Decimal(shortest), minimum, positive, maximum):
                _whole, _, fraction = shortest.partition(".")
                if len(fraction) <= places:
                    return shortest
        if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
            raise InvalidInput("must be a decimal number written as a string, e.g. \"12.5\"",
                               field=path)
        try:
            number = Decimal(value.strip() if isinstance(value, str) else value)
        except InvalidOperation as error:
            raise InvalidInput(f"{value!r} is not a decimal number", field=path) from error
        if not number.is_finite():
            raise InvalidInput("must be a finite number", field=path)
        if positive and number <= 0:
            raise InvalidInput("must be greater than zero", field=path)
        if minimum is not None and number < minimum:
            raise InvalidInput(f"must be at least {minimum}", field=path)
        if abs(number) > maximum:
            raise InvalidInput(f"must be at most {maximum}", field=path)
        exponent = number.normalize().as_tuple().exponent
        if isinstance(exponent, int) and -exponent > places:
            raise InvalidInput(f"must have at most {places} decimal places", field=path)
        return format_decimal(number)


_PLAIN_DECIMAL = re.compile(r"-?[0-9]{1,13}(\.[0-9]{1,12})?")


def _shortest_plain(text_form: str) -> str:
    """``"007.50"`` → ``"7.5"``; the same text ``format_decimal`` gives, without Decimal."""
    sign = "-" if text_form.startswith("-") else ""
    whole, _, fraction = text_form.lstrip("-").partition(".")
    whole = whole.lstrip("0") or "0"
    fraction = fraction.rstrip("0")
    digits = f"{whole}.{fraction}" if fraction else whole
    return "0" if digits == "0" else sign + digits


def _within(number: Decimal, minimum: Decimal | None, positive: bool,
            maximum: Decimal) -> bool:
    """True when ``number`` passes every bound; the slow path then explains any failure."""
    if positive and number <= 0:
        return False
    if minimum is not None and number < minimum:
        return False
    return abs(number) <= maximum


def format_decimal(number: Decimal) -> str:
    """Shortest plain decimal text: no exponent, no trailing zeros, ``-0`` as ``0``."""
    text_form = format(number.normalize(), "f")
    return "0" if text_form in ("-0", "0") else text_form


@dataclass(frozen=True)
class count:  # noqa: N801 - a parser, named like the other parser factories
    """A whole number from 1 to ``maximum`` (digits in a string too)."""

    maximum: int = 10**9

    def __call__(self, value: Any, path: str) -> int:
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidInput("must be a whole number", field=path)
        if not 0 < value <= self.maximum:
            raise InvalidInput(f"must be between 1 and {self.maximum}", field=path)
        return value


def boolean(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput("must be true or false", field=path)
    return value


def parse_time(value: Any, path: str) -> datetime:
    """An aware datetime from ISO 8601 text or a datetime; naive times are refused."""
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError as error:
            raise InvalidInput(f"{value!r} is not an ISO 8601 time", field=path) from error
    elif isinstance(value, datetime):
        moment = value
    else:
        raise InvalidInput("must be an ISO 8601 time such as 2026-09-12T08:00:00+08:00",
                           field=path)
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput("must include a time zone, e.g. +08:00", field=path)
    if not 2000 <= moment.year <= 2200:
        raise InvalidInput("is outside the years 2000-2200", field=path)
    return moment.astimezone(UTC)


def format_time(moment: datetime) -> str:
    """UTC, second precision unless there are milliseconds: ``2026-09-12T00:00:00Z``."""
    utc = moment.astimezone(UTC).replace(tzinfo=None)
    spec = "milliseconds" if utc.microsecond >= 1000 else "seconds"
    return utc.isoformat(timespec=spec) + "Z"


def timestamp(value: Any, path: str) -> str:
    return format_time(parse_time(value, path))


def lot_code(value: Any, path: str) -> str:
    if not isinstance(value, str) or not _LOT_CODE.fullmatch(value):
        raise InvalidInput("must be 1-20 letters, digits, '.', '_' or '-' (GS1 AI 10), "
                           "starting with a letter or digit", field=path)
    return value


def identifier(value: Any, path: str) -> str:
    if not isinstance(value, str) or not _IDENTIFIER.fullmatch(value):
        raise InvalidInput("must be 2-40 lowercase letters, digits or '-'", field=path)
    return value


def record_hash(value: Any, path: str) -> str:
    if not isinstance(value, str) or not _HASH.fullmatch(value):
        raise InvalidInput("must be a record hash: 64 lowercase hex digits", field=path)
    return value


def gtin(value: Any, path: str) -> str:
    """A GTIN-8/12/13/14 with a valid check digit, returned as GTIN-14. All zeros passes the
    check digit but names no product (no GS1 company prefix is zero)."""
    if not isinstance(value, str) or not _DIGITS.fullmatch(value) or \
            len(value) not in (8, 12, 13, 14):
        raise InvalidInput("must be a GTIN of 8, 12, 13 or 14 digits", field=path)
    padded = value.zfill(14)
    if not padded.strip("0"):
        raise InvalidInput("is all zeros, which is no product's GTIN", field=path)
    if gtin_check_digit(padded[:13]) != padded[13]:
        raise InvalidInput(f"check digit is wrong (expected {gtin_check_digit(padded[:13])})",
                           field=path)
    return padded


def gtin_check_digit(body: str) -> str:
    """GS1 mod-10 check digit of the digits before it."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


@dataclass(frozen=True)
class list_of:  # noqa: N801 - a parser, named like the other parser factories
    """A list of ``minimum`` to ``maximum`` entries, each parsed by ``item``."""

    item: Parser
    _: KW_ONLY
    minimum: int = 0
    maximum: int = 1000

    def __call__(self, value: Any, path: str) -> list[Any]:
        if not isinstance(value, list | tuple):
            raise InvalidInput("must be a list", field=path)
        if not self.minimum <= len(value) <= self.maximum:
            raise InvalidInput(f"must have between {self.minimum} and {self.maximum} entries",
                               field=path)
        return [self.item(entry, f"{path}[{i}]") for i, entry in enumerate(value)]


class obj:  # noqa: N801 - a parser, named like the other parser factories
    """An object with known fields: ``{name: (parser, required)}``. Unknown fields are refused.
    ``name`` names the shape where it appears inside another (``Product``, ``Reading``).

    Calling it parses a whole object; ``partial`` parses some of its fields, as a correction
    gives them."""

    def __init__(self, fields: Mapping[str, tuple[Parser, bool]], *, name: str = "") -> None:
        self.fields = fields
        self.name = name

    def __call__(self, value: Any, path: str) -> dict[str, Any]:
        prefix = self._known(value, path)
        result: dict[str, Any] = {}
        for name, (parser, required) in self.fields.items():
            raw = value.get(name)
            if raw is None or raw == "":
                if required:
                    raise InvalidInput("is required", field=prefix + name)
                continue
            result[name] = parser(raw, prefix + name)
        return result

    def partial(self, value: Any, path: str) -> dict[str, Any]:
        """The given fields only, each parsed whole; ``None`` withdraws an optional field."""
        prefix = self._known(value, path)
        if not value:
            raise InvalidInput("must name at least one field", field=path)
        result: dict[str, Any] = {}
        for name, raw in value.items():
            parser, required = self.fields[name]
            if raw is None and not required:
                result[name] = None
            elif raw is None:
                raise InvalidInput("is required; it cannot be withdrawn", field=prefix + name)
            else:
                result[name] = parser(raw, prefix + name)
        return result

    def _known(self, value: Any, path: str) -> str:
        """The path prefix of ``value``'s fields; raises unless all are known."""
        if not isinstance(value, Mapping):
            raise InvalidInput("must be an object", field=path or "data")
        prefix = f"{path}." if path else ""
        unknown = sorted(set(value) - set(self.fields))
        if unknown:
            raise InvalidInput(f"unknown field; allowed: {', '.join(sorted(self.fields))}",
                               field=prefix + str(unknown[0]))
        return prefix
