"""The transparency log (DESIGN §4 items 4-5): every record a leaf of one RFC 9162 tree.

Modules, one job each:

- ``nodes``        stored complete-subtree hashes and the in-memory right frontier
- ``integrator``   appends records as leaves, one transaction per batch, one writer at a time
- ``logkey``       the log's Ed25519 note key and origin
- ``checkpoints``  C2SP tlog-checkpoint signed notes: publish, read, attach cosignatures
- ``proofs``       inclusion and consistency proofs against published checkpoints
- ``tiles``        C2SP tlog-tiles hash tiles and entry bundles
- ``cosigning``    the log sending checkpoints to its witnesses (``ledger.witness`` is the
                   witness an inspector's office runs)
- ``audit``        recompute the tree from the records and check the log against it
- ``service``      ``TransparencyLog``, the façade the API and CLI use
- ``background``   the integrator in a thread, as the HTTP service runs it

Errors are ``ledger.errors`` classes::

    LedgerError
     ├─ InvalidInput    a bad log key, origin, witness setting, size or hash
     ├─ NotFound        no such checkpoint, leaf or tile
     │   └─ EntryTooLarge
     ├─ ChainConflict   another process integrated first
     └─ AuditFailed     the log disagrees with the records, or refuses to sign

A witness's answers are the witness's own errors (``ledger.witness.errors``: each refusal
with its HTTP status, and ``WitnessUnreachable``); the cosigner logs them and carries on.
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

__all__ = [
    "DEFAULT_ORIGIN",
    "BatchResult",
    "CheckpointPolicy",
    "ConsistencyProof",
    "Cosigner",
    "EntryTooLarge",
    "InclusionProof",
    "Integrator",
    "LogAuditReport",
    "LogKey",
    "PublishedCheckpoint",
    "TileAddress",
    "TransparencyLog",
    "WitnessEndpoint",
    "audit_log",
    "load_log_key",
    "parse_record_hash",
    "parse_tile_path",
    "read_saved_checkpoint",
    "tile_path",
]
