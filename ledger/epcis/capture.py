"""Capturing an EPCIS 2.0 document: its events recorded as agritrace steps, signed by the
capturing organisation, all or nothing.

1. ``check_document``: an EPCISDocument (or EPCISQueryDocument) within the advertised event
   limit, valid against the EPCIS JSON schema (``ledger.epcis.schema``). A refusal here is the
   REST bindings' 400 or 413: nothing was received.
2. ``capture``, per event, before anything is written: an ``eventID`` that is a CBV 2.0 hash
   id must be the hash of the event's content (``ledger.epcis.mapping.content_of``); no
   event twice, in the document, among events captured before, or among the events this
   ledger's own records export as; the read point, when it is one of this ledger's
   organisations, is the caller; the event maps to a step (``ledger.epcis.inverse``), and the
   records a step makes beside its own are the ones the document lists for it.
3. Every step is recorded in one unit of work through the recording pipeline, so the
   ledger's rules (custody, held and recalled lots, quantities, GTIN registrations) apply
   as to any recording; the first refusal ends the capture and nothing is written.
4. The captured event ids are claimed (a table keyed by id, so two captures of the same
   event cannot both succeed), the unit of work commits, and the finished job is stored.

Signatures and record hashes an exported event carries are never taken over: a record is
built and signed here, by the capturing organisation's key. Captured again into a fresh
store, an exported lineage therefore makes the same lots, quantities and lineage, and each
event exports again with the same id, since an id covers the event's content only.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from ledger.application import Ledger
from ledger.epcis.eventhash import context_namespaces, event_hash_id
from ledger.epcis.inverse import Part, Step, step_of
from ledger.epcis.jobs import CaptureJob, EventError, save_job
from ledger.epcis.mapping import content_of
from ledger.epcis.schema import schema_errors
from ledger.epcis.source import EventSource
from ledger.errors import InvalidInput, LedgerError
from ledger.persistence.tables import epcis_captured_events
from ledger.persistence.work import UnitOfWork
from ledger.recording.records import now

__all__ = ["DEFAULT_EVENT_LIMIT", "capture", "check_document", "events_of"]

DEFAULT_EVENT_LIMIT = 1000
HASH_PREFIX, HASH_SUFFIX = "ni:///sha-256;", "?ver=CBV2.0"
_STATUS = {"NotPermitted": 403, "NotCustodian": 403, "NotFound": 404, "LotNotFound": 404,
           "OrganisationNotFound": 404, "AlreadyExists": 409, "ChainConflict": 409}
Event = Mapping[str, Any]
_STARTS = frozenset({"Harvested", "Collected"})  # steps whose lot is new (else refused)


def events_of(document: Mapping[str, Any]) -> tuple[str, list[Event]]:
    """The JSON pointer of the document's event list, and its events."""
    body = document.get("epcisBody") or {}
    if "queryResults" in body:
        return ("/epcisBody/queryResults/resultsBody/eventList",
                list(body["queryResults"].get("resultsBody", {}).get("eventList") or []))
    return "/epcisBody/eventList", list(body.get("eventList") or [])


def check_document(document: Any, event_limit: int = DEFAULT_EVENT_LIMIT) -> list[EventError]:
    """Why the document cannot be received at all (413 over the event limit, else 400)."""
    if not isinstance(document, Mapping) or \
            document.get("type") not in ("EPCISDocument", "EPCISQueryDocument"):
        return [EventError("/type", "must be an EPCISDocument (or an EPCISQueryDocument)")]
    where, events = events_of(document)
    if len(events) > event_limit:
        return [EventError(where, f"holds {len(events)} events; this repository captures at "
                                  f"most {event_limit} at once (GS1-EPCIS-Capture-Limit)",
                           "CaptureLimitExceeded", 413)]
    if not events:
        return [EventError(where, "holds no event to capture")]
    return [EventError(pointer, reason, "SchemaViolation")
            for pointer, reason in schema_errors(document)]


@dataclass
class _Plan:
    """What the checks of step 2 found: the steps in order, each with its event."""

    ids: list[str] = field(default_factory=list)  # each event's id (given, else its hash)
    steps: list[tuple[int, Step]] = field(default_factory=list)
    corrections: dict[int, tuple[Step, Step, str, str]] = field(default_factory=dict)
    parts: list[tuple[int, Part]] = field(default_factory=list)
    errors: list[EventError] = field(default_factory=list)


def capture(ledger: Ledger, source: EventSource, org: str,
            document: Mapping[str, Any]) -> CaptureJob:
    """Capture a document ``check_document`` accepted, for ``org``; the finished job,
    stored. Nothing is recorded unless every event is."""
    created = now()
    where, events = events_of(document)
    namespaces = context_namespaces(document.get("@context"))
    plan = _plan(source, org, events, where, namespaces)
    records = 0
    if not plan.errors:
        plan.errors, records = _record(ledger, source, org, plan, where)
    job = CaptureJob(uuid.uuid4().hex, org, created, now(), not plan.errors, len(events),
                     records, plan.errors)
    save_job(ledger.store, job)
    return job


# -- step 2: every check that needs no writing ---------------------------------------------


def _plan(source: EventSource, org: str, events: Sequence[Event], where: str,
          namespaces: Mapping[str, str]) -> _Plan:
    plan = _Plan()
    seen: dict[str, int] = {}
    corrective = {str(target) for event in events
                  for target in (event.get("errorDeclaration") or {}).get("correctiveEventIDs")
                  or []}
    by_id: dict[str, Event] = {}
    for i, event in enumerate(events):
        at = f"{where}/{i}"
        own = {**namespaces, **context_namespaces(event.get("@context"))}
        content = {k: v for k, v in content_of(event).items() if k != "@context"}
        computed = event_hash_id(content, own)
        given = event.get("eventID")
        identifier = given if isinstance(given, str) and given else computed
        plan.ids.append(identifier)
        by_id.setdefault(identifier, event)
        declared = "errorDeclaration" in event
        if isinstance(given, str) and given.startswith(HASH_PREFIX) and \
                given.endswith(HASH_SUFFIX) and given != computed:
            plan.errors.append(EventError(f"{at}/eventID", "is a CBV 2.0 hash id that does not "
                                          f"match the event's content (its hash is {computed})"))
            continue
        if identifier in seen and not declared:
            plan.errors.append(EventError(f"{at}/eventID", f"repeats event {seen[identifier]} "
                                          "of this document"))
            continue
        seen.setdefault(identifier, i)
        if identifier in corrective and not declared:
            continue  # recorded with the declaration that names it
        try:
            _read_point(source, org, event)
            if declared:
                plan.corrections[i] = _correction(source, event, by_id, events)
            else:
                mapped = step_of(source.identities, event)
                if isinstance(mapped, Part):
                    plan.parts.append((i, mapped))
                else:
                    plan.steps.append((i, mapped))
        except InvalidInput as error:
            plan.errors.append(EventError(f"{at}/{error.field}" if error.field else at,
                                          error.reason))
    made = {made for _, step in plan.steps for made in step.makes}
    recalled = {step.lot for _, step in plan.steps if step.step == "Recalled"}
    for i, part in plan.parts:
        if (part.step, part.lot) not in made and part.by not in recalled:
            plan.errors.append(EventError(
                f"{where}/{i}", f"is the {part.step} record of lot {part.lot} that a step makes "
                "beside its own, and no event of this document records that step"))
    return plan


def _read_point(source: EventSource, org: str, event: Event) -> None:
    prefix = source.identities.base + "/orgs/"
    point = (event.get("readPoint") or {}).get("id")
    if isinstance(point, str) and point.startswith(prefix) and point != \
            source.identities.organisation(org):
        raise InvalidInput(f"names organisation {point.removeprefix(prefix)} as where it "
                           f"was recorded; a capture records events as the caller ({org}), "
                           "so each organisation captures its own events",
                           field="readPoint/id")


def _correction(source: EventSource, event: Event, by_id: Mapping[str, Event],
                events: Sequence[Event]) -> tuple[Step, Step, str, str]:
    """The declared event's step, its corrective event's step, the declared id and why."""
    declaration = event["errorDeclaration"]
    targets = declaration.get("correctiveEventIDs") or []
    corrective = next((e for e in events if targets and e.get("eventID") == targets[0]), None)
    if corrective is None:
        raise InvalidInput("a declaration in error is captured with its corrective event; "
                           "this document holds none it names",
                           field="errorDeclaration/correctiveEventIDs")
    before = step_of(source.identities, {k: v for k, v in event.items()
                                         if k != "errorDeclaration"})
    after = step_of(source.identities, corrective)
    if not isinstance(before, Step) or not isinstance(after, Step) or \
            (before.step, before.lot) != (after.step, after.lot):
        raise InvalidInput("corrects a record that is not a step of its own, or its "
                           "corrective event is another step or lot", field="errorDeclaration")
    reason = declaration.get("agritrace:reason") or \
        f"EPCIS error declaration: {declaration.get('reason') or 'no reason given'}"
    return before, after, str(event.get("eventID", "")), str(reason)


# -- step 3 and 4: recording ---------------------------------------------------------------


def _record(ledger: Ledger, source: EventSource, org: str, plan: _Plan,
            where: str) -> tuple[list[EventError], int]:
    known = _Known(source)
    work = UnitOfWork(ledger.store)
    order = sorted([*plan.steps, *((i, c[0]) for i, c in plan.corrections.items())],
                   key=lambda item: item[0])
    known.load_captured([plan.ids[i] for i, _ in order])
    for i, step in order:
        if i not in plan.corrections and known.exists(plan.ids[i], step.lot,
                                                      new_lot=step.step in _STARTS):
            return [EventError(f"{where}/{i}/eventID", "this event is already recorded here",
                               "AlreadyExists", 409)], 0
        try:
            _record_step(ledger, work, org, plan, i, step, known)
        except LedgerError as error:
            name = type(error).__name__
            return [EventError(f"{where}/{i}", f"{step.step} of lot {step.lot} refused: "
                               f"{error.reason}" + (f" ({error.field})" if error.field else ""),
                               name, _STATUS.get(name, 409 if error.rule else 400))], 0
    claimed = {plan.ids[i]: known.ids.get(plan.ids[i], "") for i, _ in order}
    try:
        _claim(ledger, claimed)
    except IntegrityError:
        return [EventError(where, "an event of this document was captured meanwhile",
                           "AlreadyExists", 409)], 0
    try:
        work.commit()
    except BaseException:
        _release(ledger, list(claimed))
        raise
    return [], len(work.appended)


def _record_step(ledger: Ledger, work: UnitOfWork, org: str, plan: _Plan, i: int,
                 step: Step, known: _Known) -> None:
    before = len(work.appended)
    data, lot = dict(step.data), step.lot
    if i in plan.corrections:
        old, new, declared, reason = plan.corrections[i]
        data = {"corrects": known.record_of(declared, old.lot), "reason": reason,
                "values": {k: v for k, v in new.data.items() if old.data.get(k) != v}}
        step = Step("Corrected", lot, data, step.time)
    basis = data.pop("basis_event", None)
    if basis:
        data["basis_record"] = known.record_of(str(basis), lot)
    if step.step == "Collected":
        data, lot_arg = {"into": lot, **data}, None
    else:
        lot_arg = lot
    ledger.pipeline.record(work, org, step.step, data, lot=lot_arg, time=step.time)
    if step.step in _STARTS:
        known.started.add(step.lot)
    for record in work.appended[before:]:
        if record.chain == f"lot/{step.lot}":
            known.remember(plan.ids[i], record.hash_hex)
            break


class _Known:
    """Event ids already in this ledger: captured before, exported by its own records, or
    recorded earlier in this capture, each with its record's hash."""

    def __init__(self, source: EventSource) -> None:
        self.source = source
        self.ids: dict[str, str] = {}
        self.captured: set[str] = set()
        self.started: set[str] = set()  # lots this capture started: none of theirs is stored
        self._lots: set[str] = set()

    def remember(self, event_id: str, record: str) -> None:
        self.ids.setdefault(event_id, record)

    def _load(self, lot: str) -> None:
        if lot in self._lots:
            return
        self._lots.add(lot)
        for entry in self.source.facts(lot, 1 << 62).entries:
            mapped = self.source.record_events(entry) if entry.leaf_index is not None \
                else self.source.mapper.events(entry)
            self.ids.setdefault(mapped[0]["eventID"], entry.record.hash_hex)
            for event in mapped[1:]:
                self.ids.setdefault(event["eventID"], entry.record.hash_hex)

    def load_captured(self, ids: Sequence[str]) -> None:
        """Which of ``ids`` earlier captures recorded: one query per 500."""
        self.captured = set()
        unique = list(dict.fromkeys(ids))
        with self.source.store.engine.connect() as connection:
            for start in range(0, len(unique), 500):
                query = select(epcis_captured_events.c.event_id).where(
                    epcis_captured_events.c.event_id.in_(unique[start:start + 500]))
                self.captured.update(str(row[0]) for row in connection.execute(query))

    def exists(self, event_id: str, lot: str, *, new_lot: bool) -> bool:
        """Whether this ledger holds the event already; a step starting a lot is not looked
        for among the lot's records (a lot that exists refuses it anyway), nor is a step of
        a lot this capture started (its records are only in this unit of work, remembered)."""
        if event_id in self.captured:
            return True
        if not new_lot and lot not in self.started:
            self._load(lot)
        return event_id in self.ids

    def record_of(self, event_id: str, lot: str) -> str:
        """The hash of the record behind ``event_id`` (of ``lot`` or a lot before it)."""
        self._load(lot)
        if event_id not in self.ids:
            for entry in self.source.facts(lot, 1 << 62).entries[:1]:
                genesis = entry.record.data
                for parent in [p["lot"] for p in genesis.get("purchases", [])] + \
                        ([genesis["from"]] if isinstance(genesis.get("from"), str) else []):
                    self._load(str(parent))
        found = self.ids.get(event_id)
        if found is None:
            query = select(epcis_captured_events.c.record).where(
                epcis_captured_events.c.event_id == event_id)
            with self.source.store.engine.connect() as connection:
                row = connection.execute(query).first()
            found = None if row is None else str(row[0])
        if found is None:
            raise InvalidInput(f"refers to event {event_id}, which this ledger does not hold",
                               field="eventID")
        return found


def _claim(ledger: Ledger, ids: Mapping[str, str]) -> None:
    rows = [{"event_id": event_id, "record": record} for event_id, record in ids.items()]
    if rows:
        with ledger.store.engine.begin() as connection:
            connection.execute(insert(epcis_captured_events), rows)


def _release(ledger: Ledger, ids: Sequence[str]) -> None:
    with ledger.store.engine.begin() as connection:
        connection.execute(delete(epcis_captured_events).where(
            epcis_captured_events.c.event_id.in_(list(ids))))
