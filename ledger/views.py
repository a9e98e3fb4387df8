"""Plain JSON views of lots, records and organisations, shared by the HTTP API and the CLI.

One place decides what a lot's summary, a record or an organisation looks like as JSON: each
view is a ``TypedDict`` with its fields documented, the command line's ``--json`` prints it,
and the HTTP API answers it as its response body (its OpenAPI description is read from
these classes), so the two cannot drift apart. Views hold only public fields: a record's
private values are commitments already, and nothing here reads the private-values table.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import Any

# pydantic reads TypedDicts (for the API's OpenAPI description) from typing_extensions on
# Python before 3.12.
from typing_extensions import TypedDict

from ledger.domain.corrections import Correction
from ledger.domain.fields import format_decimal
from ledger.domain.gtins import GTIN_LENGTH
from ledger.domain.lot import Lot
from ledger.domain.organisation import Organisation
from verify.records import Record

__all__ = ["ChangeView", "CorrectionView", "ExcursionView", "KeyView", "LineageView",
           "LotView", "OrganisationView", "PriceFlagView", "RecordView", "ShipmentView",
           "correction_view", "lineage_view", "lot_summary", "organisation_view",
           "record_view", "shipments"]


# "from" is a keyword, so this view is written the functional way.
ChangeView = TypedDict("ChangeView", {"field": str, "from": Any, "to": Any})


class CorrectionView(TypedDict):
    """A correction of one of the lot's records: what it changed, from what to what."""

    record: str
    """The Corrected record's hash."""
    corrects: str
    """The hash it names: the original, or an earlier correction of it."""
    original: str
    """The original record it corrects."""
    type: str
    """The original's step."""
    fields: list[str]
    changes: list[ChangeView]
    """Each field's value before this correction (null: absent) and after (null: withdrawn)."""
    reason: str
    org: str
    time: str


class ExcursionView(TypedDict):
    """A temperature outside the target range of the lot's latest storage."""

    record: str
    at: str
    temp_c: str
    target_min_c: str | None
    target_max_c: str | None


class PriceFlagView(TypedDict):
    """A purchase below the protective price, accepted as paid and flagged."""

    record: str
    lot: str
    """The lot bought from."""
    price_per_kg: str
    protective_price_per_kg: str


class LotView(TypedDict):
    """What a lot is now, its records' corrections applied."""

    lot: str
    product: dict[str, Any]
    """name, variety, gtin."""
    origin: dict[str, Any]
    """province, city, county, township, village…"""
    quantity: str
    """The amount the lot started with (decimal)."""
    remaining: str
    """What is left after splits and merges (decimal)."""
    unit: str
    status: str
    """active, in-transit, held, consumed or recalled."""
    producer: str
    """The organisation that started the lot."""
    custodian: str
    """The organisation holding it now."""
    in_transit_to: str | None
    """Where it was shipped, until received."""
    grade: str | None
    gtin: str | None
    started: str
    records: int
    """How many records its chain holds."""
    head: str
    """The hash of its latest record: the next record's prev."""
    parents: list[str]
    children: list[str]
    packed: str
    """Units × net weight packed from it, in its unit (decimal); with ``packing_loss``,
    never more than it holds."""
    packing_loss: str
    """Loss declared while packing, in its unit (decimal)."""
    status_record: str | None
    """The latest Held or Released record, or the Recalled one."""
    status_reason: str | None
    corrections: list[CorrectionView]
    """The corrections of its records, oldest first (its values are the corrected ones)."""
    excursions: list[ExcursionView]
    """Temperatures recorded outside the target range: accepted, flagged for inspectors."""
    below_protective_price: list[PriceFlagView]
    """Purchases below the protective price: accepted, flagged for inspectors."""


class RecordView(TypedDict):
    """A signed record (DESIGN §4): its fields, hash and signature."""

    chain: str
    """lot/<code> or org/<id>."""
    seq: int
    """Its position in the chain, from 0."""
    type: str
    time: str
    """When it happened (UTC)."""
    org: str
    """The recording organisation."""
    key: str
    """The id of the key that signed it."""
    data: dict[str, Any]
    """The step's data; private values appear only as commitments."""
    hash: str
    """SHA-256 of the record's canonical bytes, hex."""
    prev: str
    """The hash of the chain's previous record (zeros first)."""
    links: list[str]
    """Hashes of parent records (splits and merges)."""
    recorded: str
    """When the ledger recorded it (UTC)."""
    signature: str
    """Ed25519 signature, base64."""


class LineageView(TypedDict):
    """A lot as a node of a trace: what it is, its state, who holds it, its neighbours."""

    lot: str
    product: dict[str, Any]
    origin: dict[str, Any]
    quantity: str
    unit: str
    grade: str | None
    status: str
    producer: str
    custodian: str
    in_transit_to: str | None
    started: str
    parents: list[str]
    children: list[str]


# "from" is a keyword, so this view is written the functional way.
ShipmentView = TypedDict("ShipmentView", {
    "hash": str, "from": str, "to": str, "to_location": str, "time": str,
    "received": str | None,
})


class KeyView(TypedDict):
    key_id: str
    status: str
    """active or revoked."""
    public_key: str | None
    """Ed25519 public key, base64 (active keys)."""


class OrganisationView(TypedDict):
    """An organisation: its roles, keys, and what it may pack under."""

    org: str
    name: str
    roles: list[str]
    contact: str
    region: str
    keys: list[KeyView]
    prefixes: list[str]
    """GS1 Company Prefixes registered to it."""
    gtins: list[str]
    """Single GTINs registered to it (GTIN-14)."""


def lot_summary(lot: Lot) -> LotView:
    """What a lot is now: product, origin, amounts, status, who holds it, its head, the
    corrections of its records, and the facts flagged for inspectors."""
    return {
        "lot": lot.code, "product": lot.product, "origin": lot.origin,
        "quantity": format_decimal(lot.quantity), "remaining": format_decimal(lot.remaining),
        "unit": lot.unit, "status": lot.status, "producer": lot.producer,
        "custodian": lot.custodian, "in_transit_to": lot.in_transit_to, "grade": lot.grade,
        "gtin": lot.gtin, "started": lot.started_at, "records": lot.length,
        "head": lot.head.hex(), "parents": lot.parents, "children": lot.children,
        "packed": format_decimal(lot.packed), "packing_loss": format_decimal(lot.pack_loss),
        "status_record": lot.status_record, "status_reason": lot.status_reason,
        "corrections": [correction_view(c) for c in lot.history.corrections],
        "excursions": [{"record": e["record"], "at": e["at"], "temp_c": e["temp_c"],
                        "target_min_c": e["target_min_c"], "target_max_c": e["target_max_c"]}
                       for e in lot.excursions],
        "below_protective_price": [
            {"record": p["record"], "lot": p["lot"], "price_per_kg": p["price_per_kg"],
             "protective_price_per_kg": p["protective_price_per_kg"]}
            for p in lot.below_protective_price],
    }


def correction_view(correction: Correction) -> CorrectionView:
    """A correction: the record it names, its original, and each change from what to what."""
    return {"record": correction.record, "corrects": correction.corrects,
            "original": correction.original, "type": correction.original_type,
            "fields": correction.fields,
            "changes": [{"field": change.field, "from": change.before, "to": change.after}
                        for change in correction.changes],
            "reason": correction.reason, "org": correction.org, "time": correction.time}


def record_view(record: Record, signature: bytes) -> RecordView:
    """A record's fields with hashes in hex and its signature in base64."""
    return {
        "chain": record.chain, "seq": record.seq, "type": record.type, "time": record.time,
        "org": record.org, "key": record.key, "data": record.data, "hash": record.hash_hex,
        "prev": record.prev.hex(), "links": [link.hex() for link in record.links],
        "recorded": record.recorded,
        "signature": base64.b64encode(signature).decode("ascii"),
    }


def lineage_view(lot: Lot) -> LineageView:
    """A lot as a node of a trace: what it is, its state, who holds it, its neighbours."""
    return {"lot": lot.code, "product": lot.product, "origin": lot.origin,
            "quantity": format_decimal(lot.quantity), "unit": lot.unit, "grade": lot.grade,
            "status": lot.status, "producer": lot.producer, "custodian": lot.custodian,
            "in_transit_to": lot.in_transit_to, "started": lot.started_at,
            "parents": lot.parents, "children": lot.children}


def shipments(history: Iterable[Record]) -> list[ShipmentView]:
    """A lot's shipments, oldest first, each marked received once its receipt follows."""
    found: list[ShipmentView] = []
    for record in history:
        if record.type == "Shipped":
            found.append({"hash": record.hash_hex, "from": record.org, "to": record.data["to"],
                          "to_location": record.data["to_location"], "time": record.time,
                          "received": None})
        elif record.type == "Received" and found and found[-1]["received"] is None:
            found[-1]["received"] = record.time
    return found


def organisation_view(org: Organisation) -> OrganisationView:
    """An organisation's roles, its active and revoked keys (public keys in base64), and the
    GS1 company prefixes and single GTINs registered to it."""
    keys: list[KeyView] = [
        {"key_id": kid, "status": "active", "public_key": public}
        for kid, public in org.active_keys.items()]
    keys += [{"key_id": kid, "status": "revoked", "public_key": None}
             for kid in sorted(org.revoked_keys)]
    return {"org": org.org_id, "name": org.name, "roles": sorted(org.roles),
            "contact": org.contact, "region": org.region, "keys": keys,
            "prefixes": [r for r in org.registrations if len(r) < GTIN_LENGTH],
            "gtins": [r for r in org.registrations if len(r) == GTIN_LENGTH]}
