"""Proof bundles: one lot's records with everything needed to check them offline (DESIGN §4
item 6). The format is in docs/bundle.md; ``verify.verification`` checks it.

A bundle (format version 2) holds, all cut at one checkpoint, the latest (records whose leaf
index is below its size), every chain it carries whole, from its first record to its head
at the checkpoint:

1. the lot's chain;
2. the chain of every record a record in the bundle links to, and so on through the
   ancestors' links: every ancestor lot's whole chain, a recall after the split included;
3. the chain (``org/<id>``: registration, keys, prefixes) of every organisation that signed
   a record in the bundle;
4. one inclusion proof per record against the checkpoint, which is the latest signed note
   with any witness cosignatures; per chain, the proof that its last record is its head in
   the checkpoint's chain-head map (``ledger.log.heads``); and, on request, consistency
   proofs to it from earlier published tree sizes.

Against a checkpoint signed before the log kept the chain-head map (no ``agritrace/heads``
line: until the first record after an upgrade is integrated), the bundle is version 1, the
same records without head proofs, which verifies with a warning.

The bundle is a ``verify.bundle.Bundle``, the model the verifier parses, and is written by
its ``to_json``: the builder and the verifier cannot disagree on the format.

Records are read as the store holds them (signature and bytes) and placed in the log by the
notification the integrator gave them, never through a read model: a store changed after the
log integrated it gives a bundle that fails verification, which is the point.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import Connection, bindparam, text

from ledger.application import Ledger
from ledger.domain.chain import chain_id
from ledger.domain.fields import lot_code
from ledger.errors import InvalidInput, LotNotFound, NotFound
from ledger.log.checkpoints import PublishedCheckpoint
from ledger.log.nodes import NodeCache
from ledger.log.service import TransparencyLog
from ledger.persistence.store import EventStore, events_table, notification_column, split_state
from ledger.persistence.tables import log_leaves
from verify.bundle import MAX_RECORDS, Bundle, BundleHead, BundleRecord
from verify.errors import VerificationError
from verify.merkle import inclusion_proof
from verify.records import Record

__all__ = ["MEDIA_TYPE", "build_bundle", "chain_proof"]

MEDIA_TYPE = "application/vnd.agritrace.bundle+json"


@dataclass(frozen=True)
class _Stored:
    """A stored record: its chain position, signature, bytes and leaf index (if integrated)."""

    seq: int
    signature: bytes
    raw: bytes
    leaf: int | None

    @cached_property
    def record(self) -> Record | None:
        """The parsed record, or None when the stored bytes are not one (a damaged store)."""
        try:
            return Record.from_bytes(self.raw)
        except VerificationError:
            return None


def build_bundle(ledger: Ledger, log: TransparencyLog, lot: str, *,
                 since: Sequence[int] = (), integrate: bool = True) -> Bundle:
    """The bundle of ``lot`` at the latest checkpoint; ``bundle.to_json()`` gives the bytes
    to write or serve.

    Integrates the log first (when ``integrate``) if the latest checkpoint does not yet
    cover the lot's last record; records after the checkpoint are left out. ``since`` lists
    earlier published tree sizes to include consistency proofs from. Raises ``LotNotFound``,
    ``NotFound`` (no checkpoint yet, the lot not yet in one, or a size in ``since`` never
    published), ``InvalidInput`` (a bad lot code or size, or a bundle over the verifiers'
    limit of records) or ``AuditFailed`` (the records do not give the map root the
    checkpoint signed).
    """
    code = lot_code(lot, "lot")
    store = ledger.store
    with store.engine.connect() as connection:
        own = _Reader(store, connection).chain(f"lot/{code}")
    if not own:
        raise LotNotFound(f"lot {code} is not registered", field="lot")
    checkpoint = _covering_checkpoint(log, own[-1], integrate)
    size = checkpoint.size
    with store.engine.connect() as connection:
        chosen = _collect(_Reader(store, connection), f"lot/{code}", size)
        proofs = NodeCache(connection).prefetch(
            lambda get: [inclusion_proof(item.leaf or 0, size, get) for item in chosen])
    if len(chosen) > MAX_RECORDS:
        raise InvalidInput(f"the bundle of lot {code} would hold {len(chosen):,} records, over "
                           f"the {MAX_RECORDS:,} a verifier reads", field="lot")
    records = [BundleRecord(item.leaf or 0, item.raw, item.signature, tuple(proof))
               for item, proof in zip(chosen, proofs, strict=True)]
    return Bundle.of(code, checkpoint.note, records, _consistency(log, since, size),
                     _heads(log, checkpoint, chosen))


def chain_proof(ledger: Ledger, log: TransparencyLog, chain: str,
                checkpoint: PublishedCheckpoint) -> tuple[list[BundleRecord], BundleHead]:
    """One chain, whole at ``checkpoint``, as a bundle carries it: its records with inclusion
    proofs and its head proof. Raises ``NotFound`` when the chain is not in that checkpoint,
    or the checkpoint signs no chain-head map."""
    size = checkpoint.size
    with ledger.store.engine.connect() as connection:
        chosen = _Reader(ledger.store, connection).chain(chain, size)
        proofs = NodeCache(connection).prefetch(
            lambda get: [inclusion_proof(item.leaf or 0, size, get) for item in chosen])
    heads = log.head_proofs(checkpoint, {chain})
    if not chosen or heads is None or chain not in heads:
        raise NotFound(f"{chain} is not in checkpoint {size} with a chain-head map",
                       field="chain")
    seq, head = heads[chain]
    records = [BundleRecord(item.leaf or 0, item.raw, item.signature, tuple(proof))
               for item, proof in zip(chosen, proofs, strict=True)]
    return records, BundleHead(chain, seq, tuple(head))


def _heads(log: TransparencyLog, checkpoint: PublishedCheckpoint,
           chosen: list[_Stored]) -> list[BundleHead] | None:
    """Each chain's head proof at ``checkpoint``, as the log's map has it; None (a version 1
    bundle) for a checkpoint signed without the map."""
    chains = {record.chain for record in (item.record for item in chosen) if record is not None}
    proofs = log.head_proofs(checkpoint, chains)
    if proofs is None:
        return None
    return [BundleHead(chain, seq, tuple(proof)) for chain, (seq, proof) in proofs.items()]


def _covering_checkpoint(log: TransparencyLog, last: _Stored,
                         integrate: bool) -> PublishedCheckpoint:
    """The latest checkpoint, after integrating if it misses the lot's last record."""
    if integrate and (last.leaf is None or _latest_size(log) <= last.leaf):
        log.integrate()
    return log.latest_checkpoint()


def _latest_size(log: TransparencyLog) -> int:
    try:
        return log.latest_checkpoint().size
    except NotFound:  # nothing published yet
        return 0


def _consistency(log: TransparencyLog, since: Iterable[int],
                 size: int) -> list[tuple[int, tuple[bytes, ...]]]:
    proofs = []
    for old in sorted(set(since)):
        if type(old) is not int or not 1 <= old <= size:
            raise InvalidInput(f"must be a published tree size from 1 to {size}", field="since")
        if old < size:
            proofs.append((old, log.consistency(old, size).hashes))
    return proofs


def _collect(reader: _Reader, start: str, size: int) -> list[_Stored]:
    """Every record the bundle needs (module docstring), in leaf order: the closure of
    ``start`` under links and signers, each chain whole up to the checkpoint."""
    loaded: dict[str, list[_Stored]] = {}
    located: set[bytes] = set()
    pending = {start}
    while pending:
        links: set[bytes] = set()
        signers: set[str] = set()
        for chain in pending:
            loaded[chain] = reader.chain(chain, size)
            for item in loaded[chain]:
                record = item.record
                if record is not None:
                    links.update(record.links)
                    signers.add(f"org/{record.org}")
        linked = set(reader.locate(links - located))
        located |= links
        pending = (linked | signers) - loaded.keys()
    if not loaded[start]:
        raise NotFound(f"{start} is not yet in a published checkpoint (tree size {size}); "
                       "try again once the log has integrated it", field="lot")
    return sorted((item for items in loaded.values() for item in items),
                  key=lambda item: item.leaf or 0)


class _Reader:
    """Reads stored records with their leaf indices, straight from the events table."""

    def __init__(self, store: EventStore, connection: Connection) -> None:
        self.connection = connection
        self.events = events_table(store.backend)
        self.order = notification_column(store.backend)
        self.sqlite = store.backend.kind == "sqlite"

    def chain(self, chain: str, before: int | None = None) -> list[_Stored]:
        """Every stored record of ``chain``, in chain order; with ``before``, only those in
        the log at a leaf index below it."""
        cut = "" if before is None else "AND l.leaf_index < :before "
        query = text(f"SELECT e.originator_version, e.state, l.leaf_index "  # noqa: S608
                     f"FROM {self.events} e LEFT JOIN {log_leaves.name} l "
                     f"ON l.notification_id = e.{self.order} "
                     f"WHERE e.originator_id = :id {cut}ORDER BY e.originator_version")
        identity = chain_id(chain)
        rows = self.connection.execute(query, {"id": identity.hex if self.sqlite else identity,
                                               "before": before})
        found = []
        for version, state, leaf in rows:
            signature, raw = split_state(bytes(state))
            found.append(_Stored(int(version) - 1, signature, raw,
                                 None if leaf is None else int(leaf)))
        return found

    def locate(self, hashes: set[bytes]) -> dict[str, int]:
        """For records with these hashes, in the log: chain -> highest seq among them."""
        if not hashes:
            return {}
        query = text(f"SELECT e.originator_version, e.state "  # noqa: S608
                     f"FROM {log_leaves.name} l JOIN {self.events} e "
                     f"ON e.{self.order} = l.notification_id "
                     "WHERE l.record_hash IN :hashes"
                     ).bindparams(bindparam("hashes", expanding=True))
        found: dict[str, int] = {}
        for version, state in self.connection.execute(query, {"hashes": sorted(hashes)}):
            record = _Stored(int(version) - 1, b"", split_state(bytes(state))[1], None).record
            if record is not None:
                found[record.chain] = max(found.get(record.chain, -1), int(version) - 1)
        return found
