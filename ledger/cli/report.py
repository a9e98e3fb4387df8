"""``agritrace report LOT -o F.pdf [--official --org INSPECTOR_ORG]``: a lot's audit report.

The report is made from the lot's proof bundle at the latest checkpoint, verified first
(``ledger.exports.report``). ``--official --org ORG`` issues it as inspector ORG's official
report: its SHA-256 is recorded as ORG's ``ReportIssued`` record on the lot, and only then is
the file written. The QR code points at ``--host`` (``AGRITRACE_PUBLIC_URL``).
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from ledger.cli.context import DbOption, err, open_log, opened
from ledger.cli.errors import EXIT_INVALID, fail
from ledger.cli.groups import app
from ledger.cli.printing import HostOption, PdfOption
from ledger.digitallink.uris import public_url
from ledger.exports.report import build_report, issue_report

__all__: list[str] = []

OfficialFlag = Annotated[bool, typer.Option(
    "--official", help="Issue it as the official report of the inspector named by --org, "
                       "recorded in the ledger.")]
OrgOption = Annotated[str | None, typer.Option(
    "--org", help="The inspecting organisation issuing an official report.")]


@app.command("report")
def report(lot: str, output: PdfOption, official: OfficialFlag = False,
           org: OrgOption = None, host: HostOption = None, db: DbOption = None) -> None:
    """Write LOT's audit report (PDF, Chinese and English) from its verified bundle."""
    if official and org is None:
        fail("--org: name the inspecting organisation that issues the official report")
    if org is not None and not official:
        fail("--org: only an official report has an issuer; add --official")
    try:
        output.parent.resolve(strict=True)
    except OSError:
        fail(f"--output: the folder of {output} does not exist")
    with opened(db) as ledger:
        made = build_report(ledger, open_log(ledger), lot, host=host or public_url(),
                            issuer=org)
        recorded = issue_report(ledger, made).hash if official else None
    try:
        output.write_bytes(made.pdf)
    except OSError as error:
        fail(f"cannot write {output}: {error.strerror}", EXIT_INVALID)
    err.print(Text(f"审核报告 audit report {made.lot} → {output} ({len(made.pdf):,} bytes)\n"
                   f"report sha256 {made.sha256}\nbundle sha256 {made.bundle_sha256}, "
                   f"checkpoint {made.checkpoint_size}"), soft_wrap=True)
    if recorded is not None:
        err.print(Text(f"ReportIssued record {recorded} by {org}"), soft_wrap=True)
