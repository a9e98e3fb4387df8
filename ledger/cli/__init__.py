"""The ``agritrace`` command: organisations, records, CSV imports, lots, the log, audits.

Modules, one job each; each command module registers its commands on ``groups``:

- ``groups``      the typer command and its ``org``, ``org key`` and ``lot`` groups
- ``errors``      one line on stderr and an exit code for every failure (codes listed there)
- ``context``     the ``--db`` option, opening the ledger and its log, consoles and JSON
- ``orgs``        ``org create|list|show``, ``org key add|rotate|revoke``
- ``recording``   ``record``: one step, or a JSON batch all-or-nothing
- ``csv_import``  ``import``: a CSV sheet all-or-nothing
- ``lots``        ``lot show|list``; ``render`` and ``facts`` draw them for people
- ``printing``    ``labels LOT -o F.pdf`` and ``certificate LOT -o F.pdf``
- ``audit``       ``audit [--checkpoint FILE]``: records, then the transparency log
- ``bundle``      ``bundle LOT -o FILE``: a lot's proof bundle, for offline checking
- ``epcis``       ``export-epcis LOT -o F.jsonld``: a lot's lineage as an EPCIS 2.0 document
- ``report``      ``report LOT -o F.pdf [--official --org ORG]``: a lot's audit report
- ``log``         ``integrate``, ``checkpoint``, ``log-key``
- ``witness``     ``witness``: a C2SP tlog-witness over HTTP
- ``monitor``     ``monitor URL --log-key VKEY``: audit a running service from outside
- ``serve``       ``demo`` and ``serve`` (the HTTP API with the integrator)
- ``tokens``      ``token create|list|revoke``: API tokens, the admin token among them
- ``devices``     ``device pair|list|revoke``: phones that sign, paired by a one-time code
- ``exports``     ``export trace|scans``: the traceability spreadsheet and scan reports
- ``notices``     ``notices rebuild``: platform notices for holds and recalls stored without one
"""

from __future__ import annotations

import os
import sys

import typer

from ledger.cli import (  # noqa: F401 - importing a command module registers its commands
    audit,
    bundle,
    csv_import,
    devices,
    epcis,
    exports,
    log,
    lots,
    monitor,
    notices,
    orgs,
    printing,
    recording,
    report,
    serve,
    tokens,
    witness,
)
from ledger.cli.errors import EXIT_INTERNAL, exit_code
from ledger.cli.groups import app

__all__ = ["app", "exit_code", "main"]


def main() -> None:
    """Console-script entry point: ``agritrace``."""
    try:
        app()
    except Exception as error:
        if os.environ.get("AGRITRACE_DEBUG"):
            raise
        typer.echo(f"agritrace: internal error: {type(error).__name__}: {error} "
                   "(set AGRITRACE_DEBUG=1 for the traceback)", err=True)
        sys.exit(EXIT_INTERNAL)
