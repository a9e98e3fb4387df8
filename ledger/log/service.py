"""``TransparencyLog``: the log's operations over one store, for the API and the CLI.

One object per process wraps the integrator (``ledger.log.integrator``), checkpoints
(``checkpoints``), proofs (``proofs``), tlog-tiles (``tiles``), cosigning (``cosigning``) and
the audit (``audit``), each opening its own short database transaction. See DESIGN §4 items
4-5 and §6 for the contracts: ``GET /log/checkpoint``, inclusion proof by record hash or index
against a published size, consistency proof between two published sizes, tiles.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence

from ledger.errors import InvalidInput, NotFound
from ledger.log.audit import LogAuditReport, audit_log
from ledger.log.checkpoints import PublishedCheckpoint, checkpoint_at, latest_checkpoint
from ledger.log.cosigning import Cosigner, WitnessEndpoint
from ledger.log.heads import CheckpointHeads, HeadProof
from ledger.log.integrator import BatchResult, CheckpointPolicy, Integrator, batches
from ledger.log.logkey import LogKey
from ledger.log.proofs import (
    ConsistencyProof,
    InclusionProof,
    consistency_between,
    inclusion_by_hash,
    inclusion_by_index,
    parse_record_hash,
)
from ledger.log.tiles import (
    entry_bundle,
    parse_signature_path,
    parse_tile_path,
    signature_bundle,
    tile,
)
from ledger.persistence.store import EventStore

__all__ = ["TransparencyLog"]


class TransparencyLog:
    """The transparency log of ``store``, signing checkpoints with ``key``."""

    def __init__(self, store: EventStore, key: LogKey, *, batch_size: int = 1000,
                 policy: CheckpointPolicy | None = None,
                 witnesses: Sequence[WitnessEndpoint] = (), witness_timeout: float = 5.0,
                 commit_heads: bool = True) -> None:
        self.store = store
        self.key = key
        self.integrator = Integrator(store, key, batch_size=batch_size, policy=policy,
                                     commit_heads=commit_heads)
        self.cosigner = Cosigner(store.engine, witnesses, timeout=witness_timeout)
        self.heads = CheckpointHeads(store)

    @property
    def origin(self) -> str:
        return self.key.origin

    @property
    def vkey(self) -> str:
        """The verifier key string clients and witnesses trust (``agritrace log-key``)."""
        return self.key.vkey

    # -- writing -----------------------------------------------------------------------

    def integrate_batch(self) -> BatchResult:
        """One batch; a new checkpoint is sent to the witnesses (if any) for cosigning."""
        result = self.integrator.integrate_batch()
        if result.checkpoint is not None and self.cosigner.witnesses:
            cosigned = self.cosigner.cosign(result.checkpoint)
            return BatchResult(result.leaves, result.size, result.position, cosigned)
        return result

    def batches(self) -> Iterator[BatchResult]:
        """Integrate batch by batch until caught up, yielding what each batch did. (The HTTP
        service integrates in a thread: ``ledger.log.background``.)"""
        return batches(self.integrate_batch, self.integrator.batch_size)

    def integrate(self) -> int:
        """Integrate until caught up; returns the number of leaves appended."""
        return sum(result.leaves for result in self.batches())

    # -- reading -----------------------------------------------------------------------

    def latest_checkpoint(self) -> PublishedCheckpoint:
        """The latest signed checkpoint (``GET /log/checkpoint``); ``NotFound`` before any."""
        with self.store.engine.connect() as connection:
            latest = latest_checkpoint(connection)
        if latest is None:
            raise NotFound("the log has published no checkpoint yet")
        return latest

    def head_proofs(self, checkpoint: PublishedCheckpoint,
                    chains: Iterable[str]) -> dict[str, HeadProof] | None:
        """Per chain, its head's seq and chain-head map proof at ``checkpoint`` (None for a
        checkpoint signed without the map); see ``ledger.log.heads.CheckpointHeads``."""
        with self.store.engine.connect() as connection:
            return self.heads.proofs(connection, checkpoint.note, chains)

    def checkpoint(self, size: int) -> PublishedCheckpoint:
        with self.store.engine.connect() as connection:
            return checkpoint_at(connection, size)

    def inclusion_by_hash(self, record_hash: str | bytes,
                          size: int | None = None) -> InclusionProof:
        with self.store.engine.connect() as connection:
            return inclusion_by_hash(connection, record_hash, size)

    def inclusion_by_index(self, index: int, size: int | None = None) -> InclusionProof:
        with self.store.engine.connect() as connection:
            return inclusion_by_index(connection, index, size)

    def consistency(self, size1: int, size2: int) -> ConsistencyProof:
        with self.store.engine.connect() as connection:
            return consistency_between(connection, size1, size2)

    def tile(self, path: str) -> bytes:
        """The bytes at a tlog-tiles path: ``tile/<L>/<N>[.p/<W>]`` or
        ``tile/entries/<N>[.p/<W>]``."""
        address = parse_tile_path(path)
        with self.store.engine.connect() as connection:
            if address.entries:
                return entry_bundle(self.store, connection, address.index, address.width)
            return tile(connection, address.level, address.index, address.width)

    def signatures(self, path: str) -> bytes:
        """The signature bundle at ``signatures/<N>[.p/<W>]``: the records' signatures beside
        entry bundle ``N`` (``ledger.log.tiles.signature_bundle``)."""
        address = parse_signature_path(path)
        with self.store.engine.connect() as connection:
            return signature_bundle(self.store, connection, address.index, address.width)

    def wait_for_inclusion(self, record_hash: str | bytes, *, timeout: float = 5.0,
                           integrate: bool = True, poll: float = 0.05) -> InclusionProof:
        """An inclusion proof for a just-recorded record once a checkpoint covers it,
        integrating here when ``integrate`` (else waiting for another integrator)."""
        digest = parse_record_hash(record_hash)
        deadline = time.monotonic() + timeout
        while True:
            if integrate:
                self.integrate()
            try:
                return self.inclusion_by_hash(digest)
            except (NotFound, InvalidInput) as error:
                if error.field not in ("size", "hash") or time.monotonic() >= deadline:
                    raise
            time.sleep(poll)

    # -- auditing ----------------------------------------------------------------------

    def audit(self, saved_checkpoint: str | bytes | None = None) -> LogAuditReport:
        """Recompute the tree from the records; see ``ledger.log.audit``."""
        return audit_log(self.store, self.key.verifier, origin=self.origin,
                         saved_checkpoint=saved_checkpoint)
