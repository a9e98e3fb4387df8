"""The chain-head map (``verify.headmap``): its shape as specified, built by hand for small
cases; for random histories applied in random batches, the incremental root equals the root
computed from scratch at every batch, every head's proof verifies, and no proof verifies for
a record that is not the head, another chain, or a changed, cut or padded proof.
"""

from __future__ import annotations

from hashlib import sha256

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verify.errors import ProofInvalid, RootMismatch
from verify.headmap import (
    EMPTY_HASH,
    HeadMap,
    chain_key,
    head_leaf_hash,
    map_node_hash,
    map_root_of,
    root_from_head_proof,
    verify_head_proof,
)


def H(*parts: bytes) -> bytes:  # noqa: N802 - the spec's name
    return sha256(b"".join(parts)).digest()


def record(chain: str, seq: int) -> bytes:
    """A stand-in record hash for ``chain``'s record at ``seq``."""
    return H(f"{chain}#{seq}".encode())


def bits(chain: str, count: int) -> str:
    """The first ``count`` bits of the chain's key, most significant first."""
    return format(int.from_bytes(chain_key(chain), "big"), "0256b")[:count]


def chains_with(prefix: str, count: int = 1, exclude: tuple[str, ...] = ()) -> list[str]:
    found = [c for c in (f"lot/T{i}" for i in range(5000))
             if bits(c, len(prefix)) == prefix and c not in exclude]
    return found[:count]


def test_the_hashes_are_as_specified() -> None:
    key = chain_key("lot/KW26-SBD-G1")
    assert key == sha256(b"lot/KW26-SBD-G1").digest()
    digest = record("lot/KW26-SBD-G1", 7)
    assert head_leaf_hash(key, 7, digest) == H(b"\x00", key, (7).to_bytes(8, "big"), digest)
    assert map_node_hash(b"a" * 32, b"b" * 32) == H(b"\x01", b"a" * 32, b"b" * 32)
    assert map_root_of({}) == HeadMap().root() == EMPTY_HASH == bytes(32)


def test_small_maps_built_by_hand() -> None:
    # One entry: the root is its leaf hash, and its proof is empty.
    (a,) = chains_with("0")
    leaf_a = head_leaf_hash(chain_key(a), 0, record(a, 0))
    assert map_root_of({a: (0, record(a, 0))}) == leaf_a
    # Keys differing in bit 0: a node of the two leaves.
    (b,) = chains_with("1")
    leaf_b = head_leaf_hash(chain_key(b), 3, record(b, 3))
    two = {a: (0, record(a, 0)), b: (3, record(b, 3))}
    assert map_root_of(two) == H(b"\x01", leaf_a, leaf_b)
    # Keys sharing bit 0 (0) and differing in bit 1: an empty right half at depth 0.
    (c,) = chains_with("01")
    (d,) = chains_with("00")
    leaf_c = head_leaf_hash(chain_key(c), 1, record(c, 1))
    leaf_d = head_leaf_hash(chain_key(d), 2, record(d, 2))
    shared = {c: (1, record(c, 1)), d: (2, record(d, 2))}
    assert map_root_of(shared) == H(b"\x01", H(b"\x01", leaf_d, leaf_c), EMPTY_HASH)
    built = HeadMap()
    for chain, (seq, digest) in shared.items():
        built.set(chain, seq, digest)
    assert built.root() == map_root_of(shared)
    assert built.prove(c) == [leaf_d, EMPTY_HASH]  # lowest sibling first
    verify_head_proof(c, 1, record(c, 1), [leaf_d, EMPTY_HASH], built.root())
    # Three: d and e share "00" and split at bit 2, c alone on "01".
    (e,) = chains_with(bits(d, 2) + str(1 - int(bits(d, 3)[2])))
    leaf_e = head_leaf_hash(chain_key(e), 0, record(e, 0))
    low = (leaf_d, leaf_e) if bits(d, 3)[2] == "0" else (leaf_e, leaf_d)
    three = {**shared, e: (0, record(e, 0))}
    assert map_root_of(three) == H(b"\x01", H(b"\x01", H(b"\x01", *low), leaf_c), EMPTY_HASH)


def test_a_lone_leaf_proof_padded_with_an_empty_sibling_is_refused() -> None:
    (a,) = chains_with("0")
    (b,) = chains_with("1")
    heads = HeadMap.from_heads([(a, 0, record(a, 0)), (b, 0, record(b, 0))])
    root = heads.root()
    proof = heads.prove(a)
    verify_head_proof(a, 0, record(a, 0), proof, root)
    with pytest.raises(ProofInvalid, match="not in canonical form"):
        verify_head_proof(a, 0, record(a, 0), [EMPTY_HASH, *proof], root)


def test_bad_inputs_are_refused_with_reasons() -> None:
    heads = HeadMap.from_heads([(f"lot/X{i}", i, record(f"lot/X{i}", i)) for i in range(9)])
    root, proof = heads.root(), heads.prove("lot/X3")
    digest = record("lot/X3", 3)
    verify_head_proof("lot/X3", 3, digest, proof, root)
    with pytest.raises(ProofInvalid, match="64-bit"):
        verify_head_proof("lot/X3", -1, digest, proof, root)
    with pytest.raises(ProofInvalid, match="64-bit"):
        verify_head_proof("lot/X3", 2**64, digest, proof, root)
    with pytest.raises(ProofInvalid, match="record hash is 31 bytes"):
        verify_head_proof("lot/X3", 3, digest[:31], proof, root)
    with pytest.raises(ProofInvalid, match="not 32 bytes"):
        verify_head_proof("lot/X3", 3, digest, [proof[0][:31], *proof[1:]], root)
    with pytest.raises(ProofInvalid, match="more than 256"):
        verify_head_proof("lot/X3", 3, digest, [proof[0]] * 257, root)
    with pytest.raises(RootMismatch, match="head proof of lot/X3 at seq 2"):
        verify_head_proof("lot/X3", 2, digest, proof, root)
    with pytest.raises(KeyError):
        heads.prove("lot/NOT-THERE")
    assert heads.head("lot/X3") == (3, digest)
    assert heads.head("lot/NOT-THERE") is None
    with pytest.raises(ValueError, match="64-bit"):
        heads.set("lot/X3", -1, digest)
    with pytest.raises(ValueError, match="twice"):
        HeadMap.from_heads([("lot/A", 0, digest), ("lot/A", 1, digest)])


CHAINS = st.lists(st.from_regex(r"(lot|org)/[A-Za-z0-9._-]{1,12}", fullmatch=True),
                  min_size=1, max_size=40, unique=True)


@settings(max_examples=150, deadline=None)
@given(chains=CHAINS, data=st.data())
def test_incremental_roots_equal_roots_from_scratch_and_every_proof_holds(
        chains: list[str], data: st.DataObject) -> None:
    heads = HeadMap()
    reference: dict[str, tuple[int, bytes]] = {}
    batches = data.draw(st.lists(st.lists(st.sampled_from(chains), min_size=1, max_size=25),
                                 min_size=1, max_size=8))
    for size, batch in enumerate(batches, start=1):
        for chain in batch:  # in log order: a chain may move on twice in one batch
            seq = reference[chain][0] + 1 if chain in reference else 0
            reference[chain] = (seq, record(chain, seq))
            heads.set(chain, seq, record(chain, seq))
        heads.size = size
        root = heads.root()
        assert root == map_root_of(reference)
        assert len(heads) == len(reference)
        for chain, (seq, digest) in reference.items():
            proof = heads.prove(chain)
            verify_head_proof(chain, seq, digest, proof, root)
            assert heads.head(chain) == (seq, digest)
            if seq > 0:  # an earlier record of the chain is not its head: a cut chain
                earlier = data.draw(st.integers(0, seq - 1))
                with pytest.raises(RootMismatch):
                    verify_head_proof(chain, earlier, record(chain, earlier), proof, root)
            other = next((c for c in reference if c != chain), None)
            if other is not None:  # the proof of another chain's head names that chain only
                with pytest.raises(ProofInvalid):
                    verify_head_proof(other, seq, digest, proof, root)
    rebuilt = HeadMap.from_heads((c, s, d) for c, (s, d) in reference.items())
    assert rebuilt.root() == heads.root()


@settings(max_examples=150, deadline=None)
@given(chains=CHAINS, data=st.data())
def test_changed_cut_or_padded_proofs_never_verify(chains: list[str],
                                                   data: st.DataObject) -> None:
    heads = HeadMap.from_heads((c, 4, record(c, 4)) for c in chains)
    root = heads.root()
    chain = data.draw(st.sampled_from(chains))
    proof = heads.prove(chain)
    change = data.draw(st.sampled_from(["flip", "drop-lowest", "drop-highest", "pad-top",
                                        "pad-bottom", "root"]))
    forged, against = list(proof), root
    if change == "flip" and proof:
        at = data.draw(st.integers(0, len(proof) - 1))
        bit = data.draw(st.integers(0, 255))
        value = bytearray(proof[at])
        value[bit // 8] ^= 1 << (bit % 8)
        forged[at] = bytes(value)
    elif change == "drop-lowest" and proof:
        forged = proof[1:]
    elif change == "drop-highest" and proof:
        forged = proof[:-1]
    elif change == "pad-top":
        forged = [*proof, data.draw(st.binary(min_size=32, max_size=32))]
    elif change == "pad-bottom":
        forged = [data.draw(st.binary(min_size=32, max_size=32)), *proof]
    else:
        against = data.draw(st.binary(min_size=32, max_size=32).filter(lambda r: r != root))
    if forged == proof and against == root:
        return  # nothing to change in an empty proof
    with pytest.raises(ProofInvalid):
        verify_head_proof(chain, 4, record(chain, 4), forged, against)
    assert root_from_head_proof(chain, 4, record(chain, 4), proof) == root
