"""The one server path to a lot's verified state, and verdicts on listings, on SQLite and
PostgreSQL; the lot search's start times compared in time order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ledger.application import Ledger
from ledger.errors import AuditFailed, ContentTooLarge, InvalidInput, LotNotFound
from ledger.log import TransparencyLog, load_log_key
from ledger.persistence.projections import LotQuery
from ledger.platform.listings import MAX_LISTINGS, Listing, listings_from_csv, listings_from_json
from ledger.platform.verdictkey import VerdictKey, publish_verdict_key
from ledger.platform.verdicts import Verdicts
from ledger.verified import verified_lot
from tests.journeys import COOP, KIWI, ORIGIN, register_parties
from tests.ledger.test_tamper import Store
from tests.platform_journeys import GTIN, listing, packed_kiwifruit, recall
from verify.freshness import parse_utc
from verify.notes import Signer


@pytest.fixture
def log(ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TransparencyLog:
    monkeypatch.delenv("AGRITRACE_LOG_KEY", raising=False)
    monkeypatch.setenv("AGRITRACE_LOG_KEY_FILE", str(tmp_path / "log-key"))
    return TransparencyLog(ledger.store, load_log_key(ledger.settings))


@pytest.fixture
def verdicts(ledger: Ledger, log: TransparencyLog) -> Verdicts:
    register_parties(ledger)
    packed_kiwifruit(ledger)
    return Verdicts(ledger, log, VerdictKey(Signer.generate("agritrace.test/verdicts")))


def test_verified_lot_is_the_verified_bundle_and_cached_per_checkpoint(
        verdicts: Verdicts) -> None:
    ledger, log = verdicts.ledger, verdicts.log
    first = verified_lot(ledger, log, "KG1")
    assert first.state["grade"] == "一级"
    assert first.result.complete
    assert first.serials == ((1, 40),)
    # The same checkpoint: the same object, from the cache.
    assert verified_lot(ledger, log, "KG1") is first
    # A recall upstream: the lot's own chain grows, so the next answer is at a new checkpoint.
    recall(ledger, "KC1")
    after = verified_lot(ledger, log, "KG1")
    assert after.size > first.size
    assert after.state["status"] == "recalled"
    assert verified_lot(ledger, log, "KG1", cached=False).digest == after.digest
    with pytest.raises(LotNotFound):
        verified_lot(ledger, log, "NOPE1")


def test_expired_is_judged_at_the_moment_the_verdict_is_issued(verdicts: Verdicts) -> None:
    parsed = listings_from_json({"listings": [listing("a"), listing("b", grade="二级")]})
    before = verdicts.judge_listings(parsed, now=parse_utc("2027-05-31T00:00:00Z"))
    assert [item["verdict"] for item in before["listings"]] == ["ok", "mismatch"]
    after = verdicts.judge_listings(parsed, now=parse_utc("2027-06-02T00:00:00Z"))
    # Past best-before outranks the mismatch, which is still listed.
    assert [item["verdict"] for item in after["listings"]] == ["expired", "expired"]
    assert after["listings"][1]["mismatches"][0]["field"] == "grade"


def test_the_verdict_key_is_registered_once(verdicts: Verdicts) -> None:
    assert publish_verdict_key(verdicts.ledger, verdicts.key)
    assert not publish_verdict_key(verdicts.ledger, verdicts.key)
    org = verdicts.ledger.organisation(verdicts.key.org)
    assert org.org_id.startswith("verdicts-")


def test_start_times_compare_in_time_order_to_the_millisecond(ledger: Ledger) -> None:
    register_parties(ledger)
    ledger.record(COOP, "Harvested", {
        "product": KIWI, "quantity": "10", "unit": "kg", "origin": ORIGIN,
        "started": "2026-09-10T04:00:00Z", "ended": "2026-09-10T05:00:00.500Z"}, lot="MS1")
    ledger.record(COOP, "Harvested", {
        "product": KIWI, "quantity": "10", "unit": "kg", "origin": ORIGIN,
        "started": "2026-09-10T04:00:00Z", "ended": "2026-09-10T05:00:00Z"}, lot="S1")

    def codes(**query: str) -> set[str]:
        return {row["code"] for row in ledger.search_lots(LotQuery(**query))}  # type: ignore[arg-type]

    assert codes(since="2026-09-10T05:00:00Z") == {"MS1", "S1"}
    assert codes(until="2026-09-10T05:00:00Z") == {"S1"}
    assert codes(since="2026-09-10T05:00:00.200Z") == {"MS1"}
    assert codes(gtin=GTIN) == set()


def test_rows_are_parsed_and_refused_one_by_one() -> None:
    parsed = listings_from_csv(
        "listing_id,gtin,serial,net_weight,certificates\n"
        "a,6901234567892,17,10斤,有机;绿色食品\n"
        "b,,17,,\n"
        "\n"
        "c,6901234567892,,5 kg,\n".encode("gb18030"))
    first = parsed[0]
    assert isinstance(first, Listing)
    assert (first.claims.gtin, first.claims.serial, first.claims.net_weight,
            first.claims.net_weight_unit, first.claims.certificates) == (
        GTIN, "17", "10", "jin", ("green-food", "organic"))
    assert [(e.row, e.field) for e in parsed[1]] == [(2, "gtin")]  # type: ignore[union-attr]
    assert [(e.row, e.field) for e in parsed[2]] == [(4, "lot")]  # type: ignore[union-attr]
    with pytest.raises(InvalidInput, match="unknown column"):
        listings_from_csv(b"listing_id,price\nx,1\n")
    with pytest.raises(ContentTooLarge, match="10,000"):
        listings_from_json({"listings": [{}] * (MAX_LISTINGS + 1)})


def test_a_lot_whose_records_were_changed_is_refused_naming_the_record(
        verdicts: Verdicts) -> None:
    """A verdict, a report or an export never rests on records that do not verify: the
    refusal names the first bad record, as the audit does."""
    ledger, log = verdicts.ledger, verdicts.log
    verified_lot(ledger, log, "KG1")  # integrated and verified while intact
    store = Store(ledger)
    row = store.row("lot/KG1", 0)
    forged = json.loads(row["raw"])
    forged["data"]["quantity"] = "900"
    raw = json.dumps(forged, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    store.set_state("lot/KG1", 0, row["signature"], raw)
    with pytest.raises(AuditFailed) as refused:
        verified_lot(ledger, log, "KG1", cached=False)
    assert refused.value.record is not None
    assert refused.value.record in str(refused.value)
