"""What every command shares: the ``--db`` option, opening the ledger and its log, and output.

Every command opens the same application service as the HTTP API (``ledger.application``)
on the store named by ``--db`` (else ``AGRITRACE_DB``, else ``sqlite:///var/agritrace.db``).
Tables and JSON go to stdout; progress, notes and errors to stderr, so stdout pipes cleanly.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from ledger.application import Ledger
from ledger.cli.errors import reported_errors
from ledger.config import Settings
from ledger.log import TransparencyLog, load_log_key

__all__ = [
    "HASH_SHOWN",
    "DbOption",
    "JsonFlag",
    "err",
    "open_log",
    "opened",
    "out",
    "print_json",
    "progress_bar",
]

HASH_SHOWN = 12  # hex digits of a hash shown to people; JSON output shows them all

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

DbOption = Annotated[str | None, typer.Option(
    "--db", envvar="AGRITRACE_DB", show_default=False,
    help="Store URL: sqlite:///path.db or postgresql://user@host/db "
         "(default sqlite:///var/agritrace.db).")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Machine-readable JSON output.")]


@contextmanager
def opened(db: str | None) -> Iterator[Ledger]:
    """The ledger on ``db``, closed afterwards; ledger errors become exits."""
    with reported_errors():
        ledger = Ledger(Settings.from_env(db or None))
        try:
            yield ledger
        finally:
            ledger.close()


def open_log(ledger: Ledger, *, batch_size: int = 1000) -> TransparencyLog:
    """The ledger's transparency log, signing with the configured log key
    (``AGRITRACE_LOG_KEY``, ``AGRITRACE_LOG_KEY_FILE`` or the key file beside the store)."""
    return TransparencyLog(ledger.store, load_log_key(ledger.settings), batch_size=batch_size)


def progress_bar() -> Progress:
    # Drawn on stderr so stdout stays clean for pipes; not drawn at all when not a terminal.
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                    MofNCompleteColumn(), TimeElapsedColumn(), console=err, transient=True,
                    disable=not err.is_terminal)


def print_json(value: Any) -> None:
    # Plain print, not rich: JSON must not be wrapped or coloured.
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))
