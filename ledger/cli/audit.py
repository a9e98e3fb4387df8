"""``agritrace audit``: re-verify every record, then the transparency log, reading only.

1. The records (``ledger.records_audit.audit_store``): canonical bytes, hashes, chains, links and
   signatures, from the stored events.
2. The log (``ledger.log.audit_log``): the RFC 9162 tree recomputed over every record, every
   stored leaf, node and checkpoint compared with it, and the chain-head map recomputed from
   the records and compared with every checkpoint's ``agritrace/heads`` line (checkpoints
   signed before the log kept the map are counted as having none).
3. With ``--checkpoint FILE``, a signed checkpoint saved earlier elsewhere: the store's first
   ``size`` records must hash to its root, so a truncated, rolled-back or rewritten store is
   caught even if the log's own tables were rewritten to match.

Nothing is integrated or written. Exit 0 when all holds, 1 naming the first bad record, 2 when
the checkpoint file is unreadable or not a checkpoint signed by the log's key.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from ledger.application import Ledger
from ledger.cli.context import DbOption, err, opened, out, progress_bar
from ledger.cli.errors import fail
from ledger.cli.groups import app
from ledger.errors import InvalidInput
from ledger.log import LogAuditReport, LogKey, audit_log, load_log_key, read_saved_checkpoint
from ledger.records_audit import AuditReport, audit_store

__all__ = ["read_checkpoint_file"]

CheckpointOption = Annotated[Path | None, typer.Option(
    "--checkpoint", metavar="FILE", show_default=False,
    help="A checkpoint saved earlier (agritrace checkpoint > FILE): the store must still "
         "hold the records it covers, unchanged. An unreadable file exits 2.")]


@app.command("audit")
def audit(checkpoint: CheckpointOption = None, db: DbOption = None) -> None:
    """Re-verify every stored record and the transparency log; exit 1 naming the first bad."""
    with opened(db) as ledger:
        key = load_log_key(ledger.settings)
        saved = None if checkpoint is None else read_checkpoint_file(checkpoint, key)
        records = _audit_records(ledger)
        with err.status("auditing the log 审计日志中", spinner="dots"):
            log = audit_log(ledger.store, key.verifier, origin=key.origin,
                            saved_checkpoint=saved)
    out.print(Text(f"audit passed 审计通过: {records.records} records verified, "
                   f"{records.lots} lots, {records.organisations} organisations, "
                   f"{records.rate:,.0f} records/s"), soft_wrap=True)
    out.print(Text(_log_summary(log)), soft_wrap=True)


def read_checkpoint_file(path: Path, key: LogKey) -> bytes:
    """The bytes of a saved checkpoint, checked to be one the log signed; exits 2 if not."""
    try:
        note = path.read_bytes()
    except OSError as error:
        fail(f"--checkpoint: {path}: cannot read: {error.strerror}")
    try:
        read_saved_checkpoint(note, key.verifier, key.origin)
    except InvalidInput as error:
        fail(f"--checkpoint: {path}: {error.reason}")
    return note


def _audit_records(ledger: Ledger) -> AuditReport:
    total = ledger.store.max_notification_id()
    with progress_bar() as progress:
        task = progress.add_task("auditing 审计中", total=total or None)
        return audit_store(ledger.store, lambda done: progress.update(task, completed=done))


def _log_summary(log: LogAuditReport) -> str:
    root = base64.b64encode(log.root).decode("ascii")  # as checkpoints write it
    text = (f"log verified 日志核验通过: {log.leaves} leaves, {log.checkpoints} signed "
            f"checkpoint(s); the {log.records} records hash to root {root}")
    text += f"; chain heads match in {log.heads_checked} checkpoint(s)"
    if log.without_heads:
        text += (f"; {len(log.without_heads)} older checkpoint(s) carry no chain heads (signed "
                 f"before the log kept them, up to size {max(log.without_heads)})")
    if log.records > log.leaves:
        text += f"; {log.records - log.leaves} records not yet integrated"
    if log.saved_checkpoint_size is not None:
        text += f"; consistent with the saved checkpoint of size {log.saved_checkpoint_size}"
    return text
