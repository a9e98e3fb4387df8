"""``verify.state.derive_state`` on record histories written out by hand: random sequences of
holds, releases, recalls, corrections and collections against a reference model, and records
whose data no ledger would write (the verifier trusts signatures, not shapes), which must
never make it fail or guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from verify.canonical import canonical_bytes
from verify.freshness import AsOf
from verify.records import ZERO_HASH, Record
from verify.state import derive_state

AS_OF = AsOf("agritrace.test/state", 10)
HARVEST = {"product": {"name": "猕猴桃", "variety": "红阳"}, "quantity": "100", "unit": "kg",
           "origin": {"province": "湖南省", "city": "湘西州", "county": "凤凰县"},
           "started": "2026-09-10T00:00:00Z", "ended": "2026-09-10T03:00:00Z"}


@dataclass
class History:
    """Records of several chains in log order, built by hand (unsigned: the state is derived
    from records already verified)."""

    records: list[Record] = field(default_factory=list)

    def add(self, lot: str, step: str, data: dict[str, Any], *, org: str = "coop",
            links: tuple[Record, ...] = (), time: str = "2026-09-10T04:00:00Z") -> Record:
        chain = [r for r in self.records if r.chain == f"lot/{lot}"]
        record = Record.from_bytes(canonical_bytes({
            "v": 1, "chain": f"lot/{lot}", "seq": len(chain),
            "prev": (chain[-1].hash if chain else ZERO_HASH).hex(),
            "links": [parent.hash_hex for parent in links], "type": step, "data": data,
            "org": org, "key": "0" * 16, "time": time,
            "recorded": time.replace("Z", ".000Z")}))
        self.records.append(record)
        return record

    def state(self, lot: str = "H1", as_of: AsOf = AS_OF) -> dict[str, Any]:
        return derive_state(self.records, lot, as_of)


# -- random histories against a reference model ---------------------------------------------

QUANTITIES = st.decimals(min_value=Decimal("0.5"), max_value=Decimal(200), places=1).map(
    lambda d: format(d.normalize(), "f"))
STEP = st.one_of(
    st.tuples(st.sampled_from(["Held", "Released", "Recalled"]), st.none(), st.none()),
    st.tuples(st.just("Corrected"), QUANTITIES, st.integers(min_value=0, max_value=50)),
    st.tuples(st.just("Collected"), QUANTITIES, st.none()),
)


def reference(steps: list[tuple[str, Any, Any]], records: list[Record]
              ) -> tuple[str, str, str | None]:
    """Status, quantity and status record, by the rule as docs/state.md states it."""
    quantity, taken = "100", Decimal(0)
    recall = hold = last_collected = None
    for (step, value, _), record in zip(steps, records[1:], strict=True):
        if step == "Recalled" and recall is None:
            recall = record
        elif step in ("Held", "Released"):
            hold = record
        elif step == "Corrected":
            quantity = value  # every correction resolves to the harvest
        elif step == "Collected":
            taken += Decimal(value)
            last_collected = record
    if recall is not None:
        return "recalled", quantity, recall.hash_hex
    if hold is not None and hold.type == "Held":
        return "held", quantity, hold.hash_hex
    if last_collected is not None and taken >= Decimal(quantity):
        return "consumed", quantity, last_collected.hash_hex
    if hold is not None:
        return "released", quantity, hold.hash_hex
    return "active", quantity, None


@settings(max_examples=300, deadline=None)
@given(st.lists(STEP, max_size=25))
def test_status_and_quantity_follow_the_reference_model(
        steps: list[tuple[str, Any, Any]]) -> None:
    history = History()
    harvest = history.add("H1", "Harvested", HARVEST)
    corrections = [harvest]
    for step, value, pick in steps:
        if step == "Corrected":
            # Correct the harvest or any earlier correction of it: both resolve to the harvest.
            target = corrections[pick % len(corrections)]
            corrections.append(history.add("H1", "Corrected", {
                "corrects": target.hash_hex, "reason": "复称", "values": {"quantity": value}}))
        elif step == "Collected":
            history.add("H1", "Collected", {"into": "C1", "collection_point": "田头",
                                             "quantity": value})
        else:
            history.add("H1", step, {"reason": f"{step} {len(history.records)}"},
                        org="inspector")
    state = history.state()
    status, quantity, record = reference(steps, history.records)
    assert (state["status"], state["quantity"], state["status_record"]) == (
        status, quantity, record)
    assert len(state["corrections"]) == len(corrections) - 1
    assert all(c["original"] == harvest.hash_hex for c in state["corrections"])


# -- corrections ---------------------------------------------------------------------------

def test_later_corrections_win_field_by_field() -> None:
    history = History()
    harvest = history.add("H1", "Harvested", HARVEST)
    first = history.add("H1", "Corrected", {"corrects": harvest.hash_hex, "reason": "a",
                                             "values": {"quantity": "90", "unit": "jin"}})
    history.add("H1", "Corrected", {"corrects": first.hash_hex, "reason": "b",
                                     "values": {"quantity": "95"}})
    state = history.state()
    assert (state["quantity"], state["unit"]) == ("95", "jin")
    assert [c["fields"] for c in state["corrections"]] == [["quantity", "unit"], ["quantity"]]


def test_a_correction_withdrawing_an_end_date_makes_a_certificate_open_ended() -> None:
    history = History()
    history.add("H1", "Harvested", HARVEST)
    certified = history.add("H1", "Certified", {
        "scheme": "organic", "number": "O-1", "issuer": "认证中心",
        "valid_from": "2026-01-01T00:00:00Z", "valid_until": "2026-06-30T00:00:00Z"})
    late = AsOf("log", 10, time=1_790_000_000)  # 2026-09-21
    assert [c["valid"] for c in history.state(as_of=late)["certificates"]] == [False]
    history.add("H1", "Corrected", {"corrects": certified.hash_hex, "reason": "续期",
                                     "values": {"valid_until": None}})
    [certificate] = history.state(as_of=late)["certificates"]
    assert (certificate["valid_until"], certificate["valid"]) == (None, True)


def test_corrections_that_name_no_earlier_record_of_the_chain_are_not_applied() -> None:
    history = History()
    other = history.add("H2", "Harvested", HARVEST)
    history.add("H1", "Harvested", HARVEST)
    for named in (other.hash_hex, "ab" * 32, "AB" * 32, 7, None):
        history.add("H1", "Corrected", {"corrects": named, "reason": "x",
                                         "values": {"quantity": "1"}})
    latest = history.records[-1]
    history.add("H1", "Corrected", {"corrects": latest.hash_hex, "reason": "names a "
                                     "correction that leads nowhere", "values": {"quantity": "2"}})
    history.add("H1", "Corrected", {"corrects": history.records[1].hash_hex, "reason": "x",
                                     "values": ["quantity", "3"]})
    state = history.state()
    assert (state["quantity"], state["corrections"]) == ("100", [])


# -- data no ledger writes --------------------------------------------------------------------

def test_wrongly_typed_values_count_as_absent() -> None:
    history = History()
    history.add("H1", "Harvested", {"product": "猕猴桃", "quantity": 100, "unit": ["kg"],
                                     "origin": "湖南"})
    history.add("H1", "Stored", {"facility": "库", "target_min_c": 0, "target_max_c": "4",
                                  "readings": [{"at": 5, "temp_c": "9"}, "6", {"temp_c": 9},
                                               {"at": "2026-09-11T00:00:00Z", "temp_c": "4e1"}]})
    history.add("H1", "Packed", {"units": True, "net_weight_per_unit": 5, "gtin": None})
    history.add("H1", "Certified", {"scheme": "organic", "valid_from": "2026-02-30T00:00:00Z"})
    history.add("H1", "Inspected", {"kind": "lab", "verdict": "fail", "results": "bad"})
    history.add("H1", "Collected", {"into": "C1", "quantity": "100"})
    state = history.state()
    assert state["product"] == {"name": None, "variety": None, "gtin": None}
    assert (state["quantity"], state["unit"], state["origin"]) == (None, None, None)
    # Only the reading with a decimal temperature is judged; its time is not a text.
    assert state["excursions"] == [{"record": history.records[1].hash_hex, "at": None,
                                    "temp_c": "9", "target_min_c": None, "target_max_c": "4"}]
    assert state["packed"][0]["units"] is None
    assert state["certificates"][0]["valid"] is False  # no 30th of February
    assert state["inspections"][0]["results"] == []
    assert state["status"] == "active"  # a quantity that is no decimal is never used up


def test_the_state_shares_nothing_with_the_records() -> None:
    history = History()
    history.add("H1", "Harvested", HARVEST)
    history.add("H1", "Inspected", {"kind": "lab", "verdict": "pass",
                                     "results": [{"analyte": "x", "value": "1"}]})
    state = history.state()
    state["origin"]["province"] = "changed"
    state["inspections"][0]["results"][0]["value"] = "changed"
    again = history.state()
    assert again["origin"]["province"] == "湖南省"
    assert again["inspections"][0]["results"][0]["value"] == "1"


def test_decimals_compare_as_numbers_not_texts() -> None:
    history = History()
    history.add("H1", "Harvested", {**HARVEST, "quantity": "9.5"})
    history.add("H1", "Stored", {"facility": "库", "target_min_c": "-1.5", "target_max_c": "10",
                                  "readings": [{"at": "2026-09-11T00:00:00Z", "temp_c": "9.5"},
                                               {"at": "2026-09-11T01:00:00Z", "temp_c": "-2"},
                                               {"at": "2026-09-11T02:00:00Z", "temp_c": "10"},
                                               {"at": "2026-09-11T03:00:00Z", "temp_c": "-1.5"}]})
    history.add("H1", "Collected", {"into": "C1", "quantity": "10"})
    state = history.state()
    assert [e["temp_c"] for e in state["excursions"]] == ["-2"]  # bounds are in range
    assert state["status"] == "consumed"  # 10 >= 9.5, though "10" < "9.5" as texts


def test_shipments_are_judged_against_the_latest_store_of_their_own_lot() -> None:
    history = History()
    harvest = history.add("H1", "Harvested", HARVEST)
    history.add("H1", "Shipped", {"to": "x", "temp_c": "30"})  # no store yet: not judged
    history.add("H1", "Stored", {"facility": "a", "target_min_c": "0", "target_max_c": "4",
                                  "min_c": "-1", "max_c": "5"})
    history.add("H1", "Stored", {"facility": "b", "target_max_c": "8"})
    received = history.add("H1", "Received", {"from": "x", "temp_c": "9"})
    history.add("H1", "PreCooled", {"readings": [{"at": "2026-09-10T04:00:00Z",
                                                   "temp_c": "25"}]})
    state = history.state()
    # The first store gave only its extremes, both outside; the receipt is judged by the
    # second store's range, which has no minimum.
    assert [(e["temp_c"], e["at"], e["target_min_c"], e["target_max_c"])
            for e in state["excursions"]] == [
        ("-1", None, "0", "4"), ("5", None, "0", "4"), ("9", received.time, None, "8")]
    assert harvest.hash_hex not in {e["record"] for e in state["excursions"]}


def registration(org: str, roles: list[str]) -> Record:
    """An organisation chain's first record, as a bundle carries it for every signer."""
    return Record.from_bytes(canonical_bytes({
        "v": 1, "chain": f"org/{org}", "seq": 0, "prev": ZERO_HASH.hex(), "links": [],
        "type": "OrganisationRegistered",
        "data": {"name": org, "roles": roles, "public_key": "A" * 43 + "="},
        "org": org, "key": "0" * 16, "time": "2026-09-01T00:00:00Z",
        "recorded": "2026-09-01T00:00:00.000Z"}))


def test_only_the_recording_organisation_or_an_inspector_corrects_a_record() -> None:
    history = History([registration("market", ["platform"]),
                       registration("amr", ["inspector"])])
    harvest = history.add("H1", "Harvested", HARVEST)
    history.add("H1", "Corrected", {"corrects": harvest.hash_hex, "reason": "改大",
                                     "values": {"quantity": "900"}}, org="market")
    assert history.state()["quantity"] == "100"  # another organisation's word is not applied
    assert history.state()["corrections"] == []
    history.add("H1", "Corrected", {"corrects": harvest.hash_hex, "reason": "复称",
                                     "values": {"quantity": "90"}}, org="amr")
    assert history.state()["quantity"] == "90"
    assert [c["fields"] for c in history.state()["corrections"]] == [["quantity"]]


def test_a_lot_released_and_then_graded_is_used_up() -> None:
    history = History()
    history.add("H1", "Harvested", HARVEST)
    history.add("H1", "Held", {"reason": "待检"}, org="amr")
    history.add("H1", "Released", {"reason": "合格"}, org="amr")
    graded = history.add("H1", "Graded", {"standard": "NY/T 1794", "outputs": [
        {"lot": "G1", "grade": "一级", "quantity": "100"}]})
    state = history.state()
    assert (state["status"], state["status_record"]) == ("consumed", graded.hash_hex)
