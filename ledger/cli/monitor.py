"""``agritrace monitor URL --log-key VKEY``: audit a running agritrace from outside.

The monitor (``ledger.monitor``) needs no database: it follows the log's checkpoints over
HTTP and checks every entry, keeping what it verified in ``--state DIR`` so the next run
resumes there (without ``--state`` each run starts from the first entry, in a temporary
folder). It runs one round with ``--once``, else a round every ``--interval`` seconds until
interrupted. With ``--witness-key FILE`` it also cosigns (cosignature/v1) each checkpoint it
verified, as the office's witness: the cosigned note is written to ``DIR/checkpoint`` and the
cosignature line printed.

Exit codes, as ``agritrace-verify``'s: 0 all verified, 1 the log failed a check (the entry,
the record and the rule named on stderr), 2 a URL that is not an agritrace log or cannot be
reached, a wrong key, or an unusable option.
"""

from __future__ import annotations

import base64
import tempfile
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
    Monitor,
    MonitorError,
    MonitorMisconfigured,
    Round,
    StateFolder,
)
from ledger.witness import WitnessMisconfigured, load_witness_key
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
) -> None:
    """Audit a running agritrace from outside: every entry, signature, chain and root."""
    verifier = _log_verifier(log_key)
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
        if signer is not None:
            err.print(Text(f"cosigning as witness {signer.verifier.to_vkey()}"), soft_wrap=True)
        _run(Monitor(client, verifier, folder, loaded, witness=signer, save_every=save_every),
             once, interval)


def _run(monitor: Monitor, once: bool, interval: float) -> None:
    while True:
        try:
            with progress_bar() as bar:
                task = bar.add_task("verifying entries 核验条目", total=None)

                def advance(done: int, total: int, task: TaskID = task,
                            bar: Progress = bar) -> None:
                    bar.update(task, completed=done, total=total)

                monitor.progress = advance
                result = monitor.check_once()
        except MonitorError as error:
            fail(str(error), error.exit_code)
        except KeyboardInterrupt:
            err.print("monitor stopped 已停止")
            return
        _report(result)
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
