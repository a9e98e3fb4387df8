"""The chain-head map: every chain's latest record, as of a tree size, in one Merkle root.

A checkpoint commits to the log's tree (RFC 9162) and, in its ``agritrace/heads`` extension
line, to this map: for every chain (``lot/<code>``, ``org/<id>``) with a record among the
log's first ``size`` leaves, its head, the (seq, record hash) of its record with the largest
leaf index below ``size``. A bundle then proves, per chain it carries, that its last record
is that chain's head: nothing of the chain was left out (docs/bundle.md, step 7).

The map is a sparse Merkle tree over 256-bit keys, with lone leaves shortcut upwards:

- key(chain) = SHA-256(chain id in UTF-8); bit 0 is the most significant bit of byte 0, and
  bit d chooses the child at depth d (0 left, 1 right);
- leaf hash = SHA-256(0x00 || key || seq as 8 bytes big-endian || record hash);
- internal node = SHA-256(0x01 || left || right); an empty subtree is 32 zero bytes;
- a subtree with no entry is empty, with exactly one entry it is that entry's leaf hash, and
  with two or more an internal node of its two halves (so the shape depends only on the keys,
  and a leaf sits at the depth where its key first differs from every other's);
- an inclusion proof is the list of siblings from the leaf up to the root, lowest first; the
  leaf sits at depth ``len(proof)``. Its lowest sibling is never empty (a lone leaf would have
  been shortcut higher), which makes each proof the only one for its leaf.

``verify_head_proof`` checks a proof (raising ``ProofInvalid`` or ``RootMismatch``);
``map_root_of`` computes a root from scratch (the reference); ``HeadMap`` is the map a log
keeps in memory: heads are set one by one as leaves are replayed, and ``root()`` applies
them in one pass, rehashing only the paths that changed (for a checkpoint's batch of a
thousand heads, the upper levels once). Its nodes use ``__slots__``: about 560 bytes per
chain, 10^6 chains in about 560 MB. Standard library only.

The module is long because it holds the map twice over, on purpose: the short recursive
reference (``map_root_of``, ``root_from_head_proof``) that states the format, and the
incremental ``HeadMap`` a log runs on every checkpoint, which the tests hold to it.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from hashlib import sha256

from verify.errors import ProofInvalid, RootMismatch

__all__ = [
    "EMPTY_HASH",
    "MAX_PROOF_DEPTH",
    "HeadMap",
    "chain_key",
    "head_leaf_hash",
    "map_node_hash",
    "map_root_of",
    "root_from_head_proof",
    "verify_head_proof",
]

EMPTY_HASH = bytes(32)
MAX_PROOF_DEPTH = 256
_LEAF, _NODE = b"\x00", b"\x01"
_MAX_SEQ = 2**64 - 1
_TOP = 255  # bit d of a key, read as an integer, is (number >> (_TOP - d)) & 1


def chain_key(chain: str) -> bytes:
    """The map key of ``chain``: SHA-256 of its UTF-8 bytes."""
    return sha256(chain.encode("utf-8")).digest()


def head_leaf_hash(key: bytes, seq: int, record_hash: bytes) -> bytes:
    """SHA-256(0x00 || key || seq (8 bytes, big-endian) || record hash)."""
    return sha256(_LEAF + key + seq.to_bytes(8, "big") + record_hash).digest()


def map_node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return sha256(_NODE + left + right).digest()


def root_from_head_proof(chain: str, seq: int, record_hash: bytes,
                         proof: Sequence[bytes]) -> bytes:
    """The map root that ``proof`` gives for head (``seq``, ``record_hash``) of ``chain``.

    Raises ``ProofInvalid`` for a seq outside 0..2**64-1, hashes that are not 32 bytes, a
    proof deeper than 256, or one not in canonical form (its lowest sibling empty).
    """
    if type(seq) is not int or not 0 <= seq <= _MAX_SEQ:
        raise ProofInvalid(f"head of {chain}: seq {seq!r} is not a 64-bit position")
    if len(record_hash) != 32:
        raise ProofInvalid(f"head of {chain}: the record hash is {len(record_hash)} bytes")
    if len(proof) > MAX_PROOF_DEPTH:
        raise ProofInvalid(f"head proof of {chain} has {len(proof)} hashes, more than "
                           f"{MAX_PROOF_DEPTH}")
    if any(len(sibling) != 32 for sibling in proof):
        raise ProofInvalid(f"head proof of {chain} holds a hash that is not 32 bytes")
    if proof and proof[0] == EMPTY_HASH:
        raise ProofInvalid(f"head proof of {chain} is not in canonical form: its lowest "
                           "sibling is empty, so the leaf would sit higher")
    key = chain_key(chain)
    number = int.from_bytes(key, "big")
    value = head_leaf_hash(key, seq, record_hash)
    depth = len(proof)
    for i, sibling in enumerate(proof):
        d = depth - 1 - i
        if number >> (_TOP - d) & 1:
            value = map_node_hash(sibling, value)
        else:
            value = map_node_hash(value, sibling)
    return value


def verify_head_proof(chain: str, seq: int, record_hash: bytes, proof: Sequence[bytes],
                      root: bytes) -> None:
    """Require that (``seq``, ``record_hash``) is ``chain``'s head in the map of ``root``.

    Raises ``ProofInvalid`` (see ``root_from_head_proof``) or ``RootMismatch``.
    """
    calculated = root_from_head_proof(chain, seq, record_hash, proof)
    if calculated != root:
        raise RootMismatch(f"the head proof of {chain} at seq {seq} gives map root "
                           f"{calculated.hex()[:16]}…, not the signed {root.hex()[:16]}…")


def map_root_of(heads: Mapping[str, tuple[int, bytes]]) -> bytes:
    """The map root of ``heads`` (chain -> (seq, record hash)), computed from scratch.

    The reference for ``HeadMap``: sorts the keys and halves the set at each depth.
    """
    leaves = sorted((int.from_bytes(chain_key(chain), "big"),
                     head_leaf_hash(chain_key(chain), seq, digest))
                    for chain, (seq, digest) in heads.items())
    return _subtree_root(leaves, 0)


def _subtree_root(leaves: list[tuple[int, bytes]], depth: int) -> bytes:
    if not leaves:
        return EMPTY_HASH
    if len(leaves) == 1:
        return leaves[0][1]
    if depth > _TOP:
        raise ValueError("two chains share a 256-bit key")
    split = next((i for i, (number, _) in enumerate(leaves)
                  if number >> (_TOP - depth) & 1), len(leaves))
    return map_node_hash(_subtree_root(leaves[:split], depth + 1),
                         _subtree_root(leaves[split:], depth + 1))


class _Leaf:
    """One chain's head: its key, seq, record hash and leaf hash."""

    __slots__ = ("hash", "key", "record", "seq")

    def __init__(self, key: bytes, seq: int, record: bytes, digest: bytes) -> None:
        self.key = key
        self.seq = seq
        self.record = record
        self.hash = digest


class _Node:
    """An internal node: a subtree of two or more entries, and its hash."""

    __slots__ = ("hash", "left", "right")

    def __init__(self, left: _Tree, right: _Tree, digest: bytes) -> None:
        self.left = left
        self.right = right
        self.hash = digest


_Tree = _Node | _Leaf | None


class HeadMap:
    """The chain-head map in memory, kept up to date a batch of heads at a time.

    ``set`` records a new head; the next ``root``, ``prove``, ``head`` or ``len`` applies
    every head set since, in one descent over their sorted keys that visits and rehashes
    only the nodes on their paths (a chain set twice is applied once). So a checkpoint's
    batch costs one pass over the changed paths, the upper levels shared. ``size`` is the log
    tree size the map reflects, kept by its owner (``ledger.log.heads``). Not thread-safe:
    its owner serialises access.
    """

    __slots__ = ("_count", "_pending", "_root", "size")

    def __init__(self, size: int = 0) -> None:
        self._root: _Tree = None
        self._count = 0
        self._pending: dict[str, tuple[int, bytes]] = {}  # set, not yet applied
        self.size = size

    @classmethod
    def from_heads(cls, heads: Iterable[tuple[str, int, bytes]], size: int = 0) -> HeadMap:
        """A map of ``heads`` (chain, seq, record hash; one per chain), built bottom-up in one
        pass over the sorted keys."""
        built = cls(size)
        for chain, seq, record_hash in heads:
            if chain in built._pending:
                raise ValueError(f"{chain} is given twice")
            built.set(chain, seq, record_hash)
        built._flush()
        return built

    def __len__(self) -> int:
        """The number of chains in the map."""
        self._flush()
        return self._count

    def set(self, chain: str, seq: int, record_hash: bytes) -> None:
        """Make (``seq``, ``record_hash``) the head of ``chain``."""
        if type(seq) is not int or not 0 <= seq <= _MAX_SEQ or len(record_hash) != 32:
            raise ValueError(f"head of {chain}: seq must be a 64-bit position and the record "
                             "hash 32 bytes")
        self._pending[chain] = (seq, record_hash)

    def head(self, chain: str) -> tuple[int, bytes] | None:
        """(seq, record hash) of ``chain``'s head, or None when it has none."""
        self._flush()
        leaf = self._find(chain)[0]
        return None if leaf is None else (leaf.seq, leaf.record)

    def root(self) -> bytes:
        """The map root, after applying the heads set since the last call."""
        self._flush()
        return _stored(self._root)

    def prove(self, chain: str) -> list[bytes]:
        """The inclusion proof of ``chain``'s head, lowest sibling first; ``KeyError`` when
        the chain has no head in the map."""
        self._flush()
        leaf, siblings = self._find(chain)
        if leaf is None:
            raise KeyError(f"{chain} has no head in the map")
        siblings.reverse()
        return siblings

    def _flush(self) -> None:
        if not self._pending:
            return
        keyed = []
        hasher, from_bytes = sha256, int.from_bytes
        for chain, (seq, record_hash) in self._pending.items():  # head_leaf_hash, inlined
            key = hasher(chain.encode("utf-8")).digest()
            digest = hasher(_LEAF + key + seq.to_bytes(8, "big") + record_hash).digest()
            keyed.append((from_bytes(key, "big"), _Leaf(key, seq, record_hash, digest)))
        self._pending.clear()
        keyed.sort()  # by key: keys are distinct, so leaves are never compared
        self._root, added = _merge(self._root, [number for number, _ in keyed],
                                   [leaf for _, leaf in keyed])
        self._count += added

    def _find(self, chain: str) -> tuple[_Leaf | None, list[bytes]]:
        """The leaf of ``chain`` (or None) and the siblings on its path, top first."""
        key = chain_key(chain)
        number = int.from_bytes(key, "big")
        siblings: list[bytes] = []
        node = self._root
        depth = 0
        while type(node) is _Node:
            if number >> (_TOP - depth) & 1:
                siblings.append(_stored(node.left))
                node = node.right
            else:
                siblings.append(_stored(node.right))
                node = node.left
            depth += 1
        if type(node) is _Leaf and node.key == key:
            return node, siblings
        return None, siblings


def _merge(root: _Tree, numbers: list[int], leaves: list[_Leaf]) -> tuple[_Tree, int]:
    """``root`` with the new heads ``leaves`` (sorted by their keys ``numbers``) put in, and
    the number of chains that were not in the map.

    One pass in key order with the current path as a stack (``path[d]`` is the node at depth
    d): for each key, the nodes below the depth it shares with the previous key are done —
    no later key enters them — and are hashed as they leave the stack, deepest first; the
    walk then goes down from there. Each changed node is hashed once, after its children.
    """
    if not isinstance(root, _Node):  # an empty map or a single entry: build it afresh
        if root is None:
            return _build(numbers, leaves, 0, len(numbers), 0, 0), len(numbers)
        old = int.from_bytes(root.key, "big")
        at = bisect_left(numbers, old)
        if at < len(numbers) and numbers[at] == old:
            return _build(numbers, leaves, 0, len(numbers), 0, 0), len(numbers) - 1
        return (_build([*numbers[:at], old, *numbers[at:]], [*leaves[:at], root, *leaves[at:]],
                       0, len(numbers) + 1, 0, 0), len(numbers))
    added, previous = 0, None
    path: list[_Node] = [root]
    empty, prefix, hasher = EMPTY_HASH, _NODE, sha256
    for number, fresh in zip(numbers, leaves, strict=True):
        if previous is not None:  # leave the nodes below the depth the two keys share
            shared = 256 - (previous ^ number).bit_length()
            while len(path) - 1 > shared:
                done = path.pop()
                left, right = done.left, done.right
                done.hash = hasher(prefix + (empty if left is None else left.hash)
                                   + (empty if right is None else right.hash)).digest()
        previous = number
        node = path[-1]
        shift = _TOP - len(path) + 1
        while True:  # down to where the head goes
            bit = number >> shift & 1
            child = node.right if bit else node.left
            if type(child) is _Node:
                path.append(child)
                node = child
                shift -= 1
                continue
            placed: _Node | _Leaf = fresh
            if not isinstance(child, _Leaf):
                added += 1
            elif child.key != fresh.key:
                added += 1
                placed = _pair(child, fresh, number, shift - 1, path)
            if bit:
                node.right = placed
            else:
                node.left = placed
            break
    while path:
        done = path.pop()
        left, right = done.left, done.right
        done.hash = hasher(prefix + (empty if left is None else left.hash)
                           + (empty if right is None else right.hash)).digest()
    return root, added


def _pair(old: _Leaf, fresh: _Leaf, number: int, shift: int, path: list[_Node]) -> _Node:
    """The subtree of two leaves whose top bit is ``shift``: internal nodes down to the
    first bit where their keys differ, one child empty on the way; each joins ``path``
    (hashed when it leaves it)."""
    other = int.from_bytes(old.key, "big")
    made: list[_Node] = []
    while True:
        if shift < 0:
            raise ValueError("two chains share a 256-bit key")
        mine, theirs = number >> shift & 1, other >> shift & 1
        if mine == theirs:
            node = _Node(None, None, EMPTY_HASH)
        else:
            node = _Node(old, fresh, EMPTY_HASH) if mine else _Node(fresh, old, EMPTY_HASH)
        if made:
            if number >> (shift + 1) & 1:
                made[-1].right = node
            else:
                made[-1].left = node
        made.append(node)
        path.append(node)
        if mine != theirs:
            return made[0]
        shift -= 1


def _build(numbers: list[int], leaves: list[_Leaf], lo: int, hi: int, depth: int,
           prefix: int) -> _Tree:
    """The subtree at ``depth`` over sorted keys ``numbers[lo:hi]``, all starting with
    ``prefix``, hashed as it is built."""
    if lo == hi:
        return None
    if hi - lo == 1:
        return leaves[lo]
    if depth > _TOP:
        raise ValueError("two chains share a 256-bit key")
    half = prefix | 1 << (_TOP - depth)
    split = bisect_left(numbers, half, lo, hi)
    left = _build(numbers, leaves, lo, split, depth + 1, prefix)
    right = _build(numbers, leaves, split, hi, depth + 1, half)
    return _Node(left, right, map_node_hash(_stored(left), _stored(right)))


def _stored(node: _Tree) -> bytes:
    return EMPTY_HASH if node is None else node.hash
