"""The log's stored tree: complete-subtree node hashes, and the in-memory right frontier.

RFC 9162 section 2.1 (https://www.rfc-editor.org/rfc/rfc9162#section-2.1) defines the tree;
``verify.merkle`` computes roots and proofs from ``get_node(level, index)``, the hash of the
complete subtree of 2**level leaves starting at leaf ``index * 2**level``. The log stores every
such node once, when it becomes complete, in ``agritrace_log_nodes``; level 0 holds the leaf
hashes. A tree of any size is then a handful of stored nodes (its *frontier*: one complete
subtree per set bit of the size), so appending needs no re-reading of older nodes and every
proof needs O(log n) reads, fetched here in one query (`NodeCache.prefetch`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from sqlalchemy import Connection

from ledger.persistence.tables import log_nodes
from verify.merkle import EMPTY_ROOT, Node, node_hash

__all__ = [
    "Frontier",
    "NodeCache",
    "bulk_insert",
    "frontier_addresses",
    "insert_nodes",
    "read_nodes",
]

Address = tuple[int, int]  # (level, node index)
T = TypeVar("T")


def frontier_addresses(size: int) -> list[Address]:
    """The complete subtrees that make up a tree of ``size`` leaves, leftmost (highest) first.

    Requires size >= 0. One per set bit of ``size``: the subtree of 2**level leaves at
    node index (size >> level) - 1.
    """
    if size < 0:
        raise ValueError(f"tree size {size} is negative")
    return [(level, (size >> level) - 1)
            for level in reversed(range(size.bit_length())) if size >> level & 1]


class Frontier:
    """The right edge of a tree: appends leaves and names the nodes each one completes.

    A compact range in the sense of transparency-dev/merkle: O(log n) hashes, amortised O(1)
    hashing per appended leaf, the same nodes as ``verify.merkle.completed_nodes``.
    """

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        """A frontier for a tree of ``size`` leaves, given the hashes of
        ``frontier_addresses(size)`` in that order."""
        levels = [level for level, _ in frontier_addresses(size)]
        if len(levels) != len(hashes):
            raise ValueError(f"a tree of size {size} has {len(levels)} frontier nodes, "
                             f"not {len(hashes)}")
        self.size = size
        self._stack: list[tuple[int, bytes]] = list(zip(levels, hashes, strict=True))

    def append(self, leaf_hash: bytes) -> list[Node]:
        """Append one leaf; returns it (level 0) and each node it completes, lowest first."""
        index = self.size
        self.size += 1
        stack = self._stack
        completed = [Node(0, index, leaf_hash)]
        level, value = 0, leaf_hash
        while stack and stack[-1][0] == level:
            value = node_hash(stack.pop()[1], value)
            level += 1
            completed.append(Node(level, (self.size >> level) - 1, value))
        stack.append((level, value))
        return completed

    def root(self) -> bytes:
        """MTH of the leaves appended so far; EMPTY_ROOT for none."""
        if not self._stack:
            return EMPTY_ROOT
        value = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            value = node_hash(left, value)
        return value

    def hashes(self) -> list[bytes]:
        """The frontier's node hashes, in ``frontier_addresses(self.size)`` order."""
        return [value for _, value in self._stack]

    @classmethod
    def load(cls, connection: Connection, size: int) -> Frontier:
        """Read the frontier of the stored tree of ``size`` leaves (at most 64 nodes)."""
        addresses = frontier_addresses(size)
        found = read_nodes(connection, addresses)
        missing = [a for a in addresses if a not in found]
        if missing:
            raise LookupError(f"stored tree of size {size} lacks node {missing[0]}")
        return cls(size, [found[a] for a in addresses])


def read_nodes(connection: Connection, addresses: Iterable[Address]) -> dict[Address, bytes]:
    """The stored hashes of these nodes (absent ones are left out), in one query per 200.

    A driver-level join against a VALUES list: each pair is a primary-key lookup, and no
    SQL expression is compiled per call (this is every proof's hot path).
    """
    wanted = sorted(set(addresses))
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    found: dict[Address, bytes] = {}
    for start in range(0, len(wanted), 200):
        chunk = wanted[start:start + 200]
        pairs = ", ".join(f"({mark}, {mark})" for _ in chunk)
        sql = (f"WITH wanted(l, i) AS (VALUES {pairs}) "  # noqa: S608 - marks only
               f"SELECT level, node_index, hash FROM {log_nodes.name} "
               "JOIN wanted ON level = wanted.l AND node_index = wanted.i")
        params = tuple(value for pair in chunk for value in pair)
        for level, index, value in connection.exec_driver_sql(sql, params):
            found[int(level), int(index)] = bytes(value)
    return found


def insert_nodes(connection: Connection, nodes: Sequence[Node]) -> None:
    """Insert newly completed nodes with one driver-level executemany."""
    if nodes:
        bulk_insert(connection, log_nodes.name, ("level", "node_index", "hash"),
                    [(n.level, n.index, n.hash) for n in nodes])


def bulk_insert(connection: Connection, table: str, columns: Sequence[str],
                rows: Sequence[tuple[object, ...]]) -> None:
    """One DB-API executemany, bypassing SQLAlchemy's per-row parameter processing (the
    integrator's hot path). ``table`` and ``columns`` are our own constant names."""
    style = connection.dialect.paramstyle
    mark = "?" if style == "qmark" else "%s"
    sql = (f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608
           f"VALUES ({', '.join([mark] * len(columns))})")
    connection.exec_driver_sql(sql, list(rows))


class NodeCache:
    """``get_node`` over stored nodes, with in-memory overrides and one-query prefetching."""

    def __init__(self, connection: Connection, known: dict[Address, bytes] | None = None) -> None:
        self._connection = connection
        self._known: dict[Address, bytes] = dict(known or {})

    def get_node(self, level: int, index: int) -> bytes:
        value = self._known.get((level, index))
        if value is None:
            value = read_nodes(self._connection, [(level, index)]).get((level, index))
            if value is None:
                raise LookupError(f"the log stores no node at level {level} index {index}")
            self._known[level, index] = value
        return value

    def prefetch(self, calculation: Callable[[Callable[[int, int], bytes]], T]) -> T:
        """Run ``calculation(get_node)`` reading every node it needs in one query.

        Which nodes a root or proof reads depends only on sizes and indices, never on hash
        values, so a dry run with placeholder hashes names them all.
        """
        wanted: list[Address] = []

        def record(level: int, index: int) -> bytes:
            if (level, index) not in self._known:
                wanted.append((level, index))
            return self._known.get((level, index), bytes(32))

        calculation(record)
        if wanted:
            self._known.update(read_nodes(self._connection, wanted))
        return calculation(self.get_node)
