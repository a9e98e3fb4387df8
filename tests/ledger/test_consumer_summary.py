"""The public summary of a lot (``ledger.consumer``): what a consumer sees, built from the
lot's and its ancestors' records, with households counted but never named. SQLite and
PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from ledger.application import Ledger
from ledger.consumer import SummaryCache, public_summary
from ledger.coopsettings import coop_settings, save_coop_settings
from ledger.demo import DEMO_LOTS, ORANGE_LOT, seed_day, seed_demo
from ledger.labels import packed_lot_links
from tests.journeys import COOP, INSPECTOR, handle, harvest, kiwi_journey, register_parties

PRIVATE = ("石光明", "龙秀英", "施成林", "SBD-017", "SBD-023", "SBD-041", "彭金花", "滕家旺")


def test_the_packed_kiwifruit_from_three_households(ledger: Ledger) -> None:
    seed_demo(ledger)
    summary = public_summary(ledger, "KW26-SBD-G1")
    assert (summary.product_name, summary.grade) == ("猕猴桃 kiwifruit", "一级 Grade 1")
    assert summary.origin["village"] == "十八洞村"
    assert summary.producer.name.startswith("湘西十八洞山货农产品专业合作社联合社")
    assert summary.custodian.id == "platform-wh-changsha"
    assert summary.lots == ("KW26-SBD-G1", "KW26-SBD-C01", "KW26-SBD-H01", "KW26-SBD-H02",
                            "KW26-SBD-H03")
    households = summary.households
    assert households is not None
    assert (households.count, households.registered) == (3, 2)
    assert households.all_at_or_above_protective_price
    assert (households.protective_price_per_kg, households.lowest_price_per_kg) == (
        "6.00", "6.20")
    # The timeline runs from the three harvests to the platform's receipt, in time order.
    steps = [event.type for event in summary.timeline]
    assert steps[:3] == ["Harvested"] * 3
    assert steps[-1] == "Received"
    assert [e.time for e in summary.timeline] == sorted(e.time for e in summary.timeline)
    assert {e.lot for e in summary.timeline if not e.own} == set(summary.lots[1:])
    packing = summary.packing
    assert packing is not None
    assert (packing.serial_first, packing.serial_last, packing.units) == (1, 300, 300)
    certificate = summary.compliance_certificate()
    assert certificate is not None
    assert certificate.number == "HN-HY-2026-091601"


def test_the_cold_chain_marks_the_one_excursion(ledger: Ledger) -> None:
    seed_demo(ledger)
    cold = public_summary(ledger, "KW26-SBD-G1").cold_chain
    assert cold.excursions == 1
    (excursion,) = [reading for reading in cold.readings if reading.excursion]
    assert (excursion.temp_c, excursion.step) == ("5.6", "Stored")
    assert [(band.min_c, band.max_c) for band in cold.bands] == [("0", "4")]
    steps = [reading.step for reading in cold.readings]
    assert steps.count("PreCooled") == 4
    assert steps.count("Stored") == 15
    assert steps[-4:] == ["Shipped", "Received", "Shipped", "Received"]
    assert [r.at for r in cold.readings] == sorted(r.at for r in cold.readings)
    # The pre-cooling curve starts warm on purpose: it is never an excursion.
    assert not any(r.excursion for r in cold.readings if r.step == "PreCooled")


def test_a_recall_of_the_harvest_reaches_every_grade_lot(ledger: Ledger) -> None:
    seed_demo(ledger)
    for lot in (ORANGE_LOT, "OR26-MY-A", "OR26-MY-B"):
        summary = public_summary(ledger, lot)
        assert summary.status == "recalled"
        (alert,) = summary.alerts  # the order, once: its cascades say nothing new
        assert (alert.kind, alert.lot, alert.own) == ("recalled", ORANGE_LOT, lot == ORANGE_LOT)
        assert "丙溴磷" in alert.reason
    graded = public_summary(ledger, "OR26-MY-A")
    (inspection,) = graded.inspections
    assert inspection.verdict == "fail"
    assert inspection.results[0].analyte == "丙溴磷 profenofos"
    assert Decimal(inspection.results[0].value) > Decimal(inspection.results[0].limit or 0)


def test_a_hold_on_an_ancestor_shows_until_it_is_released(ledger: Ledger) -> None:
    kiwi_journey(ledger)
    assert public_summary(ledger, "KG1").status == "active"
    handle(ledger, INSPECTOR, "KC1", "Held", {"reason": "待检 awaiting residue results"})
    held = public_summary(ledger, "KG1")
    assert held.status == "held"
    assert [(a.kind, a.lot, a.own) for a in held.alerts] == [("held", "KC1", False)]
    handle(ledger, INSPECTOR, "KC1", "Released", {"reason": "合格 results passed"})
    released = public_summary(ledger, "KG1")
    assert released.status == "active"
    assert released.alerts == ()
    assert [e.type for e in released.timeline][-2:] == ["Held", "Released"]


def test_purchases_below_the_protective_price_are_counted(ledger: Ledger) -> None:
    register_parties(ledger)
    harvest(ledger, "LH1", household="HH-1")
    harvest(ledger, "LH2", household="HH-2")
    ledger.record(COOP, "Collected", {
        "into": "LC1", "collection_point": "田头",
        "purchases": [
            {"lot": "LH1", "quantity": "100", "price_per_kg": "6.50",
             "protective_price_per_kg": "6.00", "household": "HH-1",
             "registered_poor_household": True},
            {"lot": "LH2", "quantity": "100", "price_per_kg": "5.10",
             "protective_price_per_kg": "6.00", "household": "HH-2"}]},
        time="2026-09-10T14:00:00+08:00")
    households = public_summary(ledger, "LC1").households
    assert households is not None
    assert (households.count, households.registered) == (2, 1)
    assert households.at_or_above_protective_price == 1
    assert not households.all_at_or_above_protective_price
    assert households.lowest_price_per_kg == "5.10"


def test_transit_temperatures_are_judged_against_the_storage_range(ledger: Ledger) -> None:
    kiwi_journey(ledger)
    cold = public_summary(ledger, "KG1").cold_chain
    assert [(r.temp_c, r.excursion) for r in cold.readings if r.step == "Stored"] == [
        ("1.5", False), ("6.2", True), ("2", False)]
    assert [(r.step, r.excursion) for r in cold.readings][-1] == ("Received", False)
    assert cold.excursions == 1


def test_a_storage_summary_outside_its_range_counts_without_readings(ledger: Ledger) -> None:
    register_parties(ledger)
    harvest(ledger, "SH1")
    handle(ledger, COOP, "SH1", "Stored", {
        "facility": "冷库", "started": "2026-09-10T12:00:00+08:00",
        "ended": "2026-09-11T12:00:00+08:00", "target_min_c": "0", "target_max_c": "4",
        "min_c": "1", "max_c": "7.5", "mean_c": "3"})
    cold = public_summary(ledger, "SH1").cold_chain
    assert (cold.readings, cold.excursions) == ((), 1)


def test_no_private_value_or_commitment_reaches_the_summary(ledger: Ledger) -> None:
    seed_demo(ledger)
    for lot in ("KW26-SBD-G1", "KW26-SBD-H01", "KW26-SBD-C01", "TEA26-BJ-001", ORANGE_LOT):
        text = json.dumps(public_summary(ledger, lot).to_json(), ensure_ascii=False)
        assert not any(value in text for value in PRIVATE)
        assert '"commitment"' not in text
        for record in (signed.record for signed in ledger.lot_history(lot)):
            for commitment in _commitments(json.dumps(record.data)):
                assert commitment not in text
        assert "latitude" not in text
        assert "plot" not in text


def _commitments(text: str) -> list[str]:
    marker = '"commitment": "'
    return [part[:64] for part in text.split(marker)[1:]]


def test_the_cache_is_reused_until_a_record_is_added(ledger: Ledger) -> None:
    kiwi_journey(ledger)
    cache = SummaryCache(ledger, size=2)
    first = cache.summary("KG1")
    assert cache.summary("KG1") is first
    harvest(ledger, "KX1", day=11)  # a record of another lot
    second = cache.summary("KG1")
    assert second is not first
    assert second == first
    handle(ledger, INSPECTOR, "KG1", "Inspected", {"kind": "visual", "verdict": "pass"})
    assert cache.summary("KG1").inspections[-1].kind == "visual"
    cache.summary("KG2")
    cache.summary("KC1")  # beyond its size, the least recently used goes
    assert len(cache) == 2


def test_the_demo_names_the_digital_link_of_each_packed_lot(ledger: Ledger) -> None:
    seed_demo(ledger)
    assert packed_lot_links(ledger, DEMO_LOTS, "https://trace.example.cn") == [
        ("KW26-SBD-G1", "https://trace.example.cn/01/16941234000125/10/KW26-SBD-G1"),
        ("OR26-MY-A", "https://trace.example.cn/01/16941234000293/10/OR26-MY-A")]


def test_the_demo_is_fresh_on_the_day_it_is_seeded(ledger: Ledger) -> None:
    seed_demo(ledger)
    now = datetime.now(UTC)
    times = [datetime.fromisoformat(s.record.time) for s in ledger.lot_history("KW26-SBD-H01")]
    assert now - timedelta(days=11) < times[0] < now - timedelta(days=9)  # harvested lately
    kiwi = public_summary(ledger, "KW26-SBD-G1").packing
    assert kiwi is not None
    assert datetime.fromisoformat(kiwi.best_before) > now + timedelta(days=30)


def test_a_later_run_completes_the_same_story(ledger: Ledger) -> None:
    # Seeded on one day, interrupted before the oranges; run again weeks later.
    seeded = seed_demo(ledger, today=date(2026, 6, 1))
    assert seed_day(ledger) == date(2026, 6, 1)
    size = ledger.store.max_notification_id()
    assert seed_demo(ledger, today=date(2026, 7, 1)) == seeded
    assert ledger.store.max_notification_id() == size  # nothing added: same days, same facts
    received = ledger.lot_history("KW26-SBD-G1")[-1].record
    assert (received.type, received.time) == ("Received", "2026-05-30T18:40:00Z")


def test_the_demo_cooperative_keeps_its_varieties_and_protective_price(ledger: Ledger) -> None:
    seed_demo(ledger)
    kept = coop_settings(ledger.store.engine, "coop-xiangxi")
    assert kept["protective_prices"] == {"猕猴桃 kiwifruit": "6"}  # kept normalised
    assert kept["varieties"]["猕猴桃 kiwifruit"][0] == "红心猕猴桃 红阳 Hongyang red-flesh"
    save_coop_settings(ledger.store.engine, "coop-xiangxi", {
        "varieties": {"猕猴桃 kiwifruit": ["翠香 Cuixiang"]}, "protective_prices": {}})
    seed_demo(ledger)  # a later run leaves the lists the cooperative changed as they are
    assert coop_settings(ledger.store.engine, "coop-xiangxi") == {
        "varieties": {"猕猴桃 kiwifruit": ["翠香 Cuixiang"]}, "protective_prices": {}}
