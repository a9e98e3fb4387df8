"""One row per record: the key data elements of each critical tracking event (FSMA 204
style) and the ledger's own columns (``ledger.exports.columns``).

A record's data is read as corrected (``ledger.domain.corrections``, the one meaning of a
correction shared with ``verify.corrections``): an original shows its effective data and
names the records that corrected it; a correction's own row names what it corrects and
shows each change, from what to what, with its reason. Private values appear as neither
value nor commitment, only as 隐私 private.

What each event holds, by column: *what* (product, GTIN as of that record, lot), *how much*
(the record's quantity in the lot's unit; a packing's units and packaging), *where* (the
field, collection point, facility, shipping or receiving location, lab), *when* (the
record's time), *who* (the recording organisation), *source and destination lots* (a
collection's or grading's inputs and outputs), *references* (waybill, invoice, vehicle,
report and certificate numbers, the records a certificate or recall rests on).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import Any

from ledger.domain.corrections import Correction
from ledger.domain.lot import Lot
from ledger.exports.columns import COLUMNS, EVENT_NAMES, beijing
from verify.records import Record

__all__ = ["MAX_TEXT", "Row", "lot_rows"]

Row = tuple[Any, ...]  # one value per column of ``COLUMNS``; times are aware, in UTC+8
MAX_TEXT = 2000  # characters of a details cell; a spreadsheet cell holds at most 32,767
PRIVATE = "隐私 private"

# Fields shown in a column of their own, so not again among the details.
_SHOWN = frozenset({"product", "quantity", "unit", "origin", "location", "facility",
                    "collection_point", "to_location", "lab", "to", "from", "into",
                    "waybill", "invoice", "vehicle", "carrier", "report", "number",
                    "basis_record", "recall", "corrects", "values", "purchases", "outputs",
                    "gtin"})
_REFERENCES = (("waybill", "运单 waybill"), ("invoice", "发票 invoice"),
               ("vehicle", "车辆 vehicle"), ("carrier", "承运 carrier"),
               ("report", "报告 report"), ("number", "证书 certificate"),
               ("basis_record", "依据记录 basis record"), ("recall", "召回令 recall order"))


def lot_rows(lot: Lot, leaves: Mapping[bytes, int],
             name_of: Callable[[str], str]) -> Iterator[Row]:
    """The rows of ``lot``'s records, in chain order. ``leaves``: leaf index by record hash
    (records the log has not integrated yet have none); ``name_of``: an organisation's name."""
    history = lot.history
    corrected_by: dict[str, list[str]] = {}
    corrections = {correction.record: correction for correction in history.corrections}
    for correction in history.corrections:
        corrected_by.setdefault(correction.original, []).append(correction.record)
    product: Mapping[str, Any] = {}
    origin: Mapping[str, Any] = {}
    unit = gtin = ""
    for record in history.records:
        data = history.data(record) if record.type != "Corrected" else record.data
        if record.seq == 0:
            product, origin = data.get("product") or {}, data.get("origin") or {}
            unit, gtin = str(data.get("unit", "")), str(product.get("gtin") or "")
        elif record.type == "Packed":
            gtin = str(data.get("gtin") or gtin)
        quantity, shown_unit = _amount(record, data, unit)
        yield (
            beijing(record.time),
            f"{EVENT_NAMES.get(record.type, record.type)} {record.type}",
            record.subject,
            " ".join(str(part) for part in (product.get("name"), product.get("variety"))
                     if part),
            gtin or None,
            quantity,
            shown_unit,
            _location(record, data),
            " ".join(str(origin[part]) for part in ("province", "city", "county", "township",
                                                    "village", "base", "plot")
                     if origin.get(part)) or None,
            f"{name_of(record.org)} ({record.org})",
            _joined(_sources(record, data)),
            _joined(_destinations(record, data)),
            _counterparty(record, data),
            _references(data),
            _details(record, data, corrections.get(record.hash_hex)),
            beijing(record.recorded),
            record.hash_hex,
            leaves.get(record.hash),
            record.org,
            record.key,
            " ".join(corrected_by.get(record.hash_hex, ())) or None,
            _corrects(record, corrections.get(record.hash_hex)),
            record.chain,
            record.seq,
        )


assert len(COLUMNS) == 24  # noqa: S101 - the row above gives one value per column


def _amount(record: Record, data: Mapping[str, Any], unit: str) -> tuple[str | None, str | None]:
    if record.type == "Packed":
        return str(data.get("units", "")), str(data.get("packaging", "")) or None
    if record.type == "Graded" and record.seq > 0:
        total = sum((Decimal(str(o.get("quantity", 0))) for o in data.get("outputs", ())),
                    Decimal(0))
        return str(total), unit or None
    if "quantity" in data:
        return str(data["quantity"]), unit or None
    return None, None


def _location(record: Record, data: Mapping[str, Any]) -> str | None:
    if record.type == "Harvested":
        origin = data.get("origin") or {}
        place = " ".join(str(origin[p]) for p in ("village", "base", "plot") if origin.get(p))
        return place or None
    for name in ("collection_point", "facility", "location", "lab"):
        if data.get(name):
            where = str(data[name])
            if record.type == "Shipped" and data.get("to_location"):
                where += f" → {data['to_location']}"
            return where
    return None


def _sources(record: Record, data: Mapping[str, Any]) -> list[str]:
    if record.seq != 0:
        return []
    if record.type == "Collected":
        return [str(p.get("lot")) for p in data.get("purchases", ())]
    if record.type == "Graded":
        return [str(data.get("from"))]
    return []


def _destinations(record: Record, data: Mapping[str, Any]) -> list[str]:
    if record.seq == 0:
        return []
    if record.type == "Collected":
        return [str(data.get("into"))]
    if record.type == "Graded":
        return [str(o.get("lot")) for o in data.get("outputs", ())]
    return []


def _counterparty(record: Record, data: Mapping[str, Any]) -> str | None:
    if record.type == "Shipped" and data.get("to"):
        return f"→ {data['to']}"
    if record.type == "Received" and data.get("from"):
        return f"← {data['from']}"
    return None


def _references(data: Mapping[str, Any]) -> str | None:
    found = [f"{label} {data[name]}" for name, label in _REFERENCES if data.get(name)]
    if data.get("number") and data.get("scheme"):
        found = [f"{item} ({data['scheme']})" if item.startswith("证书") else item
                 for item in found]
    return "; ".join(found) or None


def _corrects(record: Record, correction: Correction | None) -> str | None:
    """The original a correction applies to (or, if it names none, what it names)."""
    if record.type != "Corrected":
        return None
    if correction is not None:
        return correction.original
    return str(record.data.get("corrects", "")) or None


def _details(record: Record, data: Mapping[str, Any],
             correction: Correction | None) -> str | None:
    if record.type == "Corrected":
        if correction is None:
            return _clip(f"原因 reason: {data.get('reason', '')}; names no earlier record of "
                         "this lot, changes nothing")
        changes = "; ".join(f"{change.field}: {_text(change.before)} → {_text(change.after)}"
                            for change in correction.changes)
        return _clip(f"{correction.original_type} #{correction.original_seq}: {changes}; "
                     f"原因 reason: {correction.reason}")
    parts = [f"{name}: {_text(value)}" for name, value in sorted(data.items())
             if name not in _SHOWN]
    if record.type == "Collected" and record.seq == 0:
        parts.append("purchases: " + ", ".join(
            f"{p.get('lot')} {p.get('quantity')} @ {p.get('price_per_kg')}/kg "
            f"(≥ {p.get('protective_price_per_kg')})" for p in data.get("purchases", ())))
    if record.type == "Graded" and record.seq > 0:
        parts.append("outputs: " + ", ".join(f"{o.get('lot')} {o.get('grade')} "
                                             f"{o.get('quantity')}"
                                             for o in data.get("outputs", ())))
    return _clip("; ".join(parts)) or None


def _text(value: Any) -> str:
    """A value in a few words: private values hidden, readings summarised, times in UTC+8."""
    if value is None:
        return "—"
    if isinstance(value, Mapping):
        if set(value) == {"commitment"}:
            return PRIVATE
        return "{" + ", ".join(f"{k}: {_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        if value and all(isinstance(v, Mapping) and "temp_c" in v for v in value):
            temps = [Decimal(str(v["temp_c"])) for v in value]
            return f"{len(value)} readings, {min(temps)}–{max(temps)} °C"
        return "[" + ", ".join(_text(v) for v in value) + "]"
    if isinstance(value, str) and len(value) >= 20 and value.endswith("Z") and value[4] == "-":
        try:
            return beijing(value).strftime("%Y-%m-%d %H:%M")
        except ValueError:
            return value
    return str(value)


def _joined(items: list[str]) -> str | None:
    return " ".join(items) or None


def _clip(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 1] + "…"
