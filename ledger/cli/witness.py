"""``agritrace witness``: an inspector's office runs a C2SP tlog-witness with one command.

The witness cosigns (cosignature/v1) each checkpoint of the logs it trusts once it has
checked the checkpoint is consistent with the last one it cosigned, keeping that state in one
JSON file (``ledger.witness.service``). It serves ``POST /add-checkpoint`` over HTTP until
interrupted. Its key file is made on first use; the verifier key printed on stdout is what a
log operator configures (``agritrace serve --witness URL=VKEY``) and clients trust.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ledger.cli.errors import fail
from ledger.cli.groups import app
from ledger.witness import (
    Witness,
    WitnessMisconfigured,
    load_witness_key,
    trusted_logs,
    witness_server,
)

__all__ = ["open_witness"]


@app.command("witness")
def witness(
    key: Annotated[Path, typer.Option(
        "--key", metavar="FILE", help="The witness's private key file; made on first use.")],
    name: Annotated[str, typer.Option(
        "--name", help="The witness's name, e.g. witness.example/hunan-amr; names a new key.")],
    state: Annotated[Path, typer.Option(
        "--state", metavar="FILE", help="Where the witness keeps the latest checkpoint it "
                                        "cosigned per log (JSON, replaced atomically).")],
    log_vkey: Annotated[list[str], typer.Option(
        "--log-vkey", metavar="VKEY", help="A log's verifier key (agritrace log-key) to "
                                           "witness; repeat for several.")],
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (0: any free one).")] = 8090,
) -> None:
    """Run a witness: cosign the trusted logs' checkpoints that extend what it saw before."""
    office = open_witness(key, name, state, log_vkey)
    try:
        server = witness_server(office, host, port)
    except OSError as error:
        fail(f"--port: cannot listen on {host}:{port}: {error.strerror}")
    bound_host, bound_port = server.server_address[:2]
    typer.echo(office.vkey)
    typer.echo(f"witness {name} listening on http://{bound_host!s}:{bound_port}/add-checkpoint "
               f"for {', '.join(sorted(office.logs))} (Ctrl-C stops it)", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        typer.echo("witness stopped", err=True)
    finally:
        server.server_close()


def open_witness(key: Path, name: str, state: Path, log_vkeys: list[str]) -> Witness:
    """The witness with its key (made when missing) and state; bad options exit 2."""
    try:
        logs = trusted_logs(log_vkeys)  # first, so a mistyped key leaves no key file behind
        signer = load_witness_key(key, name)
    except WitnessMisconfigured as error:
        fail(str(error))  # "field: reason", exit 2
    if signer.name != name:
        fail(f"--name: {key} holds the key of witness {signer.name!r}, not {name!r}")
    office = Witness(signer, state, logs)
    try:
        for origin in logs:
            office.latest(origin)
    except (OSError, ValueError, KeyError, TypeError) as error:
        fail(f"--state: {state} is not a readable witness state file: {error}")
    return office
