"""What a lot's records say once corrected, and the rules a correction is held to.

The meaning of a correction (docs/records.md, Corrections): it names an earlier record of its
chain, or a correction of it, which resolves to the original; the values of every correction
of an original merge into its data in chain order, the later winning, null withdrawing. The
lot's state is derived from that effective data, and stays so when the lot is read back from
the store by a process that never saw it recorded (SQLite and PostgreSQL).
"""

from __future__ import annotations

from typing import Any

import pytest

from ledger.application import Ledger
from ledger.config import Settings
from ledger.domain.corrections import History
from ledger.domain.lot import Lot
from ledger.domain.organisation import Actor
from ledger.errors import InvalidInput, RuleBroken
from ledger.recording.records import build_record
from tests.journeys import COOP, INSPECTOR, grade, handle, harvest, register_parties
from verify.records import ZERO_HASH, Record

PACKED = {"packaging": "5 kg 礼盒", "units": 20, "net_weight_per_unit": "5",
          "net_weight_unit": "kg", "gtin": "06901234567892"}
NOW = "2026-09-12T00:00:00.000Z"


def _record(chain: str, seq: int, prev: bytes, step: str, data: dict[str, Any],
            org: str = COOP) -> Record:
    return build_record(chain=chain, seq=seq, prev=prev, links=(), step=step, data=data,
                        org=org, key="k", time="2026-09-11T00:00:00Z", recorded=NOW)


def _chain(*steps: tuple[str, dict[str, Any]]) -> list[Record]:
    records: list[Record] = []
    for step, data in steps:
        prev = records[-1].hash if records else ZERO_HASH
        records.append(_record("lot/L1", len(records), prev, step, data))
    return records


HARVEST = {"product": {"name": "猕猴桃"}, "quantity": "100", "unit": "kg",
           "origin": {"province": "湖南省", "city": "湘西州", "county": "花垣县"},
           "started": "2026-09-10T00:00:00Z", "ended": "2026-09-10T04:00:00Z",
           "harvester": {"commitment": "ab" * 32}}


def test_corrections_resolve_to_the_original_and_the_later_value_wins() -> None:
    harvested, = _chain(("Harvested", HARVEST))
    history = History.of([harvested])
    first = _record("lot/L1", 1, harvested.hash, "Corrected", {
        "corrects": harvested.hash_hex, "reason": "a",
        "values": {"quantity": "90", "harvester": None}})
    history.add(first)
    second = _record("lot/L1", 2, first.hash, "Corrected", {
        "corrects": first.hash_hex, "reason": "b", "values": {"quantity": "95"}})
    correction = history.add(second)
    assert correction is not None
    assert correction.original == harvested.hash_hex
    assert correction.corrects == first.hash_hex
    assert [(c.field, c.before, c.after) for c in correction.changes] == [("quantity", "90",
                                                                            "95")]
    effective = history.data(harvested)
    assert effective["quantity"] == "95"
    assert "harvester" not in effective
    assert effective["origin"] == HARVEST["origin"]
    assert harvested.data == HARVEST  # nothing is edited
    # A correction naming nothing of the chain changes nothing.
    stray = _record("lot/L1", 3, second.hash, "Corrected", {
        "corrects": "cd" * 32, "reason": "c", "values": {"quantity": "1"}})
    assert history.add(stray) is None
    assert history.data(harvested)["quantity"] == "95"


def test_copies_of_a_history_share_what_they_have_in_common() -> None:
    harvested, stored = _chain(("Harvested", HARVEST), ("Stored", {
        "facility": "冷库", "started": "2026-09-10T05:00:00Z"}))
    history = History.of([harvested])
    kept = history.__copy__()
    history.add(stored)
    assert len(kept) == 1
    assert kept.find(stored.hash_hex) is None
    other = _record("lot/L1", 1, harvested.hash, "Stored", {"facility": "另一冷库",
                                                            "started": "2026-09-10T05:00:00Z"})
    kept.add(other)  # diverges from the shared list: takes its own
    assert [r.hash for r in kept.records] == [harvested.hash, other.hash]
    assert [r.hash for r in history.records] == [harvested.hash, stored.hash]


def test_a_lot_recorded_before_the_rules_is_derived_as_it_says() -> None:
    """Records written before a rule existed are facts: the state follows them, and only a
    record that makes things worse is refused."""
    harvested, packed = _chain(("Harvested", HARVEST), ("Packed", {**PACKED, "units": 30}))
    lot: Lot = Lot.begin(harvested, b"")
    lot.extend(packed, b"")  # 150 kg packed of 100 kg, as an old store may hold
    assert (lot.packed, lot.excess) == (150, 50)
    actor = Actor(COOP, frozenset({"cooperative"}))
    stored = _record("lot/L1", 2, packed.hash, "Stored", {
        "facility": "冷库", "started": "2026-09-10T05:00:00Z"})
    lot.check(stored, actor)  # no worse
    more = _record("lot/L1", 2, packed.hash, "Packed", {**PACKED, "units": 1})
    with pytest.raises(RuleBroken, match="150 kg packed"):
        lot.check(more, actor)


def test_the_corrected_state_is_read_back_from_the_store(ledger: Ledger,
                                                         settings: Settings) -> None:
    register_parties(ledger)
    harvest(ledger, "KH0", quantity="300")
    first = ledger.lot_history("KH0")[0].record.hash_hex
    handle(ledger, COOP, "KH0", "Corrected", {
        "corrects": first, "reason": "产地录入错误", "values": {
            "origin": {"province": "湖南省", "city": "湘西土家族苗族自治州", "county": "花垣县"},
            "quantity": "310"}})
    handle(ledger, INSPECTOR, "KH0", "Corrected", {
        "corrects": ledger.lot_history("KH0")[1].record.hash_hex, "reason": "复称",
        "values": {"quantity": "305"}})
    grade(ledger, "KH0", {"KG1": ("一级", "200"), "KG2": ("二级", "100")}, loss="5")
    fresh = Ledger(settings)  # another process: no cached aggregate
    try:
        lot = fresh.lot("KH0")
        assert (lot.quantity, lot.origin["county"], lot.status) == (305, "花垣县", "consumed")
        assert [c.fields for c in lot.history.corrections] == [["origin", "quantity"],
                                                               ["quantity"]]
        assert fresh.lot("KG1").origin["county"] == "花垣县"  # graded from the corrected lot
        # Graded now: its quantity is what its grades and loss add up to.
        with pytest.raises(RuleBroken, match="grades and loss") as refused:
            handle(fresh, COOP, "KH0", "Corrected", {
                "corrects": first, "reason": "x", "values": {"quantity": "320"}})
        assert refused.value.rule == "grading-adds-up"
        with pytest.raises(InvalidInput, match="recorded in kg") as unit:
            handle(fresh, COOP, "KH0", "Corrected", {
                "corrects": first, "reason": "x", "values": {"unit": "jin"}})
        assert unit.value.rule == "correction-fixed"
        assert len(fresh.lot_history("KH0")) == 4
    finally:
        fresh.close()


def test_a_harvest_corrected_to_end_before_it_started_is_refused(ledger: Ledger) -> None:
    register_parties(ledger)
    harvest(ledger, "KH0")
    first = ledger.lot_history("KH0")[0].record.hash_hex
    with pytest.raises(InvalidInput, match="must not be after") as refused:
        handle(ledger, COOP, "KH0", "Corrected", {
            "corrects": first, "reason": "x", "values": {"started": "2026-09-10T12:00:00+08:00"}})
    assert refused.value.field == "data.values.started"
