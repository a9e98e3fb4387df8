"""The proof that a verdict key is registered in the log: one organisation's whole chain at a
checkpoint (docs/platform.md).

The service publishes its verdict key by registering an organisation (``verdicts-<key id>``)
whose first record, ``OrganisationRegistered``, carries the verdict key's Ed25519 public key
and is signed by it. A key proof is ``{"chain": "org/<id>", "records": [...], "head":
{...}}``: every record of that chain with its inclusion proof against the checkpoint (the
shape of a bundle's records) and the chain-head map proof of its last record (the shape of a
bundle's ``heads`` entry). ``verify_key_proof`` checks, in order:

1. each record is in the checkpoint's tree (RFC 9162 inclusion) and is a canonical record;
2. the records replay as one organisation chain from ``seq`` 0, each signed by a key the chain
   registered and had not revoked (``verify.chain``);
3. the last record is the chain's head in the checkpoint's chain-head map, so no later
   revocation was left out;
4. the verdict key's public key is an active key of that organisation at its head.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from verify.bundle import BundleHead, BundleRecord, _heads, _record
from verify.chain import ChainVerifier
from verify.checkpoints import Checkpoint, heads_root
from verify.errors import ChainIncomplete, MalformedInput, UnknownKey
from verify.headmap import verify_head_proof
from verify.keys import key_id
from verify.merkle import leaf_hash
from verify.notes import Verifier
from verify.policy import InclusionChecker
from verify.records import Record

__all__ = ["KeyProof", "verify_key_proof"]

MAX_KEY_RECORDS = 1000


@dataclass(frozen=True)
class KeyProof:
    """An organisation chain with inclusion proofs and its head proof (nothing verified)."""

    chain: str
    records: tuple[BundleRecord, ...]
    head: BundleHead

    def to_json(self) -> dict[str, Any]:
        return {"chain": self.chain, "records": [r.to_json_value() for r in self.records],
                "head": self.head.to_json_value()}

    @classmethod
    def from_json(cls, value: Any) -> KeyProof:
        """Parse ``key``; raises ``MalformedInput``."""
        if type(value) is not dict or set(value) != {"chain", "records", "head"}:
            raise MalformedInput("key must be an object of chain, records, head")
        records = value["records"]
        if type(records) is not list or not 0 < len(records) <= MAX_KEY_RECORDS:
            raise MalformedInput(f"key.records must list 1 to {MAX_KEY_RECORDS} records")
        known: dict[str, bytes] = {}
        parsed = tuple(_record(item, f"key.records[{i}]", known)
                       for i, item in enumerate(records))
        head = _heads([value["head"]])[0]
        if head.chain != value["chain"] or not head.chain.startswith("org/"):
            raise MalformedInput("key.chain must be org/<id> and match key.head.chain")
        return cls(value["chain"], parsed, head)


def verify_key_proof(proof: KeyProof, verdict_keys: Sequence[Verifier],
                     checkpoint: Checkpoint, org: Any) -> None:
    """Check ``proof`` in steps 1-4 (module docstring) for organisation ``org``; raises
    ``VerificationError``."""
    if proof.chain != f"org/{org}":
        raise UnknownKey(f"the key proof is of {proof.chain}, the verdict names org/{org}")
    checker = InclusionChecker(checkpoint.size, checkpoint.root_hash)
    replay = ChainVerifier()
    last: Record | None = None
    for item in sorted(proof.records, key=lambda r: r.index):
        checker.verify(item.index, leaf_hash(item.raw), item.proof)
        record = Record.from_bytes(item.raw)
        if record.chain != proof.chain:
            raise UnknownKey(f"the key proof holds a record of {record.chain}",
                             record=record.hash_hex)
        replay.add(record, item.signature)
        last = record
    root = heads_root(checkpoint)
    if last is None or root is None:
        raise ChainIncomplete("the checkpoint signs no chain-head map to prove the key's "
                              "chain whole")
    if proof.head.seq != last.seq:
        raise ChainIncomplete(f"the key proof ends at seq {last.seq}, its head entry names "
                              f"seq {proof.head.seq}")
    verify_head_proof(proof.chain, last.seq, last.hash, proof.head.proof, root)
    active = replay.organisations.get(str(org))
    wanted = {key_id(v.public_key) for v in verdict_keys}
    present = set() if active is None else set(active.active)
    if not wanted & present:
        raise UnknownKey(f"the verdict key is not an active key of {org} in the log")
