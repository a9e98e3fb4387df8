"""Proof bundles: one lot's records with everything needed to check them offline (DESIGN §4
item 6). The format is in docs/bundle.md; ``verify.verification`` checks it.

A bundle holds, all cut at one checkpoint (records whose leaf index is below its size):

1. the lot's whole chain;
2. for every link of every record in the bundle, the linked record and its chain from its
   first record up to it, and so on through the ancestors' links;
3. for every organisation that signed one of those records, its chain (``org/<id>``:
   registration, added, rotated and revoked keys, prefixes) from its first record up to the
   last one logged before the last of those records it signed; nothing later can change
   whether a key was valid when it signed (docs/bundle.md, "Key history");
4. one inclusion proof per record against the checkpoint, which is the latest signed note
   with any witness cosignatures; and, on request, consistency proofs to it from earlier
   published tree sizes.

The bundle is a ``verify.bundle.Bundle``, the model the verifier parses, and is written by
its ``to_json``: the builder and the verifier cannot disagree on the format.

Records are read as the store holds them (signature and bytes) and placed in the log by the
notification the integrator gave them, never through a read model: a store changed after the
log integrated it gives a bundle that fails verification, which is the point.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

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
from verify.bundle import Bundle, BundleRecord
from verify.errors import VerificationError
from verify.merkle import inclusion_proof
from verify.records import Record

__all__ = ["MEDIA_TYPE", "build_bundle"]

MEDIA_TYPE = "application/vnd.agritrace.bundle+json"


@dataclass(frozen=True)
class _Stored:
    """A stored record: its chain position, signature, bytes and leaf index (if integrated)."""

    seq: int
    signature: bytes
    raw: bytes
    leaf: int | None

    @property
    def record(self) -> Record | None:
        """The parsed record, or None when the stored bytes are not one (a damaged store)."""
        try:
            return Record.from_bytes(self.raw)
        except VerificationError:
            return None


def build_bundle(ledger: Ledger, log: TransparencyLog, lot: str, *,
                 since: Sequence[int] = (), integrate: bool = True) -> Bundle:
    """The bundle of ``lot``; ``bundle.to_json()`` gives the bytes to write or serve.

    Integrates the log first (when ``integrate``) if the latest checkpoint does not yet
    cover the lot's last record; records after the checkpoint are left out. ``since`` lists
    earlier published tree sizes to include consistency proofs from. Raises ``LotNotFound``,
    ``NotFound`` (no checkpoint yet, the lot not yet in one, or a size in ``since`` never
    published) or ``InvalidInput``.
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
    records = [BundleRecord(item.leaf or 0, item.raw, item.signature, tuple(proof))
               for item, proof in zip(chosen, proofs, strict=True)]
    return Bundle.of(code, checkpoint.note, records, _consistency(log, since, size))


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
    """Every record the bundle needs (module docstring), in leaf order."""
    wanted: dict[str, int | None] = {start: None}  # chain -> last seq needed (None: all)
    loaded: dict[str, list[_Stored]] = {}
    located: set[bytes] = set()
    pending = {start}
    while pending:
        links: set[bytes] = set()
        for chain in pending:
            if chain not in loaded:
                loaded[chain] = [s for s in reader.chain(chain)
                                 if s.leaf is not None and s.leaf < size]
            for item in _prefix(loaded[chain], wanted[chain]):
                record = item.record
                if record is not None:
                    links.update(record.links)
        pending = {chain for chain in wanted if chain not in loaded}
        for chain, seq in reader.locate(links - located).items():
            known = wanted.get(chain, -1)
            if known is not None and known < seq:
                wanted[chain] = seq
                pending.add(chain)
        located |= links
    if not loaded[start]:
        raise NotFound(f"{start} is not yet in a published checkpoint (tree size {size}); "
                       "try again once the log has integrated it", field="lot")
    chosen = [item for chain, seq in wanted.items() for item in _prefix(loaded[chain], seq)]
    return sorted(chosen + _key_histories(reader, chosen), key=lambda item: item.leaf or 0)


def _key_histories(reader: _Reader, signed: list[_Stored]) -> list[_Stored]:
    """For each organisation that signed one of ``signed``, the records of its chain logged
    before the last of those it signed: every key registered or revoked before any of its
    signatures there, and nothing after them."""
    last: dict[str, int] = {}
    for item in signed:
        record = item.record
        if record is not None:
            last[record.org] = max(last.get(record.org, 0), item.leaf or 0)
    return [item for org, leaf in last.items() for item in reader.chain(f"org/{org}", leaf)]


def _prefix(records: list[_Stored], seq: int | None) -> list[_Stored]:
    return records if seq is None else [item for item in records if item.seq <= seq]


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
