"""Which inspection lets an inspector read a lot's private data.

An inspector inspecting a lot may read the private data of that lot and of every lot it was
made from: reading lot X needs an ``Inspected`` record signed by the inspector's organisation
on X or on a lot made from X (an inspection reaches back through the lineage, never forward).
The request names that inspection by its record hash, or only the lot: then the newest such
inspection is taken. Without one the read is refused (``NotPermitted``, 403) naming what is
missing: "no inspection by <org> of lot X or a descendant".
"""

from __future__ import annotations

from dataclasses import dataclass

from ledger.application import Ledger
from ledger.domain.organisation import Organisation
from ledger.errors import NotFound, NotPermitted
from ledger.persistence.lookup import find_record
from verify.records import Record

__all__ = ["Inspection", "granting_inspection"]


@dataclass(frozen=True)
class Inspection:
    """An ``Inspected`` record that grants reading ``lot``'s private data."""

    record: Record
    lot: str  # the lot whose private data it grants (the inspected lot or an ancestor)

    @property
    def inspected_lot(self) -> str:
        return self.record.subject


def granting_inspection(ledger: Ledger, reader: Organisation, lot: str,
                        digest: str | None) -> Inspection:
    """The inspection by ``reader`` that lets it read ``lot``'s private data: the one named
    by ``digest`` (hex), or the newest. ``NotPermitted`` naming the missing inspection."""
    missing = f"no inspection by {reader.org_id} of lot {lot} or a descendant"
    if "inspector" not in reader.roles:
        raise NotPermitted(f"{reader.org_id} is no inspector: {missing}", field="inspection")
    reach = ledger.trace_forward(lot)
    found = [record for descendant in reach for record in descendant.history.records
             if record.type == "Inspected" and record.org == reader.org_id]
    if digest is None:
        if not found:
            raise NotPermitted(missing, field="inspection")
        return Inspection(max(found, key=lambda record: record.recorded), lot)
    match = next((record for record in found if record.hash_hex == digest), None)
    if match is None:
        raise NotPermitted(f"record {digest} {_why_not(ledger, reader, digest)}; {missing}",
                           field="inspection")
    return Inspection(match, lot)


def _why_not(ledger: Ledger, reader: Organisation, digest: str) -> str:
    """Why the record ``digest`` grants nothing here, in a few words."""
    try:
        record = find_record(ledger.store, bytes.fromhex(digest)).record
    except NotFound:
        return "is no record"
    if record.type != "Inspected":
        return f"is a {record.type} record, not an inspection"
    if record.org != reader.org_id:
        return f"is an inspection by {record.org}"
    return f"is an inspection of lot {record.subject}, which was not made from this lot"
