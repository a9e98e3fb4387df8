"""The CBV 2.0 EPCIS Event Hash ID: an event's canonical pre-hash string and its
``ni:///sha-256;<hex>?ver=CBV2.0`` name (GS1 CBV 2.0 §8.9; RFC 6920).

The pre-hash string lists an event's fields in the canonical property order, ``key=value``
without separators; lists sorted; times in UTC at millisecond precision; numbers without
trailing zeros; CBV bare strings and CBV URNs as CBV Web URIs; GS1 keys as constrained
canonical Digital Link URIs (``ledger.epcis.epcuris``); user extensions and ILMD as
``{namespace}name=value``, sorted. ``recordTime``, ``eventID`` and ``errorDeclaration`` are
left out, so an event's id does not change when it is stored, named or declared in error.

Two routes give the same string. An event of the usual shape is written in one pass
(``ledger.epcis.prehashwriter``, several times faster: exports and captures hash every
event); any other goes the general way, the reference implementation's tree walk
(``ledger.epcis.prehashtree``, github.com/RalphTro/epcis-event-hash-generator, MIT licence,
whose examples are the official vectors). One difference from the reference, on purpose: a
bare vocabulary string is expanded by the field it is in (``ledger.epcis.vocabulary``), as
the EPCIS JSON-LD context defines it. The reference guesses from every CBV URI anywhere in
the document, so another event of the same document could change an event's id. Every
official vector gives the same string either way (``tests/ledger/test_epcis_eventhash.py``).

Pure: standard library only, no I/O.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from typing import Any

from ledger.epcis.prehashtree import tree_prehash
from ledger.epcis.prehashwriter import written_prehash

__all__ = [
    "HASH_VERSION",
    "context_namespaces",
    "document_events",
    "event_hash_id",
    "event_prehash",
    "hash_id",
]

HASH_VERSION = "CBV2.0"


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
    written = written_prehash(event, namespaces)
    return written if written is not None else tree_prehash(event, namespaces)


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
