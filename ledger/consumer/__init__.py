"""The public, consumer-safe view of a lot: what a scanned QR code shows.

- ``family``     the records a summary is built from: the lot and what it came from
- ``model``      the summary's frozen types and their JSON
- ``timeline``   each step with its time, place and public details
- ``coldchain``  temperature readings and excursions
- ``summary``    ``public_summary(ledger, lot)``: product, origin, households (counted,
                 never named), timeline, cold chain, certificates, inspections, recalls
- ``cache``      summaries reused until the store holds a new record
"""

from __future__ import annotations

from ledger.consumer.cache import SummaryCache
from ledger.consumer.model import LotSummary
from ledger.consumer.summary import public_summary

__all__ = ["LotSummary", "SummaryCache", "public_summary"]
