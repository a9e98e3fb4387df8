"""The single-pass pre-hash writer against the general tree walk: for every event it takes
(every agritrace step, random lots, quantities, readings and times, keys and lists in any
order) it writes the tree walk's string byte for byte, and for any other event the hash
goes the general route, so the two routes can never give an event two ids. Also the fast
UTC time writing against the plain datetime arithmetic it stands in for."""

from __future__ import annotations

import itertools
import json
import random
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ledger.application import Ledger
from ledger.demo import seed_demo
from ledger.epcis.eventhash import context_namespaces, document_events, event_prehash
from ledger.epcis.mapping import NAMESPACES, content_of
from ledger.epcis.prehashtree import tree_prehash
from ledger.epcis.prehashvalues import utc_millis
from ledger.epcis.prehashwriter import written_prehash
from ledger.epcis.source import EventSource
from ledger.errors import LedgerError
from tests.conftest import CONFORMANCE
from tests.journeys import COOP, PLATFORM, collect, grade, harvest, register_parties

VECTORS = CONFORMANCE / "epcis" / "eventhash"
_LOTS = itertools.count()


def _mapped(ledger: Ledger, lots: list[str]) -> list[dict[str, Any]]:
    """Every event the mapping makes of the lots' records, without where it is stored."""
    source = EventSource(ledger.store)
    return [content_of(event) for lot in lots for entry in source.facts(lot, 1 << 62).entries
            for event in source.mapper.events(entry)]


def _same_both_ways(event: dict[str, Any], namespaces: dict[str, str]) -> None:
    written = written_prehash(event, namespaces)
    assert written is not None, event  # the usual shape: the writer takes it
    assert written == tree_prehash(event, namespaces)


def _shuffled(value: Any, rng: random.Random) -> Any:
    """Keys and list entries in another order (a source's or transaction's two parts keep
    theirs: their order is part of the id)."""
    if isinstance(value, dict):
        items = list(value.items())
        if not {"source", "destination", "bizTransaction"} & set(value):
            rng.shuffle(items)
        return {key: _shuffled(item, rng) for key, item in items}
    if isinstance(value, list):
        items = [_shuffled(item, rng) for item in value]
        rng.shuffle(items)
        return items
    return value


def test_the_writer_takes_most_vectors_and_writes_them_as_published() -> None:
    taken = 0
    for document in sorted(VECTORS.glob("*.jsonld")):
        parsed = json.loads(document.read_text(encoding="utf-8"))
        namespaces = context_namespaces(parsed["@context"])
        expected = [line for line in document.with_suffix(".prehashes")
                    .read_text(encoding="utf-8").splitlines() if line]
        for event, prehash in zip(document_events(parsed), expected, strict=True):
            written = written_prehash(event, namespaces)
            assert written in (None, prehash), document.stem
            taken += written is not None
    # Two vector events put extensions inside sensor elements: the general route's.
    assert taken == 27


def test_every_demo_event_is_written_as_the_tree_walk_writes_it(ledger: Ledger) -> None:
    lots = seed_demo(ledger)
    events = _mapped(ledger, list(lots))
    assert len({event["type"] for event in events}) == 2
    assert len({event.get("bizStep") for event in events}) >= 6
    for event in events:
        _same_both_ways(event, dict(NAMESPACES))


def _time(draw: st.DrawFn, start: datetime, end: datetime) -> str:
    """A moment between ``start`` and ``end`` (UTC), written with one of several offsets."""
    seconds = draw(st.integers(0, int((end - start).total_seconds())))
    offset = draw(st.sampled_from([timedelta(hours=8), timedelta(0), timedelta(hours=-5.5)]))
    moment = (start + timedelta(seconds=seconds)).replace(tzinfo=UTC).astimezone(
        timezone(offset))
    text = moment.isoformat()
    return text.replace("+00:00", "Z") if draw(st.booleans()) else text


def _decimal(draw: st.DrawFn, low: int, high: int, places: int = 2) -> str:
    cents = draw(st.integers(low * 10**places, high * 10**places))
    return f"{cents / 10**places:.{places}f}".rstrip("0").rstrip(".") if cents else "0"


@st.composite
def journeys(draw: st.DrawFn) -> dict[str, Any]:
    """Random lots, quantities, readings and times for harvest → collection → grading →
    pre-cooling, storage, shipping and receiving."""
    harvests = draw(st.lists(st.integers(1, 900), min_size=1, max_size=3))
    taken = [draw(st.integers(1, amount)) for amount in harvests]
    total = sum(taken)
    graded = draw(st.integers(1, total))

    def readings(start: datetime, end: datetime,
                 kinds: tuple[str, ...]) -> list[dict[str, str]]:
        return [{"at": _time(draw, start, end),
                 **{kind: _decimal(draw, 0 if kind == "humidity_pct" else -5, 40)
                    for kind in kinds}}
                for _ in range(draw(st.integers(1, 6)))]

    return {
        "harvests": harvests, "taken": taken, "grades": [graded],
        "loss": str(total - graded), "day": draw(st.integers(1, 9)),
        "precooled": {"method": "forced-air", "started": "2026-09-10T17:00:00+08:00",
                      "ended": "2026-09-10T21:00:00+08:00",
                      "target_core_temp_c": _decimal(draw, 0, 5),
                      "reached_core_temp_c": _decimal(draw, 0, 8),
                      "readings": readings(datetime(2026, 9, 10, 9), datetime(2026, 9, 10, 13),
                                          ("temp_c",))},
        "stored": {"facility": draw(st.sampled_from(["冷库1号", "Cold store B"])),
                   "started": "2026-09-10T22:00:00+08:00", "ended": "2026-09-12T06:00:00+08:00",
                   "target_min_c": "0", "target_max_c": "4",
                   "readings": readings(datetime(2026, 9, 10, 14), datetime(2026, 9, 11, 22),
                                        draw(st.sampled_from([("temp_c",),
                                                              ("temp_c", "humidity_pct")])))},
        "received_temp": _decimal(draw, -2, 12, 1),
        "seed": draw(st.integers(0, 2**32)),
    }


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(plan=journeys())
def test_random_journeys_are_written_as_the_tree_walk_writes_them(
        ledger: Ledger, plan: dict[str, Any]) -> None:
    try:
        ledger.organisation(COOP)
    except LedgerError:  # the first example on this store
        register_parties(ledger)
    run = f"R{next(_LOTS)}"
    harvest_lots = [f"{run}H{i}" for i in range(len(plan["harvests"]))]
    for lot, amount in zip(harvest_lots, plan["harvests"], strict=True):
        harvest(ledger, lot, quantity=str(amount), day=plan["day"], household=f"HH-{lot}")
    collected, graded = f"{run}C", f"{run}G"
    collect(ledger, collected, {lot: str(q) for lot, q in zip(harvest_lots, plan["taken"],
                                                              strict=True)}, day=plan["day"])
    grade(ledger, collected, {graded: ("一级", str(plan["grades"][0]))}, loss=plan["loss"],
          day=plan["day"])
    ledger.record(COOP, "PreCooled", plan["precooled"], lot=graded)
    ledger.record(COOP, "Stored", plan["stored"], lot=graded)
    ledger.record(COOP, "Shipped", {"to": PLATFORM, "location": "冷库", "to_location": "长沙",
                                    "carrier": "冷链",
                                    "waybill": f"W{run}"}, lot=graded)
    ledger.record(PLATFORM, "Received", {"from": COOP, "location": "长沙",
                                         "temp_c": plan["received_temp"], "waybill": f"W{run}"},
                  lot=graded)
    events = _mapped(ledger, [*harvest_lots, collected, graded])
    assert len(events) >= 7
    rng = random.Random(plan["seed"])
    for event in events:
        _same_both_ways(event, dict(NAMESPACES))
        _same_both_ways(_shuffled(event, rng), dict(NAMESPACES))


# -- events of any shape: whichever route, the tree walk's string -------------------------

_NAMES = st.sampled_from(["ext:a", "ext:b", "ext:readingList", "ext:quantity", "quantity",
                          "note", "#text", "comment", "source", "ext:x"])
_SCALARS = st.one_of(st.sampled_from(["", " x ", "1.50", "ext:y", "Temperature", "storing",
                                      "urn:epc:class:lgtin:4012345.012345.L1",
                                      "2026-09-11T06:00:00.1235+08:00", "https://e.x/01/1"]),
                     st.integers(-5, 5), st.floats(-10, 10, allow_nan=False), st.booleans(),
                     st.none())
_JSON = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(_NAMES, inner, max_size=3)), max_leaves=6)


_USUAL_NAMES = st.sampled_from(["ext:a", "ext:b", "note", "cbvmda:lotNumber"])
_USUAL = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(_USUAL_NAMES, inner, max_size=3)),
    max_leaves=6).filter(lambda value: not isinstance(value, list)
                         or not any(isinstance(item, list) for item in value))


@st.composite
def foreign_events(draw: st.DrawFn) -> dict[str, Any]:
    """Events another system might send: mostly standard fields in their usual shapes and
    plain extensions, now and then a field of another shape or an odd extension name."""
    def odd() -> bool:
        return draw(st.integers(0, 9)) == 0

    event: dict[str, Any] = {"type": draw(st.sampled_from(["ObjectEvent",
                                                           "TransformationEvent"]))}
    if not odd():
        event["eventTime"] = draw(st.sampled_from(["2026-09-11T06:00:00.1235+08:00",
                                                   "2026-09-11T06:00:00Z"]))
    fields = {
        "eventTimeZoneOffset": "+08:00", "action": "OBSERVE", "bizStep": "storing",
        "disposition": "urn:epcglobal:cbv:disp:active",
        "epcList": ["urn:epc:id:sgtin:4012345.011111.1", "https://e.x/01/04012345111118/21/2"],
        "quantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.012345.L1",
                          "quantity": 2.50, "uom": "KGM"}],
        "persistentDisposition": {"set": ["recalled"], "unset": ["active"]},
        "readPoint": {"id": "https://e.x/orgs/a"},
        "sensorElementList": [{"sensorMetadata": {"time": "2026-09-11T06:00:00Z"},
                               "sensorReport": [{"type": "Temperature", "value": 1.50,
                                                 "uom": "CEL"}]}],
        "sourceList": [{"type": "possessing_party", "source": "https://e.x/orgs/a"}],
        "bizTransactionList": [{"type": "bol", "bizTransaction": "urn:x:1"}],
        "ilmd": {"ext:a": "1.0", "cbvmda:countryOfOrigin": "CN"},
    }
    for name, value in fields.items():
        if draw(st.booleans()):
            event[name] = draw(_JSON) if odd() else value
    for name in draw(st.lists(_NAMES if odd() else _USUAL_NAMES, max_size=2)):
        event[name] = draw(_JSON if odd() else _USUAL)
    if odd() and isinstance(event.get("readPoint"), dict):
        event["readPoint"] = {**event["readPoint"], "ext:inside": "y"}
    if odd() and "bizTransactionList" in event:
        event["bizTransactionList"] = [{"type": "po", "bizTransaction": "urn:x:2",
                                        "ext:extra": "z"}]
    return event


@settings(max_examples=300, deadline=None)
@given(event=foreign_events(), seed=st.integers(0, 2**32))
def test_an_event_of_any_shape_gets_the_tree_walks_string(event: dict[str, Any],
                                                          seed: int) -> None:
    namespaces = {"ext": "https://ext.example/", "cbvmda": "urn:epcglobal:cbv:mda:"}
    try:
        expected = tree_prehash(event, namespaces)
    except TypeError:  # shapes the tree walk itself cannot order (mixed types in a list)
        assume(False)
    assert event_prehash(event, namespaces) == expected
    assert event_prehash(_shuffled(event, random.Random(seed)), namespaces) == \
        tree_prehash(_shuffled(event, random.Random(seed)), namespaces)


_BASE = {"type": "ObjectEvent", "eventTime": "2026-09-11T06:00:00Z", "action": "OBSERVE"}
QUIRKS: dict[str, dict[str, Any]] = {
    # a third part of a transaction: the walk keeps the first two
    "extra part": {"bizTransactionList": [{"type": "po", "bizTransaction": "u:1", "ext:z": 1}]},
    "value first": {"sourceList": [{"source": "u:1", "type": "location"}]},
    "list extension": {"ext:readingList": ["a", "b"]},  # the walk groups …List entries
    "empty quantity": {"quantityList": [{}]},  # keeps its own name in the walk
    "quantity extension": {"quantityList": [{"epcClass": "u:1", "ext:z": 1}]},
    "place extension": {"readPoint": {"id": "u:1", "ext:z": 1}},
    "sensor extension": {"sensorElementList": [{"sensorReport": [{"value": 1}], "ext:z": 1}]},
    "text node": {"ilmd": {"#text": "t", "ext:a": 1}},
    "renamed inside": {"ilmd": {"childEPCs": ["u:1"], "quantity": {"uom": "KGM"}}},
    "top-level source": {"source": "u:1", "ext:a": "b"},
    "list as a dict": {"sourceList": {"type": "location", "source": "u:1"}},
    "empty list": {"sourceList": [], "epcList": [], "ext:a": []},
    "epcs as text": {"epcList": "urn:epc:id:sgtin:4012345.011111.1"},
    "no event time": {"eventTime": None, "action": None, "ext:a": "1", "ilmd": {"ext:b": 2}},
    "comments": {"rdfs:comment": "x", "ilmd": {"comment": "y", "ext:a": "2.50"}},
    "nested list": {"ext:a": [["x", "y"]], "certificationInfo": ["b", "a"]},
}


@pytest.mark.parametrize("extra", QUIRKS.values(), ids=list(QUIRKS))
def test_unusual_shapes_get_the_tree_walks_string(extra: dict[str, Any]) -> None:
    namespaces = {"ext": "https://ext.example/"}
    event = {key: value for key, value in {**_BASE, **extra}.items() if value is not None}
    expected = tree_prehash(event, namespaces)
    assert written_prehash(event, namespaces) in (None, expected)
    assert event_prehash(event, namespaces) == expected


# -- times --------------------------------------------------------------------------------


def _utc_millis_by_datetime(day: str, clock: str, fraction: str, zone: str) -> str:
    """The plain arithmetic: parse, round to milliseconds, shift to UTC, format."""
    moment = datetime.fromisoformat(f"{day}T{clock}")
    digits = fraction.ljust(4, "0")
    moment += timedelta(milliseconds=int(digits[:3]) + (1 if digits[3] >= "5" else 0))
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        moment -= sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[-2:]))
    moment = moment.replace(tzinfo=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@settings(max_examples=300)
@given(moment=st.datetimes(min_value=datetime(1000, 1, 2), max_value=datetime(9999, 12, 30)),
       fraction=st.text("0123456789", max_size=7),
       zone=st.sampled_from(["", "Z", "+00:00", "-00:00", "+0000", "+08:00", "-05:30"]))
def test_times_already_in_utc_are_written_as_the_datetime_arithmetic_writes_them(
        moment: datetime, fraction: str, zone: str) -> None:
    day, clock = moment.strftime("%Y-%m-%d"), moment.strftime("%H:%M:%S")
    text = f"{day}T{clock}" + (f".{fraction}" if fraction else "") + zone
    assert utc_millis(text) == _utc_millis_by_datetime(day, clock, fraction, zone)
