"""``agritrace integrate``, ``checkpoint`` and ``log-key``: the transparency log (DESIGN §4.4).

``integrate`` appends every record not yet in the log, a batch per transaction, signing a
checkpoint after each; ``checkpoint`` prints the latest signed checkpoint note byte for byte
(save it to check the store later with ``agritrace audit --checkpoint FILE``); ``log-key``
prints the verifier key that checks those notes. ``agritrace serve`` integrates on its own.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from ledger.cli.context import DbOption, err, open_log, opened, out, progress_bar
from ledger.cli.errors import EXIT_LEDGER, fail, reported_errors
from ledger.cli.groups import app
from ledger.config import Settings
from ledger.log import BatchResult, TransparencyLog, load_log_key
from ledger.log.checkpoints import latest_checkpoint
from ledger.log.integrator import read_state

__all__ = ["integrate_all"]

BatchOption = Annotated[int, typer.Option(
    "--batch-size", min=1, help="Records per transaction (and per checkpoint).")]


@app.command("integrate")
def integrate(batch_size: BatchOption = 1000, db: DbOption = None) -> None:
    """Append every record not yet in the transparency log; sign a checkpoint per batch."""
    with opened(db) as ledger:
        log = open_log(ledger, batch_size=batch_size)
        with ledger.store.engine.connect() as connection:
            _, position = read_state(connection)
        pending = ledger.store.max_notification_id() - position
        added, last = integrate_all(log, pending)
    if last.busy:
        err.print(Text("another process holds the integrator lock and integrates instead"))
    out.print(Text(f"integrated 已并入 {added} records; the log holds {last.size} "
                   f"(latest checkpoint covers {_checkpoint_size(log)})"), soft_wrap=True)


def integrate_all(log: TransparencyLog, pending: int) -> tuple[int, BatchResult]:
    """Integrate batch by batch until caught up, with a progress bar over ``pending``
    (the records after the log's position; the store's ids may have gaps, so at most)."""
    added = 0
    with progress_bar() as progress:
        task = progress.add_task("integrating 并入日志", total=pending or None)
        for result in log.batches():  # the first batch always runs
            added += result.leaves
            progress.advance(task, result.leaves)
    return added, result


def _checkpoint_size(log: TransparencyLog) -> str:
    with log.store.engine.connect() as connection:
        latest = latest_checkpoint(connection)
    return "nothing yet" if latest is None else f"{latest.size}"


@app.command("checkpoint")
def checkpoint(db: DbOption = None) -> None:
    """Print the latest signed checkpoint (a C2SP signed note), exactly as published."""
    with opened(db) as ledger, ledger.store.engine.connect() as connection:
        latest = latest_checkpoint(connection)
    if latest is None:
        fail("the log has published no checkpoint yet; run agritrace integrate", EXIT_LEDGER)
    typer.echo(latest.note, nl=False)


@app.command("log-key")
def log_key(db: DbOption = None) -> None:
    """Print the log's verifier key (name+hexid+base64) that checks its checkpoints."""
    with reported_errors():
        key = load_log_key(Settings.from_env(db or None))
    typer.echo(key.vkey)
