"""A proof bundle (version 2) carries the chain of every organisation that signed one of its
records whole, up to its head at the checkpoint, so that step 7 can prove nothing of it was
left out: keys an organisation adds later travel in the bundles of lots it once handled
(version 1 stopped at the last signature; docs/bundle.md, "Organisation chains, whole"),
they do not break them, a bundle past the verifiers' limit is refused rather than served,
and no revocation before a signature is left out. SQLite and PostgreSQL.
"""

from __future__ import annotations

import os

import pytest

from ledger import bundles as bundles_module
from ledger.application import Ledger
from ledger.bundles import build_bundle
from ledger.config import Settings
from ledger.errors import InvalidInput
from ledger.log import TransparencyLog
from ledger.log.logkey import LogKey
from ledger.recording.records import build_record
from tests.journeys import COOP, PLATFORM, harvest, kiwi_journey, register_parties
from tests.ledger.test_bundle import records_of, verified
from tests.ledger.test_tamper import Store
from verify.bundle import Bundle
from verify.errors import UnknownKey
from verify.notes import Signer

STORED = {"facility": "西乡冷库1号", "started": "2026-09-10T12:00:00+08:00",
          "target_min_c": "0", "target_max_c": "4"}


@pytest.fixture
def settings(db_url: str) -> Settings:
    """Key limits raised, so that one organisation can hold hundreds of keys."""
    return Settings(db_url=db_url, master_key=os.urandom(32), max_active_keys=1000,
                    max_new_keys_per_day=1000)


@pytest.fixture
def log(ledger: Ledger) -> TransparencyLog:
    return TransparencyLog(ledger.store, LogKey(Signer.generate("agritrace.test/keys-log")))


def org_records(bundle: Bundle, org: str) -> list[str]:
    return [r["type"] for r in records_of(bundle) if r["chain"] == f"org/{org}"]


def test_keys_added_after_an_organisation_handled_a_lot_travel_with_it(
        ledger: Ledger, log: TransparencyLog) -> None:
    kiwi_journey(ledger)  # the platform receives KG1: its last signature in KG1's bundle
    before = build_bundle(ledger, log, "KG1")
    for _ in range(200):
        ledger.add_key(PLATFORM)
    assert len(ledger.organisation(PLATFORM).active_keys) == 201
    log.integrate()  # the checkpoint covers every new key record
    bundle = build_bundle(ledger, log, "KG1")
    assert bundle.note != before.note
    result = verified(log, bundle)
    assert result.complete
    assert PLATFORM in result.organisations
    # The platform's chain is whole, to its head: the price of proving it complete.
    assert org_records(bundle, PLATFORM) == ["OrganisationRegistered"] + ["KeyAdded"] * 200
    assert len(bundle.records) == len(before.records) + 200 == result.records
    assert len(bundle.to_json()) > 2 * len(before.to_json())


def test_a_bundle_past_the_verifiers_limit_is_refused_not_served(
        ledger: Ledger, log: TransparencyLog, monkeypatch: pytest.MonkeyPatch) -> None:
    kiwi_journey(ledger)
    records = len(build_bundle(ledger, log, "KG1").records)
    monkeypatch.setattr(bundles_module, "MAX_RECORDS", records - 1)
    with pytest.raises(InvalidInput, match=f"would hold {records} records") as refused:
        build_bundle(ledger, log, "KG1")
    assert refused.value.field == "lot"


def test_the_whole_key_history_travels(ledger: Ledger, log: TransparencyLog) -> None:
    # The cooperative loses its first key: it adds one, revokes the first, and signs with
    # the new one; later it adds and rotates keys. Every key record travels, later ones too.
    register_parties(ledger)
    harvest(ledger, "KH0")
    first = next(iter(ledger.organisation(COOP).active_keys))
    ledger.add_key(COOP)
    ledger.revoke_key(COOP, first, "手机丢失 phone lost")
    ledger.record(COOP, "Stored", STORED, lot="KH0")
    ledger.add_key(COOP)
    ledger.rotate_key(COOP)
    log.integrate()
    bundle = build_bundle(ledger, log, "KH0")
    verified(log, bundle)
    assert org_records(bundle, COOP) == ["OrganisationRegistered", "PrefixRegistered",
                                         "KeyAdded", "KeyRevoked", "KeyAdded", "KeyRotated"]


def test_a_revocation_before_a_forged_signature_is_in_the_bundle(ledger: Ledger,
                                                                 log: TransparencyLog) -> None:
    # A thief with the cooperative's revoked key and write access to the database appends a
    # record signed by it. The revocation came before the forged signature, so it is in the
    # bundle, and the bundle fails to verify.
    register_parties(ledger)
    harvest(ledger, "KH0")
    first = next(iter(ledger.organisation(COOP).active_keys))
    stolen = ledger.vault.signing_key(COOP, first)
    ledger.add_key(COOP)
    ledger.revoke_key(COOP, first, "密钥泄露 key leaked")
    lot = ledger.lot("KH0")
    forged = build_record(chain="lot/KH0", seq=lot.length, prev=lot.head, links=(),
                          step="Inspected", data={"kind": "visual", "verdict": "pass"},
                          org=COOP, key=first, time="2026-09-11T00:00:00Z",
                          recorded="2026-09-11T00:00:00Z")
    Store(ledger).insert("lot/KH0", lot.length, "ledger.domain.lot:Lot.Recorded",
                         stolen.sign_record(forged), forged.raw)
    bundle = build_bundle(ledger, log, "KH0")
    assert org_records(bundle, COOP)[-1] == "KeyRevoked"
    with pytest.raises(UnknownKey, match="was revoked"):
        verified(log, bundle)
