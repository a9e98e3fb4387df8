"""Judging claims against a derived state (``verify.judging``): the field rules, and the
precedence unknown > recalled > held > expired > mismatch > ok as a property."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from verify.freshness import parse_utc
from verify.judging import VERDICTS, Claims, judge

NOW = parse_utc("2026-12-01T00:00:00Z") or 0


def state(**overrides: Any) -> dict[str, Any]:
    """A packed kiwifruit lot as ``verify.state`` derives it (the keys judging reads)."""
    return {"lot": "KG1", "status": "active", "status_record": None, "status_reason": None,
            "flagged_ancestors": [], "product": {"name": "猕猴桃 kiwifruit", "variety": None,
                                                 "gtin": None},
            "grade": "一级 Grade 1", "gtin": "06901234567892",
            "packed": [{"record": "ab" * 32, "units": 40, "net_weight_per_unit": "5",
                        "net_weight_unit": "kg", "gtin": "06901234567892",
                        "best_before": "2027-06-01T00:00:00Z"}],
            "origin": {"province": "湖南省", "city": "湘西土家族苗族自治州", "county": "凤凰县",
                       "village": "西乡村"},
            "certificates": [{"scheme": "organic", "valid": True},
                             {"scheme": "green-food", "valid": False}], **overrides}


def test_claims_match_in_either_language_and_without_administrative_suffixes() -> None:
    claims = Claims(gtin="06901234567892", product="湘西 Kiwifruit 礼盒", grade="Grade 1",
                    origin={"province": "湖南", "county": "凤凰", "village": "西乡村"},
                    net_weight="10", net_weight_unit="jin", certificates=("organic",))
    assert judge(claims, state(), [], NOW) == {"verdict": "ok", "unknown": None,
                                               "status": None, "best_before": None,
                                               "mismatches": []}


def test_every_differing_claim_is_named_with_what_the_records_say() -> None:
    claims = Claims(product="苹果", grade="二级", origin={"county": "吉首"},
                    net_weight="2.5", net_weight_unit="kg",
                    certificates=("green-food", "organic"))
    found = judge(claims, state(), [], NOW)
    assert found["verdict"] == "mismatch"
    assert found["mismatches"] == [
        {"field": "product", "claimed": "苹果", "recorded": "猕猴桃 kiwifruit"},
        {"field": "origin.county", "claimed": "吉首", "recorded": "凤凰县"},
        {"field": "grade", "claimed": "二级", "recorded": "一级 Grade 1"},
        {"field": "net_weight", "claimed": "2.5 kg", "recorded": "5 kg"},
        {"field": "certificates", "claimed": "green-food", "recorded": ["organic"]}]


def test_a_gtin_or_serial_the_lot_never_had_is_unknown() -> None:
    assert "not registered under GTIN" in judge(
        Claims(gtin="06901234000016"), state(), [], NOW)["unknown"]
    assert "serial 41" in judge(Claims(serial="41"), state(), [(1, 40)], NOW)["unknown"]
    assert judge(Claims(serial="40"), state(), [(1, 40)], NOW)["verdict"] == "ok"
    assert judge(Claims(serial="007"), state(), [(1, 40)], NOW)["verdict"] == "unknown"


FLAGS = st.fixed_dictionaries({
    "gtin": st.booleans(), "recalled": st.sampled_from([None, "own", "ancestor"]),
    "held": st.sampled_from([None, "own", "ancestor"]), "expired": st.booleans(),
    "mismatch": st.booleans()})


@given(FLAGS)
def test_the_first_verdict_in_precedence_order_wins(flags: dict[str, Any]) -> None:
    flagged, own = [], "active"
    for word in ("held", "recalled"):  # an own recall is the status; holds may be upstream
        if flags[word] == "own":
            own = word
        elif flags[word] == "ancestor":
            flagged.append({"lot": f"X-{word}", "status": word, "record": "cd" * 32,
                            "reason": "r"})
    lot = state(status=own, status_record="ef" * 32 if own != "active" else None,
                flagged_ancestors=flagged)
    claims = Claims(gtin="06901234000016" if flags["gtin"] else "06901234567892",
                    grade="特级" if flags["mismatch"] else "一级")
    moment = parse_utc("2027-07-01T00:00:00Z" if flags["expired"] else
                       "2026-12-01T00:00:00Z") or 0
    expected = next(verdict for verdict, applies in zip(VERDICTS, (
        flags["gtin"], flags["recalled"] is not None, flags["held"] is not None,
        flags["expired"], flags["mismatch"], True), strict=True) if applies)
    assert judge(claims, lot, [], moment)["verdict"] == expected
