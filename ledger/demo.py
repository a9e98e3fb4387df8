"""A realistic demo data set from western Hunan (湘西), seeded through the public use cases.
Longer than most modules because it is data: every step of three stories, written out.

Three stories, dated relative to the day the demo is first seeded (harvests about ten days
before, best-before weeks ahead), so the showcase is fresh whenever it is seeded; a later run
reads that day back from the first harvest and so builds the same facts again:

- 红心猕猴桃 kiwifruit from 花垣县十八洞村: three households' harvests, bought at the field
  collection point (田头集货) at or above the protective price, graded to NY/T 1794 (分等分级),
  pre-cooled (产地预冷), cold-stored at 0–4 °C with one excursion, packed under a GTIN-14 of
  the cooperative's registered GS1 company prefix,
  handed to a cold-chain carrier and received at an e-commerce platform's warehouse;
- 保靖黄金茶 tea with an organic certificate and a passed pesticide-residue lab test;
- 麻阳冰糖橙 oranges: the grade 1 lot is packed under a GTIN and labelled for sale, then fails
  a residue test, and the inspector recalls the harvest with every lot made from it, so the
  packed oranges on the shelf scan to the recall banner.

Seeding is idempotent: each step is skipped when the ledger already holds it, so a second
run (or a run after an interrupted one) adds only what is missing. Organisation names, codes
and certificate numbers are invented for the demo.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from ledger.application import Ledger
from ledger.coopsettings import coop_settings, save_coop_settings
from ledger.domain.fields import gtin_check_digit, timestamp

__all__ = ["DEMO_ORGANISATIONS", "demo_gtin", "seed_day", "seed_demo"]

COOP, CARRIER, PLATFORM, INSPECTOR = (
    "coop-xiangxi", "carrier-xiangyun", "platform-wh-changsha", "samr-xiangxi",
)


@dataclass(frozen=True)
class DemoOrganisation:
    org_id: str
    name: str
    roles: tuple[str, ...]
    contact: str
    region: str


DEMO_ORGANISATIONS = (
    DemoOrganisation(COOP, "湘西十八洞山货农产品专业合作社联合社 Shibadong Mountain Produce "
                     "Cooperative Federation", ("cooperative",), "0743-7120000",
                     "湖南省湘西土家族苗族自治州花垣县 Huayuan, Xiangxi, Hunan"),
    DemoOrganisation(CARRIER, "湘运冷链物流有限公司 Xiangyun Cold-Chain Logistics",
                     ("carrier",), "0743-8210000", "湖南省吉首市 Jishou, Hunan"),
    DemoOrganisation(PLATFORM, "湘品优选电商平台长沙仓 Xiangpin e-commerce platform, "
                     "Changsha warehouse", ("platform", "warehouse"), "0731-8800000",
                     "湖南省长沙市望城区 Wangcheng, Changsha, Hunan"),
    DemoOrganisation(INSPECTOR, "湘西州市场监督管理局 Xiangxi Administration for Market "
                     "Regulation", ("inspector",), "12315",
                     "湖南省湘西土家族苗族自治州吉首市 Jishou, Xiangxi, Hunan"),
)


@dataclass(frozen=True)
class DemoStep:
    """One use case call: ``org`` records ``step`` on ``lot`` at ``time`` (China time)."""

    org: str
    step: str
    lot: str | None
    time: str
    data: dict[str, Any] = field(default_factory=dict)


def demo_gtin(company_prefix: str, item_reference: str, indicator: str = "1") -> str:
    """A GTIN-14: indicator digit, GS1 company prefix, item reference and check digit."""
    body = indicator + company_prefix + item_reference
    if len(body) != 13 or not body.isdigit():
        raise ValueError("indicator, prefix and item reference must make 13 digits")
    return body + gtin_check_digit(body)


# GS1 China issues prefixes starting 690-699; this company prefix is invented.
COOP_PREFIX = "6941234"
KIWI_GTIN = demo_gtin(COOP_PREFIX, "00012")
ORANGE_GTIN = demo_gtin(COOP_PREFIX, "00029")

CHINA = timezone(timedelta(hours=8))


@dataclass(frozen=True)
class Calendar:
    """Demo times as days before the seed day, in China time (UTC+8)."""

    seed_day: date

    def at(self, days_before: int, clock: str) -> str:
        """``days_before`` the seed day at ``clock`` (``HH:MM``), as an ISO 8601 time."""
        day = self.seed_day - timedelta(days=days_before)
        moment = datetime.combine(day, time.fromisoformat(clock), CHINA)
        return moment.isoformat()


def _origin(county: str, township: str, village: str | None = None, *,
            city: str = "湘西土家族苗族自治州", base: str | None = None) -> dict[str, str]:
    origin = {"province": "湖南省", "city": city, "county": county, "township": township}
    if village:
        origin["village"] = village
    if base:
        origin["base"] = base
    return origin


def _readings(start: str, temps: Sequence[str], hours: int) -> list[dict[str, str]]:
    """Temperature readings every ``hours`` from ``start``."""
    first = datetime.fromisoformat(start)
    return [{"at": (first + timedelta(hours=hours * i)).isoformat(), "temp_c": temp}
            for i, temp in enumerate(temps)]


def _summary(temps: Sequence[str]) -> dict[str, str]:
    values = [Decimal(t) for t in temps]
    mean = (sum(values, Decimal(0)) / len(values)).quantize(Decimal("0.01"), ROUND_HALF_EVEN)
    return {"min_c": str(min(values)), "max_c": str(max(values)), "mean_c": str(mean)}


# -- kiwifruit ---------------------------------------------------------------------------

KIWI = {"name": "猕猴桃 kiwifruit", "variety": "红心猕猴桃 红阳 Hongyang red-flesh"}
KIWI_ORIGIN = _origin("花垣县", "双龙镇", "十八洞村", base="十八洞猕猴桃基地 kiwifruit base")
KIWI_HOUSEHOLDS = (  # (lot, harvester, household id, harvested kg, sold kg, price)
    ("KW26-SBD-H01", "石光明", "SBD-017", "820", "800", "6.40"),
    ("KW26-SBD-H02", "龙秀英", "SBD-023", "760", "750", "6.40"),
    ("KW26-SBD-H03", "施成林", "SBD-041", "640", "630", "6.20"),
)
PROTECTIVE_PRICE = "6.00"
# The cooperative's own lists, kept in the recording app: varieties it grows, and the
# protective price it promised households, per product.
COOP_SETTINGS = {"varieties": {KIWI["name"]: [KIWI["variety"], "东红 Donghong",
                                              "翠香 Cuixiang"]},
                 "protective_prices": {KIWI["name"]: PROTECTIVE_PRICE}}
# The commitment a 承诺达标合格证 (compliance certificate) carries.
COMMITMENT = ("我单位承诺：不使用禁用农药兽药、停用兽药和非法添加物，"
              "常规农药兽药残留不超标。"
              "We commit to no banned pesticides or additives and residues within limits.")
# Target 0–4 °C; the ninth reading is the excursion (a door left open during loading).
STORE_TEMPS = ("1.8", "1.2", "0.9", "1.1", "1.4", "1.0", "0.8", "1.3", "5.6", "2.9",
               "1.5", "1.1", "0.9", "1.2", "1.0")


def _kiwi_harvests(c: Calendar) -> list[DemoStep]:
    return [DemoStep(COOP, "Harvested", lot, c.at(10, "11:30"), {
        "product": KIWI, "quantity": kg, "unit": "kg", "origin": KIWI_ORIGIN,
        "started": c.at(10, "06:30"), "ended": c.at(10, "11:30"),
        "harvester": harvester, "household": household,
    }) for lot, harvester, household, kg, _, _ in KIWI_HOUSEHOLDS]


def _kiwi_collection(c: Calendar) -> list[DemoStep]:
    purchases = [{"lot": lot, "quantity": sold, "price_per_kg": price,
                  "protective_price_per_kg": PROTECTIVE_PRICE, "household": household,
                  "registered_poor_household": household != "SBD-041"}
                 for lot, _, household, _, sold, price in KIWI_HOUSEHOLDS]
    return [
        DemoStep(COOP, "Collected", None, c.at(10, "14:00"), {
            "into": "KW26-SBD-C01", "purchases": purchases,
            "collection_point": "十八洞村田头集货点 Shibadong field collection point"}),
        DemoStep(COOP, "Graded", "KW26-SBD-C01", c.at(10, "16:30"), {
            "standard": "NY/T 1794-2009 猕猴桃等级规格 kiwifruit grades", "loss": "60",
            "outputs": [{"lot": "KW26-SBD-G1", "grade": "一级 Grade 1", "quantity": "1500"},
                        {"lot": "KW26-SBD-G2", "grade": "二级 Grade 2", "quantity": "620"}]}),
    ]


def _pre_cooling(c: Calendar, lot: str, ended: str) -> DemoStep:
    temps = ("24.5", "9.8", "4.1", "1.8")
    return DemoStep(COOP, "PreCooled", lot, c.at(9, ended), {
        "method": "forced-air", "facility": "双龙镇产地预冷库 Shuanglong pre-cooling room",
        "started": c.at(10, "17:00"), "ended": c.at(9, ended),
        "target_core_temp_c": "2", "reached_core_temp_c": "1.8",
        "readings": _readings(c.at(10, "17:00"), temps, 4)})


def _kiwi_cold_chain(c: Calendar) -> list[DemoStep]:
    lot = "KW26-SBD-G1"
    truck = {"carrier": "湘运冷链 Xiangyun Cold-Chain", "vehicle": "湘U·C2618",
             "waybill": f"XY-{c.seed_day - timedelta(days=2):%Y%m%d}-0031", "quantity": "1500"}
    cold_store = "花垣县双龙镇合作社冷库 cooperative cold store, Shuanglong"
    return [
        _pre_cooling(c, lot, "05:00"),
        _pre_cooling(c, "KW26-SBD-G2", "05:30"),
        DemoStep(COOP, "Stored", lot, c.at(2, "08:00"), {
            "facility": "合作社冷库1号库 cold store No. 1", "started": c.at(9, "06:00"),
            "ended": c.at(2, "08:00"), "target_min_c": "0", "target_max_c": "4",
            "readings": _readings(c.at(9, "06:00"), STORE_TEMPS, 12),
            **_summary(STORE_TEMPS)}),
        DemoStep(COOP, "Packed", lot, c.at(2, "10:00"), {
            "packaging": "5 kg 礼盒 gift box", "units": 300, "net_weight_per_unit": "5",
            "net_weight_unit": "kg", "gtin": KIWI_GTIN, "grade": "一级 Grade 1",
            "serial_first": 1, "serial_last": 300, "best_before": c.at(-40, "00:00")}),
        DemoStep(COOP, "Certified", lot, c.at(2, "10:30"), {
            "scheme": "compliance-certificate", "number": "HN-HY-2026-091601",
            "issuer": "湘西十八洞山货农产品专业合作社联合社", "valid_from": c.at(2, "10:30"),
            "contact": "0743-7120000", "basis": "internal-quality-control",
            "commitment_text": COMMITMENT}),
        DemoStep(COOP, "Shipped", lot, c.at(2, "14:00"), {
            "to": CARRIER, "to_location": "湘运冷链 冷藏车 湘U·C2618 reefer truck",
            "location": cold_store, "temp_c": "1.5", **truck}),
        DemoStep(CARRIER, "Received", lot, c.at(2, "14:20"), {
            "from": COOP, "location": cold_store, "temp_c": "1.6", **truck}),
        DemoStep(CARRIER, "Shipped", lot, c.at(2, "14:30"), {
            "to": PLATFORM, "to_location": "长沙市望城区 平台冷库 platform cold warehouse",
            "location": cold_store, "temp_c": "1.6", **truck}),
        DemoStep(PLATFORM, "Received", lot, c.at(1, "02:40"), {
            "from": CARRIER, "temp_c": "3.2",
            "location": "长沙市望城区 平台冷库 platform cold warehouse", **truck}),
    ]


# -- tea and oranges -----------------------------------------------------------------------

TEA_LOT = "TEA26-BJ-001"
LAB = "湘西州农产品质量安全检测中心 Xiangxi agri-product testing centre"


def _tea(c: Calendar) -> list[DemoStep]:
    residues = [
        {"analyte": "联苯菊酯 bifenthrin", "value": "0.02", "unit": "mg/kg", "limit": "5",
         "method_standard": "GB 23200.113-2018", "verdict": "pass"},
        {"analyte": "吡虫啉 imidacloprid", "value": "0.05", "unit": "mg/kg", "limit": "0.5",
         "method_standard": "GB/T 23379-2009", "verdict": "pass"},
    ]
    return [
        DemoStep(COOP, "Harvested", TEA_LOT, c.at(6, "10:30"), {
            "product": {"name": "保靖黄金茶 鲜叶 Baojing golden tea, fresh leaves",
                        "variety": "保靖黄金茶1号 Huangjincha No. 1"},
            "quantity": "180", "unit": "kg", "harvester": "彭金花",
            "origin": _origin("保靖县", "葫芦镇", "黄金村", base="有机茶园 organic tea garden"),
            "started": c.at(6, "06:00"), "ended": c.at(6, "10:30")}),
        DemoStep(COOP, "Certified", TEA_LOT, c.at(6, "12:00"), {
            "scheme": "organic", "number": "ORG-HN-2026-0417",
            "issuer": "湘认有机产品认证中心 Xiangren organic certification (demo)",
            "valid_from": c.at(180, "00:00"), "valid_until": c.at(-185, "23:59")}),
        DemoStep(INSPECTOR, "Inspected", TEA_LOT, c.at(4, "10:00"), {
            "kind": "lab", "verdict": "pass", "lab": LAB, "report": "XXJC-2026-T0912",
            "results": residues,
            "notes": "农药残留监督抽检，依据 GB 2763-2021 pesticide-residue sampling"}),
    ]


ORANGE_LOT = "OR26-MY-001"


def _oranges(c: Calendar) -> list[DemoStep]:
    return [
        DemoStep(COOP, "Harvested", ORANGE_LOT, c.at(8, "16:00"), {
            "product": {"name": "麻阳冰糖橙 Mayang rock-sugar orange", "variety": "冰糖橙"},
            "quantity": "2400", "unit": "kg", "harvester": "滕家旺",
            "origin": _origin("麻阳苗族自治县", "兰里镇", city="怀化市"),
            "started": c.at(8, "07:00"), "ended": c.at(8, "16:00")}),
        DemoStep(COOP, "Graded", ORANGE_LOT, c.at(7, "11:00"), {
            "standard": "NY/T 1190-2006 柑橘等级规格 citrus grades", "loss": "40",
            "outputs": [{"lot": "OR26-MY-A", "grade": "一级 Grade 1", "quantity": "1600"},
                        {"lot": "OR26-MY-B", "grade": "二级 Grade 2", "quantity": "760"}]}),
        # Packed and labelled for sale before the lab result came back: the recall below
        # reaches these boxes on the shelf through their parent lot.
        DemoStep(COOP, "Packed", "OR26-MY-A", c.at(6, "10:00"), {
            "packaging": "10 斤 纸箱 carton (5 kg)", "units": 320, "net_weight_per_unit": "5",
            "net_weight_unit": "kg", "gtin": ORANGE_GTIN, "grade": "一级 Grade 1",
            "serial_first": 1, "serial_last": 320, "best_before": c.at(-25, "00:00")}),
        DemoStep(INSPECTOR, "Inspected", "OR26-MY-A", c.at(3, "15:00"), {
            "kind": "lab", "verdict": "fail", "lab": LAB, "report": "XXJC-2026-C1107",
            "results": [{"analyte": "丙溴磷 profenofos", "value": "0.41", "unit": "mg/kg",
                         "limit": "0.2", "method_standard": "GB 23200.113-2018",
                         "verdict": "fail"}]}),
        DemoStep(INSPECTOR, "Recalled", ORANGE_LOT, c.at(2, "09:00"), {
            "reason": "抽检丙溴磷超标（0.41 mg/kg，限量 0.2 mg/kg），召回该批全部产品。"
                      "Profenofos above the limit; every lot from this harvest is recalled."}),
    ]


def demo_steps(seed_day: date) -> list[DemoStep]:
    """Every demo step, in the order it must be recorded, dated from ``seed_day``."""
    c = Calendar(seed_day)
    return [*_kiwi_harvests(c), *_kiwi_collection(c), *_kiwi_cold_chain(c), *_tea(c),
            *_oranges(c)]


DEMO_LOTS = (
    "KW26-SBD-H01", "KW26-SBD-H02", "KW26-SBD-H03", "KW26-SBD-C01", "KW26-SBD-G1",
    "KW26-SBD-G2", TEA_LOT, ORANGE_LOT, "OR26-MY-A", "OR26-MY-B",
)


FIRST_HARVEST = KIWI_HOUSEHOLDS[0][0]
FIRST_HARVEST_DAYS_BEFORE = 10  # the kiwifruit harvest, c.at(10, ...) above


def seed_day(ledger: Ledger, today: date | None = None) -> date:
    """The day the demo is dated from: read back from its first harvest when the ledger
    already holds one (so a later run completes the same story), else ``today`` (China time)."""
    history = ledger.history(f"lot/{FIRST_HARVEST}")
    if history:
        harvested = datetime.fromisoformat(history[0].record.time)
        return harvested.astimezone(CHINA).date() + timedelta(days=FIRST_HARVEST_DAYS_BEFORE)
    return today or datetime.now(CHINA).date()


def seed_demo(ledger: Ledger, today: date | None = None) -> list[str]:
    """Record whatever part of the demo data set is missing; returns the demo lot codes.

    A fresh ledger is dated from ``today`` (default: the current day in China)."""
    day = seed_day(ledger, today)
    for org in DEMO_ORGANISATIONS:
        if not ledger.history(f"org/{org.org_id}"):
            ledger.register_organisation(org.org_id, name=org.name, roles=org.roles,
                                         contact=org.contact, region=org.region)
    for step in demo_steps(day):
        if step.step == "Packed" and COOP_PREFIX not in ledger.organisation(COOP).registrations:
            # The cooperative registers its GS1 company prefix before it first packs under it.
            ledger.register_prefix(COOP, prefix=COOP_PREFIX)
        if not _already_recorded(ledger, step):
            ledger.record(step.org, step.step, step.data, lot=step.lot, time=step.time)
    if coop_settings(ledger.store.engine, COOP) == {"varieties": {}, "protective_prices": {}}:
        # The lists a newcomer's phone offers on the harvest and collection forms.
        save_coop_settings(ledger.store.engine, COOP, COOP_SETTINGS)
    return list(DEMO_LOTS)


def _already_recorded(ledger: Ledger, step: DemoStep) -> bool:
    """Steps that start lots are done when their first new lot exists; others when the lot
    holds a record of that type at that time (demo times are distinct within a seed day)."""
    if step.step == "Harvested" and step.lot:
        return _exists(ledger, step.lot)
    if step.step == "Collected":
        return _exists(ledger, step.data["into"])
    if step.step == "Graded":
        return _exists(ledger, step.data["outputs"][0]["lot"])
    moment = timestamp(step.time, "time")
    return any(signed.record.type == step.step and signed.record.time == moment
               for signed in ledger.history(f"lot/{step.lot}"))


def _exists(ledger: Ledger, lot: str) -> bool:
    return bool(ledger.history(f"lot/{lot}"))
