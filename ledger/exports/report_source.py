"""The verified lot an audit report is made from: the lot's proof bundle at the latest
checkpoint, checked by ``verify`` as any client would check it, with the lot's derived state.

The report states nothing the bundle does not prove (DESIGN §4 item 10): its facts come from
these verified records, never from a read model. This is the report's one way in to the
records; when the ledger gains a shared verified-lot service, only this module changes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ledger.application import Ledger
from ledger.bundles import build_bundle
from ledger.errors import AuditFailed
from ledger.log.service import TransparencyLog
from verify.bundle import Bundle
from verify.errors import VerificationError
from verify.records import Record
from verify.verification import BundleResult, verify_bundle

__all__ = ["VerifiedLot", "verified_lot"]


@dataclass(frozen=True)
class VerifiedLot:
    """A lot's bundle, its SHA-256 digest, what verifying it established and its records."""

    bundle: Bundle
    digest: bytes  # SHA-256 of the bundle document's bytes (``Bundle.to_json``)
    result: BundleResult

    @property
    def state(self) -> dict[str, Any]:
        state = self.result.state
        if state is None:  # verify_bundle always derives it
            raise TypeError("a verified bundle without a derived state")
        return state

    @cached_property
    def records(self) -> tuple[Record, ...]:
        """The bundle's records, parsed, in log order."""
        ordered = sorted(self.bundle.records, key=lambda item: item.index)
        return tuple(Record.from_bytes(item.raw) for item in ordered)


def verified_lot(ledger: Ledger, log: TransparencyLog, lot: str) -> VerifiedLot:
    """The lot's bundle at the latest checkpoint, verified against the log's own key.

    Raises what ``build_bundle`` raises (``LotNotFound`` for an unknown lot), and
    ``AuditFailed`` naming the first bad record when the store no longer gives a bundle that
    verifies: a report is never made from records that do not check.
    """
    bundle = build_bundle(ledger, log, lot)
    document = bundle.to_json()
    try:
        result = verify_bundle(Bundle.from_json(document), [log.key.verifier])
    except VerificationError as error:
        raise AuditFailed(f"the bundle of lot {bundle.lot} does not verify (step {error.step}):"
                          f" {error.reason}", record=error.record) from error
    return VerifiedLot(bundle, hashlib.sha256(document).digest(), result)
