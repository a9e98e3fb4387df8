"""``public_summary``: a lot's consumer-safe summary, built from its family's records."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from ledger.application import Ledger
from ledger.consumer.coldchain import cold_chain
from ledger.consumer.family import Family, load_family
from ledger.consumer.model import (
    Alert,
    Certificate,
    Households,
    Inspection,
    LabResult,
    LotSummary,
    Packing,
    Party,
)
from ledger.consumer.timeline import events
from ledger.domain.fields import format_decimal
from verify.records import Record

__all__ = ["PUBLIC_ORIGIN", "public_summary", "summarise"]

# Origin fields a consumer sees: down to the village and the production base, never the
# plot or its coordinates.
PUBLIC_ORIGIN = ("province", "city", "county", "township", "village", "base")


def public_summary(ledger: Ledger, code: str) -> LotSummary:
    """The summary of lot ``code``; raises ``LotNotFound`` (or ``InvalidInput``)."""
    return summarise(load_family(ledger, code))


def summarise(family: Family) -> LotSummary:
    lot = family.lot
    alerts = _alerts(family)
    status = ("recalled" if any(a.kind == "recalled" for a in alerts) else
              "held" if alerts else lot.status)
    return LotSummary(
        lot=lot.code, product_name=str(lot.product.get("name", "")),
        variety=lot.product.get("variety"), grade=lot.grade, gtin=lot.gtin,
        quantity=format_decimal(lot.quantity), unit=lot.unit, status=status,
        started=lot.started_at, updated=lot.last_time,
        origin={key: str(lot.origin[key]) for key in PUBLIC_ORIGIN if key in lot.origin},
        producer=_party(family, lot.producer), custodian=_party(family, lot.custodian),
        households=_households(family.records), packing=_packing(family.own()),
        alerts=alerts, timeline=events(family), cold_chain=cold_chain(family),
        certificates=tuple(_certificate(family, r) for r in family.records
                           if r.type == "Certified"),
        inspections=tuple(_inspection(family, r) for r in family.records
                          if r.type == "Inspected"),
        lots=tuple(found.code for found in family.lots), records=len(family.records))


def _party(family: Family, org_id: str) -> Party:
    org = family.organisations.get(org_id)
    return Party(id=org_id, name=family.org_name(org_id),
                 contact=(org.contact or None) if org else None,
                 region=(org.region or None) if org else None)


def _households(records: Iterable[Record]) -> Households | None:
    """Purchases of the field collections in the family: how many, how many from
    registered households, how many at or above the protective price. Never who."""
    purchases = [purchase for record in records
                 if record.type == "Collected" and record.seq == 0
                 for purchase in record.data.get("purchases", [])]
    if not purchases:
        return None
    fair = [p for p in purchases
            if Decimal(p["price_per_kg"]) >= Decimal(p["protective_price_per_kg"])]
    protective = max(Decimal(p["protective_price_per_kg"]) for p in purchases)
    lowest = min(Decimal(p["price_per_kg"]) for p in purchases)
    return Households(
        count=len(purchases),
        registered=sum(1 for p in purchases if p.get("registered_poor_household") is True),
        at_or_above_protective_price=len(fair),
        all_at_or_above_protective_price=len(fair) == len(purchases),
        protective_price_per_kg=f"{protective:.2f}", lowest_price_per_kg=f"{lowest:.2f}")


def _packing(own: list[Record]) -> Packing | None:
    packed = [record for record in own if record.type == "Packed"]
    if not packed:
        return None
    record = packed[-1]
    data: dict[str, Any] = record.data
    return Packing(time=record.time, packaging=data["packaging"], units=data["units"],
                   net_weight_per_unit=data["net_weight_per_unit"],
                   net_weight_unit=data["net_weight_unit"], gtin=data["gtin"],
                   grade=data.get("grade"), serial_first=data.get("serial_first"),
                   serial_last=data.get("serial_last"), best_before=data.get("best_before"))


def _alerts(family: Family) -> tuple[Alert, ...]:
    """Recalls and holds in force on the lot or an ancestor: one per recall order (a
    cascaded recall points at its order), and each lot's latest hold if still held."""
    found: list[Alert] = []
    orders: set[str] = set()
    for lot in family.lots:
        chain = [r for r in family.records if r.chain == lot.chain_name]
        recalls = [r for r in chain if r.type == "Recalled"]
        if lot.recalled and recalls:
            orders.add(recalls[0].hash_hex)
            found.append(_alert(family, "recalled", recalls[0]))
        elif lot.held:
            holds = [r for r in chain if r.type == "Held"]
            if holds:
                found.append(_alert(family, "held", holds[-1]))
    # A cascaded recall whose order is shown already says nothing new.
    return tuple(alert for alert in found
                 if not _cascade_of(alert, family.records, orders))


def _cascade_of(alert: Alert, records: Iterable[Record], orders: set[str]) -> bool:
    record = next((r for r in records if r.hash_hex == alert.record), None)
    order = record.data.get("recall") if record is not None else None
    return alert.kind == "recalled" and isinstance(order, str) and order in orders


def _alert(family: Family, kind: str, record: Record) -> Alert:
    return Alert(kind=kind, lot=record.subject, own=record.chain == family.lot.chain_name,
                 reason=str(record.data.get("reason", "")), time=record.time,
                 org_name=family.org_name(record.org), record=record.hash_hex)


def _certificate(family: Family, record: Record) -> Certificate:
    data = record.data
    return Certificate(lot=record.subject, time=record.time, scheme=data["scheme"],
                       number=data["number"], issuer=data["issuer"],
                       valid_from=data["valid_from"], valid_until=data.get("valid_until"),
                       contact=data.get("contact"), commitment_text=data.get("commitment_text"),
                       basis=data.get("basis"), basis_record=data.get("basis_record"),
                       org=record.org, org_name=family.org_name(record.org),
                       record=record.hash_hex)


def _inspection(family: Family, record: Record) -> Inspection:
    data = record.data
    results = tuple(LabResult(analyte=r["analyte"], value=r["value"], unit=r["unit"],
                              limit=r.get("limit"), method_standard=r.get("method_standard"),
                              verdict=r["verdict"]) for r in data.get("results", []))
    return Inspection(lot=record.subject, time=record.time, kind=data["kind"],
                      verdict=data["verdict"], lab=data.get("lab"), report=data.get("report"),
                      notes=data.get("notes"), results=results,
                      org_name=family.org_name(record.org), record=record.hash_hex)
