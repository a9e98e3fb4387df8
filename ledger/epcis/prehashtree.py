"""The CBV 2.0 event pre-hash string by the general route: the JSON event turned into a
tree of ``(name, value, children)`` nodes as its XML form would be, then walked in the
canonical property order (GS1 CBV 2.0 §8.9).

The structure follows the reference implementation the official vectors come from
(github.com/RalphTro/epcis-event-hash-generator, MIT licence), including what it does with
unusual shapes (a field given once where a list is expected, extensions inside standard
fields, XML text nodes). ``ledger.epcis.eventhash`` uses it for any event the single-pass
writer (``ledger.epcis.prehashwriter``) does not take; the tests hold the writer to it.
One difference from the reference, on purpose: a bare vocabulary string is expanded by the
field it is in (``ledger.epcis.vocabulary``), as the EPCIS JSON-LD context defines it.

Pure: standard library only, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeGuard, Union

from ledger.epcis.prehashvalues import (
    canonical_value,
    expanded_curie,
    is_time,
    python_text,
    qualified,
    utc_millis,
)
from ledger.epcis.vocabulary import expand_term

__all__ = ["LEFT_OUT", "PAIRED", "PAIRED_LISTS", "PROPERTY_ORDER", "tree_prehash"]


def tree_prehash(event: Mapping[str, Any], namespaces: Mapping[str, str]) -> str:
    """The canonical pre-hash string of one EPCIS 2.0 JSON event."""
    name, _, children = _corrected(_tree(_expand_terms(event, ""), namespaces))
    return ("eventType=" + name + _in_order(children, PROPERTY_ORDER)
            + _remaining([child for child in children
                          if not _is_node(child) or child[0] not in LEFT_OUT]))


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
LEFT_OUT = frozenset({"recordTime", "eventID", "type", "errorDeclaration"})
PAIRED_LISTS = frozenset({"sourceList", "destinationList", "bizTransactionList"})
PAIRED = frozenset({"bizTransaction", "source", "destination"})


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
            name = qualified(key, namespaces)
            if isinstance(item, list):
                children.extend((name, grand[1], grand[2]) for grand in child[2]
                                if _is_node(grand))
            else:
                children.append((name, child[1], child[2]))
        if not PAIRED & set(value):
            children.sort(key=_sort_key)
        return (kind if isinstance(kind, str) else "", str(value.get("#text", "")), children)
    if isinstance(value, list):
        return ("", "", [_tree(item, namespaces) for item in value])
    if isinstance(value, str):
        return ("", expanded_curie(value, namespaces), [])
    return ("", python_text(value), [])


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
        if list_name in PAIRED_LISTS:
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
    by_name: dict[str, list[Node]] = {}  # one pass over the children, not one per name
    for child in children:
        if _is_node(child):
            by_name.setdefault(child[0], []).append(child)
    parts: list[str] = []
    used: set[int] = set()
    for name, inner in order:
        values: list[str] = []
        for node in by_name.get(name, ()):
            text = _node_string(node, inner)
            if text:
                values.append(text)
            if not node[2]:
                used.add(id(node))
        values.sort()
        parts.extend(values)
    if used:
        children[:] = [child for child in children if id(child) not in used]
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
        text = utc_millis(text) if is_time(name) else canonical_value(text)
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
            text = "=" + canonical_value(text)
        values.append(name + text + _remaining(grand))
    if len(children) > 1 and not any(_is_node(c) and c[0] in PAIRED for c in children):
        values.sort()
    return "".join(values)
