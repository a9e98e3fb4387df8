"""The witness an inspector's office or a platform runs (C2SP tlog-witness): it keeps the
latest checkpoint it has seen of each log it trusts, checks consistency proofs, and cosigns.

- ``protocol``  the add-checkpoint request format and its refusals
- ``service``   the witness: checks, cosignature/v1, its state file
- ``http``      the witness over HTTP, server and client (the log's cosigner uses the client)
"""

from __future__ import annotations

from ledger.witness.http import WitnessUnreachable, submit_checkpoint, witness_server
from ledger.witness.protocol import (
    AddCheckpoint,
    CheckpointForbidden,
    OldSizeConflict,
    ProofRejected,
    RequestMalformed,
    RootConflict,
    UnknownOrigin,
    WitnessRefused,
)
from ledger.witness.service import Witness, load_witness_key, trusted_logs

__all__ = [
    "AddCheckpoint",
    "CheckpointForbidden",
    "OldSizeConflict",
    "ProofRejected",
    "RequestMalformed",
    "RootConflict",
    "UnknownOrigin",
    "Witness",
    "WitnessRefused",
    "WitnessUnreachable",
    "load_witness_key",
    "submit_checkpoint",
    "trusted_logs",
    "witness_server",
]
