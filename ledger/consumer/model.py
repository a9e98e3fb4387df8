"""The public summary of a lot: what a consumer page and its JSON show, and nothing more.

Every value comes from a record's public data, picked field by field; private values and
their commitments are never copied, nor are field plots and coordinates (a household could
be found by them). Times are UTC ISO 8601 as in records; quantities are decimal strings.
Frozen dataclasses; ``LotSummary.to_json`` gives the JSON body.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

__all__ = [
    "Alert",
    "Band",
    "Certificate",
    "ColdChain",
    "Event",
    "Fact",
    "Households",
    "Inspection",
    "LabResult",
    "LotSummary",
    "Packing",
    "Party",
    "Reading",
]


@dataclass(frozen=True)
class Fact:
    """One detail of a step. ``key`` names it (the page's vocabulary); ``kind`` says how to
    show ``value``: ``text`` as recorded, ``code`` translated (``pass``, ``forced-air``),
    ``step`` a step's name translated (``Harvested``), ``time`` as a local date and time."""

    key: str
    value: str
    kind: str = "text"


@dataclass(frozen=True)
class Event:
    """One step in the timeline."""

    time: str
    type: str
    lot: str
    own: bool  # a record of the lot itself, not of an ancestor
    org: str
    org_name: str
    place: str | None
    facts: tuple[Fact, ...]  # corrections applied; a correction's facts say what it changed
    record: str  # the record hash, hex
    corrected: bool = False  # a later record corrects it (its facts show the new values)


@dataclass(frozen=True)
class Reading:
    at: str
    temp_c: str
    lot: str
    step: str  # PreCooled, Stored, Shipped or Received
    place: str | None
    excursion: bool


@dataclass(frozen=True)
class Band:
    """A storage period and its target range."""

    start: str
    end: str
    min_c: str | None
    max_c: str | None
    place: str | None


@dataclass(frozen=True)
class ColdChain:
    readings: tuple[Reading, ...]
    bands: tuple[Band, ...]
    excursions: int


@dataclass(frozen=True)
class Households:
    """Field purchases from households, counted, never named."""

    count: int
    registered: int  # registered (formerly) poor households among them
    at_or_above_protective_price: int
    all_at_or_above_protective_price: bool
    protective_price_per_kg: str | None
    lowest_price_per_kg: str | None


@dataclass(frozen=True)
class Party:
    id: str
    name: str
    contact: str | None
    region: str | None


@dataclass(frozen=True)
class Packing:
    time: str
    packaging: str
    units: int
    net_weight_per_unit: str
    net_weight_unit: str
    gtin: str
    grade: str | None
    serial_first: int | None
    serial_last: int | None
    best_before: str | None


@dataclass(frozen=True)
class Certificate:
    lot: str
    time: str
    scheme: str
    number: str
    issuer: str
    valid_from: str
    valid_until: str | None
    contact: str | None
    commitment_text: str | None
    basis: str | None  # a compliance certificate's basis (ledger.domain.certificates)
    basis_record: str | None
    org: str
    org_name: str
    record: str


@dataclass(frozen=True)
class LabResult:
    analyte: str
    value: str
    unit: str
    limit: str | None
    method_standard: str | None
    verdict: str


@dataclass(frozen=True)
class Inspection:
    lot: str
    time: str
    kind: str
    verdict: str
    lab: str | None
    report: str | None
    notes: str | None
    results: tuple[LabResult, ...]
    org_name: str
    record: str


@dataclass(frozen=True)
class Alert:
    """A recall or hold of the lot or an ancestor."""

    kind: str  # "recalled" or "held"
    lot: str
    own: bool
    reason: str
    time: str
    org_name: str
    record: str


@dataclass(frozen=True)
class LotSummary:
    lot: str
    product_name: str
    variety: str | None
    grade: str | None
    gtin: str | None
    quantity: str
    unit: str
    status: str  # recalled or held (the lot or an ancestor), else the lot's own status
    started: str
    updated: str
    origin: dict[str, str]
    producer: Party
    custodian: Party
    households: Households | None
    packing: Packing | None
    alerts: tuple[Alert, ...]
    timeline: tuple[Event, ...]
    cold_chain: ColdChain
    certificates: tuple[Certificate, ...]
    inspections: tuple[Inspection, ...]
    lots: tuple[str, ...]  # the lot and its ancestors, nearest first
    records: int  # signed records the summary is built from

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def compliance_certificate(self) -> Certificate | None:
        """The lot's latest 承诺达标合格证, if it was issued one."""
        own = [c for c in self.certificates
               if c.scheme == "compliance-certificate" and c.lot == self.lot]
        return own[-1] if own else None
