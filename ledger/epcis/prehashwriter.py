"""The CBV 2.0 event pre-hash string in one pass over the JSON event, for events of the
usual shape: the standard fields as the EPCIS JSON schema has them, and extensions and ILMD
whose names are not standard ones.

It writes exactly what the general tree walk (``ledger.epcis.prehashtree``) writes for such
an event, without building the tree: each field of the canonical property order is written
from the event's own dictionaries and lists, its ``name=value`` strings collected in lists
and joined once; what is outside the order (ILMD, extensions, source, destination and
business transaction lists) is written as the walk writes it, sorted. Any shape outside
these (an extension inside a standard field, a list where one value is expected, an XML
text node, a name the walk renames) gives ``None``, and the caller takes the general route:
the writer never guesses. ``tests/ledger/test_epcis_prehashwriter.py`` holds the two
together on the official vectors and on random events of every agritrace step.

Pure: standard library only, no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ledger.epcis.prehashtree import LEFT_OUT, PAIRED, PAIRED_LISTS
from ledger.epcis.prehashvalues import (
    canonical_value,
    expanded_curie,
    is_time,
    python_text,
    qualified,
    utc_millis,
)
from ledger.epcis.vocabulary import TERMS

__all__ = ["written_prehash"]

Terms = Mapping[str, str] | None
Namespaces = Mapping[str, str]
_COMMENTS = frozenset({"rdfs:comment", "comment"})
_META_ORDER = ("time", "startTime", "endTime", "deviceID", "deviceMetadata", "rawData",
               "dataProcessingMethod", "bizRules")
_REPORT_ORDER = ("type", "exception", "deviceID", "deviceMetadata", "rawData",
                 "dataProcessingMethod", "time", "microorganism", "chemicalSubstance", "value",
                 "component", "stringValue", "booleanValue", "hexBinaryValue", "uriValue",
                 "minValue", "maxValue", "meanValue", "sDev", "percRank", "percValue", "uom",
                 "coordinateReferenceSystem")
_QUANTITY_ORDER = ("epcClass", "quantity", "uom")


class _Unusual(Exception):
    """The event has a shape this writer leaves to the general tree walk."""


Field = tuple[int, Terms, Callable[[str], str]]  # place in the order, vocabulary, writer


def _fields(order: tuple[str, ...], terms: Mapping[str, Terms]) -> dict[str, Field]:
    return {name: (place, terms.get(name), utc_millis if is_time(name) else canonical_value)
            for place, name in enumerate(order)}


_META = _fields(_META_ORDER, {})
_REPORT = _fields(_REPORT_ORDER, {
    name: TERMS[f"sensorElementList.sensorReport.{name}"]
    for name in ("type", "exception", "component")})
_QUANTITY = _fields(_QUANTITY_ORDER, {})
_PERSISTENT = _fields(("set", "unset"), {name: TERMS[f"persistentDisposition.{name}"]
                                         for name in ("set", "unset")})
_PLACE = _fields(("id",), {})
# Names the tree walk groups or renames (``…List`` holds its entries under another name,
# a quantity becomes ``quantityElement``, …) or does not sort: left to it outside the order.
_RENAMED = frozenset({"childEPCs", "inputEPC", "outputEPC", "inputQuantity", "outputQuantity",
                      "childQuantity", "quantity", "#text"}) | PAIRED


def written_prehash(event: Mapping[str, Any], namespaces: Namespaces) -> str | None:
    """The pre-hash string of an event of the usual shape, else ``None``."""
    try:
        return _written(event, namespaces)
    except _Unusual:
        return None


def _written(event: Mapping[str, Any], ns: Namespaces) -> str:
    kind = event.get("type", "")
    if not isinstance(event.get("eventTime"), str):
        # Without it the walk would treat top-level extensions as nested ones.
        raise _Unusual
    ordered: list[tuple[int, str]] = []
    rest: list[str] = []
    for key, value in event.items():
        writer = _ORDER.get(key)
        if writer is not None:
            place, write = writer
            ordered.append((place, write(key, value, ns)))
        elif key in LEFT_OUT or key in _COMMENTS or key == "#text":
            continue
        elif key in PAIRED_LISTS:
            rest.extend(_paired_list(key, value, ns))
        else:
            rest.extend(_rest(key, value, ns))
    ordered.sort()
    rest.sort()
    return ("eventType=" + (kind if isinstance(kind, str) else "")
            + "".join(text for _, text in ordered) + "".join(rest))


# -- values -------------------------------------------------------------------------------


def _text(value: Any, ns: Namespaces, terms: Terms) -> str:
    """A scalar's text, stripped (a vocabulary term expanded first, then a compact name)."""
    if isinstance(value, str):
        if terms is not None:
            value = terms.get(value, value)
        return (expanded_curie(value, ns) if ":" in value else value).strip()
    if isinstance(value, dict | list):
        raise _Unusual
    return python_text(value).strip()


def _leaves(name: str, value: Any, ns: Namespaces, terms: Terms) -> str:
    """``name=value`` of a field of the order: each value of a list, sorted; an empty value
    writes nothing."""
    convert = utc_millis if is_time(name) else canonical_value
    if not isinstance(value, list):
        text = _text(value, ns, terms)
        return name + "=" + convert(text) if text else ""
    found = []
    for item in value:
        text = _text(item, ns, terms)
        if text:
            found.append(name + "=" + convert(text))
    found.sort()
    return "".join(found)


def _ordered_fields(value: Any, fields: Mapping[str, Field], ns: Namespaces) -> str:
    """A standard dictionary's fields in their order; another field is unusual."""
    if not isinstance(value, dict):
        raise _Unusual
    found: list[tuple[int, str]] = []
    for key, item in value.items():
        spec = fields.get(key)
        if spec is None:
            raise _Unusual
        place, terms, convert = spec
        kind = type(item)
        if kind is str:  # the usual case, written here without a call per value
            text = terms.get(item, item) if terms is not None else item
            if ":" in text:
                text = expanded_curie(text, ns)
            text = text.strip()
        elif kind is int or kind is float:
            text = python_text(item)
        else:
            found.append((place, _leaves(key, item, ns, terms)))
            continue
        found.append((place, key + "=" + convert(text) if text else ""))
    if len(found) > 1:
        found.sort()
    return "".join([text for _, text in found])


def _named(name: str, inner: str) -> str:
    return name + inner if inner else ""


def _entries(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise _Unusual
    return value


# -- the fields of the canonical order ----------------------------------------------------


def _leaf(key: str, value: Any, ns: Namespaces) -> str:
    return _leaves(key, value, ns, None)


def _term(key: str, value: Any, ns: Namespaces) -> str:
    return _leaves(key, value, ns, TERMS[key])


def _epcs(key: str, value: Any, ns: Namespaces) -> str:
    for item in _entries(value):
        if isinstance(item, dict | list):
            raise _Unusual
    return _named(key, _leaves("epc", value, ns, None))


def _quantities(key: str, value: Any, ns: Namespaces) -> str:
    found = []
    for item in _entries(value):
        if not item:  # an empty entry keeps its own name in the walk
            raise _Unusual
        text = _ordered_fields(item, _QUANTITY, ns)
        if text:
            found.append("quantityElement" + text)
    found.sort()
    return _named(key, "".join(found))


def _persistent(key: str, value: Any, ns: Namespaces) -> str:
    return _named(key, _ordered_fields(value, _PERSISTENT, ns))


def _place(key: str, value: Any, ns: Namespaces) -> str:
    return _named(key, _ordered_fields(value, _PLACE, ns))


def _sensors(key: str, value: Any, ns: Namespaces) -> str:
    elements = []
    for element in _entries(value):
        if not isinstance(element, dict):
            raise _Unusual
        meta, reports = "", []
        for part, item in element.items():
            if part == "sensorMetadata":
                meta = _named(part, _ordered_fields(item, _META, ns))
            elif part == "sensorReport":
                for report in item if isinstance(item, list) else [item]:
                    text = _ordered_fields(report, _REPORT, ns)
                    if text:
                        reports.append("sensorReport" + text)
            else:
                raise _Unusual
        reports.sort()
        text = meta + "".join(reports)
        if text:
            elements.append("sensorElement" + text)
    elements.sort()
    return _named(key, "".join(elements))


Writer = Callable[[str, Any, Namespaces], str]
_ORDER: dict[str, tuple[int, Writer]] = {name: (place, write) for place, (name, write) in
                                         enumerate((
    ("eventTime", _leaf), ("eventTimeZoneOffset", _leaf), ("certificationInfo", _leaf),
    ("parentID", _leaf), ("epcList", _epcs), ("inputEPCList", _epcs), ("childEPCs", _epcs),
    ("quantityList", _quantities), ("childQuantityList", _quantities),
    ("inputQuantityList", _quantities), ("outputEPCList", _epcs),
    ("outputQuantityList", _quantities), ("action", _leaf), ("transformationID", _leaf),
    ("bizStep", _term), ("disposition", _term), ("persistentDisposition", _persistent),
    ("readPoint", _place), ("bizLocation", _place), ("sensorElementList", _sensors)))}


# -- what is outside the order ------------------------------------------------------------


def _paired_list(key: str, value: Any, ns: Namespaces) -> list[str]:
    """A source, destination or business transaction list: each entry's type and value in
    the entry's own order, the entries sorted."""
    if value == []:
        return []
    own, terms = key[:-4], TERMS.get(f"{key}.type")
    found = []
    for entry in _entries(value):
        if not isinstance(entry, dict) or own not in entry or len(entry) > 2 or \
                (len(entry) == 2 and "type" not in entry):
            raise _Unusual
        parts = []
        for name, item in entry.items():
            text = _text(item, ns, terms if name == "type" else None)
            parts.append(name + "=" + canonical_value(text) if text else name)
        found.append("".join(parts))
    found.sort()
    return [key + "".join(found)]


def _rest(key: str, value: Any, ns: Namespaces) -> list[str]:
    """``name=value`` of an element outside the order (ILMD, an extension), and of the
    elements inside it, sorted; a list gives one element per entry."""
    name = qualified(key, ns)
    if name in _RENAMED or name.endswith("List"):
        raise _Unusual
    if isinstance(value, list):
        return [_rest_one(name, item, ns) for item in value]
    return [_rest_one(name, value, ns)]


def _rest_one(name: str, value: Any, ns: Namespaces) -> str:
    if isinstance(value, dict):
        inner: list[str] = []
        for key, item in value.items():
            if key not in _COMMENTS:
                inner.extend(_rest(key, item, ns))
        inner.sort()
        return name + "".join(inner)
    if isinstance(value, list):
        raise _Unusual
    text = _text(value, ns, None)
    return name + "=" + canonical_value(text) if text else name
