"""Lots: the state their records build, and the rules a new record must keep.

``Lot.check`` is the one place the domain rules are applied. Server-built and client-signed
records both pass through it before they are appended, so both obey the same rules:

- handling steps (collect, grade, pre-cool, store, pack, ship) only by the custodian, never
  on a held, recalled, consumed or in-transit lot, nor on one made from a held or recalled
  lot; the same holds for issuing a 承诺达标合格证;
- custody moves by ``Shipped`` (to an organisation) and ``Received`` (by that organisation);
- inspectors may inspect, hold, release and recall any lot; the custodian may record its own
  inspections and certificates; only an inspector records that it issued an official audit
  report of a lot (``ReportIssued``), whatever the lot's state; an inspector's read of a
  lot's private data is recorded on the lot whatever its state (``PrivateDataRead``,
  written by the ledger itself);
- a consumed lot takes only inspection, recall and correction records;
- what left a lot (collections, gradings) and what was packed from it (units × net weight,
  plus the declared loss) never exceed its quantity;
- a record's data is consistent in itself (``ledger.domain.consistency``) and a compliance
  certificate carries its statutory content (``ledger.domain.certificates``);
- a correction is made by the record's maker or an inspector and is held to every rule above
  as the corrected record would be with the new values;
- no record is dated before the lot existed, nor more than five minutes after it is recorded;
  nor is any time its data names of something that happened (a harvest's end, a reading);
  a date ahead (best before, valid until) lies within ``HORIZON`` of the recording.

The state is built from the records' effective data, corrections applied
(``ledger.domain.corrections``): a correction re-derives the state from the chain's records.
Rules new to the ledger are checked on new records only; the state of records written before
them is derived as they say.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar

from ledger.domain.certificates import (
    COMPLIANCE_CERTIFICATE,
    FoundTest,
    check_compliance_certificate,
)
from ledger.domain.chain import Chain
from ledger.domain.consistency import check_correctable, check_data
from ledger.domain.corrections import History, merged
from ledger.domain.fields import MASS_UNITS, format_decimal
from ledger.domain.organisation import PRODUCER_ROLES, Actor
from ledger.domain.steps import HANDLING_STEPS, LEDGER_STEPS, named_times
from ledger.errors import (
    InvalidInput,
    LotConsumed,
    LotHeld,
    LotInTransit,
    LotRecalled,
    NotCustodian,
    NotPermitted,
    RuleBroken,
    WrongState,
)
from verify.records import Record

__all__ = ["CLOCK_SKEW", "HORIZON", "Lot", "packed_amount"]

CLOCK_SKEW = timedelta(minutes=5)
HORIZON = timedelta(days=3653)  # ten years: no best-before or certificate runs longer
INSPECTOR_STEPS = frozenset({"Inspected", "Held", "Released", "Recalled"})
ALWAYS_ALLOWED = frozenset({"Inspected", "Recalled", "Corrected", "Certified"})
AMOUNT_STEPS = frozenset({"Collected", "Graded", "Packed", "Corrected"})  # change amounts
Ancestors = Callable[[], Sequence["Lot"]]


def packed_amount(data: Mapping[str, Any], unit: str) -> Decimal | None:
    """Units × net weight of a packing, in the lot's ``unit``; None when the lot is counted
    in a unit that is no mass (crates, boxes), which a weight cannot be compared with."""
    if unit not in MASS_UNITS:
        return None
    weight = Decimal(data["net_weight_per_unit"]) * MASS_UNITS[data["net_weight_unit"]]
    return Decimal(data["units"]) * weight / MASS_UNITS[unit]


def _no_ancestors() -> Sequence[Lot]:
    return ()


class Lot(Chain):
    """A traceability lot: what it is, where it came from, who holds it, what it may do."""

    kind: ClassVar[str] = "lot"
    mutable_state: ClassVar[tuple[str, ...]] = (
        "parents", "children", "history", "packings", "unweighed", "excursions",
        "below_protective_price")

    def __init__(self) -> None:
        super().__init__()
        self.history = History()
        self._reset()

    def _reset(self) -> None:
        """The state before the first record (the chain's records stay in ``history``)."""
        self.code = ""
        self.product: dict[str, Any] = {}
        self.origin: dict[str, Any] = {}
        self.unit = ""
        self.quantity = Decimal(0)
        self.taken = Decimal(0)  # what collections took from it
        self.graded = Decimal(0)  # what gradings made of it, loss included
        self.graded_whole = False
        self.packed = Decimal(0)  # units × net weight packed, in the lot's unit
        self.pack_loss = Decimal(0)
        self.packings: list[str] = []  # Packed records, hex
        self.unweighed: list[str] = []  # Packed records of a lot not counted by mass
        self.producer = ""
        self.custodian = ""
        self.in_transit_to: str | None = None
        self.started_at = ""
        self.held = False
        self.recalled = False
        self.status_record: str | None = None  # the latest Held, Released or Recalled
        self.status_reason: str | None = None
        self.gtin: str | None = None
        self.grade: str | None = None
        self.parents: list[str] = []
        self.children: list[str] = []
        self.band: tuple[str | None, str | None] = (None, None)  # latest storage's range
        self.excursions: list[dict[str, Any]] = []
        self.below_protective_price: list[dict[str, Any]] = []

    @property
    def remaining(self) -> Decimal:
        """What is left after collections took from it; nothing once it was graded."""
        return Decimal(0) if self.graded_whole else self.quantity - self.taken

    @property
    def consumed(self) -> bool:
        return self.remaining <= 0 and self.length > 0

    @property
    def excess(self) -> Decimal:
        """How much more left the lot or was packed from it than it holds (≤ 0: none)."""
        return self.taken + self.graded + self.packed + self.pack_loss - self.quantity

    @property
    def status(self) -> str:
        if self.recalled:
            return "recalled"
        if self.held:
            return "held"
        if self.consumed:
            return "consumed"
        if self.in_transit_to:
            return "in-transit"
        return "active"

    # -- rules -------------------------------------------------------------------------

    def check(self, record: Record, actor: Actor, ancestors: Ancestors = _no_ancestors) -> None:
        """Raise unless ``actor`` may append ``record`` to this lot now. ``ancestors`` gives
        the lots it was made from (asked only when a rule needs them)."""
        lineage = _once(ancestors)
        self._check_time(record)
        self._check_permission(record, actor, lineage)
        if record.type == "Corrected":
            self._check_correction(record, lineage)
        else:
            self._check_data(record.type, record.data, "data", (), lineage)
        self._check_amounts(record)

    def _check_permission(self, record: Record, actor: Actor, ancestors: Ancestors) -> None:
        step = record.type
        if step == "ReportIssued":
            if not actor.is_inspector:
                raise NotPermitted("only an inspector issues an official audit report",
                                   field="org")
            return
        if step in LEDGER_STEPS:  # an inspector's read: on a lot in any state
            if not actor.is_inspector:
                raise NotPermitted(f"only an inspector's read of private data is recorded as "
                                   f"{step}", field="org")
            return
        if step in INSPECTOR_STEPS and actor.is_inspector:
            self._check_inspector_step(step)
            return
        if step == "Certified" and actor.is_inspector:
            self._check_certificate_standing(record, ancestors)
            return
        if step in ("Held", "Released"):
            raise NotPermitted(f"only an inspector may record {step}", field="type")
        if step == "Recalled":
            raise NotPermitted("only an inspector may order a recall", field="type")
        if step == "Corrected":
            original = self.original(record.data["corrects"])
            if actor.org != original.org and not actor.is_inspector:
                raise NotPermitted(
                    f"record {original.hash_hex} ({original.type}) was recorded by "
                    f"{original.org}; only it, or an inspector, may correct it", field="org",
                    rule="correction-author", records=(original.hash_hex,))
            return
        if step == "Received":
            self._check_receipt(record, actor)
            return
        if actor.org != self.custodian:
            raise NotCustodian(f"lot {self.code} is held by {self.custodian}, not {actor.org}",
                               field="org")
        if step == "Certified":
            self._check_certificate_standing(record, ancestors)
        if step in ALWAYS_ALLOWED:
            return
        if step not in HANDLING_STEPS:
            raise InvalidInput(f"{step} cannot continue a lot's chain", field="type")
        self._check_handling(step, ancestors)

    def _check_handling(self, step: str, ancestors: Ancestors) -> None:
        self._check_standing(step, ancestors)
        if self.consumed:
            raise LotConsumed(f"lot {self.code} was used up by a split or merge")
        if self.in_transit_to:
            raise LotInTransit(f"lot {self.code} is in transit to {self.in_transit_to}; it "
                               "must be received first")

    def _check_certificate_standing(self, record: Record, ancestors: Ancestors) -> None:
        if record.data.get("scheme") == COMPLIANCE_CERTIFICATE:
            self._check_standing("a 承诺达标合格证 (compliance certificate)", ancestors)

    def _check_standing(self, what: str, ancestors: Ancestors) -> None:
        """Raise when this lot, or a lot it was made from, is recalled or held."""
        refuse_if_flagged(self, what)
        for ancestor in ancestors():
            refuse_if_flagged(ancestor, what, of=self.code)

    def _check_inspector_step(self, step: str) -> None:
        if step == "Held" and (self.held or self.recalled):
            raise WrongState(f"lot {self.code} is already {self.status}")
        if step == "Released" and not self.held:
            raise WrongState(f"lot {self.code} is not on hold")
        if step == "Released" and self.recalled:
            raise LotRecalled(f"lot {self.code} is recalled; a recall is final")
        if step == "Recalled" and self.recalled:
            raise WrongState(f"lot {self.code} is already recalled")

    def _check_receipt(self, record: Record, actor: Actor) -> None:
        if self.in_transit_to is None:
            raise WrongState(f"lot {self.code} has not been shipped")
        if actor.org != self.in_transit_to:
            raise NotCustodian(f"lot {self.code} was shipped to {self.in_transit_to}, not "
                               f"{actor.org}", field="org")
        if record.data.get("from") != self.custodian:
            raise InvalidInput(f"lot {self.code} was shipped by {self.custodian}",
                               field="data.from")
        if self.recalled:
            raise LotRecalled(f"lot {self.code} is recalled; it cannot be received")

    def original(self, digest: str) -> Record:
        """The record a correction naming ``digest`` corrects: that record of this lot, or
        the original an earlier correction it names resolves to."""
        found = self.history.original(digest)
        if found is None:
            raise InvalidInput(f"record {digest} is not a record of lot {self.code}",
                               field="data.corrects", rule="correction-target")
        return found

    def _check_correction(self, record: Record, ancestors: Ancestors) -> None:
        """A correction is held to the rules of the record it corrects, with its values."""
        original = self.original(record.data["corrects"])
        values: Mapping[str, Any] = record.data["values"]
        before = self.history.data(original)
        check_correctable(original, values, original_data=before)
        if original.seq == 0 and "unit" in values and values["unit"] != before.get("unit") \
                and (self.children or self.packings):
            raise InvalidInput(
                f"cannot be corrected: lot {self.code}'s collections, gradings and packings "
                f"are recorded in {before.get('unit')}", field="data.values.unit",
                rule="correction-fixed", records=(original.hash_hex,))
        self._check_data(original.type, merged(before, values), "data.values", values,
                         ancestors)

    def _check_data(self, step: str, data: Mapping[str, Any], path: str,
                    given: Collection[str], ancestors: Ancestors) -> None:
        check_data(step, data, path=path, given=given)
        if step == "Certified" and data.get("scheme") == COMPLIANCE_CERTIFICATE:
            check_compliance_certificate(data, path=path, lot=self.code,
                                         find_test=self._finder(ancestors))

    def _finder(self, ancestors: Ancestors) -> Callable[[str], FoundTest | None]:
        def find(digest: str) -> FoundTest | None:
            for lot in (self, *ancestors()):
                record = lot.history.find(digest)
                if record is not None:
                    return lot.code, record, lot.history.data(record)
            return None
        return find

    def _check_amounts(self, record: Record) -> None:
        """What left the lot and what was packed from it must not exceed its quantity once
        ``record`` is applied, unless it was so already and ``record`` makes it no worse."""
        if record.type not in AMOUNT_STEPS:
            return
        trial = self._trial(record, whole=record.type == "Corrected")
        packing = record.type == "Packed" or (
            record.type == "Corrected" and self.original(record.data["corrects"]).type
            == "Packed")
        if len(trial.unweighed) > len(self.unweighed):
            raise RuleBroken(
                f"lot {self.code} is counted in {self.unit}, so a packing by weight cannot be "
                "checked against it; only lots whose quantity is a mass (kg, g, t, jin) are "
                "packed into units of a net weight", field="data.net_weight_unit",
                rule="pack-within-lot", records=(self.history.first.hash_hex,))
        if trial.excess > 0 and trial.excess > max(self.excess, Decimal(0)):
            trial = self._trial(record, whole=True)
            raise RuleBroken(trial.excess_reason(packing, record), field=_amount_field(record),
                             rule="pack-within-lot" if packing else "quantity-covers-use",
                             records=trial.amount_records(record))
        gap = trial.quantity - trial.taken - trial.graded
        if trial.graded_whole and gap != 0 and \
                abs(gap) > abs(self.quantity - self.taken - self.graded):
            trial = self._trial(record, whole=True)
            raise RuleBroken(
                f"lot {self.code} was graded: its grades and loss "
                f"({format_decimal(trial.graded)} {self.unit}) must equal what was left of it "
                f"({format_decimal(trial.quantity - trial.taken)} {self.unit})",
                field=_amount_field(record), rule="grading-adds-up",
                records=trial.amount_records(record))

    def _trial(self, record: Record, *, whole: bool) -> Lot:
        """This lot as it would be with ``record``, nothing of it changed. ``whole``: with
        ``record`` in its history too (a correction re-derives the state from it); else only
        the amounts and lists ``record`` changes, which costs nothing per record held."""
        trial: Lot = copy.deepcopy(self)
        if whole:
            trial.history = self.history.detached()
            trial.absorb(record, b"")
        else:
            trial._apply(record, record.data)
        return trial

    def excess_reason(self, packing: bool, new: Record) -> str:
        """Why the amounts do not add up with ``new`` (a record being checked, already in
        this trial state), naming each record involved."""
        unit = self.unit
        amount = f"{format_decimal(self.quantity)} {unit}"
        source = self.quantity_record(new)
        holds = (f"lot {self.code} would hold {amount} with this correction of record {source}"
                 if self.quantity_record() == new.hash_hex else
                 f"lot {self.code} holds {amount} (record {source})")
        used = format_decimal(self.taken + self.graded + self.packed + self.pack_loss)
        rule = ("units × net weight + loss packed must not exceed what the lot holds"
                if packing else "a lot's quantity must cover what already left it or was "
                                "packed from it")
        return f"{holds}, but {used} {unit} is recorded out of it: " \
               f"{'; '.join(self._uses())}; {rule}"

    def _uses(self) -> list[str]:
        uses = []
        unit = self.unit
        for record in self.history.records:
            data = self.history.data(record)
            if record.seq == 0 or record.type == "Corrected":
                continue
            if record.type == "Collected":
                uses.append(f"{data['quantity']} {unit} collected into lot {data['into']} "
                            f"(record {record.hash_hex})")
            elif record.type == "Graded":
                lots = ", ".join(str(output["lot"]) for output in data["outputs"])
                uses.append(f"graded into {lots} (record {record.hash_hex})")
            elif record.type == "Packed":
                amount = packed_amount(data, unit)
                loss = f" + {data['loss']} {unit} loss" if "loss" in data else ""
                uses.append(f"{data['units']} × {data['net_weight_per_unit']} "
                            f"{data['net_weight_unit']} = "
                            f"{format_decimal(amount or Decimal(0))} {unit}{loss} packed "
                            f"(record {record.hash_hex})")
        return uses

    def quantity_record(self, new: Record | None = None) -> str:
        """The record the lot's quantity comes from: its first, or the latest correction of
        the quantity other than ``new`` (a correction being checked)."""
        corrected = [c.record for c in self.history.corrections if c.original_seq == 0
                     and "quantity" in c.fields and (new is None or c.record != new.hash_hex)]
        return corrected[-1] if corrected else self.history.first.hash_hex

    def amount_records(self, new: Record) -> tuple[str, ...]:
        """The quantity's record and every record that took from or packed the lot (with
        ``new``, the record being checked, when it is one of them)."""
        found = [self.quantity_record(new)]
        found += [record.hash_hex for record in self.history.records
                  if record.seq > 0 and record.type in ("Collected", "Graded", "Packed")]
        return tuple(found)

    def _check_time(self, record: Record) -> None:
        if record.time < self.started_at:
            raise InvalidInput(f"is before lot {self.code} existed ({self.started_at})",
                               field="time")
        _check_not_future(record)

    @staticmethod
    def check_genesis(record: Record, actor: Actor) -> None:
        """Rules for a lot's first record."""
        if record.type == "Harvested" and not actor.roles & PRODUCER_ROLES:
            raise NotPermitted("only a cooperative, farm or collector may record a harvest",
                               field="org")
        _check_not_future(record)
        check_data(record.type, record.data)

    # -- state -------------------------------------------------------------------------

    def apply_record(self, record: Record) -> None:
        if self.history.add(record) is not None:
            self._derive()  # a correction: every record again, with its effective data
        elif record.type != "Corrected":
            self._apply(record, record.data)

    def _derive(self) -> None:
        self._reset()
        for record in self.history.records:
            if record.type != "Corrected":
                self._apply(record, self.history.data(record))

    def _apply(self, record: Record, data: Mapping[str, Any]) -> None:
        if record.seq == 0:
            self._start(record, data)
            return
        step = record.type
        if step == "Collected":
            self.taken += Decimal(data["quantity"])
            self.children.append(data["into"])
        elif step == "Graded":
            outputs = data["outputs"]
            self.graded += sum((Decimal(o["quantity"]) for o in outputs), Decimal(0))
            self.graded += Decimal(data.get("loss", "0"))
            self.graded_whole = True
            self.children.extend(output["lot"] for output in outputs)
        elif step == "Packed":
            self._pack(record, data)
        elif step == "Stored":
            self._store(record, data)
        elif step in ("Shipped", "Received"):
            self._move(record, data)
        elif step in ("Held", "Released", "Recalled"):
            if not self.recalled:  # a recall is final: its record stays the lot's status
                self.status_record, self.status_reason = record.hash_hex, data.get("reason")
            if step == "Recalled":
                self.recalled = True
            else:
                self.held = step == "Held"

    def _start(self, record: Record, data: Mapping[str, Any]) -> None:
        self.code = record.subject
        self.producer = self.custodian = record.org
        self.started_at = record.time
        self.product = data["product"]
        self.origin = data["origin"]
        self.unit = data["unit"]
        self.quantity = Decimal(data["quantity"])
        self.gtin = data["product"].get("gtin")
        self.grade = data.get("grade")
        if record.type == "Collected":
            self.parents = [purchase["lot"] for purchase in data["purchases"]]
            self.below_protective_price = [
                {"record": record.hash_hex, "lot": p["lot"], "price_per_kg": p["price_per_kg"],
                 "protective_price_per_kg": p["protective_price_per_kg"]}
                for p in data["purchases"]
                if Decimal(p["price_per_kg"]) < Decimal(p["protective_price_per_kg"])]
        elif record.type == "Graded":
            self.parents = [data["from"]]

    def _pack(self, record: Record, data: Mapping[str, Any]) -> None:
        self.gtin = data["gtin"]
        self.grade = data.get("grade", self.grade)
        self.packings.append(record.hash_hex)
        amount = packed_amount(data, self.unit)
        if amount is None:
            self.unweighed.append(record.hash_hex)
        else:
            self.packed += amount
        self.pack_loss += Decimal(data.get("loss", "0"))

    def _store(self, record: Record, data: Mapping[str, Any]) -> None:
        """Readings outside the target range are excursions; without readings, a lowest or
        highest temperature outside it is one."""
        self.band = (data.get("target_min_c"), data.get("target_max_c"))
        readings = data.get("readings") or [
            {"at": record.time, "temp_c": data[name]} for name in ("min_c", "max_c")
            if name in data]
        for reading in readings:
            if self._outside(reading["temp_c"]):
                self._excursion(record, reading["at"], reading["temp_c"])
                if "readings" not in data:
                    break  # a summary counts once

    def _move(self, record: Record, data: Mapping[str, Any]) -> None:
        if record.type == "Shipped":
            self.in_transit_to = data["to"]
        else:
            self.custodian = record.org
            self.in_transit_to = None
        if "temp_c" in data and self._outside(data["temp_c"]):
            self._excursion(record, record.time, data["temp_c"])

    def _outside(self, temp: str) -> bool:
        low, high = self.band
        value = Decimal(temp)
        return (low is not None and value < Decimal(low)) or \
               (high is not None and value > Decimal(high))

    def _excursion(self, record: Record, at: str, temp: str) -> None:
        low, high = self.band
        self.excursions.append({"record": record.hash_hex, "at": at, "temp_c": temp,
                                "target_min_c": low, "target_max_c": high})


def _once(ancestors: Ancestors) -> Ancestors:
    """``ancestors``, asked at most once."""
    found: list[Sequence[Lot]] = []

    def once() -> Sequence[Lot]:
        if not found:
            found.append(ancestors())
        return found[0]
    return once


def refuse_if_flagged(lot: Lot, what: str, *, of: str | None = None) -> None:
    """Raise ``LotRecalled`` or ``LotHeld`` naming the rule and the record when ``lot`` is
    recalled or held; ``of``: the lot it was made into, when ``lot`` is an ancestor."""
    if not (lot.recalled or lot.held):
        return
    kind = "recalled" if lot.recalled else "held"
    where = f"lot {lot.code}" if of is None else f"lot {of} was made from lot {lot.code}, which"
    state = "is recalled" if lot.recalled else "is on hold"
    reason = f" ({lot.status_reason})" if lot.status_reason else ""
    until = "" if lot.recalled else " until it is released"
    records = (lot.status_record,) if lot.status_record else ()
    rule = f"{'lot' if of is None else 'ancestor'}-{kind}"
    error = LotRecalled if lot.recalled else LotHeld
    raise error(f"{where} {state} by record {lot.status_record}{reason}; {what} is not "
                f"allowed{until}", rule=rule, records=records)


def _amount_field(record: Record) -> str | None:
    if record.type == "Corrected":
        names = list(record.data["values"])
        return f"data.values.{names[0]}" if names else "data.values"
    return {"Packed": "data.units", "Collected": "data.quantity",
            "Graded": "data.outputs"}.get(record.type)


def _check_not_future(record: Record) -> None:
    """No step, nor anything its data says happened, is dated more than ``CLOCK_SKEW`` after
    the ledger records it; no date ahead lies more than ``HORIZON`` after."""
    recorded = datetime.fromisoformat(record.recorded)
    if datetime.fromisoformat(record.time) > recorded + CLOCK_SKEW:
        raise InvalidInput("is in the future", field="time")
    for path, text, happened in named_times(record.data):
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            continue  # not a time (a corrected value may be any text): nothing to compare
        if moment.tzinfo is None:
            continue
        if happened and moment > recorded + CLOCK_SKEW:
            raise InvalidInput("is in the future", field=path)
        if not happened and moment > recorded + HORIZON:
            raise InvalidInput(f"is more than {HORIZON.days // 365} years ahead", field=path)
