"""Exports for inspectors: the traceability spreadsheet (``GET /exports/trace.xlsx`` and
``GET /exports/trace.csv``) and the scan report (``GET /exports/scans.csv``).

Both need a token; who may export what is ``ledger.exports.access`` (inspectors and admin
tokens everything; an organisation the lots it produced or held and its own GTINs). A trace
is built before the answer starts, so a refusal (400 naming the field or the row limit, 403,
404) is a plain JSON error and nothing half-written: the workbook is written to a temporary
file (constant memory) and sent from it; the CSV is streamed as it is written from rows
sorted within bounded memory (``ledger.exports.sorting``).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, Response, StreamingResponse
from starlette.background import BackgroundTask

from api.deps import CallerDep, LedgerDep, LogDep, ServicesDep
from api.schemas import errors as documented
from ledger.access.grants import Caller
from ledger.application import Ledger
from ledger.domain.fields import gtin as parse_gtin
from ledger.domain.fields import lot_code
from ledger.domain.gtins import covers
from ledger.errors import NotFound, NotPermitted
from ledger.exports import csv as trace_csv
from ledger.exports import xlsx as trace_xlsx
from ledger.exports.access import gtin_filter, trace_allowed
from ledger.exports.query import parse_trace_query
from ledger.exports.scans import parse_day, scan_csv, scan_report
from ledger.exports.trace import Trace, build_trace
from ledger.log import TransparencyLog
from ledger.log.checkpoints import PublishedCheckpoint

__all__ = ["router"]

router = APIRouter(tags=["exports 导出"])

LotQuery = Annotated[str | None, Query(max_length=40, description="A lot code: its trace, "
                                                                   "back and forward.")]
GtinQuery = Annotated[str | None, Query(max_length=20, description="Every lot carrying this "
                                                                   "GTIN, and their lineage.")]
OrgQuery = Annotated[str | None, Query(max_length=40, description="Every lot this "
                                                                  "organisation produced, "
                                                                  "handled or was shipped.")]
RecallQuery = Annotated[str | None, Query(max_length=64, description="A recall record's hash, "
                                                                     "or the recalled lot.")]
SinceQuery = Annotated[str | None, Query(max_length=40, description="From this date "
                                                                    "(2026-09-10, UTC+8) or "
                                                                    "time with zone.")]
UntilQuery = Annotated[str | None, Query(max_length=40, description="Up to and including this "
                                                                    "date or time.")]
TRACE_ERRORS = documented(400, 401, 403, 404, 429, 503, plain=True)


@router.get("/exports/trace.xlsx", response_class=Response, responses={
    200: {"content": {trace_xlsx.MEDIA_TYPE: {}},
          "description": "the trace as a workbook: a cover sheet, then one row per record"},
    **TRACE_ERRORS})
def trace_workbook(ledger: LedgerDep, log: LogDep, services: ServicesDep, caller: CallerDep,
                   lot: LotQuery = None, gtin: GtinQuery = None, org: OrgQuery = None,
                   recall: RecallQuery = None, since: SinceQuery = None,
                   until: UntilQuery = None) -> Response:
    """追溯表 The traceability spreadsheet: one row per record of the lot, GTIN,
    organisation or recall asked for, back and forward through the lineage, with the key
    data elements of each event, sorted by time (UTC+8). Past the row limit: 400."""
    trace = _trace(ledger, log, caller, services.settings.export_rows,
                   lot=lot, gtin=gtin, org=org, recall=recall, since=since, until=until)
    handle = tempfile.NamedTemporaryFile(prefix="agritrace-trace-", suffix=".xlsx",
                                         delete=False)
    try:
        with trace, handle:
            trace_xlsx.write_xlsx(trace, handle)
    except BaseException:
        os.unlink(handle.name)
        raise
    return FileResponse(handle.name, media_type=trace_xlsx.MEDIA_TYPE,
                        filename=_file_name(trace, "xlsx"),
                        background=BackgroundTask(os.unlink, handle.name))


@router.get("/exports/trace.csv", response_class=Response, responses={
    200: {"content": {"text/csv": {}}, "description": "the trace's rows, UTF-8 with a BOM"},
    **TRACE_ERRORS})
def trace_table(ledger: LedgerDep, log: LogDep, services: ServicesDep, caller: CallerDep,
                lot: LotQuery = None, gtin: GtinQuery = None, org: OrgQuery = None,
                recall: RecallQuery = None, since: SinceQuery = None,
                until: UntilQuery = None) -> Response:
    """The same rows as CSV, streamed. The cover's figures are in the headers
    ``X-Agritrace-Rows`` and ``X-Agritrace-Checkpoint-Size``."""
    trace = _trace(ledger, log, caller, services.settings.export_rows,
                   lot=lot, gtin=gtin, org=org, recall=recall, since=since, until=until)
    checkpoint = trace.cover.checkpoint
    headers = {"Content-Disposition": f'attachment; filename="{_file_name(trace, "csv")}"',
               "X-Agritrace-Rows": str(trace.count),
               "X-Agritrace-Checkpoint-Size": str(checkpoint.size if checkpoint else 0)}
    return StreamingResponse(_streamed(trace), media_type=trace_csv.MEDIA_TYPE,
                             headers=headers)


@router.get("/exports/scans.csv", response_class=Response, responses={
    200: {"content": {"text/csv": {}}, "description": "scans per GTIN, lot and UTC day"},
    **documented(400, 401, 403, 429, plain=True)})
def scans_table(ledger: LedgerDep, services: ServicesDep, caller: CallerDep,
                gtin: GtinQuery = None, lot: LotQuery = None,
                since: Annotated[str | None, Query(max_length=10, description="First UTC day, "
                                                                              "2026-09-10.")
                                 ] = None,
                until: Annotated[str | None, Query(max_length=10, description="Last UTC day.")
                                 ] = None) -> Response:
    """扫码统计 Scans per GTIN, lot and UTC day: scans, distinct serials, serials scanned
    more than 20 times, serials scanned after best-before. Inspectors and admin tokens see
    every GTIN; an organisation the GTINs under its GS1 registrations."""
    registrations = gtin_filter(ledger, caller)
    code = parse_gtin(gtin, "gtin") if gtin else None
    if code is not None and registrations is not None and not any(
            covers(registration, code) for registration in registrations):
        raise NotPermitted(f"GTIN {code} is not under a GS1 registration of {caller.org}",
                           field="gtin")
    services.scanning.scans.flush()  # this process's counts held in memory, written first
    days = scan_report(ledger, gtin=code, lot=lot_code(lot, "lot") if lot else None,
                       since=parse_day(since, "since"), until=parse_day(until, "until"),
                       registrations=registrations)
    return Response(scan_csv(days), media_type=trace_csv.MEDIA_TYPE, headers={
        "Content-Disposition": 'attachment; filename="agritrace-scans.csv"'})


def _trace(ledger: Ledger, log: TransparencyLog, caller: Caller, limit: int, *,
           lot: str | None, gtin: str | None, org: str | None, recall: str | None,
           since: str | None, until: str | None) -> Trace:
    query = parse_trace_query(lot=lot, gtin=gtin, org=org, recall=recall, since=since,
                              until=until)
    query = trace_allowed(ledger, caller, query)
    return build_trace(ledger, query, by=exporter(ledger, caller), checkpoint=_latest(log),
                       limit=limit)


def exporter(ledger: Ledger, caller: Caller) -> str:
    """Who exports, for the cover: the organisation (by name) or the admin, and the token."""
    if caller.org is None:
        return f"管理员 admin (token {caller.token_id})"
    return f"{ledger.organisation(caller.org).name} ({caller.org}, token {caller.token_id})"


def _latest(log: TransparencyLog) -> PublishedCheckpoint | None:
    try:
        return log.latest_checkpoint()
    except NotFound:
        return None


def _streamed(trace: Trace) -> Iterator[bytes]:
    with trace:
        yield from trace_csv.csv_chunks(trace)


def _file_name(trace: Trace, suffix: str) -> str:
    words = re.sub(r"[^A-Za-z0-9._=-]+", "_", trace.cover.query)[:80]
    return f"agritrace-trace-{words}.{suffix}"
