"""``agritrace export-epcis LOT -o F.jsonld``: the lot's whole lineage (every lot it was
made from and every lot made from it) as an EPCIS 2.0 EPCISDocument (docs/epcis.md).

The log is integrated first, so every record of the lineage is in it: an event carries its
record's leaf index.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from ledger.cli.context import DbOption, err, open_log, opened
from ledger.cli.errors import EXIT_INVALID, fail
from ledger.cli.groups import app
from ledger.epcis.document import epcis_document, lineage_events

__all__: list[str] = []

OutputOption = Annotated[Path, typer.Option("--output", "-o", dir_okay=False,
                                            help="File to write the EPCIS document to.")]


@app.command("export-epcis")
def export_epcis(lot: str, output: OutputOption, db: DbOption = None) -> None:
    """Write the EPCIS 2.0 document of LOT's lineage (ancestors and descendants) to a file."""
    with opened(db) as ledger:
        open_log(ledger).integrate()
        events = lineage_events(ledger, lot)
    data = json.dumps(epcis_document(events), ensure_ascii=False, indent=1).encode("utf-8")
    try:
        output.write_bytes(data + b"\n")
    except OSError as error:
        fail(f"cannot write {output}: {error.strerror}", EXIT_INVALID)
    err.print(Text(f"EPCIS 事件 events {lot}: {len(events)} → {output} ({len(data):,} bytes)"),
              soft_wrap=True)
