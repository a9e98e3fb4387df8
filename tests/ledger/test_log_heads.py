"""Every checkpoint commits to the head of every chain: the log keeps the chain-head map in
memory as it integrates, catches up with what another process integrated, drops it when a
batch fails, signs its root beside the tree's, serves head proofs at the latest checkpoint
for bundles, and the audit recomputes it from the records. SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import time
from hashlib import sha256
from itertools import islice

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import update

import ledger.log.integrator as integrator_module
from ledger.application import Ledger
from ledger.bundles import build_bundle
from ledger.config import Settings
from ledger.errors import AuditFailed
from ledger.log import TransparencyLog
from ledger.log.checkpoints import publish_checkpoint
from ledger.log.heads import record_head
from ledger.log.logkey import LogKey
from ledger.log.nodes import NodeCache
from ledger.persistence.store import EventStore
from ledger.persistence.tables import log_checkpoints
from tests.journeys import COOP, PLATFORM, kiwi_journey
from tests.ledger.test_bundle import verified
from tests.ledger.test_log_helpers import harvests, new_key
from verify.canonical import canonical_bytes
from verify.checkpoints import Checkpoint, heads_root, signed_lines, signed_time
from verify.headmap import map_root_of, verify_head_proof
from verify.notes import Note, sign_note
from verify.records import Record
from verify.verification import V1_WARNING


def reference_root(store: EventStore, size: int) -> bytes:
    """The map of the first ``size`` records, each parsed in full: no code of the log's."""
    heads: dict[str, tuple[int, bytes]] = {}
    for stored in islice(store.records(), size):
        record = Record.from_bytes(stored.raw)
        heads[record.chain] = (record.seq, record.hash)
    return map_root_of(heads)


def signed(log: TransparencyLog) -> list[Checkpoint]:
    with log.store.engine.connect() as connection:
        notes = [row[0] for row in connection.execute(
            log_checkpoints.select().with_only_columns(log_checkpoints.c.note)
            .order_by(log_checkpoints.c.size))]
    return [Checkpoint.from_text(Note.from_text(note).text) for note in notes]


def lines_of(checkpoint: Checkpoint) -> list[str]:
    return [line.split(" ")[0] for line in checkpoint.extensions]


def test_every_checkpoint_commits_to_the_heads_of_its_records(ledger: Ledger) -> None:
    kiwi_journey(ledger)  # lots of several records each, and the organisations' chains
    log = TransparencyLog(ledger.store, new_key(), batch_size=4)
    before = int(time.time())
    log.integrate()
    checkpoints = signed(log)
    assert len(checkpoints) >= 5
    for checkpoint in checkpoints:
        assert lines_of(checkpoint) == ["agritrace/heads", "agritrace/time"]
        assert heads_root(checkpoint) == reference_root(ledger.store, checkpoint.size)
        assert before <= (signed_time(checkpoint) or 0) <= time.time() + 1


def test_integrators_of_two_processes_keep_their_maps_in_step(settings: Settings) -> None:
    # Two server processes integrate in turns; each catches up with what the other did.
    first, second = Ledger(settings), Ledger(settings)
    key = new_key()
    try:
        logs = [TransparencyLog(x.store, key, batch_size=3) for x in (first, second)]
        for turn in range(6):
            harvests(first, 4, start=4 * turn)
            first.record("coop-log", "Inspected", {"kind": "visual", "verdict": "pass"},
                         lot=f"LOG{turn:05d}")
            logs[turn % 2].integrate_batch()
            logs[(turn + 1) % 2].integrate_batch()
        for log in logs:
            log.integrate()
        for checkpoint in signed(logs[0]):
            assert heads_root(checkpoint) == reference_root(first.store, checkpoint.size)
        assert logs[1].audit().heads_checked == len(signed(logs[0]))
    finally:
        first.close()
        second.close()


class Crash(Exception):
    pass


def test_a_failed_batch_drops_the_map_and_the_next_is_right(
        ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    harvests(ledger, 6)
    log = TransparencyLog(ledger.store, new_key(), batch_size=4)
    log.integrate_batch()
    real = integrator_module._advance

    def crash(*args: object) -> None:
        real(*args)  # type: ignore[arg-type]
        raise Crash  # after the map took the batch's heads, before the commit

    monkeypatch.setattr(integrator_module, "_advance", crash)
    with pytest.raises(Crash):
        log.integrate_batch()
    monkeypatch.undo()
    log.integrate()
    latest = log.latest_checkpoint()
    assert latest.size == 7
    assert latest.heads_root == reference_root(ledger.store, 7)


def _resign(log: TransparencyLog, size: int, heads: bytes | None) -> None:
    """Replace the stored checkpoint of ``size`` by one the log key signs with ``heads`` as
    its map root (None: no heads line), as a dishonest or older log would have."""
    stored = log.checkpoint(size)
    body = Checkpoint(stored.origin, size, stored.root_hash, signed_lines(heads, 1_789_000_000))
    note = sign_note(body.to_text(), [log.key.signer]).to_text()
    with log.store.engine.begin() as connection:
        connection.execute(update(log_checkpoints).where(log_checkpoints.c.size == size)
                           .values(note=note))


def test_the_audit_names_a_checkpoint_whose_heads_the_records_do_not_give(
        ledger: Ledger) -> None:
    harvests(ledger, 11)
    log = TransparencyLog(ledger.store, new_key(), batch_size=4)
    log.integrate()
    sizes = [checkpoint.size for checkpoint in signed(log)]
    assert sizes == [4, 8, 12]
    report = log.audit()
    assert (report.heads_checked, report.without_heads) == (3, ())
    assert report.heads_root == reference_root(ledger.store, 12)
    # A checkpoint signed before the log kept the map is reported as such, not failed.
    _resign(log, 4, None)
    assert log.audit().without_heads == (4,)
    # One that commits to heads the records do not have fails, naming it.
    _resign(log, 8, sha256(b"a map of other heads").digest())
    with pytest.raises(AuditFailed, match="stored checkpoint 8 signs chain-head map root"):
        log.audit()


def test_publishing_refuses_a_second_heads_root_for_one_size(ledger: Ledger) -> None:
    harvests(ledger, 3)
    key = new_key()
    log = TransparencyLog(ledger.store, key)
    log.integrate()
    latest = log.latest_checkpoint()
    with ledger.store.engine.begin() as connection:
        with pytest.raises(AuditFailed, match="second chain-head map root"):
            publish_checkpoint(connection, key, latest.size, latest.root_hash,
                               NodeCache(connection), heads=bytes(32))
        again = publish_checkpoint(connection, key, latest.size, latest.root_hash,
                                   NodeCache(connection), heads=latest.heads_root)
    assert again.note == latest.note


def test_head_proofs_follow_each_new_checkpoint(ledger: Ledger) -> None:
    kiwi_journey(ledger)
    log = TransparencyLog(ledger.store, LogKey(new_key().signer))
    first = build_bundle(ledger, log, "KG1")
    assert verified(log, first).complete
    cached = log.heads._map
    assert cached is not None
    assert cached.size == log.latest_checkpoint().size
    # New records in the lot and elsewhere; the next bundle's proofs come from the same map,
    # advanced by replaying the new checkpoint's leaves, not rebuilt.
    ledger.record(PLATFORM, "Inspected", {"kind": "visual", "verdict": "pass"}, lot="KG1")
    ledger.record(COOP, "Inspected", {"kind": "visual", "verdict": "pass"}, lot="KH2")
    second = build_bundle(ledger, log, "KG1")
    assert log.heads._map is cached
    assert cached.size == log.latest_checkpoint().size
    result = verified(log, second)
    assert result.complete
    assert result.checkpoint_size > verified(log, first).checkpoint_size
    # Another process builds its map from scratch (one grouped query): the same proofs.
    fresh = TransparencyLog(ledger.store, log.key)
    assert build_bundle(ledger, fresh, "KG1").heads == second.heads


def test_a_checkpoint_whose_heads_the_records_do_not_give_is_not_served(
        ledger: Ledger) -> None:
    kiwi_journey(ledger)
    log = TransparencyLog(ledger.store, new_key())
    log.integrate()
    size = log.latest_checkpoint().size
    _resign(log, size, sha256(b"a map of other heads").digest())
    with pytest.raises(AuditFailed, match=f"checkpoint {size} signs chain-head map root"):
        build_bundle(ledger, log, "KG1")


def test_a_checkpoint_without_the_map_gives_a_version_1_bundle_with_a_warning(
        ledger: Ledger) -> None:
    # A log upgraded in place: its latest checkpoint was signed before it kept the map.
    kiwi_journey(ledger)
    key = new_key()
    TransparencyLog(ledger.store, key, commit_heads=False).integrate()
    log = TransparencyLog(ledger.store, key)
    assert lines_of(log.latest_checkpoint().checkpoint) == ["agritrace/time"]
    old = build_bundle(ledger, log, "KG1")
    assert old.version == 1
    result = verified(log, old)
    assert (result.version, result.complete, result.warnings) == (1, False, (V1_WARNING,))
    # The next record integrated brings a checkpoint with the map, and version 2 bundles.
    ledger.record(PLATFORM, "Inspected", {"kind": "visual", "verdict": "pass"}, lot="KG1")
    new = build_bundle(ledger, log, "KG1")
    assert new.version == 2
    assert verified(log, new).complete
    assert log.audit().without_heads == (old.checkpoint.size,)


def test_the_heads_a_bundle_carries_are_the_maps(ledger: Ledger) -> None:
    kiwi_journey(ledger)
    log = TransparencyLog(ledger.store, new_key())
    bundle = build_bundle(ledger, log, "KG1")
    root = heads_root(bundle.checkpoint)
    assert root is not None
    assert bundle.heads is not None
    last = {}
    for entry in bundle.records:
        record = Record.from_bytes(entry.raw)
        last[record.chain] = record
    assert [head.chain for head in bundle.heads] == sorted(last)
    for head in bundle.heads:
        verify_head_proof(head.chain, head.seq, last[head.chain].hash, head.proof, root)
        assert head.seq == last[head.chain].seq


# -- reading a record's chain and seq ------------------------------------------------------

TIMES = st.from_regex(r"20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]"
                      r"(\.[0-9]{1,6})?Z", fullmatch=True)
JSON = st.recursive(st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=8)


@settings(max_examples=300, deadline=None)
@given(chain=st.from_regex(r"(lot|org)/[A-Za-z0-9._-]{1,40}", fullmatch=True),
       seq=st.integers(0, 2**53 - 1), kind=st.from_regex(r"[A-Z][A-Za-z]{1,39}", fullmatch=True),
       times=st.tuples(TIMES, TIMES), data=st.dictionaries(st.text(max_size=8), JSON, max_size=4))
def test_a_records_chain_and_seq_are_read_as_the_verifier_reads_them(
        chain: str, seq: int, kind: str, times: tuple[str, str], data: dict[str, object]) -> None:
    raw = canonical_bytes({"v": 1, "chain": chain, "seq": seq, "prev": "00" * 32,
                           "links": [], "type": kind, "data": data, "org": "coop",
                           "key": "k", "time": times[0], "recorded": times[1]})
    record = Record.from_bytes(raw)
    assert record_head(raw) == (record.chain, record.seq)


def test_bytes_that_are_no_record_have_no_head() -> None:
    raw = canonical_bytes({"v": 1, "chain": "lot/A", "seq": 3, "prev": "00" * 32,
                           "links": [], "type": "Stored", "data": {}, "org": "coop",
                           "key": "k", "time": "2026-09-10T00:00:00Z",
                           "recorded": "2026-09-10T00:00:00Z"})
    assert record_head(raw) == ("lot/A", 3)
    assert record_head(raw.replace(b"{", b"{ ", 1)) is None  # not canonical
    assert record_head(b"not a record") is None
    spaced = json.dumps(json.loads(raw), indent=1).encode()
    assert record_head(spaced) is None
