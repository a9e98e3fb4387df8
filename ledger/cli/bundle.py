"""``agritrace bundle LOT -o FILE``: a lot's proof bundle, for checking offline.

The bundle holds the lot's records and every ancestor's, the key records, an inclusion proof
per record and one signed checkpoint (``docs/bundle.md``); ``agritrace-verify FILE
--log-key "$(agritrace log-key)"`` checks it with nothing but ``verify/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from ledger.bundles import build_bundle
from ledger.cli.context import DbOption, err, open_log, opened
from ledger.cli.errors import EXIT_INVALID, fail
from ledger.cli.groups import app

__all__: list[str] = []

OutputOption = Annotated[Path, typer.Option("--output", "-o", help="File to write the bundle to.",
                                            dir_okay=False)]
SinceOption = Annotated[list[int] | None, typer.Option(
    "--since", help="An earlier checkpoint size to add a consistency proof from (repeatable).")]


@app.command("bundle")
def bundle(lot: str, output: OutputOption, since: SinceOption = None,
           db: DbOption = None) -> None:
    """Write the proof bundle of LOT to a file (integrating the log first if needed)."""
    with opened(db) as ledger:
        data = build_bundle(ledger, open_log(ledger), lot, since=since or ()).to_json()
    try:
        output.write_bytes(data)
    except OSError as error:
        fail(f"cannot write {output}: {error.strerror}", EXIT_INVALID)
    err.print(Text(f"bundle 证据包 {lot} → {output} ({len(data):,} bytes)"), soft_wrap=True)
