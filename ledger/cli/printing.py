"""``agritrace labels`` and ``agritrace certificate``: the printed things of a lot, as PDF.

``labels LOT -o FILE.pdf`` writes A4 sheets of 24 labels (70 × 37 mm) for a packed lot, one
per unit when it has serials, each with its Digital Link QR code. ``certificate LOT -o
FILE.pdf`` writes the lot's 承诺达标合格证, issuing it first as a signed record with
``--issue ORG --basis BASIS`` (and ``--basis-record HASH`` for a test). Nothing is printed for
a lot that is recalled or held, or made from one that is. The QR codes point at ``--host``
(``AGRITRACE_PUBLIC_URL``); docs/consumer.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from ledger.cli.context import DbOption, err, opened
from ledger.cli.errors import EXIT_INVALID, fail
from ledger.cli.groups import app
from ledger.domain.certificates import BASES
from ledger.labels import (
    MAX_LABELS,
    issue_compliance_certificate,
    write_certificate,
    write_label_sheet,
)

__all__: list[str] = []

PdfOption = Annotated[Path, typer.Option("--output", "-o", help="The PDF file to write.",
                                         dir_okay=False)]
HostOption = Annotated[str | None, typer.Option(
    "--host", envvar="AGRITRACE_PUBLIC_URL", show_default=False,
    help="The public base URL the QR codes point at (default http://127.0.0.1:8000).")]


@app.command("labels")
def labels(
    lot: str,
    output: PdfOption,
    first: Annotated[int | None, typer.Option(min=1, help="The first serial to print.")] = None,
    count: Annotated[int | None, typer.Option(
        min=1, max=MAX_LABELS, help="How many labels (default: every serial, or one sheet).")
    ] = None,
    host: HostOption = None,
    db: DbOption = None,
) -> None:
    """Write A4 label sheets for a packed lot: product, lot, grade, net weight, pack date and
    the QR code of its Digital Link."""
    try:
        with opened(db) as ledger:
            written = write_label_sheet(ledger, lot, output, host=host, first=first,
                                        count=count)
    except OSError as error:
        fail(f"cannot write {output}: {error.strerror}", EXIT_INVALID)
    err.print(Text(f"labels 标签 {lot} → {output} ({written} labels)"), soft_wrap=True)


@app.command("certificate")
def certificate(
    lot: str,
    output: PdfOption,
    issue: Annotated[str | None, typer.Option(
        "--issue", metavar="ORG", help="First issue a new certificate, signed by this "
                                       "organisation (the lot's custodian or an inspector).")
    ] = None,
    number: Annotated[str | None, typer.Option(
        help="The new certificate's number (default HGZ-LOT-YYYYMMDD).")] = None,
    basis: Annotated[str | None, typer.Option(
        help="What the new certificate rests on: " + ", ".join(
            f"{code} ({zh})" for code, (zh, _) in BASES.items()) + ".")] = None,
    basis_record: Annotated[str | None, typer.Option(
        help="For a test basis: the hash of the lab or rapid-test Inspected record of the "
             "lot, or of a lot it was made from.")] = None,
    host: HostOption = None,
    db: DbOption = None,
) -> None:
    """Write the lot's 承诺达标合格证 (commitment compliance certificate) as a PDF."""
    try:
        with opened(db) as ledger:
            if issue is not None:
                issue_compliance_certificate(ledger, issue, lot, number=number, basis=basis,
                                             basis_record=basis_record)
            written = write_certificate(ledger, lot, output, host=host)
    except OSError as error:
        fail(f"cannot write {output}: {error.strerror}", EXIT_INVALID)
    err.print(Text(f"certificate 合格证 {written.number} ({lot}) → {output}"), soft_wrap=True)
