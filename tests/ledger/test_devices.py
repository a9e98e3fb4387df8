"""Phones that sign: a one-time pairing code registers the phone's own key through a
``KeyAdded`` record signed by the organisation's existing key, once; the phone's records,
sealed and signed on the phone, possibly hours after it signed them offline, are stored with
the openings of the private values it sealed; a revoked phone records nothing more. And the
cooperative's households register, private, counted publicly."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from ledger.application import Ledger
from ledger.devices import Devices
from ledger.domain.fields import format_time
from ledger.errors import AlreadyExists, InvalidInput, NotFound, NotPermitted, WrongState
from ledger.households import add_household, household_counts, households, require_register_access
from ledger.keys.signing import SigningKey
from ledger.persistence.tables import pairing_codes
from ledger.private.openings import Opening
from ledger.recording.records import build_record, now
from ledger.records_audit import audit_store
from tests.journeys import COOP, INSPECTOR, KIWI, ORIGIN, PLATFORM, possession, register_parties
from verify.commitments import commitment
from verify.keys import key_id
from verify.records import ZERO_HASH, Record

HARVEST = {"product": KIWI, "quantity": "100", "unit": "kg", "origin": ORIGIN,
           "started": "2026-09-10T06:00:00Z", "ended": "2026-09-10T11:00:00Z"}


@pytest.fixture
def devices(ledger: Ledger) -> Devices:
    register_parties(ledger)
    return Devices(ledger)


def paired(devices: Devices, org: str = COOP) -> tuple[SigningKey, str]:
    key = SigningKey.generate()
    code = devices.create_code(org, label="收购点手机").code
    device = devices.redeem(code, key.public_key, possession(key, org))
    return key, device.token


def harvest_record(key: SigningKey, lot: str, *, recorded: str | None = None,
                   data: dict[str, Any] | None = None) -> Record:
    return build_record(chain=f"lot/{lot}", seq=0, prev=ZERO_HASH, links=(), step="Harvested",
                        data=data or HARVEST, org=COOP, key=key_id(key.public_key),
                        time="2026-09-10T11:00:00Z", recorded=recorded or now())


def test_a_code_pairs_one_phone_whose_key_the_organisation_registers(
        ledger: Ledger, devices: Devices) -> None:
    key = SigningKey.generate()
    pairing = devices.create_code(COOP, label="收购点1")
    assert devices.peek(pairing.code.lower())["org"] == COOP  # typed in lower case is fine
    device = devices.redeem(pairing.code, key.public_key, possession(key))
    assert device.key_id in ledger.organisation(COOP).active_keys
    added = ledger.history(f"org/{COOP}")[-1].record
    assert added.type == "KeyAdded"
    assert "possession" in added.data
    assert added.key != device.key_id  # signed by a key the organisation already had
    assert ledger.authenticate(device.token).org_id == COOP
    with pytest.raises(WrongState, match="used already") as error:
        devices.redeem(pairing.code, SigningKey.generate().public_key, possession(key))
    assert error.value.field == "code"
    assert [d.key_id for d in devices.devices(COOP)] == [device.key_id]


def test_an_expired_unknown_or_malformed_code_is_refused(ledger: Ledger,
                                                        devices: Devices) -> None:
    key = SigningKey.generate()
    pairing = devices.create_code(COOP, label="x", lifetime=timedelta(minutes=1))
    with ledger.store.engine.begin() as connection:
        connection.execute(update(pairing_codes).values(expires_at=pairing.expires_at
                                                        - timedelta(minutes=2)))
    with pytest.raises(WrongState, match="expired"):
        devices.redeem(pairing.code, key.public_key, possession(key))
    with pytest.raises(NotFound):
        devices.redeem("ABCD-EFGH-JKMN", key.public_key, possession(key))
    with pytest.raises(InvalidInput) as error:
        devices.redeem("12", key.public_key, possession(key))
    assert error.value.field == "code"
    assert len(ledger.organisation(COOP).active_keys) == 1


def test_a_wrong_proof_uses_nothing_up(ledger: Ledger, devices: Devices) -> None:
    key = SigningKey.generate()
    code = devices.create_code(COOP, label="x").code
    with pytest.raises(InvalidInput) as error:  # a proof for another organisation
        devices.redeem(code, key.public_key, possession(key, PLATFORM))
    assert error.value.field == "possession"
    devices.redeem(code, key.public_key, possession(key))  # the code still works


def test_only_the_hash_of_a_code_is_kept(ledger: Ledger, devices: Devices) -> None:
    code = devices.create_code(COOP, label="x").code
    with ledger.store.engine.connect() as connection:
        rows = connection.execute(pairing_codes.select()).all()
    assert code.replace("-", "").encode() not in repr(rows).encode()


def test_a_phone_signs_offline_and_submits_later_with_its_openings(ledger: Ledger,
                                                                  devices: Devices) -> None:
    key, _ = paired(devices)
    salt = os.urandom(16)
    sealed = commitment("XX-001", salt)
    an_hour_ago = format_time(datetime.now(UTC) - timedelta(hours=1))
    record = harvest_record(key, "PH1", recorded=an_hour_ago,
                            data={**HARVEST, "household": {"commitment": sealed}})
    wrong = Opening(sealed, "XX-002", salt)
    with pytest.raises(InvalidInput) as error:
        ledger.submit_signed([(record.raw, key.sign_record(record))], openings=[wrong])
    assert error.value.field == "private[0].commitment"
    assert ledger.chains("lot") == []
    stray = Opening(commitment("XX-001", bytes(16)), "XX-001", bytes(16))
    with pytest.raises(InvalidInput, match="not held"):
        ledger.submit_signed([(record.raw, key.sign_record(record))], openings=[stray])
    ledger.submit_signed([(record.raw, key.sign_record(record))],
                         openings=[Opening(sealed, "XX-001", salt)])
    assert ledger.private_values("lot/PH1")[sealed]["value"] == "XX-001"
    audit_store(ledger.store)


def test_a_record_signed_too_long_ago_or_ahead_is_refused(ledger: Ledger,
                                                         devices: Devices) -> None:
    key, _ = paired(devices)
    for recorded in ("2020-01-01T00:00:00Z", "2199-01-01T00:00:00Z"):
        record = harvest_record(key, "PH2", recorded=recorded)
        with pytest.raises(InvalidInput) as error:
            ledger.submit_signed([(record.raw, key.sign_record(record))])
        assert error.value.field == "records[0].recorded"


def test_a_revoked_phone_records_nothing_more(ledger: Ledger, devices: Devices) -> None:
    key, token = paired(devices)
    device = key_id(key.public_key)
    devices.revoke(COOP, device, "phone lost")
    assert device in ledger.organisation(COOP).revoked_keys
    assert devices.devices(COOP)[0].revoked_at is not None
    record = harvest_record(key, "PH3")
    with pytest.raises(NotPermitted, match="revoked"):
        ledger.submit_signed([(record.raw, key.sign_record(record))], org=COOP)
    with pytest.raises(Exception, match="revoked"):
        ledger.authenticate(token)
    with pytest.raises(NotFound):
        devices.revoke(COOP, "0" * 16, "no such phone")


def test_the_households_register_is_private_and_counted(ledger: Ledger) -> None:
    register_parties(ledger)
    engine = ledger.store.engine
    add_household(engine, COOP, {"name": "龙大妈", "village": "西乡村", "household_id": "XX-001",
                                 "formerly_poor": True})
    add_household(engine, COOP, {"name": "石大哥", "village": "西乡村", "household_id": "XX-002"})
    with pytest.raises(AlreadyExists):
        add_household(engine, COOP, {"name": "x", "village": "y", "household_id": "XX-001"})
    with pytest.raises(InvalidInput) as error:
        add_household(engine, COOP, {"name": " ", "village": "y", "household_id": "XX-009"})
    assert error.value.field == "name"
    assert [h["household_id"] for h in households(engine, COOP)] == ["XX-001", "XX-002"]
    assert household_counts(engine, COOP) == {"households": 2, "formerly_poor": 1}
    require_register_access(ledger.organisation(COOP), COOP)
    require_register_access(ledger.organisation(INSPECTOR), COOP)
    with pytest.raises(NotPermitted):
        require_register_access(ledger.organisation(PLATFORM), COOP)
    with pytest.raises(NotPermitted):
        require_register_access(None, COOP)
    assert households(engine, PLATFORM) == []
