"""EPCIS 2.0 event queries (REST bindings, ``GET /events``; the SimpleEventQuery
parameters of EPCIS 2.0 §8.2.7.1) over the exported events, in log order, page by page.

Supported parameters: ``eventType``, ``GE_eventTime``, ``LT_eventTime``, ``GE_recordTime``,
``LT_recordTime``, ``EQ_action``, ``EQ_bizStep``, ``EQ_disposition``, ``EQ_readPoint``,
``EQ_bizLocation``, ``EQ_transformationID``, ``EQ_eventID``, ``EXISTS_errorDeclaration``,
``MATCH_epc``, ``MATCH_anyEPC``, ``MATCH_epcClass``, ``MATCH_anyEPCClass``, ``perPage``
and ``nextPageToken``. Lists are pipe-delimited (``EQ_bizStep=shipping|receiving``) or
repeated; a value matches if it equals any. Vocabulary may be bare (``shipping``) or a CBV
URI; identifiers are compared as the event hash compares them (``urn:epc:class:lgtin:…``,
``https://id.gs1.org/01/…/10/…`` and this service's Digital Link name the same lot).

agritrace's lots are classes (LGTINs): events list them in quantity lists, so
``MATCH_epcClass``/``MATCH_anyEPCClass`` find a lot's events; ``MATCH_epc``/``MATCH_anyEPC``
look at instance lists, which agritrace's events leave empty, as the standard defines them.

Any other parameter is refused (``QueryParameterException``), naming it.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ledger.domain.fields import parse_time
from ledger.epcis.epcuris import normalise_identifier
from ledger.epcis.source import EventSource
from ledger.epcis.vocabulary import expand_term
from ledger.errors import InvalidInput

__all__ = ["DEFAULT_PER_PAGE", "MAX_PER_PAGE", "EventQuery", "QueryPage", "run_query"]

DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 1000
EVENT_TYPES = frozenset({"ObjectEvent", "AggregationEvent", "TransactionEvent",
                         "TransformationEvent", "AssociationEvent"})
_LISTS = ("eventType", "EQ_action", "EQ_bizStep", "EQ_disposition", "EQ_readPoint",
          "EQ_bizLocation", "EQ_transformationID", "EQ_eventID", "MATCH_epc", "MATCH_anyEPC",
          "MATCH_epcClass", "MATCH_anyEPCClass")
_TIMES = ("GE_eventTime", "LT_eventTime", "GE_recordTime", "LT_recordTime")
KNOWN = frozenset(_LISTS + _TIMES + ("EXISTS_errorDeclaration", "perPage", "nextPageToken"))
_TOKEN = re.compile(r"(\d{1,18})\.(\d{1,3})")

Event = Mapping[str, Any]


def _uri(value: str) -> str:
    return normalise_identifier(value) or value


@dataclass(frozen=True)
class EventQuery:
    """A parsed query; ``matches`` says whether an event answers it."""

    lists: Mapping[str, frozenset[str]] = field(default_factory=dict)
    times: Mapping[str, datetime] = field(default_factory=dict)
    error_declared: bool | None = None
    per_page: int = DEFAULT_PER_PAGE
    start: tuple[int, int] = (0, 0)  # leaf index, events of that record already given

    @classmethod
    def parse(cls, parameters: Iterable[tuple[str, str]]) -> EventQuery:
        """Parse query parameters (name, value) as a URL gives them, repeats included;
        raises ``InvalidInput`` naming the parameter."""
        raw: dict[str, list[str]] = {}
        for name, value in parameters:
            if name not in KNOWN:
                raise InvalidInput("is not a query parameter this repository supports; "
                                   f"supported: {', '.join(sorted(KNOWN))}", field=name)
            raw.setdefault(name, []).append(value)
        lists: dict[str, frozenset[str]] = {}
        for name in _LISTS:
            if name in raw:
                values = [part for value in raw[name] for part in value.split("|")]
                if not all(part.strip() for part in values):
                    raise InvalidInput("must not hold an empty value", field=name)
                lists[name] = frozenset(_normalised(name, part.strip()) for part in values)
        unknown_types = lists.get("eventType", frozenset()) - EVENT_TYPES
        if unknown_types:
            raise InvalidInput(f"must be among {', '.join(sorted(EVENT_TYPES))}",
                               field="eventType")
        times = {name: parse_time(_single(raw, name), name) for name in _TIMES if name in raw}
        declared = None
        if "EXISTS_errorDeclaration" in raw:
            flag = _single(raw, "EXISTS_errorDeclaration").lower()
            if flag not in ("true", "false", ""):
                raise InvalidInput("must be true or false", field="EXISTS_errorDeclaration")
            declared = flag != "false"
        return cls(lists=lists, times=times, error_declared=declared,
                   per_page=_per_page(raw), start=_token(raw))

    def matches(self, event: Event) -> bool:
        lists, times = self.lists, self.times
        checks: Sequence[tuple[str, Iterable[str]]] = (
            ("eventType", [event.get("type", "")]),
            ("EQ_action", [event.get("action", "")]),
            ("EQ_bizStep", [expand_term("bizStep", event.get("bizStep", ""))]),
            ("EQ_disposition", [expand_term("disposition", event.get("disposition", ""))]),
            ("EQ_readPoint", [_uri(_id(event.get("readPoint")))]),
            ("EQ_bizLocation", [_uri(_id(event.get("bizLocation")))]),
            ("EQ_transformationID", [_uri(event.get("transformationID", ""))]),
            ("EQ_eventID", [event.get("eventID", "")]),
            ("MATCH_epc", _epcs(event, ("epcList", "childEPCs"))),
            ("MATCH_anyEPC", [*_epcs(event, ("epcList", "childEPCs", "inputEPCList",
                                             "outputEPCList")), *_epcs(event, ("parentID",))]),
            ("MATCH_epcClass", _classes(event, ("quantityList", "childQuantityList"))),
            ("MATCH_anyEPCClass", _classes(event, ("quantityList", "childQuantityList",
                                                   "inputQuantityList",
                                                   "outputQuantityList"))),
        )
        for name, values in checks:
            wanted = lists.get(name)
            if wanted is not None and wanted.isdisjoint(values):
                return False
        for name, bound in times.items():
            field_name = "eventTime" if name.endswith("eventTime") else "recordTime"
            value = event.get(field_name)
            if value is None:
                return False
            moment = parse_time(value, field_name)
            if (moment < bound) if name.startswith("GE_") else (moment >= bound):
                return False
        if self.error_declared is not None and \
                ("errorDeclaration" in event) != self.error_declared:
            return False
        return True


def _normalised(name: str, value: str) -> str:
    if name == "EQ_bizStep":
        return expand_term("bizStep", value)
    if name == "EQ_disposition":
        return expand_term("disposition", value)
    if name in ("eventType", "EQ_action", "EQ_eventID"):
        return value
    return _uri(value)


def _single(raw: Mapping[str, list[str]], name: str) -> str:
    if len(raw[name]) != 1:
        raise InvalidInput("must be given once", field=name)
    return raw[name][0]


def _per_page(raw: Mapping[str, list[str]]) -> int:
    if "perPage" not in raw:
        return DEFAULT_PER_PAGE
    value = _single(raw, "perPage")
    if not value.isdigit() or not 1 <= int(value) <= MAX_PER_PAGE:
        raise InvalidInput(f"must be a whole number from 1 to {MAX_PER_PAGE}", field="perPage")
    return int(value)


def _token(raw: Mapping[str, list[str]]) -> tuple[int, int]:
    if "nextPageToken" not in raw:
        return (0, 0)
    value = _single(raw, "nextPageToken")
    try:
        decoded = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise InvalidInput("is not a page token this repository gave", field="nextPageToken") \
            from error
    found = _TOKEN.fullmatch(decoded)
    if found is None:
        raise InvalidInput("is not a page token this repository gave", field="nextPageToken")
    return int(found.group(1)), int(found.group(2))


def page_token(leaf_index: int, given: int) -> str:
    """The opaque token of the position after ``given`` events of record ``leaf_index``."""
    return base64.urlsafe_b64encode(f"{leaf_index}.{given}".encode()).decode().rstrip("=")


def _id(value: Any) -> str:
    return str(value.get("id", "")) if isinstance(value, Mapping) else ""


def _epcs(event: Event, names: Sequence[str]) -> list[str]:
    found: list[str] = []
    for name in names:
        value = event.get(name)
        if isinstance(value, str):
            found.append(_uri(value))
        elif isinstance(value, list):
            found.extend(_uri(item) for item in value if isinstance(item, str))
    return found


def _classes(event: Event, names: Sequence[str]) -> list[str]:
    return [_uri(str(element.get("epcClass", ""))) for name in names
            for element in event.get(name) or [] if isinstance(element, Mapping)]


@dataclass(frozen=True)
class QueryPage:
    """One page of answers and the token of the next, if there is more."""

    events: list[Event]
    next_token: str | None


def run_query(source: EventSource, query: EventQuery) -> QueryPage:
    """The events answering ``query`` from its position on, at most ``per_page``."""
    found: list[Event] = []
    leaf, skip = query.start
    for entry, events in _from(source, leaf):
        leaf_index = entry
        for position, event in enumerate(events):
            if leaf_index == leaf and position < skip:
                continue
            if not query.matches(event):
                continue
            if len(found) == query.per_page:
                return QueryPage(found, page_token(leaf_index, position))
            found.append(event)
    return QueryPage(found, None)


def _from(source: EventSource, leaf: int) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    for entry in source.log_entries(leaf):
        yield entry.leaf_index or 0, source.record_events(entry)
