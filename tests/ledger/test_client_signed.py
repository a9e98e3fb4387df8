"""A cooperative that keeps its own key signs records itself; the server stores exactly
those bytes, and only if they are what the ledger itself would derive."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.application import Ledger
from ledger.errors import ChainConflict, InvalidInput, NotPermitted
from ledger.keys.signing import SigningKey
from ledger.recording.records import build_record, now
from ledger.records_audit import audit_store
from tests.journeys import (
    COOP,
    INSPECTOR,
    KIWI,
    ORIGIN,
    PLATFORM,
    possession,
    register_parties,
)
from verify.keys import key_id
from verify.records import ZERO_HASH, Record

HARVEST = {"product": KIWI, "quantity": "100", "unit": "kg", "origin": ORIGIN,
           "started": "2026-09-10T06:00:00Z", "ended": "2026-09-10T11:00:00Z"}


class Client:
    """What a cooperative's own app does: build canonical records and sign them."""

    def __init__(self, ledger: Ledger) -> None:
        self.key = SigningKey.generate()
        ledger.add_key(COOP, public_key=self.key.public_key, possession=possession(self.key))
        self.key_id = key_id(self.key.public_key)
        self.recorded = now()

    def record(self, chain: str, seq: int, prev: bytes, step: str, data: dict[str, Any],
               time: str, links: tuple[bytes, ...] = ()) -> Record:
        return build_record(chain=chain, seq=seq, prev=prev, links=links, step=step,
                            data=data, org=COOP, key=self.key_id, time=time,
                            recorded=self.recorded)

    def signed(self, *records: Record) -> list[tuple[bytes, bytes]]:
        return [(record.raw, self.key.sign_record(record)) for record in records]


@pytest.fixture
def client(ledger: Ledger) -> Client:
    register_parties(ledger)
    return Client(ledger)


def test_a_client_signed_harvest_is_stored_byte_for_byte(ledger: Ledger, client: Client) -> None:
    record = client.record("lot/CS1", 0, ZERO_HASH, "Harvested", HARVEST,
                           "2026-09-10T11:00:00Z")
    receipts = ledger.submit_signed(client.signed(record))
    assert receipts[0].hash == record.hash_hex
    stored = ledger.lot_history("CS1")[0]
    assert stored.record.raw == record.raw
    assert stored.signature == client.key.sign_record(record)
    audit_store(ledger.store)


def test_a_client_signed_grading_needs_every_record_it_makes(ledger: Ledger,
                                                              client: Client) -> None:
    harvest = client.record("lot/CS1", 0, ZERO_HASH, "Harvested", HARVEST,
                            "2026-09-10T11:00:00Z")
    ledger.submit_signed(client.signed(harvest))
    grading = {"standard": "NY/T 1794-2009", "loss": "10",
               "outputs": [{"lot": "CS1-A", "grade": "一级", "quantity": "60"},
                           {"lot": "CS1-B", "grade": "二级", "quantity": "30"}]}
    graded = client.record("lot/CS1", 1, harvest.hash, "Graded", grading,
                           "2026-09-10T16:00:00Z")
    outputs = [client.record(f"lot/{o['lot']}", 0, ZERO_HASH, "Graded", {
        "from": "CS1", "standard": "NY/T 1794-2009", "grade": o["grade"],
        "quantity": o["quantity"], "unit": "kg", "product": KIWI, "origin": ORIGIN,
    }, "2026-09-10T16:00:00Z", links=(graded.hash,)) for o in grading["outputs"]]

    with pytest.raises(InvalidInput, match="submit it too"):
        ledger.submit_signed(client.signed(graded, outputs[0]))
    ledger.submit_signed(client.signed(graded, *outputs))
    assert ledger.lot("CS1-B").parents == ["CS1"]
    audit_store(ledger.store)


@pytest.mark.parametrize(("change", "field"), [
    ({"quantity": "100.0"}, "records[0].data.quantity"),
    ({"harvester": "张三"}, "records[0].data.harvester"),
    ({"quantity": "-1"}, "records[0].data.quantity"),
])
def test_records_the_ledger_would_not_derive_are_refused(ledger: Ledger, client: Client,
                                                          change: dict[str, str],
                                                          field: str) -> None:
    record = client.record("lot/CS1", 0, ZERO_HASH, "Harvested", {**HARVEST, **change},
                           "2026-09-10T11:00:00Z")
    with pytest.raises(InvalidInput) as error:
        ledger.submit_signed(client.signed(record))
    assert error.value.field == field


def test_a_bad_signature_or_a_revoked_key_is_refused(ledger: Ledger, client: Client) -> None:
    record = client.record("lot/CS1", 0, ZERO_HASH, "Harvested", HARVEST,
                           "2026-09-10T11:00:00Z")
    with pytest.raises(InvalidInput) as error:
        ledger.submit_signed([(record.raw, bytes(64))])
    assert error.value.field == "records[0].signature"

    ledger.revoke_key(COOP, client.key_id, "phone lost")
    with pytest.raises(NotPermitted, match="revoked"):
        ledger.submit_signed(client.signed(record))
    assert ledger.chains("lot") == []


def test_a_record_that_does_not_continue_the_chain_names_prev(ledger: Ledger,
                                                              client: Client) -> None:
    harvest = client.record("lot/CS1", 0, ZERO_HASH, "Harvested", HARVEST,
                            "2026-09-10T11:00:00Z")
    ledger.submit_signed(client.signed(harvest))
    stale = client.record("lot/CS1", 1, ZERO_HASH, "Stored",
                          {"facility": "冷库", "started": "2026-09-10T12:00:00Z"},
                          "2026-09-10T12:00:00Z")
    with pytest.raises(InvalidInput) as error:
        ledger.submit_signed(client.signed(stale))
    assert error.value.field == "records[0].prev"


def test_a_client_signed_correction_of_a_private_field_carries_a_commitment(
        ledger: Ledger, client: Client) -> None:
    harvest = client.record("lot/CS1", 0, ZERO_HASH, "Harvested", HARVEST,
                            "2026-09-10T11:00:00Z")
    ledger.submit_signed(client.signed(harvest))

    def correction(values: dict[str, Any]) -> Record:
        return client.record("lot/CS1", 1, harvest.hash, "Corrected", {
            "corrects": harvest.hash_hex, "reason": "采摘人录入错误", "values": values},
            "2026-09-10T12:00:00Z")

    # A name in clear is never stored; the client seals it itself.
    with pytest.raises(InvalidInput, match="commitment") as error:
        ledger.submit_signed(client.signed(correction({"harvester": "石光明"})))
    assert error.value.field == "records[0].data.values.harvester"
    sealed = correction({"harvester": {"commitment": "ab" * 32}})
    ledger.submit_signed(client.signed(sealed))
    assert ledger.lot_history("CS1")[1].record.raw == sealed.raw
    audit_store(ledger.store)


def test_a_submitter_acting_for_one_organisation_submits_only_its_records(
        ledger: Ledger, client: Client) -> None:
    harvest = client.record("lot/CS1", 0, ZERO_HASH, "Harvested", HARVEST,
                            "2026-09-10T11:00:00Z")
    with pytest.raises(NotPermitted) as error:
        ledger.submit_signed(client.signed(harvest), org=PLATFORM)
    assert error.value.field == "records[0].org"
    assert ledger.chains("lot") == []
    assert ledger.submit_signed(client.signed(harvest), org=COOP)[0].hash == harvest.hash_hex


def test_a_record_built_on_a_head_that_moved_on_is_a_conflict_with_the_head(
        ledger: Ledger, client: Client) -> None:
    harvest = client.record("lot/CS1", 0, ZERO_HASH, "Harvested", HARVEST,
                            "2026-09-10T11:00:00Z")
    ledger.submit_signed(client.signed(harvest))
    ledger.record(INSPECTOR, "Held", {"reason": "复检"}, lot="CS1")  # another writer, first
    stale = client.record("lot/CS1", 1, harvest.hash, "Stored",
                          {"facility": "冷库", "started": "2026-09-10T12:00:00Z"},
                          "2026-09-10T12:00:00Z")
    with pytest.raises(ChainConflict) as conflict:
        ledger.submit_signed(client.signed(stale))
    assert (conflict.value.chain, conflict.value.head) == ("lot/CS1",
                                                           ledger.lot("CS1").head.hex())
