"""Lots: the state their records build, and the rules a new record must keep.

``Lot.check`` is the one place the domain rules live. Server-built and client-signed
records both pass through it before they are appended, so both obey the same rules:

- handling steps (collect, grade, pre-cool, store, pack, ship) only by the custodian, never
  on a held, recalled, consumed or in-transit lot;
- custody moves by ``Shipped`` (to an organisation) and ``Received`` (by that organisation);
- inspectors may inspect, hold, release and recall any lot; the custodian may record its own
  inspections and certificates;
- a consumed lot takes only inspection, recall and correction records;
- no record is dated before the lot existed, nor more than five minutes after it is recorded;
  nor is any time its data names of something that happened (a harvest's end, a reading);
  a date ahead (best before, valid until) lies within ``HORIZON`` of the recording.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar

from ledger.domain.chain import Chain
from ledger.domain.organisation import PRODUCER_ROLES, Actor
from ledger.domain.steps import HANDLING_STEPS, named_times
from ledger.errors import (
    InvalidInput,
    LotConsumed,
    LotHeld,
    LotInTransit,
    LotRecalled,
    NotCustodian,
    NotPermitted,
    WrongState,
)
from verify.records import Record

__all__ = ["CLOCK_SKEW", "HORIZON", "Lot"]

CLOCK_SKEW = timedelta(minutes=5)
HORIZON = timedelta(days=3653)  # ten years: no best-before or certificate runs longer
INSPECTOR_STEPS = frozenset({"Inspected", "Held", "Released", "Recalled"})
ALWAYS_ALLOWED = frozenset({"Inspected", "Recalled", "Corrected", "Certified"})


class Lot(Chain):
    """A traceability lot: what it is, where it came from, who holds it, what it may do."""

    kind: ClassVar[str] = "lot"
    mutable_state: ClassVar[tuple[str, ...]] = ("parents", "children")

    def __init__(self) -> None:
        super().__init__()
        self.code = ""
        self.product: dict[str, Any] = {}
        self.origin: dict[str, Any] = {}
        self.unit = ""
        self.quantity = Decimal(0)
        self.remaining = Decimal(0)
        self.producer = ""
        self.custodian = ""
        self.in_transit_to: str | None = None
        self.started_at = ""
        self.held = False
        self.recalled = False
        self.gtin: str | None = None
        self.grade: str | None = None
        self.parents: list[str] = []
        self.children: list[str] = []

    @property
    def consumed(self) -> bool:
        return self.remaining <= 0 and self.length > 0

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

    def check(self, record: Record, actor: Actor,
              earlier: Callable[[str], Record | None] = lambda _: None) -> None:
        """Raise unless ``actor`` may append ``record`` to this lot now. ``earlier`` finds
        an earlier record of this lot by hash (for corrections)."""
        step = record.type
        self._check_time(record)
        if step in INSPECTOR_STEPS and actor.is_inspector:
            self._check_inspector_step(step)
            return
        if step == "Certified" and actor.is_inspector:
            return
        if step in ("Held", "Released"):
            raise NotPermitted(f"only an inspector may record {step}", field="type")
        if step == "Recalled":
            raise NotPermitted("only an inspector may order a recall", field="type")
        if step == "Corrected":
            self._check_correction(self.corrected_record(record.data["corrects"], earlier),
                                   actor)
            return
        if step == "Received":
            self._check_receipt(record, actor)
            return
        if actor.org != self.custodian:
            raise NotCustodian(f"lot {self.code} is held by {self.custodian}, not {actor.org}",
                               field="org")
        if step in ALWAYS_ALLOWED:
            return
        if step not in HANDLING_STEPS:
            raise InvalidInput(f"{step} cannot continue a lot's chain", field="type")
        self._check_handling(step)

    def _check_handling(self, step: str) -> None:
        if self.recalled:
            raise LotRecalled(f"lot {self.code} is recalled; {step} is not allowed")
        if self.held:
            raise LotHeld(f"lot {self.code} is on hold; {step} is not allowed until released")
        if self.consumed:
            raise LotConsumed(f"lot {self.code} was used up by a split or merge")
        if self.in_transit_to:
            raise LotInTransit(f"lot {self.code} is in transit to {self.in_transit_to}; it "
                               "must be received first")

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

    def corrected_record(self, digest: str,
                         earlier: Callable[[str], Record | None]) -> Record:
        """The record of this lot a correction names; ``earlier`` finds it by hash."""
        corrected = earlier(digest)
        if corrected is None or corrected.chain != self.chain_name:
            raise InvalidInput(f"is not a record of lot {self.code}", field="data.corrects")
        return corrected

    def _check_correction(self, corrected: Record, actor: Actor) -> None:
        if actor.org != corrected.org and not actor.is_inspector:
            raise NotPermitted("only the organisation that made a record, or an inspector, "
                               "may correct it", field="org")

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

    # -- state -------------------------------------------------------------------------

    def apply_record(self, record: Record) -> None:
        data = record.data
        if record.seq == 0:
            self._start(record)
            return
        step = record.type
        if step == "Collected":
            self.remaining -= Decimal(data["quantity"])
            self.children.append(data["into"])
        elif step == "Graded":
            self.remaining = Decimal(0)
            self.children.extend(output["lot"] for output in data["outputs"])
        elif step == "Packed":
            self.gtin = data["gtin"]
            self.grade = data.get("grade", self.grade)
        elif step == "Shipped":
            self.in_transit_to = data["to"]
        elif step == "Received":
            self.custodian = record.org
            self.in_transit_to = None
        elif step == "Held":
            self.held = True
        elif step == "Released":
            self.held = False
        elif step == "Recalled":
            self.recalled = True

    def _start(self, record: Record) -> None:
        data = record.data
        self.code = record.subject
        self.producer = self.custodian = record.org
        self.started_at = record.time
        self.product = data["product"]
        self.origin = data["origin"]
        self.unit = data["unit"]
        self.quantity = self.remaining = Decimal(data["quantity"])
        self.gtin = data["product"].get("gtin")
        self.grade = data.get("grade")
        if record.type == "Collected":
            self.parents = [purchase["lot"] for purchase in data["purchases"]]
        elif record.type == "Graded":
            self.parents = [data["from"]]


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
