"""The identifiers agritrace's lots, organisations and documents take in EPCIS events, and
the units of its quantities.

* A lot with a GTIN is an LGTIN, written as a GS1 Digital Link URI on the service's public
  URL (``https://HOST/01/{gtin}/10/{lot}``; the event hash reads it as the canonical
  ``https://id.gs1.org/…``). A lot without a GTIN (harvest, collection and grade lots before
  packing) is a class URI under ``AGRITRACE_EPCIS_LOT_CLASS`` (default
  ``https://HOST/lots/``) followed by the lot code, percent-encoded.
* An organisation is ``https://HOST/orgs/{org}``, as a party (source, destination) and as a
  location (read point, business location): agritrace records no GLNs yet.
* A business document (waybill, invoice) is ``https://HOST/orgs/{org}/documents/{type}/{id}``.

``lot_of_uri`` inverts the lot URIs, for capture.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import quote, unquote

from ledger.digitallink.uris import digital_link_uri, parse_digital_link, public_url
from ledger.errors import InvalidInput

__all__ = ["COUNT_UOM", "MASS_UOM", "Identities", "uom_quantity"]

_SAFE = "-._"

# UN/CEFACT Recommendation 20 codes: masses, and packages as Recommendation 21 codes
# prefixed with X (Rec. 20 annex); a piece is H87.
MASS_UOM: Mapping[str, str] = {"kg": "KGM", "g": "GRM", "t": "TNE"}
COUNT_UOM: Mapping[str, str] = {"box": "XBX", "crate": "XCR", "bag": "XBG", "carton": "XCT",
                                "piece": "H87", "pallet": "XPX"}
JIN_IN_KG = Decimal("0.5")


def uom_quantity(quantity: str, unit: str) -> tuple[Decimal, str]:
    """A quantity in agritrace's ``unit`` as an EPCIS quantity and UN/CEFACT code. A 斤 (jin),
    which has no code, is given in kilograms (0.5 kg each)."""
    amount = Decimal(quantity)
    if unit == "jin":
        return amount * JIN_IN_KG, "KGM"
    code = MASS_UOM.get(unit) or COUNT_UOM.get(unit)
    if code is None:
        raise InvalidInput(f"unit {unit!r} has no UN/CEFACT code", field="unit")
    return amount, code


@dataclass(frozen=True)
class Identities:
    """URIs on one public base URL (``AGRITRACE_PUBLIC_URL``)."""

    base: str
    lot_class: str

    @classmethod
    def from_env(cls) -> Identities:
        base = public_url()
        configured = os.environ.get("AGRITRACE_EPCIS_LOT_CLASS", "").strip()
        return cls(base=base, lot_class=configured or f"{base}/lots/")

    def lot(self, code: str, gtin: str | None) -> str:
        """The lot's EPC class: its LGTIN as a Digital Link when it has a GTIN."""
        if gtin:
            return digital_link_uri(self.base, gtin, code)
        return self.lot_class + quote(code, safe=_SAFE)

    def organisation(self, org: str) -> str:
        return f"{self.base}/orgs/{quote(org, safe=_SAFE)}"

    def document(self, org: str, kind: str, number: str) -> str:
        return f"{self.organisation(org)}/documents/{kind}/{quote(number, safe=_SAFE)}"

    def record(self, digest: str) -> str:
        """Where the record is served (``GET /records/{hash}``)."""
        return f"{self.base}/records/{digest}"

    def certificate(self, lot: str) -> str:
        """The 承诺达标合格证 page of a lot."""
        return f"{self.base}/lots/{quote(lot, safe=_SAFE)}/certificate"

    def lot_of_uri(self, uri: str) -> tuple[str, str | None]:
        """``(lot code, GTIN or None)`` of a lot URI this service writes; raises
        ``InvalidInput`` for any other EPC."""
        if uri.startswith(self.lot_class):
            return unquote(uri[len(self.lot_class):]), None
        if uri.startswith(self.base + "/01/"):
            link = parse_digital_link(uri[len(self.base):])
            if link.lot is not None and link.serial is None:
                return link.lot, link.gtin
        raise InvalidInput("is not a lot of this ledger (an LGTIN or a lot class URI)",
                           field="epcClass")
