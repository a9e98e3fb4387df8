"""The CBV 2.0 EPCIS Event Hash ID: an event's canonical pre-hash string and its
``ni:///sha-256;<hex>?ver=CBV2.0`` name (GS1 CBV 2.0 §8.9; RFC 6920).

The pre-hash string lists an event's fields in the canonical property order, ``key=value``
without separators; lists sorted; times in UTC at millisecond precision; numbers without
trailing zeros; CBV bare strings and CBV URNs as CBV Web URIs; GS1 keys as constrained
canonical Digital Link URIs (``ledger.epcis.epcuris``); user extensions and ILMD as
``{namespace}name=value``, sorted. ``recordTime``, ``eventID`` and ``errorDeclaration`` are
left out, so an event's id does not change when it is stored, named or declared in error.

The structure follows the reference implementation the official vectors come from
(github.com/RalphTro/epcis-event-hash-generator, MIT licence): the JSON event is turned into
a tree of ``(name, value, children)`` nodes as its XML form would be, then walked in the
canonical order. One difference, on purpose: a bare vocabulary string is expanded by the
field it is in (``ledger.epcis.vocabulary``), as the EPCIS JSON-LD context defines it. The
reference guesses from every CBV URI anywhere in the document, so another event of the same
document could change an event's id. Every official vector gives the same string either way
(``tests/ledger/test_epcis_eventhash.py``).

Pure: standard library only, no I/O.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeGuard, Union

from ledger.epcis.epcuris import normalise_identifier
from ledger.epcis.vocabulary import expand_term

__all__ = [
    "HASH_VERSION",
    "context_namespaces",
    "document_events",
    "event_hash_id",
    "event_prehash",
    "hash_id",
]

HASH_VERSION = "CBV2.0"



@dataclass(frozen=True)
class Group:
    """A source, destination or business transaction: its two parts (type, then value),
    kept together in their order."""

    parts: tuple[Node, ...]


# A node: (name, value, children).
Node = tuple[str, str, list["Item"]]
Item = Union[Node, Group]  # noqa: UP007 - a recursive alias needs the Union form
Order = Sequence[tuple[str, "Order | None"]]

_QUANTITY: Order = (("epcClass", None), ("quantity", None), ("uom", None))
_EPC: Order = (("epc", None),)
PROPERTY_ORDER: Order = (
    ("eventTime", None), ("eventTimeZoneOffset", None), ("certificationInfo", None),
    ("parentID", None), ("epcList", _EPC), ("inputEPCList", _EPC), ("childEPCs", _EPC),
    ("quantityList", (("quantityElement", _QUANTITY),)),
    ("childQuantityList", (("quantityElement", _QUANTITY),)),
    ("inputQuantityList", (("quantityElement", _QUANTITY),)),
    ("outputEPCList", _EPC),
    ("outputQuantityList", (("quantityElement", _QUANTITY),)),
    ("action", None), ("transformationID", None), ("bizStep", None), ("disposition", None),
    ("persistentDisposition", (("set", None), ("unset", None))),
    ("readPoint", (("id", None),)), ("bizLocation", (("id", None),)),
    # bizTransactionList, sourceList and destinationList are hashed with the remaining
    # elements (sorted by their strings), as the reference and the vectors have them.
    ("sensorElementList", (("sensorElement", (
        ("sensorMetadata", tuple((name, None) for name in (
            "time", "startTime", "endTime", "deviceID", "deviceMetadata", "rawData",
            "dataProcessingMethod", "bizRules"))),
        ("sensorReport", tuple((name, None) for name in (
            "type", "exception", "deviceID", "deviceMetadata", "rawData",
            "dataProcessingMethod", "time", "microorganism", "chemicalSubstance", "value",
            "component", "stringValue", "booleanValue", "hexBinaryValue", "uriValue",
            "minValue", "maxValue", "meanValue", "sDev", "percRank", "percValue", "uom",
            "coordinateReferenceSystem"))),
    )),)),
)
_LEFT_OUT = frozenset({"recordTime", "eventID", "type", "errorDeclaration"})
_PAIRED_LISTS = frozenset({"sourceList", "destinationList", "bizTransactionList"})
_PAIRED = frozenset({"bizTransaction", "source", "destination"})
_URNS = (("urn:epcglobal:cbv:bizstep:", "https://ref.gs1.org/cbv/BizStep-"),
         ("urn:epcglobal:cbv:disp:", "https://ref.gs1.org/cbv/Disp-"),
         ("urn:epcglobal:cbv:btt:", "https://ref.gs1.org/cbv/BTT-"),
         ("urn:epcglobal:cbv:sdt:", "https://ref.gs1.org/cbv/SDT-"),
         ("urn:epcglobal:cbv:er:", "https://ref.gs1.org/cbv/ER-"))
_TIME = re.compile(r"(\d{4}-\d\d-\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)?")


def hash_id(prehash: str) -> str:
    """The ``ni`` name of a pre-hash string: SHA-256 of its UTF-8 bytes."""
    digest = hashlib.sha256(prehash.encode("utf-8")).hexdigest()
    return f"ni:///sha-256;{digest}?ver={HASH_VERSION}"


def event_hash_id(event: Mapping[str, Any], namespaces: Mapping[str, str]) -> str:
    """The CBV 2.0 event hash id of one JSON event; ``namespaces`` maps the prefixes its
    extension names use (``context_namespaces``)."""
    return hash_id(event_prehash(event, namespaces))


def event_prehash(event: Mapping[str, Any], namespaces: Mapping[str, str]) -> str:
    """The canonical pre-hash string of one EPCIS 2.0 JSON event."""
    name, _, children = _corrected(_tree(_expand_terms(event, ""), namespaces))
    return ("eventType=" + name + _in_order(children, PROPERTY_ORDER)
            + _remaining([child for child in children
                          if not _is_node(child) or child[0] not in _LEFT_OUT]))


def context_namespaces(context: Any) -> dict[str, str]:
    """The prefixes a document's ``@context`` declares inline (``{"ext": "https://…/"}``);
    a context given by URL declares none here."""
    entries = context if isinstance(context, list) else [context]
    found: dict[str, str] = {}
    for entry in entries:
        if isinstance(entry, Mapping):
            found.update({key: value for key, value in entry.items()
                          if isinstance(value, str)})
    return found


def document_events(document: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """The events of an EPCISDocument or EPCISQueryDocument, in order."""
    body = document.get("epcisBody", {})
    if "queryResults" in body:
        yield from body["queryResults"]["resultsBody"]["eventList"]
    elif "eventList" in body:
        yield from body["eventList"]
    elif "event" in body:
        yield body["event"]


# -- the JSON event as a tree ---------------------------------------------------------


def _expand_terms(value: Any, path: str) -> Any:
    """``value`` with the bare vocabulary strings of vocabulary fields expanded."""
    if isinstance(value, Mapping):
        return {key: _expand_terms(item, f"{path}.{key}" if path else key)
                for key, item in value.items()}
    if isinstance(value, list):
        return [_expand_terms(item, path) for item in value]
    if isinstance(value, str):
        return expand_term(path, value)
    return value


def _tree(value: Any, namespaces: Mapping[str, str]) -> Node:
    if isinstance(value, Mapping):
        kind = value.get("type", "")
        children: list[Item] = []
        for key, item in value.items():
            if key in ("#text", "rdfs:comment", "comment"):
                continue
            child = _tree(item, namespaces)
            name = _qualified(key, namespaces)
            if isinstance(item, list):
                children.extend((name, grand[1], grand[2]) for grand in child[2]
                                if _is_node(grand))
            else:
                children.append((name, child[1], child[2]))
        if not _PAIRED & set(value):
            children.sort(key=_sort_key)
        return (kind if isinstance(kind, str) else "", str(value.get("#text", "")), children)
    if isinstance(value, list):
        return ("", "", [_tree(item, namespaces) for item in value])
    if isinstance(value, str):
        return ("", _expanded_curie(value, namespaces), [])
    return ("", _python_text(value), [])


def _python_text(value: Any) -> str:
    """JSON numbers and literals as the reference writes them (Python's ``str``)."""
    return str(value)


def _qualified(key: str, namespaces: Mapping[str, str]) -> str:
    prefix, colon, local = key.partition(":")
    if colon and prefix in namespaces:
        return "{" + namespaces[prefix] + "}" + local
    return key


def _expanded_curie(value: str, namespaces: Mapping[str, str]) -> str:
    prefix, colon, local = value.partition(":")
    if colon and prefix in namespaces:
        return namespaces[prefix] + local
    return value


def _is_node(item: Item) -> TypeGuard[Node]:
    return not isinstance(item, Group)


def _sort_key(item: Item) -> Any:
    return item


def _corrected(node: Node) -> Node:
    """The tree as the XML form of the event would give it: ``fooList`` holds ``foo``
    children, quantity elements are ``quantityElement``, child EPCs are ``epc``."""
    name, value, children = node
    kept: list[Item] = []
    lists: dict[str, list[Node]] = {}
    child_epcs: list[Item] = []
    for child in children:
        if not _is_node(child):
            kept.append(child)
            continue
        child_node = child
        if child_node[0].endswith("List"):
            lists.setdefault(child_node[0], []).append(
                (child_node[0][:-4], child_node[1], child_node[2]))
        elif child_node[0] == "childEPCs":
            child_epcs.append(("epc", child_node[1], []))
        else:
            kept.append(_corrected(child_node))
    for list_name, elements in lists.items():
        if list_name in _PAIRED_LISTS:
            kept.append((list_name, "", [Group(tuple(_parts(element))) for element in elements]))
        else:
            kept.append(_corrected((list_name, "", list(elements))))
    if child_epcs:
        kept.append(("childEPCs", "", child_epcs))
    if name in ("inputEPC", "outputEPC"):
        name = "epc"
    elif name in ("inputQuantity", "outputQuantity", "childQuantity") or \
            (name == "quantity" and kept):
        name = "quantityElement"
    return (name, value, kept)


def _parts(element: Node) -> list[Node]:
    """The first two parts of a source, destination or business transaction."""
    return [part for part in element[2] if _is_node(part)][:2]


# -- the walk in canonical order ------------------------------------------------------


def _in_order(children: list[Item], order: Order) -> str:
    """The pre-hash string of ``children`` in ``order``. Every child it uses up is removed
    from ``children``, so what is left is hashed afterwards as extensions."""
    extensions = _nested_extensions(children)
    parts: list[str] = []
    for name, inner in order:
        values: list[str] = []
        for node in [c for c in children if _is_node(c) and c[0] == name]:
            text = _node_string(node, inner)
            if text:
                values.append(text)
            if not node[2]:
                children.remove(node)
        values.sort()
        parts.extend(values)
    text = "".join(parts)
    if extensions:
        text += _remaining(extensions)
    return text


def _nested_extensions(children: list[Item]) -> list[Item]:
    """Extensions inside a standard field (readPoint, sensorElement, sensorReport …), which
    are hashed at the end of that field; removed from ``children``. Top-level extensions
    are hashed with the remaining elements instead."""
    if len(children) <= 1:
        return []
    if any(_is_node(c) and ("eventTime" in c[0] or "action" in c[0]) for c in children):
        return []
    found: list[Item] = [c for c in children if _is_node(c) and "{" in c[0] and "/}" in c[0]]
    for child in found:
        children.remove(child)
    return found


def _node_string(node: Node, inner: Order | None) -> str:
    name, value, children = node
    nested = _in_order(children, inner) if inner else ""
    text = value.strip()
    if text:
        lowered = name.lower()
        text = _utc_millis(text) if "time" in lowered and "offset" not in lowered \
            else _canonical_value(text)
        text = "=" + text if text else ""
    if text or nested:
        return name + text + nested
    return ""


def _remaining(children: Sequence[Item]) -> str:
    """Elements outside the canonical order (extensions, ILMD, source and destination
    lists …): ``name=value`` and their children, sorted unless they are the two parts of
    a source, destination or business transaction."""
    values: list[str] = []
    for child in children:
        if isinstance(child, Group):
            values.append(_remaining(child.parts))
            continue
        name, value, grand = child
        text = value.strip()
        if text:
            text = "=" + _canonical_value(text)
        values.append(name + text + _remaining(grand))
    if len(children) > 1 and not any(_is_node(c) and c[0] in _PAIRED for c in children):
        values.sort()
    return "".join(values)


# -- values ---------------------------------------------------------------------------


def _canonical_value(text: str) -> str:
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


def _utc_millis(text: str) -> str:
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
    moment += timedelta(milliseconds=millis)
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        hours, minutes = int(zone[1:3]), int(zone[-2:])
        moment -= sign * timedelta(hours=hours, minutes=minutes)
    moment = moment.replace(tzinfo=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
