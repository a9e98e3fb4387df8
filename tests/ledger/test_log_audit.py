"""The log audit: truncation, rollback and rewriting of the store are caught, against a
checkpoint saved elsewhere even when the log's own tables were rebuilt to match.
SQLite and PostgreSQL.
"""

from __future__ import annotations

from hashlib import sha256

import pytest
from sqlalchemy import update

from ledger.application import Ledger
from ledger.errors import AuditFailed, InvalidInput
from ledger.log import TransparencyLog
from ledger.persistence.store import events_table, notification_column
from ledger.persistence.tables import log_checkpoints, log_nodes
from tests.ledger.test_log_helpers import (
    clear_log,
    drop_events_after,
    harvests,
    new_key,
    roll_back_log,
    sql,
)
from verify.checkpoints import Checkpoint
from verify.notes import sign_note


def _log(ledger: Ledger, records: int) -> TransparencyLog:
    harvests(ledger, records - 1)
    log = TransparencyLog(ledger.store, new_key(), batch_size=6)
    log.integrate()
    return log


def test_an_intact_store_passes_with_records_not_yet_integrated(ledger: Ledger) -> None:
    log = _log(ledger, 21)
    saved = log.latest_checkpoint().note
    harvests(ledger, 5, start=20)  # recorded, not yet integrated
    report = log.audit(saved)
    assert (report.records, report.leaves, report.checkpoints) == (26, 21, 4)
    assert report.saved_checkpoint_size == 21


def test_truncation_is_caught_even_after_the_log_is_rebuilt(ledger: Ledger) -> None:
    log = _log(ledger, 21)
    saved = log.latest_checkpoint().note  # an inspector keeps this file
    sixteenth = list(ledger.store.records())[15]
    # The events table loses its tail.
    drop_events_after(ledger.store, 15)
    with pytest.raises(AuditFailed, match=r"leaf 15 .* is missing from the store") as failed:
        log.audit()
    assert failed.value.record == sha256(sixteenth.raw).hexdigest()
    # The log's tables are rebuilt (and re-signed) to match: only the saved checkpoint
    # still shows what was cut.
    clear_log(ledger.store)
    log.integrate()
    log.audit()
    with pytest.raises(AuditFailed, match="holds 15 records but the saved checkpoint covers 21"):
        log.audit(saved)


def test_rollback_is_caught_by_a_saved_checkpoint(ledger: Ledger) -> None:
    log = _log(ledger, 11)
    harvests(ledger, 10, start=10)
    log.integrate()
    saved = log.latest_checkpoint().note
    # The whole database is restored from a backup taken at 11 records.
    drop_events_after(ledger.store, 11)
    roll_back_log(ledger.store, 11)
    log.audit()  # consistent in itself
    with pytest.raises(AuditFailed, match="holds 11 records but the saved checkpoint covers 21"):
        log.audit(saved)
    # New records after the rollback grow the store past the saved size: now a rewrite.
    harvests(ledger, 12, start=30)
    log.integrate()
    log.audit()
    with pytest.raises(AuditFailed, match=r"first 21 records hash to .* rewritten"):
        log.audit(saved)


def test_a_rewritten_record_is_named_then_caught_after_a_rebuild(ledger: Ledger) -> None:
    log = _log(ledger, 13)
    saved = log.latest_checkpoint().note
    target = list(ledger.store.records())[4]
    forged = target.raw.replace(b'"quantity":"103"', b'"quantity":"903"')
    assert forged != target.raw
    table, column = events_table(ledger.store.backend), notification_column(ledger.store.backend)
    sql(ledger.store, f"UPDATE {table} SET state = :s WHERE {column} = :n",  # noqa: S608
        s=target.signature + forged, n=target.notification_id)
    with pytest.raises(AuditFailed, match="leaf 4 should be") as failed:
        log.audit()
    assert failed.value.record == sha256(forged).hexdigest()
    clear_log(ledger.store)
    log.integrate()
    log.audit()
    with pytest.raises(AuditFailed, match=r"first 13 records hash to .* rewritten"):
        log.audit(saved)


def test_damaged_log_tables_are_caught(ledger: Ledger) -> None:
    log = _log(ledger, 13)
    # A stored interior node is overwritten.
    with ledger.store.engine.begin() as connection:
        connection.execute(update(log_nodes).where(log_nodes.c.level == 1,
                                                   log_nodes.c.node_index == 2)
                           .values(hash=bytes(32)))
    with pytest.raises(AuditFailed, match=r"node at level 1 index 2 \(leaves 4-5\)"):
        log.audit()
    clear_log(ledger.store)
    log.integrate()
    # A stored checkpoint is replaced by one signed with another key...
    other = new_key()
    forged = sign_note(Checkpoint(log.origin, 6, bytes(32)).to_text(), [other.signer]).to_text()
    with ledger.store.engine.begin() as connection:
        connection.execute(update(log_checkpoints).where(log_checkpoints.c.size == 6)
                           .values(note=forged))
    with pytest.raises(AuditFailed, match="stored checkpoint 6 is not signed by the log key"):
        log.audit()
    # ...or by the log's key over a wrong root.
    forged = sign_note(Checkpoint(log.origin, 6, bytes(32)).to_text(), [log.key.signer]).to_text()
    with ledger.store.engine.begin() as connection:
        connection.execute(update(log_checkpoints).where(log_checkpoints.c.size == 6)
                           .values(note=forged))
    with pytest.raises(AuditFailed, match=r"checkpoint 6 has root 0+ .* among leaves 0-5"):
        log.audit()


def test_a_saved_checkpoint_must_be_the_logs(ledger: Ledger) -> None:
    log = _log(ledger, 4)
    other = sign_note(Checkpoint(log.origin, 4, bytes(32)).to_text(), [new_key().signer])
    with pytest.raises(InvalidInput, match="not a checkpoint signed by"):
        log.audit(other.to_text())
    with pytest.raises(InvalidInput, match="not a checkpoint signed by"):
        log.audit("not a note")
