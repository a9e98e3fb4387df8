"""``agritrace monitor URL --log-key VKEY``: audit a running agritrace from outside.

The monitor (``ledger.monitor``) needs no database: it follows the log's checkpoints over
HTTP and checks every entry, keeping what it verified in ``--state DIR`` so the next run
resumes there (without ``--state`` each run starts from the first entry, in a temporary
folder). It runs one round with ``--once``, else a round every ``--interval`` seconds until
interrupted. With ``--witness-key FILE`` it is also the office's witness (``ledger.office``):
it shares the witness's view of the log (``DIR/witness.json``), cosigns (cosignature/v1) each
checkpoint it verified, writes the cosigned note to ``DIR/checkpoint`` and prints the
cosignature line; with ``--listen HOST:PORT`` it also answers the log's C2SP tlog-witness
add-checkpoint requests there, by the rules of ``agritrace witness``, in the same process.

Exit codes, as ``agritrace-verify``'s: 0 all verified, 1 the log failed a check (the entry,
the record and the rule named on stderr), 2 a URL that is not an agritrace log or cannot be
reached, a wrong key, or an unusable option.
"""

from __future__ import annotations

import base64
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, TaskID
from rich.text import Text

from ledger.cli.context import err, out, progress_bar
from ledger.cli.errors import fail
from ledger.cli.groups import app
from ledger.monitor import (
    LogClient,
    LogUnreachable,
    Monitor,
    MonitorError,
    MonitorMisconfigured,
    Round,
    StateFolder,
)
from ledger.office import OfficeWitness
from ledger.witness import WitnessMisconfigured, load_witness_key, witness_server
from ledger.witness.keyfile import parse_skey
from verify.errors import VerificationError
from verify.notes import COSIGNATURE_V1, ED25519, Signer, Verifier

__all__: list[str] = []


@app.command("monitor")
def monitor(
    url: Annotated[str, typer.Argument(
        help="The agritrace service's base URL, e.g. https://trace.example.cn")],
    log_key: Annotated[str, typer.Option(
        "--log-key", metavar="VKEY", help="The log's verifier key (agritrace log-key; "
                                          "GET /log/key), obtained out of band.")],
    state: Annotated[Path | None, typer.Option(
        "--state", metavar="DIR", show_default=False,
        help="Where the monitor keeps what it verified, to resume there next time.")] = None,
    once: Annotated[bool, typer.Option(
        "--once", help="Check the latest checkpoint once, then exit.")] = False,
    interval: Annotated[float, typer.Option(
        "--interval", metavar="S", min=0.1, help="Seconds between rounds.")] = 30.0,
    token: Annotated[str | None, typer.Option(
        "--token", envvar="AGRITRACE_TOKEN", show_default=False,
        help="An API token, so the service's rate limit for anonymous readers does not "
             "slow the monitor down.")] = None,
    witness_key: Annotated[Path | None, typer.Option(
        "--witness-key", metavar="FILE", show_default=False,
        help="A witness key file (agritrace witness --key): cosign each checkpoint "
             "verified.")] = None,
    witness_name: Annotated[str | None, typer.Option(
        "--witness-name", show_default=False,
        help="With --witness-key: make the key file under this name when missing.")] = None,
    save_every: Annotated[float, typer.Option(
        "--save-every", metavar="S", min=0.0,
        help="While catching up, save the state at least every S seconds.")] = 5.0,
    listen: Annotated[str | None, typer.Option(
        "--listen", metavar="HOST:PORT", show_default=False,
        help="With --witness-key: also serve the log's witness requests (POST "
             "/add-checkpoint, C2SP tlog-witness) here, as agritrace witness does.")] = None,
) -> None:
    """Audit a running agritrace from outside: every entry, signature, chain and root."""
    verifier = _log_verifier(log_key)
    address = None if listen is None else _listen_address(listen, witness_key, once)
    signer = None if witness_key is None else _witness_signer(witness_key, witness_name)
    with ExitStack() as stack:
        folder_path = state or Path(stack.enter_context(
            tempfile.TemporaryDirectory(prefix="agritrace-monitor-")))
        try:
            client = LogClient(url, token=token)
            stack.callback(client.close)
            folder = stack.enter_context(StateFolder(folder_path))
            loaded = folder.load(client.url, verifier.to_vkey())
        except MonitorError as error:
            fail(str(error), error.exit_code)
        office = None if signer is None else OfficeWitness.open(signer, folder_path, verifier)
        if office is not None and address is not None:
            _serve_witness(stack, office, *address)
        if office is not None:
            err.print(Text(f"cosigning as witness {office.vkey}"), soft_wrap=True)
        _run(Monitor(client, verifier, folder, loaded, witness=office, save_every=save_every),
             once, interval)


def _serve_witness(stack: ExitStack, office: OfficeWitness, host: str, port: int) -> None:
    """Answer add-checkpoint requests in a thread until the monitor stops."""
    try:
        server = witness_server(office.witness, host, port)
    except OSError as error:
        fail(f"--listen: cannot listen on {host}:{port}: {error.strerror}")
    stack.callback(server.server_close)
    thread = threading.Thread(target=server.serve_forever, name="agritrace-witness",
                              daemon=True)
    thread.start()
    stack.callback(server.shutdown)  # runs first: stop serving, then close the socket
    bound_host, bound_port = server.server_address[:2]
    err.print(Text(f"witness {office.witness.signer.name} listening on "
                   f"http://{bound_host!s}:{bound_port}/add-checkpoint"), soft_wrap=True)


def _listen_address(listen: str, witness_key: Path | None, once: bool) -> tuple[str, int]:
    if witness_key is None:
        fail("--listen: the witness needs --witness-key to cosign with")
    if once:
        fail("--listen: a witness serves until stopped, not with --once")
    host, colon, port = listen.rpartition(":")
    if not colon or not host or not port.isdecimal() or int(port) > 65535:
        fail(f"--listen: {listen!r} is not HOST:PORT, e.g. 127.0.0.1:8090")
    return host.strip("[]"), int(port)


def _run(monitor: Monitor, once: bool, interval: float) -> None:
    """Rounds until interrupted (one with ``once``). Once a round has verified, a log that
    cannot be reached is an outage to wait out, not a reason to stop: the office's monitor
    (and witness) keeps running and says so on each round it misses."""
    verified = False
    while True:
        result: Round | None
        try:
            with progress_bar() as bar:
                task = bar.add_task("verifying entries 核验条目", total=None)

                def advance(done: int, total: int, task: TaskID = task,
                            bar: Progress = bar) -> None:
                    bar.update(task, completed=done, total=total)

                monitor.progress = advance
                result = monitor.check_once()
        except LogUnreachable as error:
            if once or not verified:
                fail(str(error), error.exit_code)
            err.print(Text(f"log unreachable, retrying in {interval:g} s 日志暂不可达，稍后重试: "
                           f"{error}"), soft_wrap=True)
            result = None
        except MonitorError as error:
            fail(str(error), error.exit_code)
        except KeyboardInterrupt:
            err.print("monitor stopped 已停止")
            return
        if result is not None:
            _report(result)
            verified = True
        if once:
            return
        try:
            time.sleep(interval)
        except KeyboardInterrupt:
            err.print("monitor stopped 已停止")
            return


def _report(result: Round) -> None:
    root = base64.b64encode(result.root).decode("ascii")
    rate = result.new_entries / result.seconds if result.seconds else 0.0
    heads = "chain heads match 链头一致" if result.heads_checked else \
        "no chain heads signed 未签链头"
    out.print(Text(f"checkpoint {result.size} verified 核验通过: {result.new_entries} new "
                   f"entries ({rate:,.0f}/s), root {root}, {heads}"), soft_wrap=True)
    if result.cosignature is not None:
        out.print(Text(f"cosigned 已联署: {result.cosignature}"), soft_wrap=True)


def _log_verifier(vkey: str) -> Verifier:
    try:
        verifier = Verifier.from_vkey(vkey.strip())
    except VerificationError as error:
        fail(f"--log-key: not a log verifier key (name+hexid+base64): {error.reason}")
    if verifier.sig_type != ED25519:
        fail(f"--log-key: {verifier.name} is a witness key, not a log key")
    return verifier


def _witness_signer(path: Path, name: str | None) -> Signer:
    try:
        if name is not None:
            return load_witness_key(path, name)
        if not path.exists():
            raise MonitorMisconfigured(f"--witness-key: {path} does not exist; give "
                                       "--witness-name to make it")
        signer = parse_skey(path.read_text().strip(), str(path))
    except (WitnessMisconfigured, MonitorMisconfigured) as error:
        fail(f"--witness-key: {error}" if isinstance(error, WitnessMisconfigured)
             else str(error))
    except OSError as error:
        fail(f"--witness-key: {path}: cannot read: {error.strerror}")
    if signer.sig_type != COSIGNATURE_V1:
        fail(f"--witness-key: {path} holds a log key, not a witness (cosignature/v1) key")
    return signer
