"""The cold chain of a lot's family: temperature readings in time order, excursions marked.

Readings come from pre-cooling (the cooling curve, not judged: it starts warm on purpose),
cold storage (judged against the store's target range) and the spot temperatures of
shipments and receipts (judged against the range of the latest storage before them, the
temperature the produce was meant to be kept at). A storage record that gives only its
minimum and maximum counts as one excursion when either is outside its range.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ledger.consumer.family import Family
from ledger.consumer.model import Band, ColdChain, Reading
from ledger.consumer.timeline import place_of
from verify.records import Record

__all__ = ["cold_chain", "outside"]


def outside(temp: str, band: Band | None) -> bool:
    """Whether ``temp`` is outside the band's range (never, without a band)."""
    if band is None:
        return False
    value = Decimal(temp)
    too_cold = band.min_c is not None and value < Decimal(band.min_c)
    too_warm = band.max_c is not None and value > Decimal(band.max_c)
    return too_cold or too_warm


def cold_chain(family: Family) -> ColdChain:
    readings: list[Reading] = []
    bands: list[Band] = []
    excursions = 0
    latest: Band | None = None
    for record in family.records:
        data = record.data
        if record.type == "PreCooled":
            readings += _readings(record, data, None)
        elif record.type == "Stored":
            latest = _band(record, data)
            if latest.min_c is not None or latest.max_c is not None:
                bands.append(latest)
            stored = _readings(record, data, latest)
            readings += stored
            if not stored and any(outside(data[k], latest) for k in ("min_c", "max_c")
                                  if k in data):
                excursions += 1
        elif record.type in ("Shipped", "Received") and "temp_c" in data:
            readings.append(Reading(at=record.time, temp_c=data["temp_c"], lot=record.subject,
                                    step=record.type, place=place_of(record),
                                    excursion=outside(data["temp_c"], latest)))
    readings.sort(key=lambda reading: reading.at)
    excursions += sum(reading.excursion for reading in readings)
    return ColdChain(readings=tuple(readings), bands=tuple(bands), excursions=excursions)


def _band(record: Record, data: Mapping[str, Any]) -> Band:
    return Band(start=data.get("started", record.time), end=data.get("ended", record.time),
                min_c=data.get("target_min_c"), max_c=data.get("target_max_c"),
                place=place_of(record))


def _readings(record: Record, data: Mapping[str, Any], band: Band | None) -> list[Reading]:
    place = place_of(record)
    return [Reading(at=reading["at"], temp_c=reading["temp_c"], lot=record.subject,
                    step=record.type, place=place,
                    excursion=outside(reading["temp_c"], band))
            for reading in data.get("readings", [])]
