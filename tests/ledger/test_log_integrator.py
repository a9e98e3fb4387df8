"""The integrator and checkpoints: the log is the RFC 9162 tree of every record, in order,
whatever crashes, restarts or competing integrators happen on the way. SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text, update

import ledger.log.integrator as integrator_module
from ledger.application import Ledger
from ledger.config import Settings
from ledger.errors import AuditFailed, InvalidInput
from ledger.log import (
    DEFAULT_ORIGIN,
    CheckpointPolicy,
    Integrator,
    TransparencyLog,
    load_log_key,
)
from ledger.log.background import BackgroundIntegrator
from ledger.log.checkpoints import publish_checkpoint
from ledger.log.nodes import NodeCache
from ledger.persistence.tables import log_nodes
from tests.conftest import PG_DSN
from tests.ledger.test_log_helpers import (
    assert_log_matches_store,
    harvests,
    leaf_hashes,
    new_key,
    stored_leaves,
)
from verify.checkpoints import Checkpoint
from verify.merkle import root_from_leaf_hashes
from verify.notes import Signer, Verifier, open_note


class Crash(Exception):
    """A failure injected in the middle of a batch."""


def test_log_is_the_tree_of_every_record_in_order(ledger: Ledger) -> None:
    # A cooperative records 30 harvests (31 records with its registration).
    harvests(ledger, 30)
    log = TransparencyLog(ledger.store, new_key(), batch_size=7)
    # The integrator appends them all, a checkpoint after each batch.
    assert log.integrate() == 31
    assert_log_matches_store(log)
    with ledger.store.engine.connect() as connection:
        sizes = [int(s) for s in connection.execute(
            text("SELECT size FROM agritrace_log_checkpoints ORDER BY size")).scalars()]
    assert sizes == [7, 14, 21, 28, 31]
    # Caught up: another round appends nothing and signs nothing new.
    assert log.integrate() == 0
    # More records later extend the same tree.
    harvests(ledger, 5, start=30)
    assert log.integrate() == 5
    assert_log_matches_store(log)


def test_checkpoint_verifies_with_the_log_verifier_key(ledger: Ledger) -> None:
    harvests(ledger, 3)
    log = TransparencyLog(ledger.store, new_key("agritrace.example/kiwi-log"))
    log.integrate()
    latest = log.latest_checkpoint()
    note = open_note(latest.note, [Verifier.from_vkey(log.vkey)])
    checkpoint = Checkpoint.from_text(note.text)
    assert checkpoint.origin == "agritrace.example/kiwi-log" == log.origin
    assert checkpoint.size == 4
    assert checkpoint.root_hash == root_from_leaf_hashes(leaf_hashes(ledger.store))
    assert log.vkey.startswith("agritrace.example/kiwi-log+")


def test_checkpoint_policy_counts_leaves(ledger: Ledger) -> None:
    harvests(ledger, 20)
    log = TransparencyLog(ledger.store, new_key(), batch_size=4,
                          policy=CheckpointPolicy(min_leaves=10, max_age=3600))
    published = []
    while (result := log.integrate_batch()).leaves:
        if result.checkpoint:
            published.append(result.checkpoint.size)
    # The first checkpoint is published at once; later ones after 10 more leaves.
    assert published == [4, 16]
    # After an hour without one, any unpublished leaf is published.
    aged = CheckpointPolicy(min_leaves=10, max_age=0)
    assert TransparencyLog(ledger.store, log.key, policy=aged).integrate_batch().checkpoint


def _crashing(real: Callable[..., Any], rng: random.Random) -> Callable[..., Any]:
    def step(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        if rng.random() < 0.25:
            raise Crash(real.__name__)
        return result
    return step


def test_crashes_mid_batch_never_skip_repeat_or_reorder(
        ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(20260910)
    for point in ("_insert_leaves", "_insert_nodes", "_advance", "_publish"):
        monkeypatch.setattr(integrator_module, point,
                            _crashing(getattr(integrator_module, point), rng))
    key, crashes, recorded = new_key(), 0, 0
    for _ in range(8):
        # Records keep arriving between restarts.
        count = rng.randint(1, 8)
        harvests(ledger, count, start=recorded)
        recorded += count
        # A fresh integrator (a restart) with a random batch size, crashing at random.
        integrator = Integrator(ledger.store, key, batch_size=rng.randint(1, 6))
        for _ in range(6):
            try:
                integrator.integrate()
            except Crash:
                crashes += 1
    monkeypatch.undo()
    TransparencyLog(ledger.store, key).integrate()
    assert crashes > 5
    assert_log_matches_store(TransparencyLog(ledger.store, key))
    TransparencyLog(ledger.store, key).audit()


CHILD = """
import sys, time
import ledger.log.integrator as m
from ledger.config import Settings
from ledger.log import Integrator, load_log_key
from ledger.persistence.store import EventStore

real = m._insert_nodes
def slow(connection, nodes):
    real(connection, nodes)
    time.sleep(0.004)
m._insert_nodes = slow
settings = Settings(db_url=sys.argv[1], master_key=bytes(32))
integrator = Integrator(EventStore(settings), load_log_key(settings), batch_size=3)
print("ready", flush=True)
while True:
    integrator.integrate_batch()
"""


def test_killed_integrator_process_restarts_where_it_stopped(tmp_path: Path) -> None:
    settings = Settings(db_url=f"sqlite:///{tmp_path / 'kill.db'}", master_key=bytes(32))
    ledger = Ledger(settings)
    harvests(ledger, 120)
    key = new_key()
    env = {**os.environ, "AGRITRACE_LOG_KEY": key.signer.to_skey()}
    rng = random.Random(7)
    sizes = []
    try:
        for _ in range(4):
            # Start the integrator, let it run a random while, and SIGKILL it.
            child = subprocess.Popen([sys.executable, "-c", CHILD, settings.db_url], env=env,
                                     stdout=subprocess.PIPE, text=True)
            assert child.stdout is not None
            assert child.stdout.readline() == "ready\n"
            # Kill it a random moment after it made progress: a fixed delay alone can pass
            # before a loaded machine lets the child commit anything.
            reached = sizes[-1] if sizes else 0
            deadline = time.monotonic() + 60
            while len(stored_leaves(ledger.store)) <= reached and time.monotonic() < deadline:
                time.sleep(0.005)
            time.sleep(rng.uniform(0.0, 0.03))
            child.send_signal(signal.SIGKILL)
            child.wait()
            child.stdout.close()
            sizes.append(len(stored_leaves(ledger.store)))
        # Each run got somewhere, and a final run in one go finishes the same tree.
        assert sizes == sorted(sizes)
        assert 0 < sizes[-1] < 121, sizes
        log = TransparencyLog(ledger.store, key)
        log.integrate()
        assert_log_matches_store(log)
        log.audit()
    finally:
        ledger.close()


def test_competing_integrators_build_one_tree(settings: Settings,
                                              caplog: pytest.LogCaptureFixture) -> None:
    # Two server processes, each with its own store connection and integrator thread.
    first, second = Ledger(settings), Ledger(settings)
    key = new_key()
    logs = [TransparencyLog(x.store, key, batch_size=5) for x in (first, second)]
    threads = [BackgroundIntegrator(log, idle=0.01) for log in logs]
    try:
        for thread in threads:
            thread.start()
        # Records arrive while both integrate.
        for start in range(0, 40, 8):
            harvests(first, 8, start=start, per_commit=4)
        for thread in threads:
            thread.stop()
        logs[0].integrate()
        assert_log_matches_store(logs[1])
        logs[1].audit()
        assert not [r for r in caplog.records if r.levelname == "ERROR"]
    finally:
        for thread in threads:
            thread.stop()
        first.close()
        second.close()


@pytest.fixture
def pg_ledger(postgres_available: bool) -> Iterator[Ledger]:
    if not postgres_available:
        pytest.skip("PostgreSQL is not reachable")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    ledger = Ledger(Settings(db_url=f"{PG_DSN}?schema={schema}", master_key=bytes(32)))
    yield ledger
    with ledger.store.engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    ledger.close()


def test_postgres_integrator_yields_while_another_holds_the_lock(pg_ledger: Ledger) -> None:
    pg_store = pg_ledger.store
    harvests(pg_ledger, 4)
    integrator = Integrator(pg_store, new_key())
    with pg_store.engine.begin() as holder:
        # Another server process is integrating: it holds the advisory lock.
        holder.execute(text("SELECT pg_advisory_xact_lock(:k)"),
                       {"k": integrator_module._advisory_key(pg_store.backend.schema)})
        busy = integrator.integrate_batch()
        assert busy.busy
        assert busy.leaves == 0
    # Once it lets go, this one integrates.
    done = integrator.integrate_batch()
    assert not done.busy
    assert done.leaves == 5


def test_never_signs_two_roots_for_one_size_or_a_smaller_tree(ledger: Ledger) -> None:
    harvests(ledger, 6)
    key = new_key()
    log = TransparencyLog(ledger.store, key, batch_size=4)
    log.integrate()
    latest = log.latest_checkpoint()
    with ledger.store.engine.begin() as connection:
        nodes = NodeCache(connection)
        with pytest.raises(AuditFailed, match="second root"):
            publish_checkpoint(connection, key, latest.size, bytes(32), nodes)
        with pytest.raises(AuditFailed, match="already published"):
            publish_checkpoint(connection, key, 4, latest.root_hash, nodes)
        # Asking again for the same tree returns the checkpoint already signed.
        again = publish_checkpoint(connection, key, latest.size, latest.root_hash, nodes)
        assert again.note == latest.note


def test_refuses_to_sign_a_tree_inconsistent_with_the_last_checkpoint(ledger: Ledger) -> None:
    harvests(ledger, 8)
    key = new_key()
    log = TransparencyLog(ledger.store, key, batch_size=8)
    log.integrate()
    before = log.latest_checkpoint()
    # Someone overwrites a stored node of the published tree (leaves 0-7)...
    with ledger.store.engine.begin() as connection:
        connection.execute(update(log_nodes).where(log_nodes.c.level == 3,
                                                   log_nodes.c.node_index == 0)
                           .values(hash=bytes(32)))
    # ...so the next batch's tree no longer proves consistent with the last checkpoint.
    harvests(ledger, 3, start=8)
    with pytest.raises(AuditFailed, match="not consistent with published checkpoint 9"):
        log.integrate()
    # Nothing was integrated or signed.
    assert log.latest_checkpoint() == before
    assert len(stored_leaves(ledger.store)) == 9


def test_log_key_file_is_created_once_with_mode_0600(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AGRITRACE_LOG_KEY", "AGRITRACE_LOG_KEY_FILE", "AGRITRACE_LOG_ORIGIN"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(db_url=f"sqlite:///{tmp_path / 'a.db'}")
    key = load_log_key(settings)
    path = tmp_path / "a.db.log-key"
    assert path.stat().st_mode & 0o777 == 0o600
    assert key.origin == DEFAULT_ORIGIN
    assert load_log_key(settings).vkey == key.vkey  # the same key on the next start
    # The origin must be the key's name.
    monkeypatch.setenv("AGRITRACE_LOG_ORIGIN", "other.example/log")
    with pytest.raises(InvalidInput, match="origin"):
        load_log_key(settings)
    # A key given in the environment wins over the file.
    given = Signer.generate("other.example/log")
    monkeypatch.setenv("AGRITRACE_LOG_KEY", given.to_skey())
    assert load_log_key(settings).vkey == given.verifier.to_vkey()
    monkeypatch.setenv("AGRITRACE_LOG_KEY", "PRIVATE+KEY+nonsense")
    with pytest.raises(InvalidInput, match="AGRITRACE_LOG_KEY"):
        load_log_key(settings)
