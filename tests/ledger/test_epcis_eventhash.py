"""The CBV 2.0 event hash against the official vectors (the reference implementation's
examples, ``tests/vectors/epcis/eventhash``): every event's pre-hash string and hash id,
byte for byte; and the hash's own promises: the order of keys and of list entries, and
how an identifier or a vocabulary term is written, do not change an event's id."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.epcis.epcuris import normalise_identifier
from ledger.epcis.eventhash import (
    context_namespaces,
    document_events,
    event_hash_id,
    event_prehash,
    hash_id,
)
from ledger.epcis.vocabulary import TERMS
from tests.conftest import CONFORMANCE

VECTORS = CONFORMANCE / "epcis" / "eventhash"
DOCUMENTS = sorted(VECTORS.glob("*.jsonld"))


def _lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line]


@pytest.mark.parametrize("document", DOCUMENTS, ids=[path.stem for path in DOCUMENTS])
def test_every_vector_reproduces_its_prehash_string_and_hash_id(document: Path) -> None:
    parsed = json.loads(document.read_text(encoding="utf-8"))
    namespaces = context_namespaces(parsed["@context"])
    prehashes = [event_prehash(event, namespaces) for event in document_events(parsed)]
    assert prehashes == _lines(document.with_suffix(".prehashes"))
    assert [hash_id(text) for text in prehashes] == _lines(document.with_suffix(".hashes"))


def test_there_are_thirteen_vector_documents() -> None:
    # A vector lost in a copy would pass silently: the count is the upstream folder's.
    assert len(DOCUMENTS) == 13


def test_the_vocabulary_terms_are_the_epcis_contexts() -> None:
    context = json.loads((CONFORMANCE / "epcis" / "epcis-context.jsonld")
                         .read_text(encoding="utf-8"))["@context"]
    report = context["sensorElementList"]["@context"]["sensorReport"]["@context"]
    sources = {
        "bizStep": context["bizStep"]["@context"],
        "disposition": context["disposition"]["@context"],
        "persistentDisposition.set": context["persistentDisposition"]["@context"][0],
        "bizTransactionList.type": context["bizTransactionList"]["@context"]["type"]["@context"],
        "sourceList.type": context["sourceList"]["@context"]["type"]["@context"],
        "destinationList.type": context["destinationList"]["@context"]["type"]["@context"],
        "sensorElementList.sensorReport.type": report["type"]["@context"],
        "sensorElementList.sensorReport.exception": report["exception"]["@context"],
        "sensorElementList.sensorReport.component": report["component"]["@context"],
        "errorDeclaration.reason": context["errorDeclaration"]["@context"]["reason"]["@context"],
    }
    prefixes = {"cbv": "https://ref.gs1.org/cbv/", "gs1": "https://gs1.org/voc/"}
    for path, terms in sources.items():
        expected = {term: prefixes[curie.split(":", 1)[0]] + curie.split(":", 1)[1]
                    for term, curie in terms.items()
                    if not term.startswith("@") and isinstance(curie, str) and term != "epcis"}
        assert dict(TERMS[path]) == expected, path


def test_identifiers_in_any_gs1_form_name_the_same_key() -> None:
    lot = "https://id.gs1.org/01/04012345123456/10/Lot987"
    assert normalise_identifier("urn:epc:class:lgtin:4012345.012345.Lot987") == lot
    assert normalise_identifier("https://example.com/01/4012345123456/10/Lot987?x=1") == lot
    assert normalise_identifier("https://shop.example/gtin/04012345123456/lot/Lot987") == lot
    assert normalise_identifier("https://id.gs1.org/01/04012345123456/10/L/21/7") == \
        "https://id.gs1.org/01/04012345123456/21/7"  # the finest level only
    assert normalise_identifier("http://127.0.0.1:8000/lots/KC1") is None  # no GS1 key


EVENT: dict[str, Any] = json.loads((VECTORS / "epcisDocWithVariousEventTypes.jsonld")
                                   .read_text(encoding="utf-8"))["epcisBody"]["eventList"][1]


def _shuffled(value: Any, rng: random.Random) -> Any:
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        # a source's or transaction's two parts keep their order (type, then value)
        if {"source", "destination", "bizTransaction"} & set(value):
            items = list(value.items())
        return {key: _shuffled(item, rng) for key, item in items}
    if isinstance(value, list):
        items = [_shuffled(item, rng) for item in value]
        rng.shuffle(items)
        return items
    return value


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32))
def test_key_and_list_order_do_not_change_the_id(seed: int) -> None:
    rng = random.Random(seed)
    assert event_hash_id(_shuffled(EVENT, rng), {}) == event_hash_id(EVENT, {})


def test_every_field_is_in_the_id() -> None:
    # A hash that ignored a field could not tell a changed event from the original.
    base = event_hash_id(EVENT, {})
    for name in ("eventTime", "bizStep", "readPoint", "sourceList", "destinationList",
                 "bizTransactionList", "epcList"):
        changed = {key: value for key, value in EVENT.items() if key != name}
        assert event_hash_id(changed, {}) != base, name
    assert event_hash_id({**EVENT, "recordTime": "2030-01-01T00:00:00Z"}, {}) == base


def test_a_bare_term_a_cbv_uri_and_a_cbv_urn_give_the_same_id() -> None:
    urn = {**EVENT, "bizStep": "urn:epcglobal:cbv:bizstep:receiving"}
    uri = {**EVENT, "bizStep": "https://ref.gs1.org/cbv/BizStep-receiving"}
    assert event_hash_id(urn, {}) == event_hash_id(uri, {}) == event_hash_id(EVENT, {})
