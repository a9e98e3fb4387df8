"""Inclusion and consistency proofs as JSON.

Proof hashes are **base64** (standard alphabet, padded), as in C2SP checkpoints and
tlog-proof; record hashes are **hex**, as everywhere else in the ledger's JSON.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from pydantic import BaseModel, Field

from ledger.log import ConsistencyProof, InclusionProof

__all__ = ["ConsistencyProofPublic", "InclusionProofPublic"]


def _b64(hashes: Sequence[bytes]) -> list[str]:
    return [base64.b64encode(value).decode("ascii") for value in hashes]


class InclusionProofPublic(BaseModel):
    """An RFC 9162 inclusion proof of one record against one signed checkpoint."""

    leaf_index: int = Field(description="The record's leaf index (0-based) in the log.")
    tree_size: int = Field(description="The size of the checkpoint's tree.")
    record_hash: str = Field(description="SHA-256 of the record bytes, hex.")
    leaf_hash: str = Field(description="SHA-256(0x00 || record bytes), base64.")
    hashes: list[str] = Field(description="The audit path, leaf to root, base64.")
    checkpoint: str = Field(description="The signed checkpoint note of tree_size whose root "
                                        "the proof reaches.")
    tlog_proof: str = Field(description="The same proof as a C2SP tlog-proof "
                                        "(c2sp.org/tlog-proof@v1).")

    @classmethod
    def of(cls, proof: InclusionProof) -> InclusionProofPublic:
        return cls(leaf_index=proof.leaf_index, tree_size=proof.tree_size,
                   record_hash=proof.record_hash.hex(), leaf_hash=_b64([proof.leaf_hash])[0],
                   hashes=_b64(proof.hashes), checkpoint=proof.checkpoint.note,
                   tlog_proof=proof.to_tlog_proof().to_text())


class ConsistencyProofPublic(BaseModel):
    """An RFC 9162 consistency proof: the tree of to_size extends the tree of from_size."""

    from_size: int = Field(description="The older checkpoint's tree size.")
    to_size: int = Field(description="The newer checkpoint's tree size.")
    hashes: list[str] = Field(description="The consistency proof, base64; empty for equal "
                                          "sizes.")
    from_checkpoint: str = Field(description="The signed checkpoint note of from_size.")
    to_checkpoint: str = Field(description="The signed checkpoint note of to_size.")

    @classmethod
    def of(cls, proof: ConsistencyProof) -> ConsistencyProofPublic:
        return cls(from_size=proof.old.size, to_size=proof.new.size, hashes=_b64(proof.hashes),
                   from_checkpoint=proof.old.note, to_checkpoint=proof.new.note)
