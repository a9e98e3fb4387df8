"""Reading a lot's private data, for the organisation that recorded it and for inspectors,
each read by an inspector recorded in the log.

- The organisation that recorded a lot's private data (its first record: the harvest, or
  the collection with its purchases) reads that lot's values, as before.
- An inspector reads the private data of a lot and of every lot it was made from, under an
  inspection that grants it (``ledger.inspection.rights``). Before any value is read, the
  read is recorded: a ``PrivateDataRead`` record on the chain of the lot read, signed with the
  inspector's key, naming the inspection, the inspected lot and every lot read
  (``ledger.domain.steps.LEDGER_STEPS``). It is a record like any other: in the log, in the
  lot's proof bundle and its chain head, verified by ``agritrace-verify`` and the browser.
  If it cannot be recorded, nothing is read.

Each value comes labelled with the record (hash, chain, seq) and field holding its
commitment (``ledger.inspection.labels``); a purchase's household comes with the purchase's
public fields (lot, quantity, price paid and protective price) and, when the recording
cooperative's register knows the household id, with its register entry (name, village,
formerly poor). Values erased since are listed apart, labelled, without value or salt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ledger.application import Ledger, Receipt
from ledger.domain.lot import Lot
from ledger.domain.organisation import Organisation
from ledger.domain.steps import PRIVATE_STEPS
from ledger.errors import ChainConflict, NotPermitted
from ledger.households import households
from ledger.inspection.labels import CommitmentField, commitment_fields
from ledger.inspection.rights import Inspection, granting_inspection
from ledger.inspection.stored import kept_values
from ledger.persistence.work import UnitOfWork

__all__ = ["READ_STEP", "PrivateRead", "PrivateReads"]

READ_STEP = "PrivateDataRead"
_ATTEMPTS = 3  # a read recorded while another writer extends the lot's chain is retried


@dataclass(frozen=True)
class PrivateRead:
    """What one read returned, and the record that says it was read (an inspector's)."""

    lot: str
    lots: tuple[str, ...]  # the lots whose values were read, nearest first
    inspection: Inspection | None
    access: Receipt | None
    values: list[dict[str, Any]]
    erased: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        inspection = None if self.inspection is None else {
            "record": self.inspection.record.hash_hex, "lot": self.inspection.inspected_lot,
            "org": self.inspection.record.org, "time": self.inspection.record.time}
        access = None if self.access is None else {
            "record": self.access.hash, "chain": self.access.chain, "seq": self.access.seq,
            "type": self.access.type}
        return {"lot": self.lot, "lots": list(self.lots), "inspection": inspection,
                "access_record": access, "values": self.values, "erased": self.erased}


class PrivateReads:
    """Reads of private data over one ledger."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def read(self, reader: Organisation, lot: str, inspection: str | None = None
             ) -> PrivateRead:
        """``reader``'s read of ``lot``'s private data: its own lot's values, unrecorded;
        or, as an inspector (or naming an ``inspection``), the lot's and its ancestors',
        recorded first. ``NotPermitted`` naming the missing inspection otherwise."""
        own = self.ledger.lot(lot)
        if inspection is None and _recorded_by(own, reader):
            return PrivateRead(own.code, (own.code,), None, None,
                               *self._labelled([own]))
        if "inspector" not in reader.roles:
            raise NotPermitted(f"{reader.org_id} neither recorded lot {own.code}'s private "
                               "data nor inspects it: no inspection by "
                               f"{reader.org_id} of lot {own.code} or a descendant",
                               field="authorization")
        return self.read_as_inspector(reader, own.code, inspection)

    def read_as_inspector(self, reader: Organisation, lot: str,
                          inspection: str | None) -> PrivateRead:
        """The private data of ``lot`` and its ancestors, under ``reader``'s inspection
        (named by hash, or its newest): recorded as a ``PrivateDataRead`` record first."""
        granted = granting_inspection(self.ledger, reader, lot, inspection)
        lots = self.ledger.trace_back(lot)
        access = self._record_read(reader, granted, [found.code for found in lots])
        return PrivateRead(lot, tuple(found.code for found in lots), granted, access,
                           *self._labelled(lots))

    def _record_read(self, reader: Organisation, granted: Inspection,
                     lots: list[str]) -> Receipt:
        data = {"inspection": granted.record.hash_hex, "inspected_lot": granted.inspected_lot,
                "lots": lots}
        for attempt in range(_ATTEMPTS):
            work = UnitOfWork(self.ledger.store)
            self.ledger.pipeline.record_written(work, reader.org_id, READ_STEP, granted.lot,
                                                data)
            try:
                return work.commit()[0]
            except ChainConflict:
                if attempt == _ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _labelled(self, lots: Sequence[Lot]
                  ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The lots' values, labelled, and the labels of those erased."""
        engine = self.ledger.store.engine
        kept = kept_values(engine, (lot.chain_name for lot in lots))
        registers: dict[str, dict[str, dict[str, Any]]] = {}
        values: list[dict[str, Any]] = []
        erased: list[dict[str, Any]] = []
        for lot in lots:
            for record in lot.history.records:
                for found in commitment_fields(record):
                    stored = kept.get(found.commitment)
                    if stored is None:
                        continue  # sealed by a client that kept the value itself
                    if stored.erased:
                        erased.append({**found.label(), "erased_at": _utc(stored.erased_at)})
                        continue
                    values.append(self._opened(found, stored.value, stored.salt, registers))
        return values, erased

    def _opened(self, found: CommitmentField, value: Any, salt: bytes | None,
                registers: dict[str, dict[str, dict[str, Any]]]) -> dict[str, Any]:
        opened = {**found.label(), "value": value, "salt": salt.hex() if salt else None}
        if found.entry:
            opened["entry"] = dict(found.entry)
        if found.name == "household" and isinstance(value, str):
            org = found.record.org
            if org not in registers:
                registers[org] = {entry["household_id"]: entry for entry
                                  in households(self.ledger.store.engine, org)}
            entry = registers[org].get(value)
            if entry is not None:
                opened["household"] = {key: entry[key] for key in
                                      ("name", "village", "formerly_poor", "commitment")}
        return opened

    def reads_of(self, lot: str) -> list[dict[str, Any]]:
        """Every recorded read of ``lot``'s private data, oldest first: ``PrivateDataRead``
        records on the lot and on the lots made from it that name it among the lots read."""
        found = []
        for descendant in self.ledger.trace_forward(lot):
            for record in descendant.history.records:
                if record.type == READ_STEP and lot in record.data.get("lots", ()):
                    found.append({"record": record.hash_hex, "chain": record.chain,
                                  "seq": record.seq, "org": record.org,
                                  "recorded": record.recorded, "time": record.time,
                                  "inspection": record.data.get("inspection"),
                                  "inspected_lot": record.data.get("inspected_lot"),
                                  "lots": record.data.get("lots")})
        return sorted(found, key=lambda read: (read["recorded"], read["chain"], read["seq"]))


def _recorded_by(lot: Lot, reader: Organisation) -> bool:
    """Whether ``reader`` recorded the lot's private data (its first record)."""
    first = lot.history.first
    return first.org == reader.org_id and first.type in PRIVATE_STEPS


def _utc(moment: datetime | None) -> str | None:
    """An erasure's time in UTC, ISO 8601 (SQLite hands back naive UTC datetimes)."""
    if moment is None:
        return None
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat()
