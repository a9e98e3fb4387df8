"""Tampering with the stored events directly in the database is caught by the audit.

Each test edits the events table the way an attacker with database access would, then
expects ``audit_store`` to fail naming the first bad record.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text

from ledger.application import Ledger
from ledger.domain.chain import chain_id
from ledger.errors import AuditFailed
from ledger.keys.signing import SigningKey
from ledger.persistence.store import events_table, notification_column
from ledger.recording.records import build_record
from ledger.records_audit import audit_store
from tests.journeys import COOP, kiwi_journey
from verify.keys import encode_public_key, key_id
from verify.records import Record


class Store:
    """Raw access to the events table, as an attacker with database access has."""

    def __init__(self, ledger: Ledger) -> None:
        self.engine = ledger.store.engine
        self.table = events_table(ledger.store.backend)
        self.order = notification_column(ledger.store.backend)
        self.uuid = (lambda u: u.hex) if ledger.store.backend.kind == "sqlite" else (
            lambda u: u)

    def row(self, chain: str, seq: int) -> dict[str, Any]:
        query = text(f"SELECT {self.order} AS n, state FROM {self.table} "  # noqa: S608
                     "WHERE originator_id = :id AND originator_version = :v")
        with self.engine.connect() as connection:
            found = connection.execute(query, {"id": self._id(chain), "v": seq + 1}).one()
        state = bytes(found.state)
        return {"n": found.n, "signature": state[:64], "raw": state[64:]}

    def set_state(self, chain: str, seq: int, signature: bytes, raw: bytes) -> None:
        self._run(f"UPDATE {self.table} SET state = :s "  # noqa: S608
                  "WHERE originator_id = :id AND originator_version = :v",
                  s=signature + raw, id=self._id(chain), v=seq + 1)

    def delete(self, chain: str, seq: int) -> None:
        self._run(f"DELETE FROM {self.table} "  # noqa: S608
                  "WHERE originator_id = :id AND originator_version = :v",
                  id=self._id(chain), v=seq + 1)

    def renumber(self, chain: str, seq: int, notification_id: int) -> None:
        self._run(f"UPDATE {self.table} SET {self.order} = :n "  # noqa: S608
                  "WHERE originator_id = :id AND originator_version = :v",
                  n=notification_id, id=self._id(chain), v=seq + 1)

    def insert(self, chain: str, seq: int, topic: str, signature: bytes, raw: bytes) -> None:
        self._run(f"INSERT INTO {self.table} (originator_id, originator_version, topic, "  # noqa: S608
                  "state) VALUES (:id, :v, :t, :s)",
                  id=self._id(chain), v=seq + 1, t=topic, s=signature + raw)

    def _id(self, chain: str) -> Any:
        return self.uuid(chain_id(chain))

    def _run(self, sql: str, **params: Any) -> None:
        with self.engine.begin() as connection:
            connection.execute(text(sql), params)


@pytest.fixture
def journey(ledger: Ledger) -> Iterator[tuple[Ledger, Store]]:
    kiwi_journey(ledger)
    audit_store(ledger.store)  # intact before tampering
    return ledger, Store(ledger)


def _rewrite(raw: bytes, change: Any) -> bytes:
    value = json.loads(raw)
    change(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _audit_fails(ledger: Ledger, *expected: str) -> AuditFailed:
    with pytest.raises(AuditFailed) as failure:
        audit_store(ledger.store)
    for fragment in expected:
        assert fragment in str(failure.value)
    assert failure.value.record is not None
    return failure.value


def test_a_changed_quantity_breaks_the_signature(journey: tuple[Ledger, Store]) -> None:
    ledger, store = journey
    row = store.row("lot/KG1", 0)
    forged = _rewrite(row["raw"], lambda r: r["data"].update(quantity="900"))
    store.set_state("lot/KG1", 0, row["signature"], forged)
    failure = _audit_fails(ledger, "lot/KG1#0", "signature")
    assert failure.record == Record.from_bytes(forged).hash_hex


def test_a_changed_byte_that_is_no_longer_canonical(journey: tuple[Ledger, Store]) -> None:
    ledger, store = journey
    row = store.row("lot/KG1", 2)
    store.set_state("lot/KG1", 2, row["signature"], row["raw"].replace(b'{"', b'{ "', 1))
    _audit_fails(ledger, "canonical")


def test_a_deleted_record_breaks_the_chain(journey: tuple[Ledger, Store]) -> None:
    ledger, store = journey
    store.delete("lot/KG1", 2)
    _audit_fails(ledger, "lot/KG1#3", "expected position 2")


def test_reordered_records_break_the_chain(journey: tuple[Ledger, Store]) -> None:
    ledger, store = journey
    first, second = store.row("lot/KG1", 1)["n"], store.row("lot/KG1", 2)["n"]
    store.renumber("lot/KG1", 1, 10_000)
    store.renumber("lot/KG1", 2, first)
    store.renumber("lot/KG1", 1, second)
    _audit_fails(ledger, "lot/KG1#2", "expected position 1")


def test_an_inserted_record_by_an_outsider_is_unknown(journey: tuple[Ledger, Store]) -> None:
    ledger, store = journey
    lot = ledger.lot("KG1")
    outsider = SigningKey.generate()
    record = build_record(chain="lot/KG1", seq=lot.length, prev=lot.head, links=(),
                          step="Inspected", data={"kind": "visual", "verdict": "pass"},
                          org=COOP, key=key_id(outsider.public_key),
                          time="2026-09-13T00:00:00Z", recorded="2026-09-13T00:00:00Z")
    store.insert("lot/KG1", lot.length, "ledger.domain.lot:Lot.Recorded",
                 outsider.sign_record(record), record.raw)
    _audit_fails(ledger, "lot/KG1#6", "is not registered for coop-xixiang")


def test_records_swapped_between_lots(journey: tuple[Ledger, Store]) -> None:
    ledger, store = journey
    one, two = store.row("lot/KG1", 0), store.row("lot/KG2", 0)
    store.set_state("lot/KG1", 0, two["signature"], two["raw"])
    store.set_state("lot/KG2", 0, one["signature"], one["raw"])
    _audit_fails(ledger, "another chain's aggregate")


def test_a_replaced_signature(journey: tuple[Ledger, Store]) -> None:
    ledger, store = journey
    victim, donor = store.row("lot/KG1", 3), store.row("lot/KG1", 2)
    store.set_state("lot/KG1", 3, donor["signature"], victim["raw"])
    _audit_fails(ledger, "lot/KG1#3", "does not verify")


def test_a_key_registered_after_the_fact(journey: tuple[Ledger, Store]) -> None:
    """An insider with the organisation's key adds a key now and re-signs an old record
    with it: the key did not exist at that record's place in the log."""
    ledger, store = journey
    org = ledger.organisation(COOP)
    current_key = next(iter(org.active_keys))
    insider = ledger.vault.signing_key(COOP, current_key)
    late = SigningKey.generate()
    late_public = late.public_key
    key_record = build_record(
        chain=f"org/{COOP}", seq=org.length, prev=org.head, links=(), step="KeyAdded",
        data={"public_key": encode_public_key(late_public)}, org=COOP, key=current_key,
        time="2026-09-20T00:00:00Z", recorded="2026-09-20T00:00:00Z")
    store.insert(f"org/{COOP}", org.length, "ledger.domain.organisation:Organisation.Recorded",
                 insider.sign_record(key_record), key_record.raw)
    audit_store(ledger.store)  # adding a key by itself is legitimate

    row = store.row("lot/KH0", 0)
    resigned = _rewrite(row["raw"], lambda r: r.update(key=key_id(late_public)))
    resigned_record = Record.from_bytes(resigned)
    store.set_state("lot/KH0", 0, late.sign_record(resigned_record), resigned)
    _audit_fails(ledger, "lot/KH0#0", "is not registered for coop-xixiang at this point")


def test_an_organisation_record_signed_by_another_organisation(
        journey: tuple[Ledger, Store]) -> None:
    ledger, store = journey
    row = store.row(f"org/{COOP}", 0)
    forged = _rewrite(row["raw"], lambda r: r.update(org="platform-wh"))
    store.set_state(f"org/{COOP}", 0, row["signature"], forged)
    _audit_fails(ledger, f"org/{COOP}#0", "must be signed by coop-xixiang")
