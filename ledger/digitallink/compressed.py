"""GS1 Digital Link compressed URIs: decompression to the uncompressed path and query.

GS1 Digital Link compression (GS1 Digital Link standard, "compression"; the method of GS1's
compression prototype, ``GS1DigitalLinkToolkit.js``). A compressed URI's path is one segment
of the URI-safe base64 alphabet (``A-Z a-z 0-9 - _``, 6 bits a character) holding a bit
string of elements, each:

- a GS1 Application Identifier as 4-bit digits: two, then one or two more when the first two
  digits say the AI is 3 or 4 digits long (``_AI_LENGTH``), followed by its value;
- or an 8-bit optimisation code (``_OPTIMISATIONS``, e.g. ``0B`` = AI 01 then AI 10) followed
  by the values of its AIs in order;
- or ``F`` and a 7-bit length, then a non-GS1 key (6-bit base64 characters) and its value:
  a ``key=value`` pair of the query string.

Values follow the AI's format (``_FORMATS``): a fixed-length number of ``n`` digits in
``ceil(n * log2(10) + 0.01)`` bits; a variable-length number after its length in
``ceil(log2(max) + 0.01)`` bits; text after a 3-bit encoding (0 digits, 1 lower-case hex,
2 upper-case hex, 3 URI-safe base64, 4 7-bit ASCII) and, for variable length, its length.
The bit string ends with fewer than 9 zero bits of padding.

This resolver reads the AIs a GTIN link carries: the keys 01 and 00, the qualifiers 22, 10
and 21, and the data attributes the optimisation codes pair with AI 01 (dates, expiry time,
count, weights, prices, AI 91). Anything else, and anything malformed, raises
``InvalidInput`` (field ``path``), so the resolver answers 400.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from urllib.parse import quote

from ledger.errors import InvalidInput

__all__ = ["MAX_COMPRESSED", "Decompressed", "decompress_digital_link"]

MAX_COMPRESSED = 200  # characters; the longest link this resolver serves needs about 90
_BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_SEGMENT = re.compile("[A-Za-z0-9_-]+")
_HEX = "0123456789abcdef"

# The number of digits of an AI, by its first two digits.
_AI_LENGTH = {
    **dict.fromkeys(("00", "01", "02", "10", "11", "12", "13", "15", "16", "17", "20", "21",
                     "22", "30", "37", "90", "91", "92", "93", "94", "95", "96", "97", "98",
                     "99"), 2),
    **dict.fromkeys(("23", "24", "25", "40", "41", "42", "71"), 3),
    **dict.fromkeys(("31", "32", "33", "34", "35", "36", "39", "70", "72", "80", "81", "82"), 4),
}

# Optimisation codes: one byte for a common sequence of AIs, whose values follow in the AIs'
# sorted order (so 1A is 01, 10, 17, 21), as GS1's prototype writes and reads them.
_OPTIMISATIONS: dict[str, tuple[str, ...]] = {
    "0A": ("01", "22"), "0B": ("01", "10"), "0C": ("01", "21"), "0D": ("01", "17"),
    "0E": ("01", "7003"), "0F": ("01", "30"), "1A": ("01", "10", "17", "21"),
    "1B": ("01", "15"), "1C": ("01", "11"), "1D": ("01", "16"), "1E": ("01", "91"),
    "1F": ("01", "10", "15"),
    **{f"2{'ABCDEF'[n]}": ("01", f"310{n}") for n in range(6)},
    **{f"3{'ABCDEF'[n]}": ("01", f"320{n}") for n in range(6)},
    "9A": ("8010", "8011"), "9B": ("8017", "8019"), "9C": ("8018", "8019"),
    "9D": ("254", "414"),
    **{f"A{n}": ("01", f"392{n}") for n in range(10)},
    **{f"C{n}": ("255", f"390{n}") for n in range(10)},
    **{f"C{'ABCD'[n]}": ("255", f"394{n}") for n in range(4)},
}


@dataclass(frozen=True)
class _Part:
    """One component of an AI's value: ``N`` digits or ``X`` text, of fixed length
    ``length`` or at most ``length`` when ``variable``."""

    kind: str
    length: int
    variable: bool = False


_FORMATS: dict[str, tuple[_Part, ...]] = {
    "00": (_Part("N", 18),), "01": (_Part("N", 14),),
    **dict.fromkeys(("10", "21", "22"), (_Part("X", 20, variable=True),)),
    **dict.fromkeys(("11", "12", "13", "15", "16", "17"), (_Part("N", 6),)),
    "7003": (_Part("N", 10),), "30": (_Part("N", 8, variable=True),),
    "91": (_Part("X", 90, variable=True),),
    **dict.fromkeys([f"3{u}0{n}" for u in "12" for n in range(6)], (_Part("N", 6),)),
    **dict.fromkeys([f"392{n}" for n in range(10)], (_Part("N", 15, variable=True),)),
}
_PRIMARY_KEYS = ("01", "00")
_QUALIFIERS = {"01": ("22", "10", "21")}


@dataclass(frozen=True)
class Decompressed:
    """A decompressed link: its path (``/01/{gtin}[/22/…][/10/…][/21/…]``, values
    percent-encoded) and its query pairs (data attributes by AI, then other keys), in the
    order they were compressed."""

    path: str
    query: tuple[tuple[str, str], ...]


def _value_bits(digits: int) -> int:
    return math.ceil(digits * math.log(10) / math.log(2) + 0.01)


def _length_bits(most: int) -> int:
    return math.ceil(math.log(most) / math.log(2) + 0.01)


class _Bits:
    """A bit string read from the left."""

    def __init__(self, segment: str) -> None:
        self.bits = "".join(format(_BASE64.index(c), "06b") for c in segment)
        self.cursor = 0

    @property
    def left(self) -> int:
        return len(self.bits) - self.cursor

    def read(self, count: int) -> int:
        if count > self.left:
            raise ValueError("it ends inside an element")
        chunk = self.bits[self.cursor:self.cursor + count]
        self.cursor += count
        return int(chunk, 2) if chunk else 0

    def digits(self, count: int) -> str:
        number = self.read(_value_bits(count))
        if number >= 10 ** count:
            raise ValueError(f"a {count}-digit number is {number}")
        return str(number).zfill(count) if count else ""

    def text(self, encoding: int, count: int) -> str:
        if encoding == 0:
            return self.digits(count)
        if encoding in (1, 2):
            hexits = "".join(_HEX[self.read(4)] for _ in range(count))
            return hexits if encoding == 1 else hexits.upper()
        if encoding == 3:
            return "".join(_BASE64[self.read(6)] for _ in range(count))
        if encoding == 4:
            return "".join(chr(self.read(7)) for _ in range(count))
        raise ValueError(f"encoding {encoding} is not defined")


def _read_value(bits: _Bits, ai: str) -> str:
    parts = _FORMATS.get(ai)
    if parts is None:
        raise ValueError(f"AI ({ai}) is not one this resolver reads")
    value = ""
    for part in parts:
        if part.kind == "N" and not part.variable:
            value += bits.digits(part.length)
            continue
        encoding = bits.read(3) if part.kind == "X" else 0
        length = bits.read(_length_bits(part.length)) if part.variable else part.length
        if length > part.length:
            raise ValueError(f"AI ({ai}) is {length} characters long, at most {part.length}")
        value += bits.text(encoding, length)
    return value


def _elements(bits: _Bits) -> list[tuple[str, str, bool]]:
    """``(key, value, is_ai)`` for each element of the bit string, in order."""
    found: list[tuple[str, str, bool]] = []
    while bits.left > 8:
        first, second = bits.read(4), bits.read(4)
        code = f"{first:X}{second:X}"
        if first <= 9 and second <= 9:
            length = _AI_LENGTH.get(code)
            if length is None:
                raise ValueError(f"no AI starts with {code}")
            for _ in range(length - 2):
                digit = bits.read(4)
                if digit > 9:
                    raise ValueError(f"AI {code}… has a digit {digit:X}")
                code += str(digit)
            found.append((code, _read_value(bits, code), True))
        elif code in _OPTIMISATIONS:
            found.extend((ai, _read_value(bits, ai), True) for ai in _OPTIMISATIONS[code])
        elif first == 0xF:
            size = second << 3 | bits.read(3)
            key = "".join(_BASE64[bits.read(6)] for _ in range(size))
            encoding = bits.read(3)
            found.append((key, bits.text(encoding, bits.read(7)), False))
        else:
            raise ValueError(f"{code} is neither an AI nor an optimisation code")
    if bits.read(bits.left):
        raise ValueError("it ends in padding that is not zero")
    return found


def decompress_digital_link(segment: str) -> Decompressed:
    """The uncompressed Digital Link that the compressed path segment ``segment`` holds.

    Raises ``InvalidInput`` (field ``path``) when ``segment`` is not a compressed link this
    resolver can read: not URI-safe base64, longer than ``MAX_COMPRESSED``, truncated, an AI
    it does not read, an AI given twice, no primary key, or non-zero padding.
    """
    if len(segment) > MAX_COMPRESSED or not _SEGMENT.fullmatch(segment):
        raise InvalidInput(f"is not a compressed GS1 Digital Link: at most {MAX_COMPRESSED} "
                           "characters of A-Z a-z 0-9 - _", field="path")
    try:
        elements = _elements(_Bits(segment))
        values = {key: value for key, value, is_ai in elements if is_ai}
        if len(values) != sum(is_ai for _, _, is_ai in elements):
            raise ValueError("an AI is given twice")
        primary = next((key for key in _PRIMARY_KEYS if key in values), None)
        if primary is None:
            raise ValueError("it names no GS1 primary key")
    except ValueError as error:
        raise InvalidInput(f"is not a compressed GS1 Digital Link this resolver reads: {error}",
                           field="path") from None
    in_path = (primary, *_QUALIFIERS.get(primary, ()))
    path = "".join(f"/{ai}/{quote(values[ai], safe='')}" for ai in in_path if ai in values)
    query = tuple((key, value) for key, value, is_ai in elements
                  if not (is_ai and key in in_path))
    return Decompressed(path, query)
