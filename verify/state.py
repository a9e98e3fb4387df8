"""The lot's state, derived from verified records alone (docs/state.md).

``derive_state(records, lot, as_of)`` reads the records of a verified bundle — the lot's
chain, its ancestors' chains, organisation chains — given in log order, and returns one
JSON-serialisable object: what the lot is (product, quantity, origin), where it stands
(status, flagged ancestors), what was checked (certificates, inspections) and what went
wrong (cold-chain excursions, purchases below the protective price), after corrections, as
of the bundle's checkpoint. The browser verifier returns the same object for the same
bundle, key for key; every rule below is written so that it can, and nothing here is taken
from the server.

Words used below:

- **effective data** of a record: its ``data`` with the ``values`` of every ``Corrected``
  record that resolves to it shallow-merged in, in log order (later wins). A correction
  names an earlier record of its own chain (``corrects``, 64 lowercase hex digits); when
  that is itself a correction, its ``corrects`` is followed, and so on, to the first record
  that is not one (the original). A correction that names no earlier record of its chain,
  whose ``values`` is not an object, or that is signed by an organisation other than the
  original's which is not registered with the ``inspector`` role (its
  ``OrganisationRegistered`` record in the bundle), is not applied and not listed.
- **ancestors**: the lots other than the lot whose chains are reached from the lot's chain
  through ``links`` (of any record of a reached chain), as step 5 of the verifier reaches
  them: the lots it was collected or graded from, their parents, and so on.
- **history**: the records the lot's produce went through: the lot's whole chain, and for
  every link from a history record, the linked chain from ``seq`` 0 up to the linked
  record, repeated until nothing is added (what a version 1 bundle carries of lot chains).
  An ancestor's records after the produce left it are not in the history.
- a **text** is a JSON string; a value of any other type counts as absent (``null``). A
  **decimal** is a text matching ``-?[0-9]+(\\.[0-9]+)?``, compared as an exact decimal; any
  other value is not compared. A **time** is a text ``YYYY-MM-DDTHH:MM:SS[.f]Z`` naming a
  real UTC moment, compared in whole seconds (the fraction dropped). Values are returned
  as recorded (after corrections), never reformatted.

The state (every key always present; absent values ``null``, absent lists empty):

- ``status`` of the lot's chain: ``recalled`` if it holds a ``Recalled`` record (the first
  one is ``status_record``); else ``held`` if the last of its ``Held``/``Released``
  records is ``Held``; else ``consumed`` if it holds a ``Graded`` record after ``seq`` 0
  (the whole lot was graded; that record) or its ``Collected`` records after ``seq`` 0
  take, summed, at least the lot's quantity (the last of them); else ``released`` if that
  last one is ``Released`` (a lot released and then used up is used up); else
  ``active``. ``status_reason`` is the effective ``reason`` of a held, released or recalled
  status record.
- ``flagged_ancestors``: every ancestor whose own chain's status, by the same rule over all
  of its records in the bundle, is ``held`` or ``recalled``, sorted by lot code.
- ``product`` (``name``, ``variety``, ``gtin``), ``quantity``, ``unit``, ``origin`` and
  ``producer`` (its organisation) from the lot's first record; ``grade`` and ``gtin`` from
  its last ``Packed`` record that gives one, else from the first record (``grade``,
  ``product.gtin``); ``custodian``: the organisation of its last ``Received`` record, else
  the producer. ``quantity`` is the lot's quantity as recorded, not what is left of it.
- ``packed``: the lot's ``Packed`` records; ``certificates``: its ``Certified`` records,
  each ``valid`` when ``valid_from`` is a time at or before the moment of judgement and
  ``valid_until`` is absent or a time at or after it. The moment of judgement is the
  checkpoint's ``agritrace/time``, else the latest ``recorded`` time of all the records
  given; with neither, no certificate is valid.
- ``inspections``: the ``Inspected`` records of the history.
- ``excursions``: temperatures of the history outside a cold store's target range
  (``target_min_c`` to ``target_max_c``, bounds included; a missing bound does not limit):
  each reading of a ``Stored`` record, judged against that record's range (a ``Stored``
  record without readings: its ``min_c`` and ``max_c``, with ``at`` null); and the
  ``temp_c`` of a ``Shipped`` or ``Received`` record, judged against the range of the
  latest ``Stored`` record before it in the same chain (not judged without one; ``at`` is
  the record's time). Pre-cooling readings are not judged: a cooling curve starts warm on
  purpose.
- ``below_protective_price``: the purchases, in the first records of collected lots in the
  history, whose ``price_per_kg`` is below their ``protective_price_per_kg``.
- ``corrections``: the applied corrections whose original is in the history, with the
  record they name (``corrects``), the original, the corrected field names (sorted) and
  the reason.
- ``as_of``: ``verify.freshness.AsOf.to_json``.

Every list is in log order of the records it comes from.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from verify.corrections import merged, original_of
from verify.errors import ChainBroken
from verify.freshness import AsOf, parse_utc
from verify.records import Record

__all__ = ["STATUSES", "derive_state"]

STATUSES = ("active", "held", "released", "recalled", "consumed")
_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")

Data = Mapping[str, Any]


def derive_state(records: Sequence[Record], lot: str, as_of: AsOf) -> dict[str, Any]:
    """The state of ``lot`` from verified ``records`` in log order (module docstring).

    Raises ``ChainBroken`` when no record of the lot is given.
    """
    found = _Records(records)
    own = found.chains.get(f"lot/{lot}")
    if not own:
        raise ChainBroken(f"the records hold no record of lot {lot}")
    history = found.history(own)
    first = found.effective(own[0])
    status, status_record, reason = _status(own, found)
    product = first.get("product")
    product = product if isinstance(product, Mapping) else {}
    packed = [r for r in own if r.type == "Packed"]
    moment = as_of.time if as_of.time is not None else _latest_recorded(records)
    in_history = {r.hash_hex for r in history}
    return {
        "lot": lot,
        "status": status,
        "status_record": None if status_record is None else status_record.hash_hex,
        "status_reason": reason,
        "flagged_ancestors": _flagged(found, own[0].chain),
        "product": {key: _text(product.get(key)) for key in ("name", "variety", "gtin")},
        "grade": _last_text(found, packed, "grade", _text(first.get("grade"))),
        "gtin": _last_text(found, packed, "gtin", _text(product.get("gtin"))),
        "quantity": _text(first.get("quantity")),
        "unit": _text(first.get("unit")),
        "packed": [_packing(r, found.effective(r)) for r in packed],
        "origin": _copy(first.get("origin"), Mapping),
        "producer": own[0].org,
        "custodian": next((r.org for r in reversed(own) if r.type == "Received"), own[0].org),
        "certificates": [_certificate(r, found.effective(r), moment)
                         for r in own if r.type == "Certified"],
        "inspections": [_inspection(r, found.effective(r))
                        for r in history if r.type == "Inspected"],
        "excursions": _excursions(history, found),
        "below_protective_price": _below_protective_price(history, found),
        "corrections": [c for c in found.corrections if c["original"] in in_history],
        "as_of": as_of.to_json(),
    }


class _Records:
    """The given records by chain and hash, with corrections applied."""

    def __init__(self, records: Sequence[Record]) -> None:
        self.records = records
        self.by_hash = {r.hash: r for r in records}
        self.chains: dict[str, list[Record]] = {}
        for record in records:
            self.chains.setdefault(record.chain, []).append(record)
        for chain in self.chains.values():
            chain.sort(key=lambda r: r.seq)
        self._values: dict[bytes, list[Data]] = {}
        self._originals: dict[str, Record | None] = {}  # correction (hex) -> its original
        self.corrections: list[dict[str, Any]] = []
        self.inspectors = {r.subject for r in records
                           if r.type == "OrganisationRegistered" and r.chain_kind == "org"
                           and isinstance(r.data.get("roles"), list)
                           and "inspector" in r.data["roles"]}
        for record in records:
            if record.type == "Corrected" and record.chain_kind == "lot":
                self._correct(record)

    def _correct(self, correction: Record) -> None:
        original = original_of(correction.data.get("corrects"), correction.chain,
                               correction.seq, self._find, self._originals)
        self._originals[correction.hash_hex] = original
        values = correction.data.get("values")
        if original is None or not isinstance(values, Mapping):
            return
        if correction.org != original.org and correction.org not in self.inspectors:
            return  # only the original's organisation, or an inspector, corrects a record
        self._values.setdefault(original.hash, []).append(values)
        self.corrections.append({
            "record": correction.hash_hex, "corrects": correction.data["corrects"],
            "original": original.hash_hex, "fields": sorted(values),
            "reason": _text(correction.data.get("reason"))})

    def _find(self, digest: str) -> Record | None:
        return self.by_hash.get(bytes.fromhex(digest))

    def effective(self, record: Record) -> Data:
        """The record's data with its corrections' values merged in, later ones winning."""
        data: Data = record.data
        for values in self._values.get(record.hash, ()):
            data = merged(data, values)
        return data

    def history(self, own: list[Record]) -> list[Record]:
        """The lot's chain and, through links, its ancestors' chains up to the linked
        records (module docstring), in log order."""
        reach = {own[0].chain: own[-1].seq}
        pending = list(own)
        while pending:
            for link in pending.pop().links:
                target = self.by_hash.get(link)
                if target is None or target.chain_kind != "lot":
                    continue
                reached = reach.get(target.chain, -1)
                if target.seq > reached:
                    reach[target.chain] = target.seq
                    pending += [r for r in self.chains[target.chain]
                                if reached < r.seq <= target.seq]
        return [r for r in self.records if r.seq <= reach.get(r.chain, -1)]

    def ancestors(self, chain: str) -> list[str]:
        """Chains of the lots reached from ``chain`` through links, ``chain`` excluded."""
        reached, pending = {chain}, [chain]
        while pending:
            for record in self.chains.get(pending.pop(), ()):
                for link in record.links:
                    target = self.by_hash.get(link)
                    if target is not None and target.chain_kind == "lot" and \
                            target.chain not in reached:
                        reached.add(target.chain)
                        pending.append(target.chain)
        return sorted(reached - {chain})


def _status(chain: list[Record], found: _Records) -> tuple[str, Record | None, str | None]:
    """Status, the record it rests on, and that record's reason (module docstring)."""
    recalls = [r for r in chain if r.type == "Recalled"]
    if recalls:
        return "recalled", recalls[0], _text(found.effective(recalls[0]).get("reason"))
    holds = [r for r in chain if r.type in ("Held", "Released")]
    if holds and holds[-1].type == "Held":
        return "held", holds[-1], _text(found.effective(holds[-1]).get("reason"))
    consumed = _consumed(chain, found)
    if consumed is not None:
        return "consumed", consumed, None
    if holds:
        return "released", holds[-1], _text(found.effective(holds[-1]).get("reason"))
    return "active", None, None


def _consumed(chain: list[Record], found: _Records) -> Record | None:
    """The record that used the lot up: its grading, or the collection that took the last
    of it; ``None`` while some of it is left."""
    graded = [r for r in chain if r.type == "Graded" and r.seq > 0]
    if graded:
        return graded[0]
    taken = [r for r in chain if r.type == "Collected" and r.seq > 0]
    quantity = _decimal(found.effective(chain[0]).get("quantity"))
    if taken and quantity is not None:
        amounts = (_decimal(found.effective(r).get("quantity")) for r in taken)
        if sum((a for a in amounts if a is not None), Decimal(0)) >= quantity:
            return taken[-1]
    return None


def _flagged(found: _Records, chain: str) -> list[dict[str, Any]]:
    flagged = []
    for ancestor in found.ancestors(chain):
        status, record, reason = _status(found.chains[ancestor], found)
        if status in ("held", "recalled") and record is not None:
            flagged.append({"lot": ancestor.split("/", 1)[1], "status": status,
                            "record": record.hash_hex, "reason": reason})
    return flagged


def _last_text(found: _Records, records: Sequence[Record], key: str,
               default: str | None) -> str | None:
    """The text under ``key`` in the last of ``records`` that has one, else ``default``."""
    for record in reversed(records):
        value = _text(found.effective(record).get(key))
        if value is not None:
            return value
    return default


def _packing(record: Record, data: Data) -> dict[str, Any]:
    units = data.get("units")
    return {"record": record.hash_hex,
            "units": units if type(units) is int else None,
            "net_weight_per_unit": _text(data.get("net_weight_per_unit")),
            "net_weight_unit": _text(data.get("net_weight_unit")),
            "gtin": _text(data.get("gtin")),
            "best_before": _text(data.get("best_before"))}


def _certificate(record: Record, data: Data, moment: int | None) -> dict[str, Any]:
    valid_from, valid_until = _text(data.get("valid_from")), _text(data.get("valid_until"))
    start, end = parse_utc(valid_from), parse_utc(valid_until)
    valid = (moment is not None and start is not None and start <= moment
             and (valid_until is None or (end is not None and moment <= end)))
    return {"record": record.hash_hex, "scheme": _text(data.get("scheme")),
            "number": _text(data.get("number")), "issuer": _text(data.get("issuer")),
            "valid_from": valid_from, "valid_until": valid_until, "valid": valid}


def _inspection(record: Record, data: Data) -> dict[str, Any]:
    return {"record": record.hash_hex, "kind": _text(data.get("kind")),
            "verdict": _text(data.get("verdict")), "lab": _text(data.get("lab")),
            "report": _text(data.get("report")), "time": record.time,
            "results": _copy(data.get("results"), list) or []}


def _excursions(history: Iterable[Record], found: _Records) -> list[dict[str, Any]]:
    """Temperatures outside a cold store's target range (module docstring)."""
    ranges: dict[str, tuple[str | None, str | None]] = {}
    excursions = []

    def judge(record: Record, at: str | None, temp: Any) -> None:
        band = ranges.get(record.chain)
        if band is not None and _outside(temp, band):
            excursions.append({"record": record.hash_hex, "at": at, "temp_c": temp,
                               "target_min_c": band[0], "target_max_c": band[1]})

    for record in history:
        data = found.effective(record)
        if record.type == "Stored":
            ranges[record.chain] = (_text(data.get("target_min_c")),
                                    _text(data.get("target_max_c")))
            readings = data.get("readings")
            readings = readings if isinstance(readings, list) else []
            for reading in readings:
                if isinstance(reading, Mapping):
                    judge(record, _text(reading.get("at")), reading.get("temp_c"))
            if not readings:
                for key in ("min_c", "max_c"):
                    judge(record, None, data.get(key))
        elif record.type in ("Shipped", "Received"):
            judge(record, record.time, data.get("temp_c"))
    return excursions


def _outside(temp: Any, band: tuple[str | None, str | None]) -> bool:
    value, low, high = _decimal(temp), _decimal(band[0]), _decimal(band[1])
    if value is None:
        return False
    return (low is not None and value < low) or (high is not None and value > high)


def _below_protective_price(history: Iterable[Record],
                            found: _Records) -> list[dict[str, Any]]:
    below = []
    for record in history:
        if record.type != "Collected" or record.seq != 0:
            continue
        purchases = found.effective(record).get("purchases")
        for purchase in purchases if isinstance(purchases, list) else []:
            if not isinstance(purchase, Mapping):
                continue
            price = _text(purchase.get("price_per_kg"))
            protective = _text(purchase.get("protective_price_per_kg"))
            paid, floor = _decimal(price), _decimal(protective)
            if paid is not None and floor is not None and paid < floor:
                below.append({"record": record.hash_hex, "lot": _text(purchase.get("lot")),
                              "price_per_kg": price, "protective_price_per_kg": protective})
    return below


def _latest_recorded(records: Iterable[Record]) -> int | None:
    times = [t for t in (parse_utc(r.recorded) for r in records) if t is not None]
    return max(times) if times else None


def _text(value: Any) -> str | None:
    return value if type(value) is str else None


def _copy(value: Any, kind: type) -> Any:
    """A deep copy of ``value`` when it is a ``kind``, else ``None``: the state shares
    nothing with the records it comes from."""
    return copy.deepcopy(value) if isinstance(value, kind) else None


def _decimal(value: Any) -> Decimal | None:
    if type(value) is not str or not _DECIMAL.fullmatch(value):
        return None
    return Decimal(value)
