"""Proof bundles built from real ledgers verify offline, and stop verifying once the store is
tampered with. SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from ledger.application import Ledger
from ledger.bundles import MEDIA_TYPE, build_bundle
from ledger.demo import seed_demo
from ledger.errors import InvalidInput, LotNotFound, NotFound
from ledger.log import TransparencyLog
from ledger.log.logkey import LogKey
from tests.journeys import COOP, harvest, kiwi_journey
from tests.ledger.test_tamper import Store
from verify.bundle import Bundle
from verify.canonical import canonical_bytes
from verify.errors import ChainBroken, RootMismatch, VerificationError
from verify.notes import Signer
from verify.policy import SeenCheckpoint
from verify.verification import BundleResult, verify_bundle


@pytest.fixture
def log(ledger: Ledger) -> TransparencyLog:
    return TransparencyLog(ledger.store, LogKey(Signer.generate("agritrace.test/bundle-log")))


def verified(log: TransparencyLog, bundle: Bundle, **options: Any) -> BundleResult:
    """Verify ``bundle`` as a client would: from its bytes, with only the log's public key."""
    return verify_bundle(Bundle.from_json(bundle.to_json()), [log.key.verifier], **options)


def records_of(bundle: Bundle) -> list[dict[str, Any]]:
    return [json.loads(entry.raw) for entry in bundle.records]


def test_every_demo_lot_bundle_verifies_offline(ledger: Ledger, log: TransparencyLog) -> None:
    lots = seed_demo(ledger)
    for lot in lots:
        bundle = build_bundle(ledger, log, lot)
        assert Bundle.from_json(bundle.to_json()) == bundle  # one model, written and read
        result = verified(log, bundle)
        assert result.lot == lot
        assert result.records == len(bundle.records)
        assert result.checkpoint_size == log.latest_checkpoint().size
    # The packed kiwifruit carries its whole provenance: the grade lot, the collection it was
    # graded from, the three households' harvests, and the keys of everyone who signed.
    result = verified(log, build_bundle(ledger, log, "KW26-SBD-G1"))
    assert set(result.lots) == {"KW26-SBD-G1", "KW26-SBD-C01", "KW26-SBD-H01",
                                "KW26-SBD-H02", "KW26-SBD-H03"}
    assert set(result.organisations) == {"coop-xiangxi", "carrier-xiangyun",
                                         "platform-wh-changsha"}


def test_an_ancestor_chain_travels_whole_to_its_head(ledger: Ledger,
                                                     log: TransparencyLog) -> None:
    # A household's harvest fails an inspection after its fruit was collected and graded:
    # the graded lot's bundle carries the harvest's whole chain, the failure included (a
    # version 1 bundle stopped at the record the collection links to), and proves it whole.
    kiwi_journey(ledger)
    ledger.record(COOP, "Inspected", {"kind": "visual", "verdict": "fail",
                                      "notes": "霉变 mould found in the field crates"},
                  lot="KH1")
    bundle = build_bundle(ledger, log, "KG1")
    harvest = [r for r in records_of(bundle) if r["chain"] == "lot/KH1"]
    assert [r["type"] for r in harvest] == ["Harvested", "Collected", "Inspected"]
    assert [r["seq"] for r in harvest] == list(range(len(harvest)))
    result = verified(log, bundle)
    assert result.complete
    assert result.warnings == ()
    assert {head.chain: head.seq for head in bundle.heads or ()}["lot/KH1"] == 2


def test_private_values_appear_only_as_commitments(ledger: Ledger,
                                                   log: TransparencyLog) -> None:
    seed_demo(ledger)
    bundle = build_bundle(ledger, log, "KW26-SBD-G1")
    text = bundle.to_json()
    decoded = b"".join(entry.raw for entry in bundle.records)
    for secret in ("石光明", "SBD-017", "龙秀英"):
        assert secret.encode() not in decoded
        assert secret.encode() not in text


def test_the_bundle_integrates_the_log_first_and_cuts_at_its_checkpoint(
        ledger: Ledger, log: TransparencyLog) -> None:
    kiwi_journey(ledger)
    with pytest.raises(NotFound):
        build_bundle(ledger, log, "KG1", integrate=False)  # nothing published yet
    bundle = build_bundle(ledger, log, "KG1")
    assert verified(log, bundle).records == len(bundle.records)
    # A record added after the checkpoint is left out unless the log integrates it.
    ledger.record(COOP, "Inspected", {"kind": "visual", "verdict": "pass"}, lot="KH0")
    later = build_bundle(ledger, log, "KH0", integrate=False)
    assert "Inspected" not in [r["type"] for r in records_of(later)]
    assert verified(log, later).lot == "KH0"
    harvest(ledger, "KH9", day=11)
    with pytest.raises(NotFound):
        build_bundle(ledger, log, "KH9", integrate=False)  # not in a checkpoint yet
    fresh = build_bundle(ledger, log, "KH0")
    assert records_of(fresh)[-1]["type"] == "Inspected"
    assert verified(log, fresh).checkpoint_size == log.latest_checkpoint().size


def test_consistency_proofs_from_earlier_checkpoints(ledger: Ledger,
                                                     log: TransparencyLog) -> None:
    kiwi_journey(ledger)
    log.integrate()
    seen = log.latest_checkpoint()
    ledger.record(COOP, "Inspected", {"kind": "visual", "verdict": "pass"}, lot="KH0")
    bundle = build_bundle(ledger, log, "KH0", since=[seen.size])  # integrates the new record
    assert [size for size, _ in bundle.consistency] == [seen.size]
    result = verified(log, bundle, since=SeenCheckpoint.from_text(seen.note))
    assert result.consistent_with == seen.size
    with pytest.raises(InvalidInput):
        build_bundle(ledger, log, "KH0", since=[seen.size + 100])


def test_unknown_lots_are_refused(ledger: Ledger, log: TransparencyLog) -> None:
    kiwi_journey(ledger)
    with pytest.raises(LotNotFound):
        build_bundle(ledger, log, "NOPE-1")
    with pytest.raises(InvalidInput):
        build_bundle(ledger, log, "../etc")
    assert MEDIA_TYPE.endswith("+json")


@pytest.fixture
def tampered(ledger: Ledger, log: TransparencyLog) -> tuple[Ledger, Store]:
    kiwi_journey(ledger)
    verified(log, build_bundle(ledger, log, "KG1"))  # intact, and integrated, before
    return ledger, Store(ledger)


def _rewrite(raw: bytes, **changes: Any) -> bytes:
    value = json.loads(raw)
    value["data"].update(changes)
    return canonical_bytes(value)


def test_an_edited_record_in_the_store_makes_the_next_bundle_fail(
        tampered: tuple[Ledger, Store], log: TransparencyLog) -> None:
    ledger, store = tampered
    row = store.row("lot/KG1", 2)  # the cold-storage record with its excursion
    store.set_state("lot/KG1", 2, row["signature"], _rewrite(row["raw"], max_c="3.0"))
    with pytest.raises(RootMismatch) as failure:
        verified(log, build_bundle(ledger, log, "KG1"))
    assert failure.value.step == "3"
    assert "lot/KG1#2" in failure.value.reason


def test_a_record_edited_in_an_ancestor_makes_the_descendant_bundle_fail(
        tampered: tuple[Ledger, Store], log: TransparencyLog) -> None:
    ledger, store = tampered
    row = store.row("lot/KH1", 0)
    store.set_state("lot/KH1", 0, row["signature"], _rewrite(row["raw"], quantity="999"))
    with pytest.raises(VerificationError) as failure:
        verified(log, build_bundle(ledger, log, "KG1"))
    assert failure.value.step == "3"


def test_a_deleted_record_makes_the_next_bundle_fail(tampered: tuple[Ledger, Store],
                                                     log: TransparencyLog) -> None:
    ledger, store = tampered
    store.delete("lot/KG1", 1)
    with pytest.raises(ChainBroken) as failure:
        verified(log, build_bundle(ledger, log, "KG1"))
    assert failure.value.step == "5"
    assert "expected position 1" in failure.value.reason
