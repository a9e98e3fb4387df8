"""``agritrace demo`` and ``agritrace serve``: demo data, and the HTTP service with its log.

``serve`` runs the web layer without importing it: it hands uvicorn the app factory's import
string (``APP``, built with ``factory=True``) and the HTTP protocol's (``HTTP_PROTOCOL``), and
passes its options to the app through the environment (``AGRITRACE_DB``,
``AGRITRACE_PUBLIC_URL``, ``AGRITRACE_INTEGRATE``, ``AGRITRACE_WITNESSES``), which the factory
reads. So nothing in ``ledger`` imports ``api``. The service integrates the transparency log
in a background thread (``api.app``), sending each checkpoint to the witnesses named by
``--witness URL=VKEY`` (repeatable) or ``AGRITRACE_WITNESSES`` (space-separated). With
``--workers N`` uvicorn runs N processes, each building the app from the environment; the
command builds it once first, so a bad setting fails in one line before any worker starts
and the key files are made once rather than raced for.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from ledger.cli.context import DbOption, err, open_log, opened, out
from ledger.cli.devices import pairing_link
from ledger.cli.errors import reported_errors
from ledger.cli.groups import app
from ledger.config import Settings
from ledger.demo import COOP as DEMO_COOP
from ledger.demo import seed_demo
from ledger.devices import Devices
from ledger.digitallink.uris import public_url, serving_url
from ledger.labels import packed_lot_links

if TYPE_CHECKING:
    import uvicorn

__all__ = ["APP", "HTTP_PROTOCOL", "WitnessOption", "public_base"]

APP = "api.app:create_app"  # the app factory: builds the service from the environment
HTTP_PROTOCOL = "api.serving:TimedH11Protocol"  # read deadlines and TCP_NODELAY

WitnessOption = Annotated[list[str] | None, typer.Option(
    "--witness", metavar="URL=VKEY", envvar="AGRITRACE_WITNESSES", show_default=False,
    help="A witness to cosign each checkpoint: its URL (http://host:port, /add-checkpoint "
         "is added) and verifier key. Repeat for several; the environment variable holds "
         "them separated by spaces.")]


HostOption = Annotated[str, typer.Option(help="Address to listen on.")]
PortOption = Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")]


def public_base(host: str, port: int) -> str:
    """Where codes and links point: ``AGRITRACE_PUBLIC_URL`` when set, else the address the
    service listens on (``ledger.digitallink.uris.serving_url``)."""
    if os.environ.get("AGRITRACE_PUBLIC_URL", "").strip():
        return public_url()
    return serving_url(host, port)


@app.command("demo")
def demo(db: DbOption = None, host: Annotated[str, typer.Option(
             help="The address `serve` will listen on; the printed links point there.")
         ] = "127.0.0.1",
         port: Annotated[int, typer.Option(
             min=1, max=65535, help="The port `serve` will listen on.")] = 8000) -> None:
    """Seed the demo data set (idempotent), integrate the log, and print the lot codes and
    the Digital Link URIs of the packed lots (on AGRITRACE_PUBLIC_URL, else HOST:PORT)."""
    with reported_errors():
        base = public_base(host, port)
    with opened(db) as ledger:
        before = ledger.store.max_notification_id()
        with err.status("seeding demo data 正在写入演示数据", spinner="dots"):
            codes = seed_demo(ledger)
        added = ledger.store.max_notification_id() - before
        lots = [ledger.lot(code) for code in codes]
        links = packed_lot_links(ledger, codes, host=base)
        with err.status("integrating the log 并入日志", spinner="dots"):
            log = open_log(ledger)
            log.integrate()
            size = log.latest_checkpoint().size
        pairing = Devices(ledger).create_code(DEMO_COOP, label="演示手机 demo phone",
                                              lifetime=timedelta(hours=24))
    for lot in lots:
        out.print(Text(f"{lot.code:<14} {lot.status:<10} {lot.product.get('name', '')}"))
    for code, uri in links:
        out.print(Text(f"{code:<14} {uri}"))
    note = f"{added} records added" if added else "already seeded; nothing added"
    err.print(Text(f"demo: {len(lots)} lots, {note}; the log's checkpoint covers {size}"))
    err.print(Text(f"recording app 农事记录: to pair this browser as a phone of {DEMO_COOP} "
                   f"(one use, 24 hours; `agritrace device pair {DEMO_COOP}` makes another), "
                   "open"))
    err.print(Text(pairing_link(base, pairing.code)), soft_wrap=True)


@app.command("serve")
def serve(
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
    workers: Annotated[int, typer.Option(
        min=1, max=64, help="Worker processes. Several share one store (PostgreSQL, or SQLite "
                            "on one machine); each runs an integrator, one integrates at a "
                            "time.")] = 1,
    witness: WitnessOption = None,
    integrate: Annotated[bool, typer.Option(
        "--integrate/--no-integrate", envvar="AGRITRACE_INTEGRATE",
        help="Integrate the log in this process (with several processes on PostgreSQL one "
             "integrates at a time either way).")] = True,
    access_log: Annotated[bool, typer.Option(
        "--access-log/--no-access-log", help="Log every request (uvicorn's access log).")
    ] = True,
    db: DbOption = None,
) -> None:
    """Run the HTTP API (api.app:create_app) with uvicorn, integrating the log meanwhile.

    QR codes and links point at AGRITRACE_PUBLIC_URL, else at http://HOST:PORT (for 0.0.0.0,
    this machine's local network address). Limits come from the environment:
    AGRITRACE_RATE_LIMIT, AGRITRACE_RATE_BURST, AGRITRACE_MAX_BODY, AGRITRACE_WAIT_TIMEOUT,
    AGRITRACE_HEADER_TIMEOUT, AGRITRACE_BODY_TIMEOUT; behind a reverse proxy,
    AGRITRACE_TRUSTED_PROXIES names it
    (see api.settings)."""
    import uvicorn

    with reported_errors():  # a bad URL, key, setting or witness fails here, in one line
        # QR codes, link sets and JSON links point where this service listens unless told
        # otherwise.
        public = public_base(host, port)
        settings = Settings.from_env(db or None)
        options = {"AGRITRACE_PUBLIC_URL": public, "AGRITRACE_DB": settings.db_url,
                   "AGRITRACE_INTEGRATE": "1" if integrate else "0",
                   "AGRITRACE_WITNESSES": " ".join(witness or ())}
        with _environment(options):
            if workers > 1:
                _check_app(uvicorn.Config(APP, factory=True, http=HTTP_PROTOCOL,
                                          proxy_headers=False))
            # The app alone decides whose X-Forwarded-For to believe
            # (AGRITRACE_TRUSTED_PROXIES); uvicorn's own default would believe any peer on
            # 127.0.0.1. With one worker uvicorn builds the app in this process, so an error
            # building it arrives here.
            uvicorn.run(APP, factory=True, host=host, port=port, workers=workers,
                        access_log=access_log, http=HTTP_PROTOCOL, proxy_headers=False)


@contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    """``os.environ`` with ``values`` set, as the app and its workers read them; restored
    afterwards, so a caller running the command in its own process gets its own back."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _check_app(config: uvicorn.Config) -> None:
    """Build the app here once, as each worker will, then close it (its lifespan's startup
    and shutdown, quietly): an error arrives here rather than in every worker, which
    uvicorn would restart again and again, and the key files are made before the workers
    start."""
    from uvicorn.lifespan.on import LifespanOn

    config.load()
    lifespan = LifespanOn(config)

    async def open_and_close() -> None:
        await lifespan.startup()
        await lifespan.shutdown()

    messages = logging.getLogger("uvicorn.error")
    level = messages.level
    messages.setLevel(logging.WARNING)  # the workers say "Application startup complete"
    try:
        asyncio.run(open_and_close())
    finally:
        messages.setLevel(level)
