"""GTIN ownership: the GS1 company prefixes and single GTINs an organisation registered, and
the GTINs a step assigns.

GS1 (in China, 中国物品编码中心) licenses a company a GS1 Company Prefix of 4 to 12 digits;
every GTIN the company allocates starts with it once the GTIN-14's indicator digit is set
aside (GS1 General Specifications §1.4.2; a U.P.C. prefix is written with a leading 0).
A company that licenses single GTINs (every GTIN-8 among them) registers each one whole.

An organisation's registrations are ``PrefixRegistered`` records in its own chain
(``{"prefix": "6941234"}`` or ``{"gtin": "<GTIN-14>"}``). A registration is written as a
string: a prefix as its digits, a single GTIN as its 14 digits, so the length tells them apart.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ledger.domain.fields import gtin as parse_gtin
from ledger.errors import InvalidInput

__all__ = ["ASSIGNING_STEPS", "GTIN_LENGTH", "assigned_gtins", "covers", "overlaps",
           "parse_registration"]

# The steps whose recording organisation gives the lot a GTIN (a harvest's product, a
# packing, a correction of either). A grade or collected lot inherits its parents' product;
# that GTIN was checked when it was assigned.
ASSIGNING_STEPS = frozenset({"Harvested", "Packed", "Corrected"})
GTIN_LENGTH = 14


def parse_registration(data: Mapping[str, Any]) -> str:
    """A ``{"prefix": digits}`` or ``{"gtin": GTIN}`` registration, as its string form."""
    if set(data) == {"prefix"}:
        prefix = data["prefix"]
        if not isinstance(prefix, str) or not prefix.isdigit() or not 4 <= len(prefix) <= 12:
            raise InvalidInput("must be a GS1 Company Prefix of 4 to 12 digits",
                               field="prefix")
        if prefix.startswith("00000"):
            raise InvalidInput("00000 starts GTIN-8s, which are registered one by one as gtin",
                               field="prefix")
        return prefix
    if set(data) == {"gtin"}:
        return parse_gtin(data["gtin"], "gtin")
    raise InvalidInput("give either prefix (a GS1 Company Prefix) or gtin (one GTIN)",
                       field="prefix")


def covers(registration: str, gtin: str) -> bool:
    """Whether GTIN-14 ``gtin`` is under ``registration``."""
    if len(registration) == GTIN_LENGTH:
        return gtin == registration
    return gtin[1:].startswith(registration)


def overlaps(first: str, second: str) -> bool:
    """Whether some GTIN would be under both registrations."""
    if len(first) == GTIN_LENGTH:
        return covers(second, first)
    if len(second) == GTIN_LENGTH:
        return covers(first, second)
    return first.startswith(second) or second.startswith(first)


def assigned_gtins(step: str, data: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """``(field, value)`` of every ``gtin`` a ``step`` record with ``data`` assigns, at any
    depth (a correction's ``values`` may hold one)."""
    if step in ASSIGNING_STEPS:
        yield from _gtin_fields(data, "data")


def _gtin_fields(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key == "gtin":
                yield f"{path}.{key}", item
            else:
                yield from _gtin_fields(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _gtin_fields(item, f"{path}[{i}]")
