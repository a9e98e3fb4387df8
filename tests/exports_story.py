"""The story the export tests share: the kiwifruit journey, a correction, a recall ordered
on the collected lot (cascading to its grade lots), and the log integrated."""

from __future__ import annotations

from ledger.application import Ledger
from ledger.log import TransparencyLog
from ledger.log.logkey import LogKey
from tests.journeys import COOP, INSPECTOR, collect, grade, handle, harvest
from verify.notes import Signer

RECALL_LOTS = ("KC1", "KG1", "KG2", "KH0", "KH1", "KH2")  # the reach, and where it came from


def recalled_journey(ledger: Ledger, log: TransparencyLog | None = None) -> TransparencyLog:
    """Harvests KH0-2 → KC1 → KG1, KG2; KG1 pre-cooled, packed, shipped (its waybill then
    corrected); an inspector recalls KC1; ``log`` (a new one by default) integrates it all.
    The parties are registered already."""
    for i in range(3):
        harvest(ledger, f"KH{i}", household=f"HH-00{i}")
    collect(ledger, "KC1", {"KH0": "100", "KH1": "100", "KH2": "100"})
    grade(ledger, "KC1", {"KG1": ("一级", "200"), "KG2": ("二级", "90")}, loss="10")
    handle(ledger, COOP, "KG1", "PreCooled", {
        "method": "forced-air", "started": "2026-09-10T17:00:00+08:00",
        "ended": "2026-09-10T21:00:00+08:00", "target_core_temp_c": "2",
        "reached_core_temp_c": "2.4"}, time="2026-09-10T21:00:00+08:00")
    handle(ledger, COOP, "KG1", "Packed", {
        "packaging": "5 kg 礼盒", "units": 40, "net_weight_per_unit": "5",
        "net_weight_unit": "kg", "gtin": "06901234567892", "grade": "一级",
        "serial_first": 1, "serial_last": 40, "best_before": "2026-10-15T00:00:00+08:00"},
        time="2026-09-12T08:00:00+08:00")
    handle(ledger, COOP, "KG1", "Shipped", {
        "to": "platform-wh", "to_location": "长沙市望城区电商产业园", "location": "西乡冷库",
        "carrier": "湘西冷链物流", "waybill": "XL20260912001"},
        time="2026-09-12T09:00:00+08:00")
    shipped = ledger.history("lot/KG1")[-1].record
    handle(ledger, COOP, "KG1", "Corrected", {
        "corrects": shipped.hash_hex, "reason": "运单号录错 waybill mistyped",
        "values": {"waybill": "XL20260912009"}}, time="2026-09-12T10:00:00+08:00")
    ledger.record(INSPECTOR, "Recalled", {"reason": "抽检农药残留超标 (chlorpyrifos)"},
                  lot="KC1")
    if log is None:
        key = LogKey(Signer.generate("agritrace.test/exports-log"))
        log = TransparencyLog(ledger.store, key)
    log.integrate()
    return log
