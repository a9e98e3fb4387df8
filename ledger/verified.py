"""The one server path to a lot's verified state: build its proof bundle, verify it with the
log's own key, and derive the state from the verified records, exactly as a phone or
``agritrace-verify`` does (DESIGN §4 item 10).

``verified_lot(ledger, log, lot)`` returns a ``VerifiedLot``: the bundle, its bytes as served
and their SHA-256, the ``BundleResult`` (``.state`` from ``verify.state.derive_state``), the
checkpoint (size, root, signed note), the serial ranges its packings assigned, and its records
parsed (``records``, as the audit report reads them). Anything that reports a lot's status,
quantities or certificates takes them from here, never from a read model.

Results are kept in a bounded in-process cache per log, keyed by (lot, checkpoint size): a
lot's bundle at one checkpoint never changes. Before a cache hit is used the lot's own last
record is checked to be covered by the latest checkpoint, as ``build_bundle`` would
integrate it first, so a cached answer is the answer a fresh build would give. Unknown lots
raise ``LotNotFound``; a bundle that fails verification raises ``AuditFailed`` (the log
will not vouch for what does not verify).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cached_property
from hashlib import sha256
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import text

from ledger.application import Ledger
from ledger.bundles import build_bundle
from ledger.domain.chain import chain_id
from ledger.domain.fields import lot_code
from ledger.errors import AuditFailed, LotNotFound, NotFound
from ledger.log.service import TransparencyLog
from ledger.persistence.store import events_table, notification_column
from ledger.persistence.tables import log_leaves
from verify.bundle import Bundle
from verify.errors import VerificationError
from verify.records import Record
from verify.verdicts import packed_serials
from verify.verification import BundleResult, verify_bundle

__all__ = ["CACHE_SIZE", "VerifiedLot", "VerifiedLots", "verified_lot"]

CACHE_SIZE = 256


@dataclass(frozen=True)
class VerifiedLot:
    """A lot's bundle at one checkpoint, verified, with the state derived from it."""

    lot: str
    bundle: Bundle
    bundle_json: bytes  # the bytes served at GET /lots/{lot}/bundle for this checkpoint
    result: BundleResult
    serials: tuple[tuple[int, int], ...]  # serial ranges the lot's packings assigned

    @cached_property
    def digest(self) -> bytes:
        """SHA-256 of ``bundle_json``."""
        return sha256(self.bundle_json).digest()

    @cached_property
    def records(self) -> tuple[Record, ...]:
        """The bundle's records, parsed, in log order."""
        ordered = sorted(self.bundle.records, key=lambda item: item.index)
        return tuple(Record.from_bytes(item.raw) for item in ordered)

    @property
    def state(self) -> dict[str, Any]:
        state = self.result.state
        if state is None:  # verify_bundle always derives it
            raise AuditFailed(f"the bundle of lot {self.lot} gave no state")
        return state

    @property
    def size(self) -> int:
        return self.result.checkpoint_size

    @property
    def root_hash(self) -> bytes:
        return self.result.root_hash

    @property
    def checkpoint_note(self) -> str:
        """The signed checkpoint the bundle is cut at (with any cosignatures)."""
        return self.bundle.note.to_text()

    def checkpoint_json(self) -> dict[str, Any]:
        return {"origin": self.result.origin, "size": self.size,
                "root_hash": self.root_hash.hex()}


class VerifiedLots:
    """The bounded cache of one log: (lot, checkpoint size) -> ``VerifiedLot``."""

    def __init__(self, ledger: Ledger, log: TransparencyLog, size: int = CACHE_SIZE) -> None:
        self.ledger, self.log, self.size = ledger, log, size
        self._kept: OrderedDict[tuple[str, int], VerifiedLot] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, lot: str, *, cached: bool = True) -> VerifiedLot:
        """The lot verified at the latest checkpoint covering its last record."""
        code = lot_code(lot, "lot")
        if cached:
            size = self._covering_size(code)
            with self._lock:
                found = self._kept.get((code, size))
                if found is not None:
                    self._kept.move_to_end((code, size))
                    return found
        verified = _verify(self.ledger, self.log, code)
        if cached:
            with self._lock:
                self._kept[(code, verified.size)] = verified
                while len(self._kept) > self.size:
                    self._kept.popitem(last=False)
        return verified

    def _covering_size(self, code: str) -> int:
        """The latest checkpoint's size, after integrating when it misses the lot's last
        record (as ``build_bundle`` does); ``LotNotFound`` for a lot never recorded."""
        store = self.ledger.store
        events = events_table(store.backend)
        order = notification_column(store.backend)
        query = text(f"SELECT l.leaf_index FROM {events} e "  # noqa: S608
                     f"LEFT JOIN {log_leaves.name} l ON l.notification_id = e.{order} "
                     "WHERE e.originator_id = :id ORDER BY e.originator_version DESC LIMIT 1")
        identity = chain_id(f"lot/{code}")
        with store.engine.connect() as connection:
            row = connection.execute(query, {"id": identity.hex if store.backend.kind ==
                                             "sqlite" else identity}).first()
        if row is None:
            raise LotNotFound(f"lot {code} is not registered", field="lot")
        size = _latest_size(self.log)
        if row[0] is None or size <= int(row[0]):
            self.log.integrate()
            size = _latest_size(self.log)
        return size


_caches: WeakKeyDictionary[TransparencyLog, VerifiedLots] = WeakKeyDictionary()
_caches_lock = threading.Lock()


def verified_lot(ledger: Ledger, log: TransparencyLog, lot: str, *,
                 cached: bool = True) -> VerifiedLot:
    """``lot`` verified at the latest checkpoint (module docstring); ``cached=False`` builds
    and verifies it afresh. Raises ``LotNotFound``, ``NotFound`` (no checkpoint yet),
    ``InvalidInput`` (a bad lot code) or ``AuditFailed``."""
    with _caches_lock:
        cache = _caches.get(log)
        if cache is None:
            cache = _caches[log] = VerifiedLots(ledger, log)
    return cache.get(lot, cached=cached)


def _latest_size(log: TransparencyLog) -> int:
    try:
        return log.latest_checkpoint().size
    except NotFound:
        return 0


def _verify(ledger: Ledger, log: TransparencyLog, code: str) -> VerifiedLot:
    bundle = build_bundle(ledger, log, code)
    raw = bundle.to_json()
    try:
        result = verify_bundle(bundle, [log.key.verifier])
    except VerificationError as error:
        raise AuditFailed(f"the bundle of lot {code} does not verify: step {error.step}: "
                          f"{error.reason}"
                          + (f" (record {error.record})" if error.record else ""),
                          record=error.record) from error
    records = [Record.from_bytes(item.raw)
               for item in sorted(bundle.records, key=lambda r: r.index)]
    return VerifiedLot(code, bundle, raw, result, tuple(packed_serials(records, code)))
