"""``agritrace export trace|scans``: the traceability spreadsheet and the scan report, for
inspectors, straight from the store.

``export trace`` takes one of ``--lot``, ``--gtin``, ``--org`` or ``--recall`` and/or a
date range, and writes ``-o F.xlsx`` (a workbook with a cover sheet) or ``-o F.csv`` (UTF-8
with a BOM), chosen by the suffix; the log is integrated first so every row has its leaf
index. The file is written beside its name and renamed into place when complete, so a
refused or failed export leaves nothing half-written. The command line acts as the local
operator and sees everything (docs/exports.md).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from ledger.access.tokens import local_operator
from ledger.cli.context import DbOption, err, open_log, opened
from ledger.cli.errors import EXIT_INVALID, fail
from ledger.cli.groups import app
from ledger.domain.fields import gtin as parse_gtin
from ledger.domain.fields import lot_code
from ledger.errors import NotFound
from ledger.exports.cover import cover_lines
from ledger.exports.csv import csv_chunks
from ledger.exports.query import parse_trace_query
from ledger.exports.scans import parse_day, scan_csv, scan_report
from ledger.exports.trace import DEFAULT_LIMIT, build_trace
from ledger.exports.xlsx import write_xlsx
from ledger.log.checkpoints import PublishedCheckpoint

__all__: list[str] = []

export_app = typer.Typer(help="Exports 导出 for inspectors: the traceability spreadsheet and "
                              "scan reports.", no_args_is_help=True)
app.add_typer(export_app, name="export")

OutputOption = Annotated[Path, typer.Option(
    "--output", "-o", dir_okay=False, help="File to write: .xlsx or .csv.")]


@export_app.command("trace")
def export_trace(output: OutputOption,
                 lot: Annotated[str | None, typer.Option(help="A lot: its trace, back and "
                                                              "forward.")] = None,
                 gtin: Annotated[str | None, typer.Option(help="Every lot carrying this "
                                                               "GTIN.")] = None,
                 org: Annotated[str | None, typer.Option(help="Every lot this organisation "
                                                              "recorded on or was shipped.")
                                ] = None,
                 recall: Annotated[str | None, typer.Option(help="A recall record's hash or "
                                                                 "the recalled lot.")] = None,
                 since: Annotated[str | None, typer.Option(help="From this date (UTC+8) or "
                                                                "time with zone.")] = None,
                 until: Annotated[str | None, typer.Option(help="Up to and including this "
                                                                "date or time.")] = None,
                 limit: Annotated[int, typer.Option(min=1, help="Refuse a trace of more "
                                                               "rows.")] = DEFAULT_LIMIT,
                 db: DbOption = None) -> None:
    """Write the trace of a lot, GTIN, organisation, recall or date range: one row per
    record, sorted by time (UTC+8)."""
    kind = output.suffix.lower()
    if kind not in (".xlsx", ".csv"):
        fail(f"--output: {output} must end in .xlsx or .csv", EXIT_INVALID)
    with opened(db) as ledger:
        query = parse_trace_query(lot=lot, gtin=gtin, org=org, recall=recall, since=since,
                                  until=until)
        log = open_log(ledger)
        log.integrate()
        try:
            checkpoint: PublishedCheckpoint | None = log.latest_checkpoint()
        except NotFound:  # an empty store: nothing to publish yet
            checkpoint = None
        with build_trace(ledger, query, by=f"命令行 command line, {local_operator()}",
                         checkpoint=checkpoint, limit=limit) as trace:
            with _replacing(output) as handle:
                if kind == ".xlsx":
                    write_xlsx(trace, handle)
                else:
                    for chunk in csv_chunks(trace):
                        handle.write(chunk)
    for label, value in cover_lines(trace.cover)[:5]:
        err.print(Text(f"{label}: {value}"), soft_wrap=True)
    err.print(Text(f"追溯表 trace → {output}"), soft_wrap=True)


@export_app.command("scans")
def export_scans(output: OutputOption,
                 gtin: Annotated[str | None, typer.Option(help="One GTIN.")] = None,
                 lot: Annotated[str | None, typer.Option(help="One lot.")] = None,
                 since: Annotated[str | None, typer.Option(help="First UTC day, "
                                                                "2026-09-10.")] = None,
                 until: Annotated[str | None, typer.Option(help="Last UTC day.")] = None,
                 db: DbOption = None) -> None:
    """Write the scan report as CSV: per GTIN, lot and UTC day, scans, distinct serials,
    serials scanned implausibly often or after best-before."""
    with opened(db) as ledger:
        days = scan_report(ledger, gtin=parse_gtin(gtin, "gtin") if gtin else None,
                           lot=lot_code(lot, "lot") if lot else None,
                           since=parse_day(since, "since"), until=parse_day(until, "until"))
        data = scan_csv(days)
    with _replacing(output) as handle:
        handle.write(data)
    err.print(Text(f"扫码统计 scans: {len(days)} rows → {output}"), soft_wrap=True)


class _replacing:  # noqa: N801 - used as a context manager, like open()
    """A temporary file beside ``target``, renamed onto it on success, removed otherwise."""

    def __init__(self, target: Path) -> None:
        self.target = target

    def __enter__(self) -> tempfile._TemporaryFileWrapper[bytes]:
        try:
            self.handle = tempfile.NamedTemporaryFile(
                dir=self.target.parent, prefix=f".{self.target.name}.", delete=False)
        except OSError as error:
            fail(f"--output: cannot write {self.target}: {error.strerror}", EXIT_INVALID)
        return self.handle

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        self.handle.close()
        if error is None:
            os.replace(self.handle.name, self.target)
        else:
            os.unlink(self.handle.name)
