"""Notices: facts a record states that are accepted but worth a warning.

A temperature outside the storage's target range, or a purchase from a household below the
protective price, is what happened: refusing the record would only hide it. The record is
kept, the lot's state lists it (``Lot.excursions``, ``Lot.below_protective_price``) for
inspectors, and whoever recorded it gets a notice with the answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from ledger.domain.lot import Lot

__all__ = ["Notice", "notices_of"]


@dataclass(frozen=True)
class Notice:
    """A warning about a recorded fact: ``kind`` (``excursion``, ``below-protective-price``),
    the record stating it, and a sentence in Chinese and English."""

    kind: str
    record: str
    message: str


def notices_of(lot: Lot, digest: str) -> list[Notice]:
    """The notices about what record ``digest`` (hex) of ``lot`` states, as the lot's state
    has it now (after corrections: for a correction, give the corrected record's hash)."""
    found = []
    for excursion in lot.excursions:
        if excursion["record"] == digest:
            low, high = excursion["target_min_c"], excursion["target_max_c"]
            target = f"{low if low is not None else '…'}–{high if high is not None else '…'} °C"
            found.append(Notice("excursion", digest, (
                f"温度超出目标范围 {excursion['temp_c']} °C at {excursion['at']} is outside the "
                f"target range {target} of lot {lot.code}; recorded as measured")))
    for purchase in lot.below_protective_price:
        if purchase["record"] == digest:
            found.append(Notice("below-protective-price", digest, (
                f"低于保护价收购 the purchase from lot {purchase['lot']} at "
                f"{purchase['price_per_kg']} yuan/kg is below the protective price of "
                f"{purchase['protective_price_per_kg']} yuan/kg; recorded as paid and "
                "flagged for inspectors")))
    return found
