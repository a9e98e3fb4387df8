"""Building blocks for story tests: organisations and a kiwifruit journey."""

from __future__ import annotations

from typing import Any

from ledger.application import Ledger
from ledger.keys.signing import SigningKey
from verify.keys import key_possession_message

ORIGIN = {"province": "湖南省", "city": "湘西土家族苗族自治州", "county": "凤凰县",
          "township": "千工坪镇", "village": "西乡村"}
KIWI = {"name": "猕猴桃", "variety": "红阳"}
COOP, CARRIER, PLATFORM, INSPECTOR = "coop-xixiang", "carrier-sf", "platform-wh", "insp-xx"
COOP_PREFIX = "6901234"  # the GS1 company prefix of the GTIN the cooperative packs under


def register_parties(ledger: Ledger) -> None:
    ledger.register_organisation(COOP, name="凤凰县西乡猕猴桃专业合作社",
                                 roles=["cooperative"], contact="0743-1234567")
    ledger.register_organisation(CARRIER, name="湘西冷链物流", roles=["carrier"])
    ledger.register_organisation(PLATFORM, name="扶贫产品电商平台长沙仓",
                                 roles=["warehouse", "platform"])
    ledger.register_organisation(INSPECTOR, name="凤凰县市场监督管理局", roles=["inspector"])
    ledger.register_prefix(COOP, prefix=COOP_PREFIX)


def possession(key: SigningKey, org: str = COOP) -> bytes:
    """The new key's proof that its holder registers it for ``org``."""
    return key.sign(key_possession_message(org, key.public_key))


def harvest(ledger: Ledger, lot: str, quantity: str = "100", day: int = 10,
            household: str = "HH-001") -> None:
    ledger.record(COOP, "Harvested", {
        "product": KIWI, "quantity": quantity, "unit": "kg", "origin": ORIGIN,
        "started": f"2026-09-{day:02d}T06:00:00+08:00",
        "ended": f"2026-09-{day:02d}T11:00:00+08:00",
        "harvester": "张三", "household": household,
    }, lot=lot)


def collect(ledger: Ledger, into: str, lots: dict[str, str], day: int = 10) -> None:
    ledger.record(COOP, "Collected", {
        "into": into, "collection_point": "西乡村田头集货点",
        "purchases": [{"lot": lot, "quantity": quantity, "price_per_kg": "6.50",
                       "protective_price_per_kg": "6.00", "household": f"HH-{lot}",
                       "registered_poor_household": True}
                      for lot, quantity in lots.items()],
    }, time=f"2026-09-{day:02d}T14:00:00+08:00")


def grade(ledger: Ledger, lot: str, outputs: dict[str, tuple[str, str]], loss: str,
          day: int = 10) -> None:
    ledger.record(COOP, "Graded", {
        "standard": "NY/T 1794-2009 猕猴桃等级规格",
        "outputs": [{"lot": code, "grade": g, "quantity": q} for code, (g, q) in outputs.items()],
        "loss": loss,
    }, lot=lot, time=f"2026-09-{day:02d}T16:00:00+08:00")


def handle(ledger: Ledger, org: str, lot: str, step: str, data: dict[str, Any],
           time: str | None = None) -> None:
    ledger.record(org, step, data, lot=lot, time=time)


def kiwi_journey(ledger: Ledger) -> None:
    """Harvest by three households → collect → grade → pre-cool → store → pack → ship →
    receive."""
    register_parties(ledger)
    kiwi_steps(ledger)


def kiwi_steps(ledger: Ledger) -> None:
    """The kiwi journey's records, the parties registered already: KH0-2 → KC1 → KG1
    (pre-cooled, stored with one excursion, packed, shipped, received) and KG2."""
    for i in range(3):
        harvest(ledger, f"KH{i}", household=f"HH-00{i}")
    collect(ledger, "KC1", {"KH0": "100", "KH1": "100", "KH2": "100"})
    grade(ledger, "KC1", {"KG1": ("一级", "200"), "KG2": ("二级", "90")}, loss="10")
    handle(ledger, COOP, "KG1", "PreCooled", {
        "method": "forced-air", "started": "2026-09-10T17:00:00+08:00",
        "ended": "2026-09-10T21:00:00+08:00", "target_core_temp_c": "2",
        "reached_core_temp_c": "2.4",
        "readings": [{"at": "2026-09-10T18:00:00+08:00", "temp_c": "8.1"},
                     {"at": "2026-09-10T21:00:00+08:00", "temp_c": "2.4"}]})
    handle(ledger, COOP, "KG1", "Stored", {
        "facility": "西乡冷库1号", "started": "2026-09-10T22:00:00+08:00",
        "ended": "2026-09-12T06:00:00+08:00", "target_min_c": "0", "target_max_c": "4",
        "readings": [{"at": "2026-09-11T06:00:00+08:00", "temp_c": "1.5"},
                     {"at": "2026-09-11T14:00:00+08:00", "temp_c": "6.2"},
                     {"at": "2026-09-11T22:00:00+08:00", "temp_c": "2.0"}]})
    handle(ledger, COOP, "KG1", "Packed", {
        "packaging": "5 kg 礼盒", "units": 40, "net_weight_per_unit": "5",
        "net_weight_unit": "kg", "gtin": "06901234567892", "grade": "一级"},
        time="2026-09-12T08:00:00+08:00")
    handle(ledger, COOP, "KG1", "Shipped", {
        "to": PLATFORM, "to_location": "长沙市望城区电商产业园", "location": "西乡冷库",
        "carrier": "湘西冷链物流", "vehicle": "湘U·12345", "waybill": "XL20260912001"},
        time="2026-09-12T09:00:00+08:00")
    handle(ledger, PLATFORM, "KG1", "Received", {
        "from": COOP, "location": "长沙市望城区电商产业园", "temp_c": "3.2",
        "waybill": "XL20260912001"}, time="2026-09-12T19:00:00+08:00")
