"""``agritrace demo`` and ``agritrace serve``: demo data, and the HTTP service with its log.

``serve`` is the one command that needs the web layer, so it imports ``api`` (and uvicorn)
when it runs; nothing else in ``ledger`` does. The service integrates the transparency log in
a background thread (``api.app``), sending each checkpoint to the witnesses named by
``--witness URL=VKEY`` (repeatable) or ``AGRITRACE_WITNESSES`` (space-separated).
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from ledger.cli.context import DbOption, err, open_log, opened, out
from ledger.cli.errors import reported_errors
from ledger.cli.groups import app
from ledger.config import Settings
from ledger.demo import seed_demo

__all__ = ["WitnessOption"]

WitnessOption = Annotated[list[str] | None, typer.Option(
    "--witness", metavar="URL=VKEY", envvar="AGRITRACE_WITNESSES", show_default=False,
    help="A witness to cosign each checkpoint: its URL (http://host:port, /add-checkpoint "
         "is added) and verifier key. Repeat for several; the environment variable holds "
         "them separated by spaces.")]


@app.command("demo")
def demo(db: DbOption = None) -> None:
    """Seed the demo data set (idempotent), integrate the log, and print the lot codes."""
    with opened(db) as ledger:
        before = ledger.store.max_notification_id()
        with err.status("seeding demo data 正在写入演示数据", spinner="dots"):
            codes = seed_demo(ledger)
        added = ledger.store.max_notification_id() - before
        lots = [ledger.lot(code) for code in codes]
        with err.status("integrating the log 并入日志", spinner="dots"):
            log = open_log(ledger)
            log.integrate()
            size = log.latest_checkpoint().size
    for lot in lots:
        out.print(Text(f"{lot.code:<14} {lot.status:<10} {lot.product.get('name', '')}"))
    note = f"{added} records added" if added else "already seeded; nothing added"
    err.print(Text(f"demo: {len(lots)} lots, {note}; the log's checkpoint covers {size}"))


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    witness: WitnessOption = None,
    integrate: Annotated[bool, typer.Option(
        "--integrate/--no-integrate", envvar="AGRITRACE_INTEGRATE",
        help="Integrate the log in this process (with several processes on PostgreSQL one "
             "integrates at a time either way).")] = True,
    db: DbOption = None,
) -> None:
    """Run the HTTP API (api.app:create_app) with uvicorn, integrating the log meanwhile."""
    import uvicorn

    from api.app import create_app
    from api.settings import ServiceSettings, parse_witnesses

    with reported_errors():  # a bad URL, key or witness fails here, in one line
        service = ServiceSettings(integrate=integrate, witnesses=parse_witnesses(witness or ()))
        application = create_app(Settings.from_env(db or None), service)
    uvicorn.run(application, host=host, port=port)
