"""How the CBV 2.0 event hash writes one value: times in UTC at millisecond precision,
numbers without trailing zeros, CBV URNs as CBV Web URIs, GS1 keys as constrained canonical
Digital Link URIs, compact names (``prefix:local``) with their namespace.

Shared by both ways of writing a pre-hash string (``ledger.epcis.prehashwriter``, the
single pass, and ``ledger.epcis.prehashtree``, the general tree walk), so that they can
only differ in structure, never in how a value is written. Pure: standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from ledger.epcis.epcuris import normalise_identifier

__all__ = ["canonical_value", "expanded_curie", "is_time", "python_text", "qualified",
           "utc_millis"]

_URNS = (("urn:epcglobal:cbv:bizstep:", "https://ref.gs1.org/cbv/BizStep-"),
         ("urn:epcglobal:cbv:disp:", "https://ref.gs1.org/cbv/Disp-"),
         ("urn:epcglobal:cbv:btt:", "https://ref.gs1.org/cbv/BTT-"),
         ("urn:epcglobal:cbv:sdt:", "https://ref.gs1.org/cbv/SDT-"),
         ("urn:epcglobal:cbv:er:", "https://ref.gs1.org/cbv/ER-"))
_TIME = re.compile(r"(\d{4}-\d\d-\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)?")
_UTC_ZONES = frozenset({None, "Z", "+00:00", "-00:00", "+0000", "-0000"})


def python_text(value: Any) -> str:
    """JSON numbers and literals as the reference writes them (Python's ``str``)."""
    return str(value)


def qualified(key: str, namespaces: Mapping[str, str]) -> str:
    """A field name with its declared prefix expanded, as ``{namespace}local``."""
    prefix, colon, local = key.partition(":")
    if colon and prefix in namespaces:
        return "{" + namespaces[prefix] + "}" + local
    return key


def expanded_curie(value: str, namespaces: Mapping[str, str]) -> str:
    """A string value with its declared prefix expanded (``ext:x`` → ``https://…/x``)."""
    prefix, colon, local = value.partition(":")
    if colon and prefix in namespaces:
        return namespaces[prefix] + local
    return value


@lru_cache(maxsize=256)
def is_time(name: str) -> bool:
    """Whether a field of the canonical order holds a time (written in UTC)."""
    lowered = name.lower()
    return "time" in lowered and "offset" not in lowered


@lru_cache(maxsize=8192)  # units, types, lots and organisations repeat across events
def canonical_value(text: str) -> str:
    """A (stripped, non-empty) value as the hash writes it."""
    for urn, web in _URNS:
        text = text.replace(urn, web)
    text = _shortest_number(text)
    return normalise_identifier(text) or text


def _shortest_number(text: str) -> str:
    """A number without trailing zeros (``1.0`` → ``1``), as Python writes floats; other
    text unchanged."""
    try:
        number = float(text)
        return str(int(number)) if int(number) == number else str(number)
    except (ValueError, OverflowError):
        return text


def utc_millis(text: str) -> str:
    """A time in UTC with milliseconds, the third decimal rounded up when the fourth is
    5-9 (CBV 2.0 §8.9 step 9); text that is no time stays as it is."""
    found = _TIME.fullmatch(text)
    if found is None:
        return text
    day, hour, minute, second, fraction, zone = found.groups()
    try:
        moment = datetime.fromisoformat(f"{day}T{hour}:{minute}:{second}")
    except ValueError:
        return text
    digits = (fraction or "").ljust(4, "0")
    millis = int(digits[:3]) + (1 if digits[3] >= "5" else 0)
    if millis < 1000 and zone in _UTC_ZONES and day[0] != "0":
        # Already UTC and no carry into the seconds: the digits as they are (strftime
        # below would write the same; a year before 1000 it writes unpadded).
        return f"{day}T{hour}:{minute}:{second}.{millis:03d}Z"
    moment += timedelta(milliseconds=millis)
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        hours, minutes = int(zone[1:3]), int(zone[-2:])
        moment -= sign * timedelta(hours=hours, minutes=minutes)
    moment = moment.replace(tzinfo=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
