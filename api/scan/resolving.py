"""What the resolver routes share: their services (one set per app, kept in
``api.services``) and resolving a Digital Link to a lot (the responses are in
``api.scan.responses``).

A code resolves when its lot exists, carries that GTIN, and (for ``/21/{serial}``) the
serial is one the lot's Packed record assigned. A well-formed code that does not is
"not registered" (404, possibly counterfeit); a malformed one is 400.
"""

from __future__ import annotations

from dataclasses import dataclass
from hashlib import sha256
from typing import Any

from fastapi import Request

from ledger.application import Ledger
from ledger.consumer import LotSummary, SummaryCache
from ledger.consumer.cache import VersionedCache
from ledger.consumer.scans import ScanCounter
from ledger.digitallink.uris import DigitalLink
from ledger.domain.fields import lot_code
from ledger.errors import InvalidInput, NotFound
from ledger.log import TransparencyLog

__all__ = ["NotRegistered", "RenderedPages", "Scanning", "etag", "raw_path", "resolve"]


class NotRegistered(NotFound):
    """A well-formed code that names no registered lot or unit."""


def etag(html: str) -> str:
    """The entity tag of a rendered page."""
    return f'"{sha256(html.encode()).hexdigest()[:24]}"'


# Rendered pages with their entity tags, each valid for one store version: a lot's page
# changes only when a record is added (a unit's page also with its warnings, which are part
# of the key).
RenderedPages = VersionedCache[tuple[Any, ...], tuple[str, str]]


@dataclass
class Scanning:
    """The services the resolver routes use, one set per application."""

    ledger: Ledger
    log: TransparencyLog
    summaries: SummaryCache
    scans: ScanCounter
    pages: RenderedPages
    host: str

    @property
    def witnesses(self) -> list[str]:
        return [witness.key.to_vkey() for witness in self.log.cosigner.witnesses]


def raw_path(request: Request, prefix: str = "") -> str:
    """The request path as sent (still percent-encoded), without ``prefix``: a lot may hold
    an encoded ``/``, which the decoded path would split."""
    raw = request.scope.get("raw_path")
    path = raw.decode("latin-1") if isinstance(raw, bytes) else request.url.path
    root = request.scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root):]
    return path[len(prefix):] if prefix and path.startswith(prefix) else path


def resolve(services: Scanning, link: DigitalLink) -> tuple[int, LotSummary]:
    """The summary of the lot ``link`` names, with the store version it is valid for;
    ``NotRegistered`` when it names none."""
    if link.lot is None:
        raise NotRegistered("a GTIN alone names a product, not a batch: scan the code on the "
                            "batch's label", field="lot")
    try:
        version, summary = services.summaries.versioned(lot_code(link.lot, "lot"))
    except (NotFound, InvalidInput) as error:
        raise NotRegistered(f"no lot {link.lot} is registered", field="lot") from error
    if summary.gtin != link.gtin or link.cpv is not None:
        raise NotRegistered(f"lot {link.lot} is not registered under GTIN {link.gtin}",
                            field="gtin")
    if link.serial is not None and not _assigned(summary, link.serial):
        raise NotRegistered(f"serial {link.serial} was not assigned in lot {link.lot}",
                            field="serial")
    return version, summary


def _assigned(summary: LotSummary, serial: str) -> bool:
    packing = summary.packing
    if packing is None or packing.serial_first is None or packing.serial_last is None:
        return False
    if not serial.isdigit() or serial != str(int(serial)):
        return False  # serials are issued as plain numbers: "007" was never printed
    return packing.serial_first <= int(serial) <= packing.serial_last
