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
thousand heads, the upper levels once). It is one dict of ints to bytes, which the garbage
collector never walks: 10^6 chains take about 530 MB. Standard library only.

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


class HeadMap:
    """The chain-head map in memory, kept up to date a batch of heads at a time.

    ``set`` records a new head; the next ``root``, ``prove``, ``head`` or ``len`` applies
    every head set since in one pass in key order (a chain set twice is applied once),
    rehashing each changed node once, the upper levels a batch shares included. ``size`` is
    the log tree size the map reflects, kept by its owner (``ledger.log.heads``). Not
    thread-safe: its owner serialises access.

    The tree is one dict from a node's label — 1 for the root, 2n and 2n + 1 for the
    children of n, so the label of depth d on a key's path is 2**d plus the key's first d
    bits — to bytes: a 32-byte hash for an internal node, and for a leaf its hash, key, seq
    (8 bytes) and record hash (104 bytes). Ints and bytes hold no references, so the
    garbage collector never walks the map however large it grows.
    """

    __slots__ = ("_count", "_pending", "_tree", "size")

    def __init__(self, size: int = 0) -> None:
        self._tree: dict[int, bytes] = {}
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
        return None if leaf is None else (int.from_bytes(leaf[64:72], "big"), leaf[72:])

    def root(self) -> bytes:
        """The map root, after applying the heads set since the last call."""
        self._flush()
        value = self._tree.get(1)
        return EMPTY_HASH if value is None else value[:32]

    def prove(self, chain: str) -> list[bytes]:
        """The inclusion proof of ``chain``'s head, lowest sibling first; ``KeyError`` when
        the chain has no head in the map."""
        self._flush()
        leaf, siblings = self._find(chain)
        if leaf is None:
            raise KeyError(f"{chain} has no head in the map")
        siblings.reverse()
        return siblings

    def _find(self, chain: str) -> tuple[bytes | None, list[bytes]]:
        """The leaf entry of ``chain`` (or None) and the siblings on its path, top first."""
        key = chain_key(chain)
        number = int.from_bytes(key, "big")
        tree, siblings = self._tree, []
        label, shift = 1, _TOP
        value = tree.get(1)
        while value is not None and len(value) == 32:
            label = label << 1 | number >> shift & 1
            sibling = tree.get(label ^ 1)
            siblings.append(EMPTY_HASH if sibling is None else sibling[:32])
            value = tree.get(label)
            shift -= 1
        if value is not None and value[32:64] == key:
            return value, siblings
        return None, siblings

    def _flush(self) -> None:
        if not self._pending:
            return
        keyed = []
        hasher, from_bytes = sha256, int.from_bytes
        for chain, (seq, record_hash) in self._pending.items():  # head_leaf_hash, inlined
            key = hasher(chain.encode("utf-8")).digest()
            tail = key + seq.to_bytes(8, "big") + record_hash
            keyed.append((from_bytes(key, "big"), hasher(_LEAF + tail).digest() + tail))
        self._pending.clear()
        keyed.sort()  # by key: keys are distinct
        self._count += _merge(self._tree, [number for number, _ in keyed],
                              [entry for _, entry in keyed])


def _merge(tree: dict[int, bytes], numbers: list[int], entries: list[bytes]) -> int:
    """Put the leaf ``entries`` (sorted by their keys ``numbers``) into ``tree`` and rehash;
    returns the number of chains that were not in it.

    One pass in key order with the current path as a stack of labels (``path[d]`` at depth
    d): for each key, the nodes below the depth it shares with the previous key are done —
    no later key enters them — and are hashed as they leave the stack, deepest first; the
    walk then goes down from there. Each changed node is hashed once, after its children.
    """
    top = tree.get(1)
    if top is None or len(top) != 32:  # an empty map or a single entry: build it afresh
        if top is not None:
            old = int.from_bytes(top[32:64], "big")
            at = bisect_left(numbers, old)
            if at == len(numbers) or numbers[at] != old:
                numbers, entries = [*numbers[:at], old, *numbers[at:]], [
                    *entries[:at], top, *entries[at:]]
        tree.clear()
        _build(tree, numbers, entries, 0, len(numbers), 1, 0, 0)
        return len(numbers) - (top is not None)
    added, previous = 0, -1
    path = [1]
    get, empty, prefix, hasher = tree.get, EMPTY_HASH, _NODE, sha256
    for number, entry in zip(numbers, entries, strict=True):
        if previous >= 0:  # leave the nodes below the depth the two keys share
            shared = 256 - (previous ^ number).bit_length()
            while len(path) - 1 > shared:
                label = path.pop()
                left, right = get(label << 1), get(label << 1 | 1)
                tree[label] = hasher(prefix + (empty if left is None else left[:32])
                                     + (empty if right is None else right[:32])).digest()
        previous = number
        label = path[-1]
        shift = _TOP - len(path) + 1
        while True:  # down to where the head goes
            label = label << 1 | number >> shift & 1
            value = get(label)
            if value is not None and len(value) == 32:
                path.append(label)
                shift -= 1
                continue
            if value is None:
                added += 1
                tree[label] = entry
            elif value[32:64] == entry[32:64]:  # the chain's head moves on
                tree[label] = entry
            else:
                added += 1
                _pair(tree, path, label, shift - 1, value, entry, number)
            break
    while path:
        label = path.pop()
        left, right = get(label << 1), get(label << 1 | 1)
        tree[label] = hasher(prefix + (empty if left is None else left[:32])
                             + (empty if right is None else right[:32])).digest()
    return added


def _pair(tree: dict[int, bytes], path: list[int], label: int, shift: int, old: bytes,
          fresh: bytes, number: int) -> None:
    """Two leaves where ``old`` was, at ``label`` (whose children are chosen by bit
    ``shift``): internal nodes down to the first bit where their keys differ, one child
    empty on the way, each joining ``path`` (hashed when it leaves it)."""
    other = int.from_bytes(old[32:64], "big")
    while True:
        if shift < 0:
            raise ValueError("two chains share a 256-bit key")
        tree[label] = EMPTY_HASH  # internal: hashed when it leaves the path
        path.append(label)
        mine, theirs = number >> shift & 1, other >> shift & 1
        if mine != theirs:
            tree[label << 1 | mine] = fresh
            tree[label << 1 | theirs] = old
            return
        label = label << 1 | mine
        shift -= 1


def _build(tree: dict[int, bytes], numbers: list[int], entries: list[bytes], lo: int, hi: int,
           label: int, depth: int, prefix: int) -> bytes:
    """Write the subtree at ``label`` (depth ``depth``) over sorted keys
    ``numbers[lo:hi]``, all starting with ``prefix``, into ``tree``; returns its hash."""
    if lo == hi:
        return EMPTY_HASH
    if hi - lo == 1:
        tree[label] = entries[lo]
        return entries[lo][:32]
    if depth > _TOP:
        raise ValueError("two chains share a 256-bit key")
    half = prefix | 1 << (_TOP - depth)
    split = bisect_left(numbers, half, lo, hi)
    left = _build(tree, numbers, entries, lo, split, label << 1, depth + 1, prefix)
    right = _build(tree, numbers, entries, split, hi, label << 1 | 1, depth + 1, half)
    digest = tree[label] = map_node_hash(left, right)
    return digest
