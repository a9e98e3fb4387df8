"""Building blocks for EPCIS capture tests: a second, empty store on the same backend, and
capturing an exported document into it the way its organisations would, each its own events
(runs of consecutive events recorded by the same organisation, in document order)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from ledger.application import Ledger
from ledger.cli.context import open_log
from ledger.config import Settings
from ledger.epcis.capture import capture
from ledger.epcis.document import epcis_document, lineage_events
from ledger.epcis.jobs import CaptureJob
from ledger.epcis.source import EventSource
from tests.conftest import PG_DSN, _drop_schema

Event = dict[str, Any]


@contextmanager
def second_store(db_url: str) -> Iterator[Ledger]:
    """A fresh store beside ``db_url``'s, on the same backend."""
    schema = None
    if db_url.startswith("sqlite:///"):
        url = db_url.removesuffix(".db") + f"-{uuid.uuid4().hex[:8]}.db"
    else:
        schema = f"t_{uuid.uuid4().hex[:12]}"
        url = f"{PG_DSN}?schema={schema}"
    ledger = Ledger(Settings(db_url=url, master_key=os.urandom(32)))
    try:
        yield ledger
    finally:
        ledger.close()
        if schema:
            _drop_schema(schema)


def org_of(event: Event) -> str:
    return str(event["readPoint"]["id"]).rsplit("/", 1)[1]


def capture_as_recorded(ledger: Ledger, events: list[Event]) -> list[CaptureJob]:
    """Each organisation captures its own run of events, in document order."""
    runs: list[tuple[str, list[Event]]] = []
    for event in events:
        if runs and runs[-1][0] == org_of(event):
            runs[-1][1].append(event)
        else:
            runs.append((org_of(event), [event]))
    source = EventSource(ledger.store)
    return [capture(ledger, source, org, epcis_document(run)) for org, run in runs]


def exported(ledger: Ledger, lot: str) -> list[Event]:
    """The lot's lineage as published: events without their provenance."""
    open_log(ledger).integrate()
    document = epcis_document(lineage_events(ledger, lot))
    events: list[Event] = document["epcisBody"]["eventList"]
    return events


def lots_of(ledger: Ledger, lot: str) -> dict[str, tuple[Any, ...]]:
    """Each lot of the lineage: its quantity, unit, GTIN, parents and status."""
    found = {}
    for code in sorted({found.code for found in ledger.trace_back(lot)} |
                       {found.code for found in ledger.trace_forward(lot)}):
        state = ledger.lot(code)
        found[code] = (Decimal(state.quantity), Decimal(state.taken), Decimal(state.graded),
                       Decimal(state.packed), state.unit, state.gtin,
                       tuple(sorted(state.parents)), state.recalled, state.held)
    return found
