"""What each step records: the key data elements per record type (FSMA 204 style).

``STEPS`` maps a record type to the parser of its ``data``. Private values (a harvester's
name, a household id) are wrapped in ``Secret`` here and sealed into commitments by
``ledger.private.values`` before a record is built, so they never reach a record. The HTTP
API's request bodies are made from these definitions, so each step's data is defined here
only.

(Over 300 lines: the field tables of every step, kept in one place to be read together.)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ledger.domain.certificates import BASES
from ledger.domain.fields import (
    UNITS,
    Parser,
    boolean,
    choice,
    count,
    decimal,
    gtin,
    identifier,
    list_of,
    lot_code,
    obj,
    record_hash,
    text,
    timestamp,
)
from ledger.errors import InvalidInput

__all__ = [
    "COLLECT", "GENESIS", "HANDLING_STEPS", "HAPPENED_TIMES", "LEDGER_STEPS", "PLANNED_TIMES",
    "PRIVATE_STEPS", "STEPS", "Committed", "Secret", "corrected_values", "named_times",
    "parse_corrected_values", "parse_record_data", "private",
]


@dataclass(frozen=True)
class Secret:
    """A private value awaiting its commitment."""

    value: Any


@dataclass(frozen=True)
class Committed:
    """A private value already sealed by the client: only its commitment is known."""

    commitment: str


@dataclass(frozen=True)
class private:  # noqa: N801 - a parser, named like the parser factories it wraps
    """A private value: ``value`` parses it, or the client sends its commitment already."""

    value: Parser

    def __call__(self, value: Any, path: str) -> Secret | Committed:
        if isinstance(value, Mapping) and set(value) == {"commitment"}:
            return Committed(record_hash(value["commitment"], f"{path}.commitment"))
        return Secret(self.value(value, path))


def _req(parser: Parser) -> tuple[Parser, bool]:
    return (parser, True)


def _opt(parser: Parser) -> tuple[Parser, bool]:
    return (parser, False)


QUANTITY = decimal(positive=True)
TEMPERATURE = decimal(minimum=Decimal(-60), maximum=Decimal(80), places=2,
                      description="Degrees Celsius")
PERCENT = decimal(minimum=Decimal(0), maximum=Decimal(100), places=2)
PRICE = decimal(minimum=Decimal(0), maximum=Decimal(10**6), places=2)
UNIT = choice(UNITS)

PRODUCT = obj({
    "name": _req(text(80)),
    "variety": _opt(text(80)),
    "gtin": _opt(gtin),
}, name="Product")
ORIGIN = obj({
    "province": _req(text(40)),
    "city": _req(text(40)),
    "county": _req(text(40)),
    "township": _opt(text(40)),
    "village": _opt(text(40)),
    "base": _opt(text(80)),
    "plot": _opt(text(80)),
    "latitude": _opt(decimal(minimum=Decimal(-90), maximum=Decimal(90), places=6)),
    "longitude": _opt(decimal(minimum=Decimal(-180), maximum=Decimal(180), places=6)),
}, name="Origin")
READING = obj({
    "at": _req(timestamp),
    "temp_c": _req(TEMPERATURE),
    "humidity_pct": _opt(PERCENT),
}, name="Reading")
PERSON = text(80)

HARVESTED = obj({
    "product": _req(PRODUCT),
    "quantity": _req(QUANTITY),
    "unit": _req(UNIT),
    "origin": _req(ORIGIN),
    "started": _req(timestamp),
    "ended": _req(timestamp),
    "harvester": _opt(private(PERSON)),
    "household": _opt(private(text(40))),
})
PURCHASE = obj({
    "lot": _req(lot_code),
    "quantity": _req(QUANTITY),
    "price_per_kg": _req(PRICE),
    "protective_price_per_kg": _req(PRICE),
    "household": _opt(private(text(40))),
    "registered_poor_household": _opt(boolean),
}, name="Purchase")
# The command a collector gives: these purchases, from these harvest lots, into lot ``into``.
COLLECT = obj({
    "into": _req(lot_code),
    "collection_point": _req(text(80)),
    "purchases": _req(list_of(PURCHASE, minimum=1, maximum=500)),
})
# Recorded on each input lot: how much of it went into the collected lot.
COLLECTED_FROM = obj({
    "into": _req(lot_code),
    "collection_point": _req(text(80)),
    "quantity": _req(QUANTITY),
})
# The first record of the collected lot; ``links`` hold the input lots' records.
COLLECTED_LOT = obj({
    "collection_point": _req(text(80)),
    "product": _req(PRODUCT),
    "origin": _req(ORIGIN),
    "quantity": _req(QUANTITY),
    "unit": _req(UNIT),
    "purchases": _req(list_of(PURCHASE, minimum=1, maximum=500)),
})
GRADE_OUTPUT = obj({
    "lot": _req(lot_code),
    "grade": _req(text(40)),
    "quantity": _req(QUANTITY),
}, name="GradeOutput")
GRADED = obj({
    "standard": _req(text(120)),
    "outputs": _req(list_of(GRADE_OUTPUT, minimum=1, maximum=50)),
    "loss": _opt(decimal(minimum=Decimal(0))),
})
# The first record of each grade lot; ``links`` hold the graded lot's record.
GRADED_LOT = obj({
    "from": _req(lot_code),
    "standard": _req(text(120)),
    "grade": _req(text(40)),
    "quantity": _req(QUANTITY),
    "unit": _req(UNIT),
    "product": _req(PRODUCT),
    "origin": _req(ORIGIN),
})
PRE_COOLED = obj({
    "method": _req(choice({"forced-air", "hydro", "vacuum", "room", "ice", "other"})),
    "facility": _opt(text(80)),
    "started": _req(timestamp),
    "ended": _req(timestamp),
    "target_core_temp_c": _req(TEMPERATURE),
    "reached_core_temp_c": _req(TEMPERATURE),
    "readings": _opt(list_of(READING, maximum=2000)),
})
STORED = obj({
    "facility": _req(text(80)),
    "started": _req(timestamp),
    "ended": _opt(timestamp),
    "target_min_c": _opt(TEMPERATURE),
    "target_max_c": _opt(TEMPERATURE),
    "readings": _opt(list_of(READING, maximum=5000)),
    "min_c": _opt(TEMPERATURE),
    "max_c": _opt(TEMPERATURE),
    "mean_c": _opt(TEMPERATURE),
})
PACKED = obj({
    "packaging": _req(text(80)),
    "units": _req(count()),
    "net_weight_per_unit": _req(QUANTITY),
    "net_weight_unit": _req(choice({"kg", "g", "jin"})),
    "gtin": _req(gtin),
    "grade": _opt(text(40)),
    "serial_first": _opt(count(10**12)),
    "serial_last": _opt(count(10**12)),
    "best_before": _opt(timestamp),
    # Trimmed or sorted out while packing, in the lot's unit: packed units plus this loss
    # may not exceed what the lot holds.
    "loss": _opt(decimal(minimum=Decimal(0))),
})
PARTY = {
    "location": _req(text(120)),
    "carrier": _opt(text(80)),
    "vehicle": _opt(text(40)),
    "waybill": _opt(text(60)),
    "invoice": _opt(text(60)),
    "quantity": _opt(QUANTITY),
    "temp_c": _opt(TEMPERATURE),
}
SHIPPED = obj({"to": _req(identifier), "to_location": _req(text(120)), **PARTY})
RECEIVED = obj({"from": _req(identifier), **PARTY})
LAB_RESULT = obj({
    "analyte": _req(text(80)),
    "value": _req(decimal(minimum=Decimal(0), places=6)),
    "unit": _req(text(20)),
    "limit": _opt(decimal(minimum=Decimal(0), places=6)),
    "method_standard": _opt(text(80)),
    "verdict": _req(choice({"pass", "fail"})),
}, name="LabResult")
INSPECTED = obj({
    "kind": _req(choice({"visual", "lab", "documents", "rapid-test"})),
    "verdict": _req(choice({"pass", "fail"})),
    "lab": _opt(text(80)),
    "report": _opt(text(60)),
    "results": _opt(list_of(LAB_RESULT, maximum=200)),
    "notes": _opt(text(500)),
})
CERTIFIED = obj({
    "scheme": _req(choice({"green-food", "organic", "geographical-indication", "gap",
                           "compliance-certificate", "other"})),
    "number": _req(text(60)),
    "issuer": _req(text(80)),
    "valid_from": _req(timestamp),
    "valid_until": _opt(timestamp),
    "contact": _opt(text(80)),
    "commitment_text": _opt(text(500)),
    # A compliance certificate's basis, and the lab or rapid-test record a test basis rests on
    # (``ledger.domain.certificates``).
    "basis": _opt(choice(set(BASES))),
    "basis_record": _opt(record_hash),
})
REASON = obj({"reason": _req(text(500))})
RECALLED = obj({
    "reason": _req(text(500)),
    "recall": _opt(record_hash),
    "because_of": _opt(lot_code),
})


def corrected_values(value: Any, path: str) -> Mapping[str, Any]:
    """A correction's ``values``: checked against the corrected record's step by
    ``parse_corrected_values`` once that record is known."""
    if not isinstance(value, Mapping) or not value:
        raise InvalidInput("must be a non-empty object of corrected fields", field=path)
    return value


CORRECTED = obj({
    "corrects": _req(record_hash),
    "reason": _req(text(500)),
    "values": _req(corrected_values),
})


def sha256_digest(value: Any, path: str) -> str:
    """A SHA-256 digest written as 64 lowercase hex digits."""
    if not isinstance(value, str) or len(value) != 64 or \
            any(char not in "0123456789abcdef" for char in value):
        raise InvalidInput("must be a SHA-256 digest: 64 lowercase hex digits", field=path)
    return value


# An inspector's official audit report of the lot (ledger.exports.report): the SHA-256 of the
# report's exact bytes, and the proof bundle and checkpoint it was made from, so a printed
# report can be matched to the ledger and the ledger to the records the report shows.
REPORT_ISSUED = obj({
    "report_sha256": _req(sha256_digest),
    "bundle_sha256": _req(sha256_digest),
    "checkpoint_size": _req(count(2**53 - 1)),
    "checkpoint_root": _req(sha256_digest),
})


# The times a step's data names, by field. Those of something that happened come no later
# than the record is recorded, as the record's own time; dates ahead (best before, valid
# from or until) lie within ``ledger.domain.lot.HORIZON`` of it.
HAPPENED_TIMES = frozenset({"started", "ended", "at"})
PLANNED_TIMES = frozenset({"best_before", "valid_from", "valid_until"})


def named_times(data: Any, path: str = "data") -> Iterator[tuple[str, str, bool]]:
    """Every ``(path, time, happened)`` in ``data``, nested lists and objects included
    (readings, corrected values); ``happened`` is false for a date ahead."""
    if isinstance(data, Mapping):
        for name, value in data.items():
            inner = f"{path}.{name}"
            if isinstance(value, str) and name in HAPPENED_TIMES | PLANNED_TIMES:
                yield inner, value, name in HAPPENED_TIMES
            else:
                yield from named_times(value, inner)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from named_times(value, f"{path}[{i}]")


# Records that start a lot's chain.
GENESIS: Mapping[str, obj] = {
    "Harvested": HARVESTED,
    "Collected": COLLECTED_LOT,
    "Graded": GRADED_LOT,
}
# Records that continue a lot's chain.
STEPS: Mapping[str, obj] = {
    "Collected": COLLECTED_FROM,
    "Graded": GRADED,
    "PreCooled": PRE_COOLED,
    "Stored": STORED,
    "Packed": PACKED,
    "Shipped": SHIPPED,
    "Received": RECEIVED,
    "Inspected": INSPECTED,
    "Certified": CERTIFIED,
    "Held": REASON,
    "Released": REASON,
    "Recalled": RECALLED,
    "Corrected": CORRECTED,
    "ReportIssued": REPORT_ISSUED,
}
# Records the ledger writes itself, never asked for as a step (so neither a request, a batch
# nor a client-signed submission makes one): an inspector's read of private data
# (``ledger.inspection``) is recorded on the chain of the lot read, signed by the inspector,
# naming the ``Inspected`` record that grants it, the lot that inspection is of, and every lot
# whose private values were read (the lot and its ancestors, nearest first).
PRIVATE_DATA_READ = obj({
    "inspection": _req(record_hash),
    "inspected_lot": _req(lot_code),
    "lots": _req(list_of(lot_code, minimum=1, maximum=1000)),
})
LEDGER_STEPS: Mapping[str, obj] = {"PrivateDataRead": PRIVATE_DATA_READ}
# Steps whose data may hold private values (sealed into commitments before recording); a
# correction holds them when it corrects a private field.
PRIVATE_STEPS = frozenset({"Harvested", "Collected", "Corrected"})
# Steps only the custodian may record, and never on a held, recalled or consumed lot.
HANDLING_STEPS = frozenset({"Collected", "Graded", "PreCooled", "Stored", "Packed", "Shipped"})


def parse_record_data(step: str, data: Any, *, genesis: bool) -> dict[str, Any]:
    """Validate ``data`` of a ``step`` record; returns it with ``Secret`` placeholders.

    ``genesis`` selects the schema of a lot's first record (Harvested, or the new lot made
    by a collection or grading) rather than of a record continuing a chain.
    """
    table = GENESIS if genesis else STEPS
    parser = table.get(step)
    if parser is None:
        where = "start a lot" if genesis else "continue a lot's chain"
        raise InvalidInput(f"{step!r} cannot {where}; one of {', '.join(sorted(table))}",
                           field="type")
    parsed: dict[str, Any] = parser(data, "data")
    return parsed


def parse_corrected_values(step: str, values: Mapping[str, Any], *,
                           genesis: bool) -> dict[str, Any]:
    """Check a correction's ``values`` against the fields of the corrected record, a
    ``step`` record (``genesis`` if it started its lot): each must be one of its fields and
    fit that field's definition, private ones becoming ``Secret`` like the original's. A
    correction naming another correction corrects that one's original
    (``ledger.domain.corrections``), so ``step`` is never ``Corrected``."""
    parser = (GENESIS if genesis else STEPS).get(step)
    if step == "Corrected" or parser is None:
        raise InvalidInput(f"is a {step} record, which is not corrected; correct the "
                           "original record instead", field="data.corrects")
    return parser.partial(values, "data.values")
