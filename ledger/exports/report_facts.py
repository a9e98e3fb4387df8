"""What the audit report shows of a verified lot, gathered from its verified records only.

Every fact here comes from the records of a verified bundle (``ledger.verified``) and the
lot's derived state (``verify.state``), with corrections applied as the state applies them:
the lineage (lots and the transformations between them), custody moves, cold-chain readings
against their target bands, holds and recalls, purchases (counted, never named) and who
signed with which key. What only the ledger's read models know (who holds the lots a recall
reaches now, scan figures) is gathered apart, in ``report_ledger`` and ``scans``, and marked so
in the report.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ledger.verified import VerifiedLot
from verify.corrections import merged
from verify.keys import decode_public_key, key_id
from verify.records import Record

__all__ = ["Band", "Edge", "Movement", "Node", "Purchases", "Reading", "ReportFacts",
           "Signer", "report_facts"]

Data = Mapping[str, Any]
_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")


@dataclass(frozen=True)
class Node:
    """A lot in the lineage; ``generation`` 0 is the reported lot, 1 its parents, ..."""

    code: str
    generation: int
    step: str  # the type of its first record: Harvested, Collected, Graded
    product: str
    grade: str | None
    quantity: str | None
    unit: str | None
    org: str


@dataclass(frozen=True)
class Edge:
    """A transformation: ``quantity`` of lot ``parent`` went into lot ``child``."""

    parent: str
    child: str
    step: str
    quantity: str | None
    unit: str | None


@dataclass(frozen=True)
class Movement:
    """A shipment or receipt of a lot in the history."""

    step: str
    time: str
    lot: str
    org: str
    other: str | None  # to (shipped) or from (received)
    data: Data


@dataclass(frozen=True)
class Reading:
    at: str
    temp_c: Decimal
    source: str  # "Stored", "PreCooled", "Shipped" or "Received"
    excursion: bool


@dataclass(frozen=True)
class Band:
    """A cold store's target range over the time it held the lot."""

    start: str
    end: str | None
    low: Decimal | None
    high: Decimal | None
    facility: str


@dataclass(frozen=True)
class Purchases:
    """Purchases from households in the lot's history: counts and amounts, never who."""

    count: int
    registered_poor: int
    below_protective_price: int
    quantity: Mapping[str, Decimal]  # by unit


@dataclass(frozen=True)
class Signer:
    """An organisation that signed records of the bundle, and its keys."""

    org: str
    name: str
    roles: tuple[str, ...]
    records: int
    keys: tuple[tuple[str, str], ...]  # (key id, "active" | "revoked"), in registration order
    used: tuple[str, ...]  # key ids that signed records of the bundle


@dataclass(frozen=True)
class ReportFacts:
    verified: VerifiedLot
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    movements: tuple[Movement, ...]
    readings: tuple[Reading, ...]
    bands: tuple[Band, ...]
    standing: tuple[Record, ...]  # Held, Released and Recalled records of every lot
    purchases: Purchases
    signers: tuple[Signer, ...]
    org_names: Mapping[str, str]

    @property
    def state(self) -> dict[str, Any]:
        return self.verified.state

    def org_name(self, org: str) -> str:
        return self.org_names.get(org, org)

    def record(self, digest: str) -> Record | None:
        return next((r for r in self.verified.records if r.hash_hex == digest), None)


def report_facts(verified: VerifiedLot) -> ReportFacts:
    records = verified.records
    effective = _Effective(records, verified.state)
    history = _history(records, verified.bundle.lot)
    nodes, edges = _lineage(records, verified.bundle.lot, effective)
    return ReportFacts(
        verified=verified, nodes=nodes, edges=edges,
        movements=tuple(Movement(r.type, r.time, r.subject, r.org,
                                 _text(effective(r).get("to" if r.type == "Shipped" else "from")),
                                 effective(r))
                        for r in history if r.type in ("Shipped", "Received")),
        readings=_readings(history, effective, verified.state["excursions"]),
        bands=tuple(_band(r, effective(r)) for r in history if r.type == "Stored"),
        standing=tuple(r for r in records if r.chain_kind == "lot"
                       and r.type in ("Held", "Released", "Recalled")),
        purchases=_purchases(history, effective, verified.state),
        signers=_signers(records),
        org_names={r.subject: str(r.data.get("name", r.subject)) for r in records
                   if r.type == "OrganisationRegistered" and r.chain_kind == "org"})


class _Effective:
    """Records' data with the corrections the derived state applied merged in."""

    def __init__(self, records: Sequence[Record], state: Mapping[str, Any]) -> None:
        by_hash = {r.hash_hex: r for r in records}
        self.values: dict[str, list[Data]] = {}
        for applied in state["corrections"]:
            correction = by_hash.get(applied["record"])
            if correction is not None and isinstance(correction.data.get("values"), Mapping):
                self.values.setdefault(applied["original"], []).append(correction.data["values"])

    def __call__(self, record: Record) -> Data:
        data: Data = record.data
        for values in self.values.get(record.hash_hex, ()):
            data = merged(data, values)
        return data


def _history(records: Sequence[Record], lot: str) -> list[Record]:
    """The records the lot's produce went through, as ``verify.state`` defines them: its
    chain, and each linked chain up to the linked record, in log order."""
    by_hash = {r.hash: r for r in records}
    chains: dict[str, list[Record]] = {}
    for record in records:
        chains.setdefault(record.chain, []).append(record)
    own = f"lot/{lot}"
    reach = {own: len(chains.get(own, ())) - 1}
    pending = list(chains.get(own, ()))
    while pending:
        for link in pending.pop().links:
            target = by_hash.get(link)
            if target is None or target.chain_kind != "lot":
                continue
            reached = reach.get(target.chain, -1)
            if target.seq > reached:
                reach[target.chain] = target.seq
                pending += [r for r in chains[target.chain] if reached < r.seq <= target.seq]
    return [r for r in records if r.seq <= reach.get(r.chain, -1)]


def _lineage(records: Sequence[Record], lot: str,
             effective: _Effective) -> tuple[tuple[Node, ...], tuple[Edge, ...]]:
    """Lots and transformations from each lot's first record and its links; a lot's
    generation is its longest path to the reported lot, so every arrow points down."""
    by_hash = {r.hash: r for r in records}
    firsts = {r.subject: r for r in records if r.chain_kind == "lot" and r.seq == 0}
    edges: list[Edge] = []
    parents: dict[str, list[str]] = {}
    for code, first in firsts.items():
        data = effective(first)
        for link in first.links:
            target = by_hash.get(link)
            if target is None or target.chain_kind != "lot":
                continue
            parents.setdefault(code, []).append(target.subject)
            edges.append(Edge(target.subject, code, first.type, _taken(first.type, data,
                                                                        target.subject),
                              _text(data.get("unit"))))
    generation = {lot: 0}
    pending = [lot]
    while pending:
        child = pending.pop()
        for parent in parents.get(child, ()):
            if generation.get(parent, -1) < generation[child] + 1:
                generation[parent] = generation[child] + 1
                pending.append(parent)
    nodes = []
    for code, gen in sorted(generation.items(), key=lambda item: (-item[1], item[0])):
        first = firsts[code]
        data = effective(first)
        product = data.get("product")
        name = product.get("name") if isinstance(product, Mapping) else None
        nodes.append(Node(code, gen, first.type, _text(name) or "", _text(data.get("grade")),
                          _text(data.get("quantity")), _text(data.get("unit")), first.org))
    kept = {node.code for node in nodes}
    return tuple(nodes), tuple(e for e in edges if e.parent in kept and e.child in kept)


def _taken(step: str, data: Data, parent: str) -> str | None:
    """How much of ``parent`` a new lot's first record says it took."""
    if step == "Collected":
        purchases = data.get("purchases")
        amounts = [Decimal(str(p["quantity"])) for p in purchases or ()
                   if isinstance(p, Mapping) and p.get("lot") == parent
                   and _decimal(p.get("quantity")) is not None]
        return str(sum(amounts, Decimal(0))) if amounts else None
    return _text(data.get("quantity"))


def _readings(history: Sequence[Record], effective: _Effective,
              excursions: Sequence[Mapping[str, Any]]) -> tuple[Reading, ...]:
    flagged = {(e["record"], e["at"], e["temp_c"]) for e in excursions}
    found = []
    for record in history:
        data = effective(record)
        if record.type in ("Stored", "PreCooled"):
            for reading in data.get("readings") or ():
                if not isinstance(reading, Mapping):
                    continue
                temp, at = _decimal(reading.get("temp_c")), _text(reading.get("at"))
                if temp is not None and at is not None:
                    found.append(Reading(at, temp, record.type, (
                        record.hash_hex, at, reading.get("temp_c")) in flagged))
        elif record.type in ("Shipped", "Received"):
            temp = _decimal(data.get("temp_c"))
            if temp is not None:
                found.append(Reading(record.time, temp, record.type, (
                    record.hash_hex, record.time, data.get("temp_c")) in flagged))
    return tuple(sorted(found, key=lambda r: r.at))


def _band(record: Record, data: Data) -> Band:
    return Band(_text(data.get("started")) or record.time, _text(data.get("ended")),
                _decimal(data.get("target_min_c")), _decimal(data.get("target_max_c")),
                _text(data.get("facility")) or "")


def _purchases(history: Sequence[Record], effective: _Effective,
               state: Mapping[str, Any]) -> Purchases:
    count = poor = 0
    amounts: dict[str, Decimal] = {}
    for record in history:
        if record.type != "Collected" or record.seq != 0:
            continue
        data = effective(record)
        unit = _text(data.get("unit")) or ""
        for purchase in data.get("purchases") or ():
            if not isinstance(purchase, Mapping):
                continue
            count += 1
            poor += purchase.get("registered_poor_household") is True
            amount = _decimal(purchase.get("quantity"))
            if amount is not None:
                amounts[unit] = amounts.get(unit, Decimal(0)) + amount
    return Purchases(count, poor, len(state["below_protective_price"]), amounts)


def _signers(records: Sequence[Record]) -> tuple[Signer, ...]:
    """Each organisation of the bundle: its key history as its chain records it, and the
    keys its records in the bundle were signed with."""
    found = []
    orgs = sorted({r.subject for r in records if r.chain_kind == "org"})
    for org in orgs:
        keys: dict[str, str] = {}
        name = org
        roles: tuple[str, ...] = ()
        for record in (r for r in records if r.chain == f"org/{org}"):
            if record.type == "OrganisationRegistered":
                name = str(record.data.get("name", org))
                roles = tuple(str(role) for role in record.data.get("roles") or ())
            if record.type in ("OrganisationRegistered", "KeyAdded", "KeyRotated"):
                keys[key_id(decode_public_key(record.data.get("public_key")))] = "active"
            if record.type == "KeyRotated":
                keys[record.key] = "revoked"
            elif record.type == "KeyRevoked" and isinstance(record.data.get("key_id"), str):
                keys[record.data["key_id"]] = "revoked"
        signed = [r for r in records if r.org == org]
        found.append(Signer(org, name, roles, len(signed), tuple(keys.items()),
                            tuple(sorted({r.key for r in signed}))))
    return tuple(found)


def _text(value: Any) -> str | None:
    return value if type(value) is str else None


def _decimal(value: Any) -> Decimal | None:
    """A decimal as ``verify.state`` reads one; anything else is not compared or drawn."""
    if type(value) is not str or not _DECIMAL.fullmatch(value):
        return None
    return Decimal(value)
