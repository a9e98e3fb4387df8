"""The transparency log (DESIGN §4 items 4-5): every record a leaf of one RFC 9162 tree.

Modules, one job each:

- ``nodes``        stored complete-subtree hashes and the in-memory right frontier
- ``integrator``   appends records as leaves, one transaction per batch, one writer at a time
- ``logkey``       the log's Ed25519 note key and origin
- ``checkpoints``  C2SP tlog-checkpoint signed notes: publish, read, attach cosignatures
- ``proofs``       inclusion and consistency proofs against published checkpoints
- ``tiles``        C2SP tlog-tiles hash tiles and entry bundles
- ``witness_protocol`` the tlog-witness add-checkpoint request format and refusals
- ``witness``      a C2SP tlog-witness (add-checkpoint, cosignature/v1) and its state file
- ``witness_http`` the witness over HTTP, server and client
- ``cosigning``    the log sending checkpoints to its witnesses
- ``audit``        recompute the tree from the records and check the log against it
- ``service``      ``TransparencyLog``, the façade the API and CLI use

Errors are ``ledger.errors`` classes; the witness's refusals carry their HTTP status::

    LedgerError
     ├─ InvalidInput ── RequestMalformed (400), ProofRejected (422)   [WitnessRefused]
     ├─ NotFound ────── UnknownOrigin (404) [WitnessRefused], EntryTooLarge
     ├─ NotPermitted ── CheckpointForbidden (403)                     [WitnessRefused]
     ├─ WrongState ──── OldSizeConflict (409, .latest_size), RootConflict (409)
     │                                                                [WitnessRefused]
     ├─ AuditFailed     the log disagrees with the records, or refuses to sign
     └─ WitnessUnreachable
"""

from __future__ import annotations

from ledger.log.audit import LogAuditReport, audit_log, read_saved_checkpoint
from ledger.log.checkpoints import PublishedCheckpoint
from ledger.log.cosigning import Cosigner, WitnessEndpoint
from ledger.log.integrator import BatchResult, CheckpointPolicy, Integrator
from ledger.log.logkey import DEFAULT_ORIGIN, LogKey, load_log_key
from ledger.log.proofs import ConsistencyProof, InclusionProof, parse_record_hash
from ledger.log.service import TransparencyLog
from ledger.log.tiles import EntryTooLarge, TileAddress, parse_tile_path, tile_path
from ledger.log.witness import Witness, load_witness_key, trusted_logs
from ledger.log.witness_http import WitnessUnreachable, submit_checkpoint, witness_server
from ledger.log.witness_protocol import (
    AddCheckpoint,
    CheckpointForbidden,
    OldSizeConflict,
    ProofRejected,
    RequestMalformed,
    RootConflict,
    UnknownOrigin,
    WitnessRefused,
)

__all__ = [
    "DEFAULT_ORIGIN",
    "AddCheckpoint",
    "BatchResult",
    "CheckpointForbidden",
    "CheckpointPolicy",
    "ConsistencyProof",
    "Cosigner",
    "EntryTooLarge",
    "InclusionProof",
    "Integrator",
    "LogAuditReport",
    "LogKey",
    "OldSizeConflict",
    "ProofRejected",
    "PublishedCheckpoint",
    "RequestMalformed",
    "RootConflict",
    "TileAddress",
    "TransparencyLog",
    "UnknownOrigin",
    "Witness",
    "WitnessEndpoint",
    "WitnessRefused",
    "WitnessUnreachable",
    "audit_log",
    "load_log_key",
    "load_witness_key",
    "parse_record_hash",
    "parse_tile_path",
    "read_saved_checkpoint",
    "submit_checkpoint",
    "tile_path",
    "trusted_logs",
    "witness_server",
]
