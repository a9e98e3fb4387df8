"""EPCIS 2.0 documents: an ``EPCISDocument`` of a lot's whole lineage (``agritrace
export-epcis``) and the ``EPCISQueryDocument`` a query answers with (``GET /epcis/events``).

A lot's lineage is the lot, every lot it was made from (through collections and gradings,
down to the harvests) and every lot made from it; the document holds the events of all
their integrated records in log order, a correction's two events together.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from ledger.application import Ledger
from ledger.domain.fields import format_time, lot_code
from ledger.epcis.mapping import CONTEXT
from ledger.epcis.source import EventSource

__all__ = ["MEDIA_TYPE", "SCHEMA_VERSION", "epcis_document", "lineage_events",
           "query_document"]

MEDIA_TYPE = "application/ld+json"
SCHEMA_VERSION = "2.0"
Event = dict[str, Any]


def lineage_lots(ledger: Ledger, lot: str) -> list[str]:
    """The lot, its ancestors and its descendants, each once, sorted."""
    code = lot_code(lot, "lot")
    found = {found.code for found in ledger.trace_back(code)}
    found.update(found.code for found in ledger.trace_forward(code))
    return sorted(found)


def lineage_events(ledger: Ledger, lot: str, source: EventSource | None = None) -> list[Event]:
    """The events of every integrated record of the lot's lineage, in log order."""
    source = source or EventSource(ledger.store)
    entries = [entry for code in lineage_lots(ledger, lot) for entry in source.lot_entries(code)]
    entries.sort(key=lambda entry: entry.leaf_index or 0)
    return [event for entry in entries for event in source.record_events(entry)]


def epcis_document(events: Sequence[Event], *, created: datetime | None = None,
                   document_id: str | None = None) -> dict[str, Any]:
    """An EPCISDocument holding ``events``."""
    document: dict[str, Any] = {
        "@context": CONTEXT,
        "type": "EPCISDocument",
        "schemaVersion": SCHEMA_VERSION,
        "creationDate": format_time(created or datetime.now(UTC)),
    }
    if document_id:
        document["id"] = document_id
    document["epcisBody"] = {"eventList": list(events)}
    return document


def query_document(events: Iterable[Mapping[str, Any]], *, query_name: str = "SimpleEventQuery",
                   created: datetime | None = None) -> dict[str, Any]:
    """An EPCISQueryDocument: the answer to a query, its events in ``resultsBody``."""
    return {
        "@context": CONTEXT,
        "type": "EPCISQueryDocument",
        "schemaVersion": SCHEMA_VERSION,
        "creationDate": format_time(created or datetime.now(UTC)),
        "epcisBody": {"queryResults": {"queryName": query_name,
                                       "resultsBody": {"eventList": list(events)}}},
    }
