"""The records a consumer page is built from: a lot's chain and the part of its ancestors'
chains that it came from.

As in a proof bundle (``ledger.bundles``), an ancestor's chain counts up to the last of its
records that a record of the family links to: a grade lot carries the collection it was
graded from, and each household's harvest up to the sale that linked it. After that point an
ancestor's chain is about other produce, except for what concerns its quality and standing
(inspections, certificates, holds, recalls, corrections), which the family keeps too.

Corrections apply (``ledger.domain.corrections``): each record's ``data`` in the family is its
effective data, the values of its corrections merged in, so every part of the summary shows
the corrected values. Such a record keeps its hash and bytes (``raw``) as signed; only its
``data`` says what the record says once corrected. ``corrections`` tells what each correction
changed, from what to what.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from ledger.application import Ledger
from ledger.domain.corrections import Correction, History
from ledger.domain.lot import Lot
from ledger.domain.organisation import Organisation
from ledger.errors import NotFound
from verify.records import Record

__all__ = ["ALWAYS_RELEVANT", "Family", "load_family"]

ALWAYS_RELEVANT = frozenset({"Inspected", "Certified", "Held", "Released", "Recalled",
                             "Corrected"})


@dataclass(frozen=True)
class Family:
    """A lot, its ancestors (nearest first) and their relevant records in time order."""

    lot: Lot
    ancestors: tuple[Lot, ...]
    records: tuple[Record, ...]  # corrections applied to their data
    organisations: Mapping[str, Organisation]
    corrections: Mapping[str, Correction]  # by the correction's hash, hex

    def corrected(self, record: Record) -> bool:
        """Whether a later record of the family corrects ``record``."""
        return any(c.original == record.hash_hex for c in self.corrections.values())

    @property
    def lots(self) -> tuple[Lot, ...]:
        return (self.lot, *self.ancestors)

    def own(self) -> list[Record]:
        """The lot's own records, in chain order."""
        return [r for r in self.records if r.chain == self.lot.chain_name]

    def unit_of(self, code: str) -> str:
        return next((lot.unit for lot in self.lots if lot.code == code), "")

    def org_name(self, org_id: str) -> str:
        org = self.organisations.get(org_id)
        return org.name if org is not None and org.name else org_id


def load_family(ledger: Ledger, code: str) -> Family:
    """The family of lot ``code``; raises ``LotNotFound`` for an unknown lot."""
    lots = ledger.trace_back(code)
    corrected: dict[str, History] = {lot.chain_name: lot.history for lot in lots}
    history = {chain: found.records for chain, found in corrected.items()}
    records = [replace(record, data=corrected[record.chain].data(record))
               if corrected[record.chain].is_corrected(record) else record
               for record in _relevant(lots[0].chain_name, history)]
    names = {record.org for record in records} | {lot.producer for lot in lots}
    for record in records:
        for key in ("to", "from"):
            value = record.data.get(key)
            if record.type in ("Shipped", "Received") and isinstance(value, str):
                names.add(value)
    return Family(lot=lots[0], ancestors=tuple(lots[1:]),
                  records=tuple(sorted(records, key=lambda r: (r.time, r.chain, r.seq))),
                  organisations=_organisations(ledger, names),
                  corrections={c.record: c for found in corrected.values()
                               for c in found.corrections})


def _relevant(own: str, history: Mapping[str, Sequence[Record]]) -> list[Record]:
    """The own chain whole; each ancestor chain up to its last linked record, plus its
    quality and standing records."""
    by_hash = {r.hash: r for chain in history.values() for r in chain}
    needed: dict[str, int] = {own: len(history[own]) - 1}
    pending = list(history[own])
    while pending:
        record = pending.pop()
        for link in record.links:
            target = by_hash.get(link)
            if target is None or needed.get(target.chain, -1) >= target.seq:
                continue
            start = needed.get(target.chain, -1) + 1
            needed[target.chain] = target.seq
            pending.extend(history[target.chain][start:target.seq + 1])
    return [record for chain, records in history.items() for record in records
            if record.seq <= needed.get(chain, -1) or record.type in ALWAYS_RELEVANT]


def _organisations(ledger: Ledger, org_ids: set[str]) -> dict[str, Organisation]:
    found: dict[str, Organisation] = {}
    for org_id in sorted(org_ids):
        try:
            found[org_id] = ledger.organisation(org_id)
        except NotFound:
            continue  # a name we cannot show is shown as its id
    return found
