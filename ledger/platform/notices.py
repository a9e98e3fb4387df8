"""Notices: what a hold, recall, release or correction means for the platforms selling a lot.

A record produces a notice when it is a ``Held``, ``Recalled`` or ``Released`` record of a lot,
or a ``Corrected`` record whose original is one of those or whose lot is held or recalled
(itself or through a lot it was made from). A recall cascades: the order's notice names every
lot it reaches, so the cascade records it writes on the descendants (``because_of``) add no
notice of their own. The notice names the lot and every lot made from it (what a platform may
be selling), their GTINs, the record's hash and, once the log has integrated it, its leaf index.
The webhook payloads (``ledger.platform.webhooks``) and the recall feed
(``ledger.platform.feed``) carry this one shape (docs/platform-webhooks.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ledger.domain.lineage import lineage
from ledger.domain.lot import Lot
from verify.records import Record

__all__ = ["STATUS_STEPS", "TYPES", "PlatformNotice", "notice_of", "notices_of"]

STATUS_STEPS = frozenset({"Held", "Recalled", "Released"})
TYPES = {"Held": "lot.held", "Recalled": "lot.recalled", "Released": "lot.released",
         "Corrected": "lot.corrected"}
LoadLot = Callable[[str], Lot]


@dataclass(frozen=True)
class PlatformNotice:
    """One notice, before the log gives its record a leaf index. ``parties`` (producers,
    custodians and receivers of the affected lots) choose subscribers and are not sent."""

    record: str
    type: str
    lot: str
    recorded: str
    org: str
    reason: str
    affected_lots: tuple[str, ...]
    gtins: tuple[str, ...]
    parties: tuple[str, ...]

    @property
    def id(self) -> str:
        return self.record

    def as_json(self, leaf_index: int | None = None) -> dict[str, Any]:
        """The notice as webhooks and the feed carry it."""
        return {"id": self.id, "type": self.type, "lot": self.lot, "record": self.record,
                "leaf_index": leaf_index, "recorded": self.recorded, "org": self.org,
                "reason": self.reason, "affected_lots": list(self.affected_lots),
                "gtins": list(self.gtins)}

    def stored(self) -> str:
        """What the notices table keeps: the notice with its parties."""
        return json.dumps({**self.as_json(), "parties": list(self.parties)},
                          ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_stored(cls, text: str) -> PlatformNotice:
        raw = json.loads(text)
        return cls(record=raw["record"], type=raw["type"], lot=raw["lot"],
                   recorded=raw["recorded"], org=raw["org"], reason=raw["reason"],
                   affected_lots=tuple(raw["affected_lots"]), gtins=tuple(raw["gtins"]),
                   parties=tuple(raw.get("parties", ())))


def notice_of(record: Record, load: LoadLot) -> PlatformNotice | None:
    """The notice ``record`` produces, or None; ``load`` gives a lot by code as it stands
    with ``record`` applied (a unit of work's lots, before it commits)."""
    if record.chain_kind != "lot" or record.type not in TYPES:
        return None
    if record.type == "Recalled" and record.data.get("because_of"):
        return None  # a cascade: the order's notice names this lot already
    code = record.subject
    if record.type == "Corrected" and not _matters(load(code), record, load):
        return None
    affected = lineage(code, load, forward=True)
    parties = {party for lot in affected
               for party in (lot.producer, lot.custodian, lot.in_transit_to) if party}
    return PlatformNotice(
        record=record.hash_hex, type=TYPES[record.type], lot=code, recorded=record.recorded,
        org=record.org, reason=str(record.data.get("reason", "")),
        affected_lots=tuple(sorted(lot.code for lot in affected)),
        gtins=tuple(sorted({lot.gtin for lot in affected if lot.gtin})),
        parties=tuple(sorted(parties)))


def _matters(lot: Lot, correction: Record, load: LoadLot) -> bool:
    """A correction concerns platforms when it corrects a hold, recall or release, or when
    its lot is held or recalled, itself or through a lot it was made from."""
    if lot.original(str(correction.data["corrects"])).type in STATUS_STEPS:
        return True
    return any(found.held or found.recalled
               for found in lineage(lot.code, load, forward=False))


def notices_of(records: Iterable[Record], load: LoadLot) -> list[PlatformNotice]:
    """The notices of ``records``, in their order."""
    found = (notice_of(record, load) for record in records)
    return [notice for notice in found if notice is not None]
