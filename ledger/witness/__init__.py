"""The witness an inspector's office or a platform runs (C2SP tlog-witness): it keeps the
latest checkpoint it has seen of each log it trusts, checks consistency proofs, and cosigns.

- ``errors``    its error family: each refusal with its HTTP status
- ``protocol``  the add-checkpoint request format
- ``keyfile``   its key file, made on first use (the log's key file is read the same way)
- ``service``   the witness: checks, cosignature/v1, its state file
- ``http``      the witness over HTTP, server and client (the log's cosigner uses the client)

It imports nothing of the ledger but ``verify`` (a rule ``make test`` checks), so an office
can run it with only the verifier beside it.
"""

from __future__ import annotations

from ledger.witness.errors import (
    CheckpointForbidden,
    OldSizeConflict,
    ProofRejected,
    RequestMalformed,
    RootConflict,
    UnknownOrigin,
    WitnessError,
    WitnessMisconfigured,
    WitnessRefused,
    WitnessUnreachable,
)
from ledger.witness.http import submit_checkpoint, witness_server
from ledger.witness.protocol import AddCheckpoint
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
    "WitnessError",
    "WitnessMisconfigured",
    "WitnessRefused",
    "WitnessUnreachable",
    "load_witness_key",
    "submit_checkpoint",
    "trusted_logs",
    "witness_server",
]
