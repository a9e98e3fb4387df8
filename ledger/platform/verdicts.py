"""Verdicts on platform listings, each signed by the service's verdict key (docs/platform.md).

``Verdicts.judge_listings`` takes parsed listings (``ledger.platform.listings``) and answers
one verdict per listing: the lot's state comes only from ``ledger.verified.verified_lot`` (a
verified bundle), computed once per lot per request; ``verify.judging.judge`` gives the
findings; ``verify.verdicts.verdict_text`` the note text, signed here. A listing naming a
unit by GTIN and serial without its lot is found through the lot index (the read model only
narrows the search; its candidates' states are verified like any other lot).

The answer::

    {"issued", "verdict_key", "verdict_key_org", "counts": {verdict: n},
     "listings": [{"row", "listing_id", "verdict", "unknown", "status", "best_before",
                   "mismatches", "lot", "checkpoint", "bundle_sha256", "note"
                   [, "document"]}],
     "errors": [{"row", "listing_id", "field", "reason"}],
     "lots": {lot: {"state", "bundle_sha256", "checkpoint": {"origin", "size", "root_hash",
                                                             "note"}}},
     "checkpoint": {... the latest, for listings naming no lot}}

With ``documents``, each listing also carries its complete verdict document (the bundle as
served and the verdict key's proof included), ready for ``agritrace-verify verdict``.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ledger.application import Ledger
from ledger.bundles import chain_proof
from ledger.errors import LotNotFound, NotFound
from ledger.log.service import TransparencyLog
from ledger.persistence.projections import LotQuery
from ledger.platform.listings import Listing, Parsed, RowError
from ledger.platform.verdictkey import VerdictKey, load_verdict_key, publish_verdict_key
from ledger.verified import VerifiedLot, verified_lot
from verify.freshness import format_utc
from verify.judging import VERDICTS, Claims, judge
from verify.keyproof import KeyProof
from verify.verdicts import FORMAT, VERSION, verdict_text

__all__ = ["MAX_SERIAL_CANDIDATES", "VerdictService", "Verdicts"]

MAX_SERIAL_CANDIDATES = 50  # lots under one GTIN searched for a serial, newest first


@dataclass
class Verdicts:
    """Judges listings for one ledger and log, signing with ``key``."""

    ledger: Ledger
    log: TransparencyLog
    key: VerdictKey
    _published: bool = False
    _key_proofs: dict[int, dict[str, Any] | None] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def publish(self) -> None:
        """Make sure the verdict key's organisation is in the log (once per process)."""
        if self._published:
            return
        if publish_verdict_key(self.ledger, self.key):
            self.log.integrate()
        self._published = True

    def judge_listings(self, parsed: Sequence[Parsed], *, documents: bool = False,
                       now: int | None = None) -> dict[str, Any]:
        """The answer to a listings request (module docstring)."""
        self.publish()
        issued = int(time.time()) if now is None else now
        request = _Request(self, issued, documents)
        answers, errors = [], []
        for item in parsed:
            if isinstance(item, Listing):
                answer = request.answer(item)
                if isinstance(answer, RowError):
                    errors.append(answer.to_json())
                else:
                    answers.append(answer)
            else:
                errors.extend(error.to_json() for error in item)
        counts = Counter(answer["verdict"] for answer in answers)
        return {"issued": format_utc(issued), "verdict_key": self.key.vkey,
                "verdict_key_org": self.key.org,
                "counts": {verdict: counts.get(verdict, 0) for verdict in VERDICTS},
                "listings": answers, "errors": errors,
                "lots": {code: request.lot_json(found) for code, found in request.lots.items()
                         if found is not None},
                "checkpoint": request.latest_json()}

    def key_proof(self, size: int) -> dict[str, Any] | None:
        """The verdict key's proof at checkpoint ``size`` (None when it is not in it)."""
        with self._lock:
            if size in self._key_proofs:
                return self._key_proofs[size]
        try:
            records, head = chain_proof(self.ledger, self.log, f"org/{self.key.org}",
                                        self.log.checkpoint(size))
            proof: dict[str, Any] | None = KeyProof(f"org/{self.key.org}", tuple(records),
                                                    head).to_json()
        except NotFound:
            proof = None
        with self._lock:
            if len(self._key_proofs) > 64:
                self._key_proofs.clear()
            self._key_proofs[size] = proof
        return proof


class _Request:
    """One request's lots, each verified once, and its latest checkpoint."""

    def __init__(self, verdicts: Verdicts, issued: int, documents: bool) -> None:
        self.verdicts, self.issued, self.documents = verdicts, issued, documents
        self.lots: dict[str, VerifiedLot | None] = {}
        self._latest: tuple[dict[str, Any], str] | None = None

    def lot(self, code: str) -> VerifiedLot | None:
        if code not in self.lots:
            try:
                self.lots[code] = verified_lot(self.verdicts.ledger, self.verdicts.log, code)
            except LotNotFound:
                self.lots[code] = None
        return self.lots[code]

    def latest(self) -> tuple[dict[str, Any], str]:
        if self._latest is None:
            self.verdicts.log.integrate()
            checkpoint = self.verdicts.log.latest_checkpoint()
            self._latest = ({"origin": checkpoint.origin, "size": checkpoint.size,
                             "root_hash": checkpoint.root_hash.hex()}, checkpoint.note)
        return self._latest

    def latest_json(self) -> dict[str, Any]:
        named, note = self.latest()
        return {**named, "note": note}

    def lot_json(self, found: VerifiedLot) -> dict[str, Any]:
        return {"state": found.state, "bundle_sha256": found.digest.hex(),
                "checkpoint": {**found.checkpoint_json(), "note": found.checkpoint_note}}

    def answer(self, listing: Listing) -> dict[str, Any] | RowError:
        claims = listing.claims
        found, unknown = self._find(claims)
        if isinstance(found, RowError):
            return RowError(listing.row, listing.listing_id, found.field, found.reason)
        if found is None:
            findings = judge(claims, None, (), self.issued)
            findings["unknown"] = unknown
            checkpoint, checkpoint_note = self.latest()
        else:
            findings = judge(claims, found.state, found.serials, self.issued)
            checkpoint, checkpoint_note = found.checkpoint_json(), found.checkpoint_note
        body = {"listing_id": listing.listing_id, "claims": claims.to_json(), **findings,
                "lot": None if found is None else found.lot, "checkpoint": checkpoint,
                "bundle_sha256": None if found is None else found.digest.hex(),
                "issued": format_utc(self.issued), "verdict_key_org": self.verdicts.key.org}
        note = self.verdicts.key.sign(verdict_text(body))
        answer = {"row": listing.row, "listing_id": listing.listing_id, **findings,
                  "lot": body["lot"], "checkpoint": checkpoint,
                  "bundle_sha256": body["bundle_sha256"], "note": note}
        if self.documents:
            answer["document"] = self._document(note, checkpoint_note, found, checkpoint)
        return answer

    def _document(self, note: str, checkpoint_note: str, found: VerifiedLot | None,
                  checkpoint: dict[str, Any]) -> dict[str, Any]:
        document: dict[str, Any] = {"format": FORMAT, "version": VERSION, "verdict": note,
                                    "checkpoint": checkpoint_note}
        if found is not None:
            document["bundle"] = found.bundle_json.decode("utf-8")
        proof = self.verdicts.key_proof(checkpoint["size"])
        if proof is not None:
            document["key"] = proof
        return document

    def _find(self, claims: Claims) -> tuple[VerifiedLot | RowError | None, str | None]:
        """The lot a listing names, or None with why it names none."""
        if claims.lot is not None:
            found = self.lot(claims.lot)
            return found, None if found is not None else \
                f"no lot {claims.lot} is registered: possibly counterfeit"
        gtin, serial = claims.gtin, claims.serial
        rows = self.verdicts.ledger.search_lots(LotQuery(gtin=gtin, limit=MAX_SERIAL_CANDIDATES))
        holding = []
        for row in rows:
            candidate = self.lot(row["code"])
            if candidate is not None and judge(claims, candidate.state, candidate.serials,
                                               self.issued)["unknown"] is None:
                holding.append(candidate)
        if len(holding) > 1:
            names = ", ".join(sorted(c.lot for c in holding))
            return RowError(0, None, "serial", f"serial {serial} was assigned in several lots "
                                               f"under GTIN {gtin} ({names}); give the lot"), None
        if holding:
            return holding[0], None
        return None, (f"no lot under GTIN {gtin} assigned serial {serial}: possibly "
                      "counterfeit")


class VerdictService:
    """The process's ``Verdicts``, made on first use: the verdict key is read (or its file
    created) only when a platform first asks, never at start-up."""

    def __init__(self, ledger: Ledger, log: TransparencyLog) -> None:
        self.ledger, self.log = ledger, log
        self._made: Verdicts | None = None
        self._lock = threading.Lock()

    def get(self) -> Verdicts:
        with self._lock:
            if self._made is None:
                key = load_verdict_key(self.ledger.settings, self.log.origin)
                self._made = Verdicts(self.ledger, self.log, key)
            return self._made
