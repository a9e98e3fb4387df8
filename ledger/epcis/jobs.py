"""EPCIS capture jobs as the REST bindings describe them (``GET /epcis/capture/{id}``):
``captureID``, ``createdAt``, ``finishedAt``, ``running``, ``success``,
``captureErrorBehaviour`` and ``errors``, each an RFC 7807 problem naming the event's field
by JSON pointer.

agritrace captures synchronously, all or nothing (``rollback``), so a job is stored once, when
it has finished, in the same database as the records.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select

from ledger.errors import NotFound
from ledger.persistence.store import EventStore
from ledger.persistence.tables import epcis_capture_jobs

__all__ = ["CaptureJob", "EventError", "load_job", "save_job"]


@dataclass(frozen=True)
class EventError:
    """Why the document was refused, at ``pointer`` (``/epcisBody/eventList/3/bizStep``)."""

    pointer: str
    reason: str
    error: str = "InvalidInput"
    status: int = 400

    def problem(self) -> dict[str, Any]:
        """As an RFC 7807 problem, with agritrace's ``error``, ``field`` and ``reason``."""
        kind = "epcisException:ValidationException" if self.status == 400 else \
            "epcisException:CaptureLimitExceededException" if self.status == 413 else \
            "epcisException:ValidationException"
        return {"type": kind, "title": "Capture refused", "status": self.status,
                "detail": f"{self.pointer}: {self.reason}", "instance": self.pointer,
                "error": self.error, "field": self.pointer, "reason": self.reason}


@dataclass(frozen=True)
class CaptureJob:
    capture_id: str
    org: str
    created: str
    finished: str
    success: bool
    events: int
    records: int
    errors: Sequence[EventError]

    def document(self) -> dict[str, Any]:
        """The capture job as the REST bindings' ``CaptureJob`` (with agritrace's counts)."""
        return {"captureID": self.capture_id, "createdAt": self.created,
                "finishedAt": self.finished, "running": False, "success": self.success,
                "captureErrorBehaviour": "rollback",
                "errors": [error.problem() for error in self.errors],
                "agritrace:events": self.events, "agritrace:records": self.records}


def save_job(store: EventStore, job: CaptureJob) -> None:
    errors = [[e.pointer, e.reason, e.error, e.status] for e in job.errors]
    with store.engine.begin() as connection:
        connection.execute(insert(epcis_capture_jobs).values(
            capture_id=job.capture_id, org_id=job.org, created_at=job.created,
            finished_at=job.finished, success=job.success, events=job.events,
            records=job.records, errors_json=json.dumps(errors, ensure_ascii=False)))


def load_job(store: EventStore, capture_id: str, org: str | None) -> CaptureJob:
    """The job ``capture_id`` of ``org`` (any organisation's when ``org`` is None: an
    admin); ``NotFound`` otherwise, so one organisation cannot learn of another's jobs."""
    query = select(epcis_capture_jobs).where(epcis_capture_jobs.c.capture_id == capture_id)
    with store.engine.connect() as connection:
        row = connection.execute(query).mappings().first()
    if row is None or (org is not None and row["org_id"] != org):
        raise NotFound(f"no capture job {capture_id}", field="captureID")
    errors = [EventError(*entry) for entry in json.loads(row["errors_json"])]
    return CaptureJob(row["capture_id"], row["org_id"], row["created_at"], row["finished_at"],
                      bool(row["success"]), int(row["events"]), int(row["records"]), errors)
