"""A platform's catalogue for listing stories: the kiwifruit of three households, collected,
graded into two grade lots and packed under one GTIN with serials and best-before dates."""

from __future__ import annotations

from typing import Any

from ledger.application import Ledger
from tests.journeys import COOP, INSPECTOR, collect, grade, handle, harvest

GTIN = "06901234567892"
OTHER_GTIN = "06901234000016"  # a valid GTIN nobody packs under
CERTIFIED = {"scheme": "compliance-certificate", "number": "HN-2026-000123",
             "issuer": "凤凰县西乡猕猴桃专业合作社", "valid_from": "2026-09-12T00:00:00+08:00",
             "basis": "self-commitment", "contact": "0743-1234567"}


def packed_kiwifruit(ledger: Ledger) -> None:
    """KH0-2 → KC1 → KG1 (一级, 40 × 5 kg, serials 1-40, best before 2027-06-01, a 承诺达标合格证)
    and KG2 (二级, 10 × 5 kg, serials 41-50, best before 2026-11-01: past by now)."""
    for i in range(3):
        harvest(ledger, f"KH{i}", household=f"HH-00{i}")
    collect(ledger, "KC1", {"KH0": "100", "KH1": "100", "KH2": "100"})
    grade(ledger, "KC1", {"KG1": ("一级", "200"), "KG2": ("二级", "90")}, loss="10")
    handle(ledger, COOP, "KG1", "Packed", {
        "packaging": "5 kg 礼盒", "units": 40, "net_weight_per_unit": "5",
        "net_weight_unit": "kg", "gtin": GTIN, "grade": "一级", "serial_first": 1,
        "serial_last": 40, "best_before": "2027-06-01T00:00:00Z"},
        time="2026-09-12T08:00:00+08:00")
    handle(ledger, COOP, "KG1", "Certified", CERTIFIED, time="2026-09-12T09:00:00+08:00")
    handle(ledger, COOP, "KG2", "Packed", {
        "packaging": "5 kg 礼盒", "units": 10, "net_weight_per_unit": "5",
        "net_weight_unit": "kg", "gtin": GTIN, "grade": "二级", "serial_first": 41,
        "serial_last": 50, "best_before": "2026-11-01T00:00:00Z"},
        time="2026-09-12T08:30:00+08:00")


def recall(ledger: Ledger, lot: str = "KC1") -> None:
    ledger.record(INSPECTOR, "Recalled", {"reason": "抽检不合格 failed residue test"}, lot=lot)


def hold(ledger: Ledger, lot: str = "KC1") -> None:
    ledger.record(INSPECTOR, "Held", {"reason": "待复检 awaiting a second test"}, lot=lot)


def listing(listing_id: str, **overrides: Any) -> dict[str, Any]:
    """A seller's correct listing of KG1, with ``overrides``."""
    return {"listing_id": listing_id, "gtin": GTIN, "lot": "KG1",
            "product": "湘西红心猕猴桃 5kg 礼盒", "province": "湖南", "county": "凤凰县",
            "village": "西乡村", "grade": "一级", "net_weight": "5", "net_weight_unit": "kg",
            "certificates": ["承诺达标合格证"], **overrides}
