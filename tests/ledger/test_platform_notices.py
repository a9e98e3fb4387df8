"""Stories of what platforms are told: a hold, a recall, a release or a correction becomes one
notice naming every lot it reaches, stored with one delivery per matching subscription in the
very transaction of the record, and never without it."""

from __future__ import annotations

import json
import os

import pytest
from sqlalchemy import delete, select
from typer.testing import CliRunner

from ledger.application import Ledger
from ledger.cli import app as cli
from ledger.errors import InvalidInput, NotFound
from ledger.persistence.tables import platform_notices, webhook_outbox, webhook_subscriptions
from ledger.platform.notices import PlatformNotice
from ledger.platform.subscriptions import Subscriptions, check_url
from tests.journeys import COOP, INSPECTOR, PLATFORM, kiwi_journey

PACK_GTIN = "06901234567892"  # the GTIN KG1 is packed under in the journey


def _notices(ledger: Ledger) -> list[PlatformNotice]:
    with ledger.store.engine.connect() as connection:
        rows = connection.execute(select(platform_notices.c.notice_json)
                                  .order_by(platform_notices.c.created_ms))
        return [PlatformNotice.from_stored(row[0]) for row in rows]


def _outbox(ledger: Ledger) -> list[tuple[str, str, str]]:
    with ledger.store.engine.connect() as connection:
        rows = connection.execute(select(webhook_outbox.c.subscription_id,
                                         webhook_outbox.c.notice_id, webhook_outbox.c.status))
        return sorted((row[0], row[1], row[2]) for row in rows)


def _subscriptions(ledger: Ledger) -> Subscriptions:
    return Subscriptions(ledger.store.engine, ledger.settings.master_key)


def test_a_recall_of_the_field_lot_is_one_notice_naming_every_lot_made_from_it(
        ledger: Ledger) -> None:
    kiwi_journey(ledger)
    subs = _subscriptions(ledger)
    by_gtin, _ = subs.create(PLATFORM, "https://shop.example.cn/hook", gtins=[PACK_GTIN])
    by_lot, _ = subs.create(PLATFORM, "https://shop.example.cn/hook2", lots=["KG2"])
    by_org, _ = subs.create(PLATFORM, "https://shop.example.cn/hook3", orgs=[COOP])
    unrelated, _ = subs.create(PLATFORM, "https://shop.example.cn/hook4", lots=["ZZ9"])

    # The inspector recalls the collected lot: it cascades to both grade lots.
    receipts = ledger.record(INSPECTOR, "Recalled", {"reason": "农药残留超标 pesticide residue"},
                             lot="KC1")
    assert len(receipts) == 3  # the order and two cascade records

    [notice] = _notices(ledger)
    assert notice.record == receipts[0].hash
    assert notice.type == "lot.recalled"
    assert notice.lot == "KC1"
    assert notice.org == INSPECTOR
    assert notice.affected_lots == ("KC1", "KG1", "KG2")
    assert notice.gtins == (PACK_GTIN,)
    assert notice.reason == "农药残留超标 pesticide residue"
    assert notice.as_json()["leaf_index"] is None  # the integrator has not run
    # One delivery per matching subscription, none for the one listing another lot.
    assert _outbox(ledger) == sorted((s.id, notice.id, "pending")
                                     for s in (by_gtin, by_lot, by_org))
    assert unrelated.id not in {row[0] for row in _outbox(ledger)}


def test_hold_release_and_correction_each_notify(ledger: Ledger) -> None:
    kiwi_journey(ledger)
    subs = _subscriptions(ledger)
    mine, _ = subs.create(PLATFORM, "https://shop.example.cn/hook", lots=["KG1"])
    held = ledger.record(INSPECTOR, "Held", {"reason": "待检 awaiting lab results"}, lot="KG1")
    ledger.record(INSPECTOR, "Corrected", {"corrects": held[0].hash, "reason": "typo",
                                           "values": {"reason": "待复检 awaiting a retest"}},
                  lot="KG1")
    ledger.record(INSPECTOR, "Released", {"reason": "复检合格 retest passed"}, lot="KG1")
    assert [n.type for n in _notices(ledger)] == ["lot.held", "lot.corrected", "lot.released"]
    assert all(n.affected_lots == ("KG1",) for n in _notices(ledger))
    assert len(_outbox(ledger)) == 3
    assert {row[0] for row in _outbox(ledger)} == {mine.id}


def test_a_correction_of_an_ordinary_record_on_a_lot_in_good_standing_says_nothing(
        ledger: Ledger) -> None:
    kiwi_journey(ledger)
    first = ledger.lot_history("KH0")[0].record
    ledger.record(COOP, "Corrected", {"corrects": first.hash_hex, "reason": "称重有误",
                                      "values": {"quantity": "101"}}, lot="KH0")
    assert _notices(ledger) == []


def test_a_failed_recording_leaves_no_notice_and_no_delivery(ledger: Ledger) -> None:
    kiwi_journey(ledger)
    _subscriptions(ledger).create(PLATFORM, "https://shop.example.cn/hook", everything=True)
    ledger.record(INSPECTOR, "Recalled", {"reason": "first"}, lot="KG2")
    before = (_notices(ledger), _outbox(ledger))
    with pytest.raises(Exception, match="recalled"):
        ledger.record(INSPECTOR, "Held", {"reason": "again"}, lot="KG2")
    assert (_notices(ledger), _outbox(ledger)) == before


def test_the_outbox_rows_are_in_the_records_transaction(ledger: Ledger) -> None:
    """A save that fails inside the transaction (here: its idempotency claim was taken
    over) stores neither the records nor their notices and deliveries."""
    from ledger.persistence.idempotency import Claim, IdempotencyKeys, RequestTakenOver

    kiwi_journey(ledger)
    _subscriptions(ledger).create(PLATFORM, "https://shop.example.cn/hook", everything=True)
    keys = IdempotencyKeys(ledger.store.engine, b"k" * 32)
    claim = keys.claim(INSPECTOR, "key-1", b"d" * 32)
    assert isinstance(claim, Claim)
    stale = Claim(claim.scope, claim.key, "someone-else")
    with pytest.raises(RequestTakenOver):
        ledger.record(INSPECTOR, "Recalled", {"reason": "x"}, lot="KG1", claim=stale)
    assert _notices(ledger) == []
    assert _outbox(ledger) == []
    assert not ledger.lot("KG1").recalled


def test_secrets_are_sealed_and_open_only_under_the_master_key(ledger: Ledger) -> None:
    subs = _subscriptions(ledger)
    made, secret = subs.create(PLATFORM, "https://shop.example.cn/hook", lots=["KG1"])
    assert secret.startswith("whsec_")
    with ledger.store.engine.connect() as connection:
        row = connection.execute(select(webhook_subscriptions)).one()
    raw = __import__("base64").b64decode(secret.removeprefix("whsec_"))
    assert raw not in bytes(row.sealed_secret)
    assert secret not in json.dumps(row._asdict(),
                                                                             default=str)
    assert subs.destination(made.id) == ("https://shop.example.cn/hook", raw)
    other = Subscriptions(ledger.store.engine, os.urandom(32))
    with pytest.raises(Exception, match="master key"):
        other.destination(made.id)
    assert secret not in json.dumps([s.as_json() for s in subs.active(PLATFORM)])


@pytest.mark.parametrize(("url", "why"), [
    ("ftp://shop.example.cn/hook", "scheme"), ("https:///hook", "no host"),
    ("http://", "no host"), ("shop.example.cn/hook", "scheme"),
    ("https://user:pw@shop.example.cn/", "password"), ("https://a b.cn/", "spaces"),
    ("https://shop.example.cn:99999/", "URL"), ("http://127.0.0.1:8080/", "public"),
    ("http://169.254.169.254/latest", "public"), ("http://localhost/", "public"),
    ("http://[::1]/", "public"), ("http://10.0.0.8/", "public"),
])
def test_webhook_urls_must_be_http_with_a_public_host(url: str, why: str) -> None:
    with pytest.raises(InvalidInput, match=why) as error:
        check_url(url, allow_private=False)
    assert error.value.field == "url"


def test_loopback_is_allowed_only_when_asked() -> None:
    assert check_url("http://127.0.0.1:8080/h", allow_private=True) == "http://127.0.0.1:8080/h"


def test_a_subscription_lists_something_and_only_its_owner_deletes_it(ledger: Ledger) -> None:
    subs = _subscriptions(ledger)
    with pytest.raises(InvalidInput, match="at least one"):
        subs.create(PLATFORM, "https://shop.example.cn/hook")
    with pytest.raises(InvalidInput) as error:
        subs.create(PLATFORM, "https://shop.example.cn/hook", gtins=["123"])
    assert error.value.field == "gtins[0]"
    made, _ = subs.create(PLATFORM, "https://shop.example.cn/hook", gtins=[PACK_GTIN])
    with pytest.raises(NotFound):
        subs.delete(made.id, "other-platform", admin=False)
    subs.delete(made.id, PLATFORM, admin=False)
    assert subs.active(PLATFORM) == []
    assert subs.destination(made.id) is None


def test_notices_rebuild_on_the_command_line_adds_each_missing_notice_once(
        ledger: Ledger) -> None:
    kiwi_journey(ledger)
    held = ledger.record(INSPECTOR, "Held", {"reason": "待检"}, lot="KG1")[0].hash
    recalled = ledger.record(INSPECTOR, "Recalled", {"reason": "召回"}, lot="KC1")[0].hash
    with ledger.store.engine.begin() as connection:
        connection.execute(delete(platform_notices).where(
            platform_notices.c.notice_id == held))
    db = ["--db", ledger.settings.db_url, "--json"]
    first = CliRunner().invoke(cli, ["notices", "rebuild", *db])
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["notices"] == [held]
    again = CliRunner().invoke(cli, ["notices", "rebuild", "--from-start", *db])
    assert again.exit_code == 0, again.output
    assert json.loads(again.output)["notices"] == []  # the log read again: nothing twice
    assert sorted(n.record for n in _notices(ledger)) == sorted([held, recalled])
