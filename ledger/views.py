"""Plain JSON views of lots, records and organisations, shared by the HTTP API and the CLI.

One place decides what a lot's summary, a record or an organisation looks like as JSON, so the
command line's ``--json`` output and the API's bodies cannot drift apart. Views hold only
public fields: a record's private values are commitments already, and nothing here reads the
private-values table.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import Any

from ledger.domain.fields import format_decimal
from ledger.domain.gtins import GTIN_LENGTH
from ledger.domain.lot import Lot
from ledger.domain.organisation import Organisation
from verify.records import Record

__all__ = ["lineage_view", "lot_summary", "organisation_view", "record_view", "shipments"]


def lot_summary(lot: Lot) -> dict[str, Any]:
    """What a lot is now: product, origin, amounts, status, who holds it, its head."""
    return {
        "lot": lot.code, "product": lot.product, "origin": lot.origin,
        "quantity": format_decimal(lot.quantity), "remaining": format_decimal(lot.remaining),
        "unit": lot.unit, "status": lot.status, "producer": lot.producer,
        "custodian": lot.custodian, "in_transit_to": lot.in_transit_to, "grade": lot.grade,
        "gtin": lot.gtin, "started": lot.started_at, "records": lot.length,
        "head": lot.head.hex(), "parents": lot.parents, "children": lot.children,
    }


def record_view(record: Record, signature: bytes | None = None) -> dict[str, Any]:
    """A record's fields with hashes in hex and, when given, its signature in base64."""
    view: dict[str, Any] = {
        "chain": record.chain, "seq": record.seq, "type": record.type, "time": record.time,
        "org": record.org, "key": record.key, "data": record.data, "hash": record.hash_hex,
        "prev": record.prev.hex(), "links": [link.hex() for link in record.links],
        "recorded": record.recorded,
    }
    if signature is not None:
        view["signature"] = base64.b64encode(signature).decode("ascii")
    return view


def lineage_view(lot: Lot) -> dict[str, Any]:
    """A lot as a node of a trace: what it is, its state, who holds it, its neighbours."""
    return {"lot": lot.code, "product": lot.product, "origin": lot.origin,
            "quantity": format_decimal(lot.quantity), "unit": lot.unit, "grade": lot.grade,
            "status": lot.status, "producer": lot.producer, "custodian": lot.custodian,
            "in_transit_to": lot.in_transit_to, "started": lot.started_at,
            "parents": lot.parents, "children": lot.children}


def shipments(history: Iterable[Record]) -> list[dict[str, Any]]:
    """A lot's shipments, oldest first, each marked received once its receipt follows."""
    found: list[dict[str, Any]] = []
    for record in history:
        if record.type == "Shipped":
            found.append({"hash": record.hash_hex, "from": record.org, "to": record.data["to"],
                          "to_location": record.data["to_location"], "time": record.time,
                          "received": None})
        elif record.type == "Received" and found and found[-1]["received"] is None:
            found[-1]["received"] = record.time
    return found


def organisation_view(org: Organisation) -> dict[str, Any]:
    """An organisation's roles, its active and revoked keys (public keys in base64), and the
    GS1 company prefixes and single GTINs registered to it."""
    keys: list[dict[str, str | None]] = [
        {"key_id": kid, "status": "active", "public_key": public}
        for kid, public in org.active_keys.items()]
    keys += [{"key_id": kid, "status": "revoked", "public_key": None}
             for kid in sorted(org.revoked_keys)]
    return {"org": org.org_id, "name": org.name, "roles": sorted(org.roles),
            "contact": org.contact, "region": org.region, "keys": keys,
            "prefixes": [r for r in org.registrations if len(r) < GTIN_LENGTH],
            "gtins": [r for r in org.registrations if len(r) == GTIN_LENGTH]}
