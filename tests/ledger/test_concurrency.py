"""Concurrent writers never fork a chain: the loser gets a retryable ChainConflict."""

from __future__ import annotations

import threading

import pytest

from ledger.application import Ledger
from ledger.config import Settings
from ledger.errors import ChainConflict
from ledger.persistence.work import UnitOfWork
from ledger.records_audit import audit_store
from tests.journeys import COOP, harvest, register_parties

STORED = {"facility": "冷库", "started": "2026-09-10T22:00:00+08:00"}


def test_two_writers_on_one_head_one_wins_the_other_may_retry(settings: Settings) -> None:
    first, second = Ledger(settings), Ledger(settings)
    try:
        register_parties(first)
        harvest(first, "KH0")
        # Both writers read the lot at the same head and append a record to it.
        works = [UnitOfWork(first.store), UnitOfWork(second.store)]
        for ledger, work in zip((first, second), works, strict=True):
            ledger.pipeline.record(work, COOP, "Stored", STORED, lot="KH0", time=None)
        works[0].commit()
        with pytest.raises(ChainConflict) as conflict:
            works[1].commit()
        assert conflict.value.chain == "lot/KH0"
        assert conflict.value.head == first.lot("KH0").head.hex()
        # Nothing of the losing unit was written; a retry on the new head succeeds.
        assert len(first.lot_history("KH0")) == 2
        second.record(COOP, "Stored", STORED, lot="KH0")
        assert [s.record.seq for s in first.lot_history("KH0")] == [0, 1, 2]
        audit_store(first.store)
    finally:
        first.close()
        second.close()


def test_eight_writers_lose_nothing_and_never_fork(settings: Settings) -> None:
    setup = Ledger(settings)
    register_parties(setup)
    harvest(setup, "KH0")
    writers, per_writer = 8, 6
    conflicts = [0] * writers
    errors: list[BaseException] = []
    start = threading.Barrier(writers, timeout=60)
    ledgers = [Ledger(settings) for _ in range(writers)]  # one store connection each

    def write(n: int) -> None:
        ledger = ledgers[n]
        try:
            start.wait()
            done = 0
            while done < per_writer:
                try:
                    ledger.record(COOP, "Stored", {**STORED, "facility": f"冷库{n}-{done}"},
                                  lot="KH0")
                    done += 1
                except ChainConflict:
                    conflicts[n] += 1
        except BaseException as error:  # surfaced below, with the thread's context
            errors.append(error)
        finally:
            ledger.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    history = setup.lot_history("KH0")
    assert [s.record.seq for s in history] == list(range(1 + writers * per_writer))
    facilities = [s.record.data["facility"] for s in history[1:]]
    assert len(set(facilities)) == writers * per_writer  # none lost, none twice
    audit_store(setup.store)
    setup.close()


def test_several_processes_may_open_a_new_store_at_once(settings: Settings) -> None:
    """Workers starting together must not race each other creating tables."""
    errors: list[BaseException] = []
    start = threading.Barrier(4, timeout=60)

    def open_store() -> None:
        try:
            start.wait()
            Ledger(settings).close()
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=open_store) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors


def test_a_key_rotated_while_recording_makes_the_record_retry(settings: Settings) -> None:
    """Without a guard the record would land after the rotation, signed by a revoked key,
    and every later audit would fail."""
    writer, keeper = Ledger(settings), Ledger(settings)
    try:
        register_parties(writer)
        harvest(writer, "KH0")
        work = UnitOfWork(writer.store)
        writer.pipeline.record(work, COOP, "Stored", STORED, lot="KH0", time=None)
        keeper.rotate_key(COOP)  # commits between the writer's read and its save
        with pytest.raises(ChainConflict, match="keys changed"):
            work.commit()
        writer.record(COOP, "Stored", STORED, lot="KH0")
        assert writer.lot_history("KH0")[-1].record.key in keeper.organisation(COOP).active_keys
        audit_store(writer.store)
    finally:
        writer.close()
        keeper.close()
