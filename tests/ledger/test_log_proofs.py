"""Proofs and tiles served by the log: every one verifies against a published checkpoint, and
impossible requests are refused with the reason. SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from hashlib import sha256

import pytest

from ledger.application import Ledger
from ledger.errors import InvalidInput, LedgerError, NotFound
from ledger.log import TileAddress, TransparencyLog, parse_tile_path, tile_path
from ledger.log.tiles import split_entry_bundle
from tests.ledger.test_log_helpers import harvests, new_key, ref_path, ref_proof
from verify.checkpoints import Checkpoint
from verify.merkle import (
    leaf_hash,
    node_hash,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)
from verify.notes import Verifier, open_note
from verify.proofs import TlogProof


@pytest.fixture
def log(ledger: Ledger) -> TransparencyLog:
    """31 records in checkpoints of sizes 6, 12, 18, 24, 30 and 31."""
    harvests(ledger, 30)
    transparency_log = TransparencyLog(ledger.store, new_key(), batch_size=6)
    transparency_log.integrate()
    return transparency_log


def _sizes(log: TransparencyLog) -> list[int]:
    return [6, 12, 18, 24, 30, 31]


def test_every_inclusion_proof_verifies_against_its_checkpoint(log: TransparencyLog) -> None:
    records = list(log.store.records())
    hashes = [leaf_hash(r.raw) for r in records]
    verifier = Verifier.from_vkey(log.vkey)
    for size in _sizes(log):
        checkpoint = Checkpoint.from_text(open_note(log.checkpoint(size).note, [verifier]).text)
        for index, record in enumerate(records[:size]):
            by_index = log.inclusion_by_index(index, size)
            by_hash = log.inclusion_by_hash(sha256(record.raw).hexdigest(), size)
            assert by_index == by_hash
            assert by_index.leaf_hash == leaf_hash(record.raw)
            verify_inclusion(index, size, leaf_hash(record.raw), by_index.hashes,
                             checkpoint.root_hash)
            assert list(by_index.hashes) == ref_path(index, hashes[:size])
    # Without a size, the proof is against the latest checkpoint; its tlog-proof text
    # round-trips and carries that checkpoint.
    proof = log.inclusion_by_index(3)
    assert proof.tree_size == 31
    text = proof.to_tlog_proof().to_text()
    assert TlogProof.from_text(text) == proof.to_tlog_proof()


def test_every_consistency_proof_verifies(log: TransparencyLog) -> None:
    hashes = [leaf_hash(r.raw) for r in log.store.records()]
    for old in _sizes(log):
        for new in _sizes(log):
            if old > new:
                continue
            proof = log.consistency(old, new)
            verify_consistency(old, new, proof.old.root_hash, proof.new.root_hash,
                               proof.hashes)
            assert list(proof.hashes) == ref_proof(old, hashes[:new])


IMPOSSIBLE: list[tuple[Callable[[TransparencyLog], object], type[LedgerError], str, str]] = [
    (lambda log: log.inclusion_by_hash("ab" * 32), NotFound, "hash", "no record with hash"),
    (lambda log: log.inclusion_by_hash("abc"), InvalidInput, "hash", "64 hex digits"),
    (lambda log: log.inclusion_by_hash("zz" * 32), InvalidInput, "hash", "64 hex digits"),
    (lambda log: log.inclusion_by_hash(b"\x00" * 31), InvalidInput, "hash", "64 hex digits"),
    (lambda log: log.inclusion_by_index(0, 7), NotFound, "size", "no checkpoint of tree size 7"),
    (lambda log: log.inclusion_by_index(6, 6), InvalidInput, "index", "not in the tree of size"),
    (lambda log: log.inclusion_by_index(-1, 6), InvalidInput, "index", "0 or more"),
    (lambda log: log.inclusion_by_index(0, 0), InvalidInput, "size", "at least 1"),
    (lambda log: log.consistency(12, 6), InvalidInput, "from", "must not exceed"),
    (lambda log: log.consistency(0, 6), InvalidInput, "from", "at least 1"),
    (lambda log: log.consistency(6, 40), NotFound, "to", "latest is size 31"),
    (lambda log: log.consistency(5, 6), NotFound, "from", "no checkpoint of tree size 5"),
    (lambda log: log.checkpoint(2), NotFound, "size", "no checkpoint"),
]


def test_impossible_requests_say_why(log: TransparencyLog) -> None:
    for call, error, field, reason in IMPOSSIBLE:
        with pytest.raises(error, match=reason) as raised:
            call(log)
        assert raised.value.field == field


def test_a_record_after_the_checkpoint_is_not_yet_provable(log: TransparencyLog) -> None:
    last = list(log.store.records())[-1]
    with pytest.raises(InvalidInput, match="is leaf 30, not in the tree of size 30"):
        log.inclusion_by_hash(sha256(last.raw).digest(), 30)


def test_wait_for_inclusion_integrates_then_proves(ledger: Ledger) -> None:
    harvests(ledger, 2)
    log = TransparencyLog(ledger.store, new_key())
    receipts = ledger.record_batch("coop-log", [])  # nothing: the log still waits correctly
    assert receipts == []
    last = list(ledger.store.records())[-1]
    proof = log.wait_for_inclusion(sha256(last.raw).hexdigest(), timeout=2)
    assert proof.leaf_index == 2
    assert proof.tree_size == 3
    with pytest.raises(NotFound, match="no record with hash"):
        log.wait_for_inclusion("00" * 32, timeout=0.1)


# --- C2SP tlog-tiles --------------------------------------------------------------------


@pytest.mark.parametrize(("path", "address"), [
    ("tile/0/000", TileAddress(0, 0)),
    ("tile/0/x001/x234/067", TileAddress(0, 1234067)),
    ("tile/1/x001/x234/067.p/8", TileAddress(1, 1234067, 8)),
    ("tile/entries/x001/x234/067", TileAddress(0, 1234067, None, entries=True)),
    ("tile/entries/000.p/255", TileAddress(0, 0, 255, entries=True)),
    ("tile/63/999", TileAddress(63, 999)),
])
def test_tile_paths_round_trip(path: str, address: TileAddress) -> None:
    assert parse_tile_path(path) == address
    assert parse_tile_path("/log/" + path) == address
    assert tile_path(address) == path


@pytest.mark.parametrize("path", [
    "tile/0/0", "tile/0/x000/001", "tile/0/1234", "tile/00/000", "tile/64/000",
    "tile/0/000.p/0", "tile/0/000.p/256", "tile/0/000.p/08", "tile/0/x1/000", "tile/x/000",
    "tile/0/000/", "tiles/0/000", "tile/0/001.p/", "tile/entries/-01",
])
def test_malformed_tile_paths_are_refused(path: str) -> None:
    with pytest.raises(InvalidInput, match="not a tlog-tiles path"):
        parse_tile_path(path)


def test_tiles_and_entry_bundles_rebuild_the_checkpoint(ledger: Ledger) -> None:
    # 300 records: one full level-0 tile, one partial, and a one-hash level-1 tile.
    harvests(ledger, 299, per_commit=100)
    log = TransparencyLog(ledger.store, new_key(), batch_size=1000)
    log.integrate()
    records = list(ledger.store.records())
    hashes = [leaf_hash(r.raw) for r in records]
    full = log.tile("tile/0/000")
    partial = log.tile("tile/0/001.p/44")
    assert full == b"".join(hashes[:256])
    assert partial == b"".join(hashes[256:300])
    assert log.tile("tile/0/001.p/10") == b"".join(hashes[256:266])
    # A client rebuilds the checkpoint's root from the tiles alone.
    assert log.tile("tile/1/000.p/1") == root_from_leaf_hashes(hashes[:256])
    assert node_hash(log.tile("tile/1/000.p/1"), root_from_leaf_hashes(hashes[256:])) == \
        log.latest_checkpoint().root_hash
    # Entry bundles hold the record bytes, uint16 length-prefixed.
    entries = split_entry_bundle(log.tile("tile/entries/000")) + \
        split_entry_bundle(log.tile("tile/entries/001.p/44"))
    assert entries == [r.raw for r in records]
    assert log.tile("tile/entries/001.p/44")[:2] == len(records[256].raw).to_bytes(2, "big")
    # Nothing beyond the latest checkpoint is served.
    for beyond in ("tile/0/001", "tile/0/001.p/45", "tile/1/000", "tile/2/000.p/1",
                   "tile/entries/001", "tile/entries/002.p/1"):
        with pytest.raises(NotFound, match="beyond the latest checkpoint"):
            log.tile(beyond)


def test_no_tiles_before_the_first_checkpoint(ledger: Ledger) -> None:
    log = TransparencyLog(ledger.store, new_key())
    with pytest.raises(NotFound, match="no checkpoint"):
        log.tile("tile/0/000.p/1")
    with pytest.raises(NotFound, match="no checkpoint"):
        log.latest_checkpoint()
