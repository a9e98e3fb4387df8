"""Merkle tree hashing, proofs and their verification, per RFC 9162 section 2.1.

https://www.rfc-editor.org/rfc/rfc9162#section-2.1 (the RFC 6962 tree, SHA-256):
leaf hash = SHA-256(0x00 || entry), node hash = SHA-256(0x01 || left || right), and the
hash of the empty tree is SHA-256 of nothing. Verifiers (`verify_*`) return None or raise
`ProofInvalid` / `RootMismatch`; `root_from_*` are pure calculations.

The writer side reads *complete subtrees* only: ``get_node(level, index)`` returns the hash of
the 2**level leaves starting at leaf ``index * 2**level`` (level 0 holds the leaf hashes).
`completed_nodes` names the nodes that become complete when a leaf is appended, so a log stores
each node once, and every proof or root then needs O(log n) node reads.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from hashlib import sha256

from verify.errors import ProofInvalid, RootMismatch

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "GetNode",
    "Node",
    "completed_nodes",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root_from_inclusion_proof",
    "root_from_leaf_hashes",
    "subtree_root",
    "tree_root",
    "verify_consistency",
    "verify_inclusion",
]

LEAF, NODE = b"\x00", b"\x01"  # RFC 9162 domain separation
HASH_SIZE = 32
EMPTY_ROOT = sha256(b"").digest()

GetNode = Callable[[int, int], bytes]
"""``get_node(level, index)``: hash of leaves [index * 2**level, (index + 1) * 2**level)."""


@dataclass(frozen=True)
class Node:
    """A complete subtree: 2**level leaves starting at leaf ``index * 2**level``."""

    level: int
    index: int
    hash: bytes


def leaf_hash(entry: bytes) -> bytes:
    """RFC 9162 leaf hash: SHA-256(0x00 || entry)."""
    return sha256(LEAF + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 interior node hash: SHA-256(0x01 || left || right)."""
    return sha256(NODE + left + right).digest()


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise ProofInvalid(f"{what} is {len(value)} bytes, not {HASH_SIZE}")


def _split(n: int) -> int:
    """The largest power of two smaller than n (requires n >= 2): RFC 9162's k."""
    return 1 << ((n - 1).bit_length() - 1)


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of the leaves with these leaf hashes; EMPTY_ROOT for no leaves.

    Hashes level by level, carrying an odd last node up unchanged, which equals the
    recursive definition of RFC 9162 section 2.1.1. Raises ProofInvalid on a bad hash size.
    """
    level = list(hashes)
    for i, h in enumerate(level):
        _check_hash(h, f"leaf hash {i}")
    if not level:
        return EMPTY_ROOT
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        level = [*paired, level[-1]] if len(level) % 2 else paired
    return level[0]


def root_from_inclusion_proof(
    index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes]
) -> bytes:
    """The root implied by an inclusion proof (RFC 9162 section 2.1.3.2).

    Requires 0 <= index < size, and 32-byte hashes; raises ProofInvalid otherwise or when
    the proof has the wrong length for (index, size).
    """
    if not 0 <= index < size:
        raise ProofInvalid(f"leaf index {index} is outside a tree of size {size}")
    _check_hash(leaf_hash, "leaf hash")
    fn, sn, r = index, size - 1, leaf_hash
    for i, p in enumerate(proof):
        _check_hash(p, f"proof hash {i}")
        if sn == 0:
            raise ProofInvalid(f"inclusion proof is longer than {i} hashes")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofInvalid(f"inclusion proof of {len(proof)} hashes is too short")
    return r


def _require_match(calculated: bytes, expected: bytes, what: str) -> None:
    if calculated != expected:
        raise RootMismatch(f"{what}: expected {expected.hex()}, calculated {calculated.hex()}")


def verify_inclusion(
    index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that leaf ``index`` of the tree of ``size`` leaves with ``root`` has ``leaf_hash``.

    Requires 0 <= index < size and 32-byte hashes. Raises ProofInvalid or RootMismatch.
    """
    _check_hash(root, "root")
    calculated = root_from_inclusion_proof(index, size, leaf_hash, proof)
    _require_match(calculated, root, "inclusion proof root")


def verify_consistency(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree (size2, root2) extends the tree (size1, root1): RFC 9162 2.1.4.2.

    Requires 0 < size1 <= size2 (a proof from the empty tree is meaningless: any tree extends
    it) and 32-byte hashes; equal sizes need an empty proof and equal roots.
    Raises ProofInvalid or RootMismatch.
    """
    _check_hash(root1, "root1")
    _check_hash(root2, "root2")
    for i, p in enumerate(proof):
        _check_hash(p, f"proof hash {i}")
    if not 0 < size1 <= size2:
        raise ProofInvalid(f"no consistency proof from size {size1} to size {size2}")
    if size1 == size2:
        if proof:
            raise ProofInvalid("consistency proof between equal sizes must be empty")
        _require_match(root2, root1, "roots of equal size")
        return
    if not proof:
        raise ProofInvalid("consistency proof is empty")
    old, new = _roots_from_consistency_proof(size1, size2, root1, proof)
    _require_match(old, root1, "consistency proof root1")
    _require_match(new, root2, "consistency proof root2")


def _roots_from_consistency_proof(
    size1: int, size2: int, root1: bytes, proof: Sequence[bytes]
) -> tuple[bytes, bytes]:
    # A power-of-two old tree is a complete subtree, so the proof omits it: its root seeds.
    path = [root1, *proof] if size1 & (size1 - 1) == 0 else list(proof)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofInvalid("consistency proof is too long")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofInvalid("consistency proof is too short")
    return fr, sr


def subtree_root(start: int, end: int, get_node: GetNode) -> bytes:
    """MTH of leaves [start, end), from complete-subtree nodes, in O(log n) reads.

    Requires 0 <= start < end and start a multiple of the smallest power of two >= end - start
    (every range RFC 9162's recursion visits, and [0, size) for any size, is such a range).
    """
    n = end - start
    if not (0 <= start < end and start % (1 << (n - 1).bit_length()) == 0):
        raise ValueError(f"[{start}, {end}) is not a subtree range")
    parts: list[bytes] = []
    pos = start
    for level in reversed(range(n.bit_length())):
        if n >> level & 1:
            parts.append(get_node(level, pos >> level))
            pos += 1 << level
    root = parts.pop()
    while parts:
        root = node_hash(parts.pop(), root)
    return root


def tree_root(size: int, get_node: GetNode) -> bytes:
    """MTH of the first ``size`` leaves (requires size >= 0); EMPTY_ROOT for size 0."""
    return subtree_root(0, size, get_node) if size else EMPTY_ROOT


def inclusion_proof(index: int, size: int, get_node: GetNode) -> list[bytes]:
    """PATH(index, D[size]) of RFC 9162 section 2.1.3.1, leaf side first.

    Requires 0 <= index < size. Reads O(log size) nodes.
    """
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside a tree of size {size}")
    lo, hi, path = 0, size, []
    while hi - lo > 1:
        mid = lo + _split(hi - lo)
        if index < mid:
            path.append(subtree_root(mid, hi, get_node))
            hi = mid
        else:
            path.append(subtree_root(lo, mid, get_node))
            lo = mid
    return path[::-1]


def consistency_proof(size1: int, size2: int, get_node: GetNode) -> list[bytes]:
    """PROOF(size1, D[size2]) of RFC 9162 section 2.1.4.1, leaf side first.

    Requires 0 < size1 <= size2 (equal sizes give an empty proof). Reads O(log size2) nodes.
    """
    if not 0 < size1 <= size2:
        raise ValueError(f"no consistency proof from size {size1} to size {size2}")
    lo, hi, whole, path = 0, size2, True, []
    while size1 != hi:
        mid = lo + _split(hi - lo)
        if size1 <= mid:
            path.append(subtree_root(mid, hi, get_node))
            hi = mid
        else:
            path.append(subtree_root(lo, mid, get_node))
            lo, whole = mid, False
    if not whole:  # the old tree's right edge is a node the verifier cannot know
        path.append(subtree_root(lo, hi, get_node))
    return path[::-1]


def completed_nodes(index: int, leaf_hash: bytes, get_node: GetNode) -> list[Node]:
    """The nodes that become complete when leaf ``index`` (hash ``leaf_hash``) is appended.

    Requires the nodes of leaves [0, index) to be readable through ``get_node``. Returns the
    leaf itself (level 0) and each ancestor it completes, lowest first; store them all, then
    append the next leaf. Reads one stored node per new ancestor (O(log n), amortised O(1)).
    """
    if index < 0:
        raise ValueError(f"leaf index {index} is negative")
    _check_hash(leaf_hash, "leaf hash")
    nodes = [Node(0, index, leaf_hash)]
    level, idx, h = 0, index, leaf_hash
    while idx & 1:  # a right child completes its parent
        h = node_hash(get_node(level, idx - 1), h)
        level, idx = level + 1, idx >> 1
        nodes.append(Node(level, idx, h))
    return nodes
