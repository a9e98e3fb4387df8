"""Shared helpers for the transparency-log tests (``tests/test_log_*.py``).

A ten-line reference (the recursive RFC 9162 MTH) checks the fast frontier here too, so this
module holds tests of its own.
"""

from __future__ import annotations

from hashlib import sha256
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, text, update

from ledger.application import Ledger
from ledger.log import LogKey, TransparencyLog
from ledger.log.nodes import Frontier, frontier_addresses
from ledger.persistence.store import EventStore, events_table, notification_column
from ledger.persistence.tables import log_checkpoints, log_leaves, log_nodes, log_state
from verify.merkle import completed_nodes, leaf_hash, node_hash, root_from_leaf_hashes
from verify.notes import Signer

ORG = "coop-log"
ORIGIN = {"province": "湖南省", "city": "湘西土家族苗族自治州", "county": "凤凰县"}


def new_key(origin: str = "agritrace.test/log") -> LogKey:
    return LogKey(Signer.generate(origin))


def harvests(ledger: Ledger, count: int, *, start: int = 0, per_commit: int = 25) -> None:
    """Register the test organisation if needed, then record ``count`` harvests."""
    if not ledger.chains("org"):
        ledger.register_organisation(ORG, name="凤凰县测试合作社", roles=["cooperative"])
    for first in range(start, start + count, per_commit):
        last = min(first + per_commit, start + count)
        ledger.record_batch(ORG, [{
            "step": "Harvested", "lot": f"LOG{i:05d}",
            "data": {"product": {"name": "猕猴桃"}, "quantity": f"{100 + i}", "unit": "kg",
                     "origin": ORIGIN, "started": "2026-09-10T06:00:00+08:00",
                     "ended": "2026-09-10T11:00:00+08:00"},
        } for i in range(first, last)])


def leaf_hashes(store: EventStore) -> list[bytes]:
    return [leaf_hash(record.raw) for record in store.records()]


def expected_nodes(hashes: list[bytes]) -> dict[tuple[int, int], bytes]:
    """Every complete-subtree node of the tree of ``hashes``, built in one go."""
    nodes: dict[tuple[int, int], bytes] = {}
    for index, value in enumerate(hashes):
        for node in completed_nodes(index, value, lambda lv, i: nodes[lv, i]):
            nodes[node.level, node.index] = node.hash
    return nodes


def stored_nodes(store: EventStore) -> dict[tuple[int, int], bytes]:
    query = select(log_nodes.c.level, log_nodes.c.node_index, log_nodes.c.hash)
    with store.engine.connect() as connection:
        return {(int(lv), int(i)): bytes(h) for lv, i, h in connection.execute(query)}


def stored_leaves(store: EventStore) -> list[tuple[int, int, bytes]]:
    query = select(log_leaves).order_by(log_leaves.c.leaf_index)
    with store.engine.connect() as connection:
        return [(int(i), int(n), bytes(h)) for i, n, h in connection.execute(query)]


def assert_log_matches_store(log: TransparencyLog) -> None:
    """The log equals the tree built in one go over every record, in notification order."""
    records = list(log.store.records())
    assert stored_leaves(log.store) == [
        (i, r.notification_id, sha256(r.raw).digest()) for i, r in enumerate(records)]
    hashes = [leaf_hash(r.raw) for r in records]
    assert stored_nodes(log.store) == expected_nodes(hashes)
    assert log.latest_checkpoint().size == len(records)
    assert log.latest_checkpoint().root_hash == root_from_leaf_hashes(hashes)


def sql(store: EventStore, statement: str, **params: Any) -> None:
    with store.engine.begin() as connection:
        connection.execute(text(statement), params)


def drop_events_after(store: EventStore, keep: int) -> None:
    """Delete every stored event after the first ``keep``, as a truncation would."""
    ids = [r.notification_id for r in store.records()]
    table, column = events_table(store.backend), notification_column(store.backend)
    sql(store, f"DELETE FROM {table} WHERE {column} > :last", last=ids[keep - 1])  # noqa: S608


def clear_log(store: EventStore) -> None:
    """Empty the log's tables, as an attacker rebuilding them from a rewritten store would."""
    with store.engine.begin() as connection:
        for table in (log_leaves, log_nodes, log_checkpoints):
            connection.execute(delete(table))
        connection.execute(update(log_state).values(size=0, position=0))


def roll_back_log(store: EventStore, size: int) -> None:
    """Cut the log's tables back to ``size`` leaves, consistently (a restored backup)."""
    with store.engine.begin() as connection:
        position = connection.execute(select(log_leaves.c.notification_id)
                                      .where(log_leaves.c.leaf_index == size - 1)).scalar_one()
        connection.execute(delete(log_leaves).where(log_leaves.c.leaf_index >= size))
        connection.execute(delete(log_checkpoints).where(log_checkpoints.c.size > size))
        for level, index in stored_nodes(store):
            if (index + 1) << level > size:
                connection.execute(delete(log_nodes).where(log_nodes.c.level == level,
                                                           log_nodes.c.node_index == index))
        connection.execute(update(log_state).values(size=size, position=position))


# --- reference checks of the frontier ----------------------------------------------------


def ref_mth(d: list[bytes]) -> bytes:
    if len(d) <= 1:
        return d[0] if d else sha256(b"").digest()
    k = 1
    while k * 2 < len(d):
        k *= 2
    return node_hash(ref_mth(d[:k]), ref_mth(d[k:]))


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_path(m: int, d: list[bytes]) -> list[bytes]:
    """RFC 9162 PATH(m, D[n]), over leaf hashes."""
    if len(d) <= 1:
        return []
    k = _k(len(d))
    if m < k:
        return [*ref_path(m, d[:k]), ref_mth(d[k:])]
    return [*ref_path(m - k, d[k:]), ref_mth(d[:k])]


def ref_proof(m: int, d: list[bytes], whole: bool = True) -> list[bytes]:
    """RFC 9162 SUBPROOF(m, D[n], b), over leaf hashes."""
    if m == len(d):
        return [] if whole else [ref_mth(d)]
    k = _k(len(d))
    if m <= k:
        return [*ref_proof(m, d[:k], whole), ref_mth(d[k:])]
    return [*ref_proof(m - k, d[k:], False), ref_mth(d[:k])]


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=300), st.integers(min_value=0, max_value=300))
def test_frontier_matches_reference_and_completed_nodes(size: int, more: int) -> None:
    hashes = [sha256(i.to_bytes(4, "big")).digest() for i in range(size + more)]
    nodes = expected_nodes(hashes[:size])
    frontier = Frontier(size, [nodes[a] for a in frontier_addresses(size)])
    assert frontier.root() == ref_mth(hashes[:size]) == root_from_leaf_hashes(hashes[:size])
    appended = {}
    for value in hashes[size:]:
        for node in frontier.append(value):
            appended[node.level, node.index] = node.hash
    whole = expected_nodes(hashes)
    assert appended == {a: h for a, h in whole.items() if a not in nodes}
    assert frontier.root() == ref_mth(hashes)
    assert frontier.hashes() == [whole[a] for a in frontier_addresses(len(hashes))]
