"""A platform's webhooks through the HTTP API, on SQLite and PostgreSQL: it subscribes, an
inspector recalls a lot it sells, and its receiver on 127.0.0.1 gets the signed recall within
seconds; it reads its deliveries, catches up from the recall feed (JSON and Atom) and finds
the same notices; bad URLs and other roles are refused; the secret appears only once."""

from __future__ import annotations

import json
import logging
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete
from standardwebhooks.webhooks import Webhook

from api.app import create_app
from api.services import services_of
from ledger.application import Ledger
from ledger.config import Settings
from ledger.persistence.tables import platform_notices, webhook_outbox
from ledger.platform.subscriptions import Subscriptions
from tests.api.test_http_helpers import Api, TestClient, log_key_file_fixture, service
from tests.journeys import COOP, INSPECTOR, PLATFORM, kiwi_journey
from tests.webhook_receiver import Behaviour, receiver

__all__ = ["log_key_file_fixture"]

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(name="platform")
def platform_fixture(settings: Settings, log_key_file: Path) -> Iterator[Api]:
    app = create_app(settings, service(
        integrate=True, deliver=True, idle=0.05, webhook_private=True, webhook_backoff=0.05,
        webhook_backoff_cap=0.2, webhook_poll=0.2))
    with TestClient(app) as client:
        ledger = services_of(app).ledger
        kiwi_journey(ledger)
        tokens = {org: ledger.issue_token(org).token for org in (COOP, INSPECTOR, PLATFORM)}
        tokens["admin"] = ledger.issue_token(None).token
        yield Api(client, tokens)


def test_a_platform_hears_of_a_recall_within_seconds_and_the_feed_agrees(
        platform: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with receiver() as hook:
        # The platform subscribes for the GTIN it sells, and keeps the secret.
        made = platform.ok(platform.post(PLATFORM, "/platform/subscriptions",
                                         {"url": hook.url, "gtins": ["06901234567892"]}))
        secret = made["secret"]
        assert secret.startswith("whsec_")
        assert made["org"] == PLATFORM

        # The inspector recalls the collected lot the packed lot was graded from.
        started = time.monotonic()
        recall = platform.ok(platform.post(INSPECTOR, "/lots/KC1/recall",
                                           {"reason": "农药残留超标 pesticide residue"}))
        [got] = hook.wait_for(1, 5)
        assert got.at - started < 5
        message = Webhook(secret).verify(got.body, got.headers)
        assert message["data"]["record"] == recall["hash"]
        assert message["data"]["affected_lots"] == ["KC1", "KG1", "KG2"]
        assert isinstance(message["data"]["leaf_index"], int)

        # Its deliveries show the one attempt, and filter by status.
        listed = platform.ok(platform.get(PLATFORM, "/platform/deliveries"), 200)
        for _ in range(50):
            if listed and listed[0]["status"] == "delivered":
                break
            time.sleep(0.05)
            listed = platform.ok(platform.get(PLATFORM, "/platform/deliveries"), 200)
        [delivery] = listed
        assert delivery["id"] == got.headers["webhook-id"]
        assert delivery["status"] == "delivered"
        assert delivery["attempts"][0]["status_code"] == 204
        assert platform.ok(platform.get(PLATFORM, "/platform/deliveries", status="dead"),
                           200) == []

    # The feed from the start holds the same notice, with the same leaf index.
    feed = platform.ok(platform.get(None, "/recalls/feed"), 200)
    assert feed["notices"] == [message["data"]]
    assert feed["next"] == message["data"]["leaf_index"]
    after = platform.ok(platform.get(None, "/recalls/feed", after=feed["next"]), 200)
    assert after["notices"] == []
    assert after["next"] == feed["next"]
    atom = platform.client.get("/recalls/feed", headers={"Accept": "application/atom+xml"})
    assert atom.status_code == 200
    assert atom.headers["content-type"].startswith(
        "application/atom+xml")
    [entry] = ET.fromstring(atom.content).findall(f"{ATOM}entry")  # noqa: S314 - our own feed
    assert entry.findtext(f"{ATOM}id") == f"urn:agritrace:record:{recall['hash']}"
    assert "召回 recalled" in (entry.findtext(f"{ATOM}title") or "")

    # The secret is in no GET answer and no log line.
    listed_subs = platform.get(PLATFORM, "/platform/subscriptions")
    assert listed_subs.status_code == 200
    assert secret not in listed_subs.text
    assert secret not in platform.get(PLATFORM, f"/platform/subscriptions/{made['id']}").text
    assert secret not in platform.get(PLATFORM, "/platform/deliveries").text
    assert secret not in caplog.text
    assert secret.removeprefix("whsec_") not in caplog.text


def test_the_feed_from_a_cursor_equals_the_deliveries(platform: Api) -> None:
    with receiver() as hook:
        made = platform.ok(platform.post(PLATFORM, "/platform/subscriptions",
                                         {"url": hook.url, "everything": True}))
        start = platform.ok(platform.get(None, "/recalls/feed"), 200)["next"]
        platform.ok(platform.post(INSPECTOR, "/lots/KG2/hold", {"reason": "待检"}))
        platform.ok(platform.post(INSPECTOR, "/lots/KG2/release", {"reason": "合格"}))
        platform.ok(platform.post(INSPECTOR, "/lots/KG1/recall", {"reason": "召回"}))
        got = hook.wait_for(3, 10)
    delivered = sorted((Webhook(made["secret"]).verify(r.body, r.headers)["data"] for r in got),
                       key=lambda notice: notice["leaf_index"])
    notices, cursor = [], start
    while True:  # a page at a time, as a platform catching up would
        page = platform.ok(platform.get(None, "/recalls/feed", after=cursor, limit=1), 200)
        if not page["notices"]:
            break
        notices += page["notices"]
        cursor = page["next"]
    assert notices == delivered
    assert [n["type"] for n in notices] == ["lot.held", "lot.released", "lot.recalled"]


def test_replay_of_a_dead_delivery_through_the_api(platform: Api) -> None:
    with receiver(Behaviour(failures=10**6)) as hook:
        platform.ok(platform.post(PLATFORM, "/platform/subscriptions",
                                  {"url": hook.url, "lots": ["KG1"]}))
        platform.ok(platform.post(INSPECTOR, "/lots/KG1/hold", {"reason": "待检"}))
        hook.wait_for(1, 5)
        outbox = services_of(platform.client.app).ledger.store.outbox
        [row] = outbox.deliveries(PLATFORM, admin=False)
        refused = platform.post(PLATFORM, f"/platform/deliveries/{row['id']}/replay")
        assert refused.status_code in (202, 409)  # retrying may be replayed; delivered not
        other = platform.post(COOP, f"/platform/deliveries/{row['id']}/replay")
        assert other.status_code == 403
        hook.behaviour.failures = 0
        for _ in range(100):
            [row] = outbox.deliveries(PLATFORM, admin=False)
            if row["status"] == "delivered":
                break
            time.sleep(0.05)
        assert row["status"] == "delivered"
        again = platform.post(PLATFORM, f"/platform/deliveries/{row['id']}/replay")
        assert again.status_code == 409
        assert again.json()["field"] == "delivery"
        missing = platform.post(PLATFORM, "/platform/deliveries/msg_" + "0" * 32 + "/replay")
        assert missing.status_code == 404


@pytest.mark.parametrize(("url", "why"), [("ftp://shop.example.cn/h", "scheme"),
                                          ("https:///h", "no host"), ("nonsense", "scheme")])
def test_bad_urls_are_refused_naming_the_field(platform: Api, url: str, why: str) -> None:
    answer = platform.post(PLATFORM, "/platform/subscriptions", {"url": url, "lots": ["KG1"]})
    assert answer.status_code == 422
    assert answer.json()["field"] == "url"
    assert why in answer.json()["reason"]


def test_only_platforms_and_admins_subscribe(platform: Api) -> None:
    body = {"url": "https://shop.example.cn/h", "lots": ["KG1"]}
    assert platform.post(COOP, "/platform/subscriptions", body).status_code == 403
    assert platform.post(None, "/platform/subscriptions", body).status_code == 401
    mine = platform.ok(platform.post(PLATFORM, "/platform/subscriptions", body))
    admins = platform.ok(platform.post("admin", "/platform/subscriptions", body))
    assert admins["org"] is None
    assert [s["id"] for s in platform.ok(platform.get(PLATFORM, "/platform/subscriptions"),
                                         200)] == [mine["id"]]
    everyone = platform.ok(platform.get("admin", "/platform/subscriptions"), 200)
    assert {s["id"] for s in everyone} == {mine["id"], admins["id"]}
    deleted = platform.client.delete(f"/platform/subscriptions/{admins['id']}",
                                     headers=platform.headers(PLATFORM))
    assert deleted.status_code == 404  # not the platform's own
    deleted = platform.client.delete(f"/platform/subscriptions/{mine['id']}",
                                     headers=platform.headers(PLATFORM))
    assert deleted.status_code == 204
    assert platform.ok(platform.get(PLATFORM, "/platform/subscriptions"), 200) == []


def test_the_feed_refuses_a_bad_cursor_and_speaks_atom_on_request(platform: Api) -> None:
    assert platform.get(None, "/recalls/feed", after="x").status_code == 400
    assert platform.get(None, "/recalls/feed", limit=10_000).status_code == 400
    atom = platform.get(None, "/recalls/feed", format="atom")
    assert atom.status_code == 200
    assert b"<feed" in atom.content
    assert json.loads(platform.get(None, "/recalls/feed").text)["notices"] == []


def _wait_for_feed(api: Api, count: int) -> list[dict[str, object]]:
    for _ in range(100):
        items: list[dict[str, object]] = api.ok(api.get(None, "/recalls/feed"), 200)["notices"]
        if len(items) >= count:
            return items
        time.sleep(0.05)
    raise AssertionError(f"the feed lists {len(items)} notices, not {count}")


def test_holds_and_recalls_stored_before_notices_get_theirs_when_the_service_starts(
        settings: Settings, log_key_file: Path) -> None:
    # A store from before notices: a platform subscribed, then the lot was held, the hold
    # corrected, the lot released and its field lot recalled, and none of it left a notice.
    ledger = Ledger(settings)
    kiwi_journey(ledger)
    subscriptions = Subscriptions(ledger.store.engine, ledger.settings.master_key)
    earlier, _ = subscriptions.create(PLATFORM, "https://shop.example.cn/hook", lots=["KG1"])
    held = ledger.record(INSPECTOR, "Held", {"reason": "待检"}, lot="KG1")[0].hash
    corrected = ledger.record(INSPECTOR, "Corrected", {
        "corrects": held, "reason": "笔误 typo", "values": {"reason": "待复检"}},
        lot="KG1")[0].hash
    released = ledger.record(INSPECTOR, "Released", {"reason": "合格"}, lot="KG1")[0].hash
    recalled = ledger.record(INSPECTOR, "Recalled", {"reason": "召回"}, lot="KC1")[0].hash
    time.sleep(0.01)
    later, _ = subscriptions.create(PLATFORM, "https://shop.example.cn/new", everything=True)
    with ledger.store.engine.begin() as connection:
        connection.execute(delete(webhook_outbox))
        connection.execute(delete(platform_notices))
    ledger.close()

    for _ in range(2):  # started, and started again: each notice once
        app = create_app(settings, service(integrate=True, idle=0.05))
        with TestClient(app) as client:
            api = Api(client, {})
            items = _wait_for_feed(api, 4)
            outbox = services_of(app).ledger.store.outbox
            rows = outbox.deliveries(None, admin=True)
        assert [item["record"] for item in items] == [held, corrected, released, recalled]
        assert [item["type"] for item in items] == ["lot.held", "lot.corrected",
                                                    "lot.released", "lot.recalled"]
        assert items[3]["affected_lots"] == ["KC1", "KG1", "KG2"]
        leaves = [item["leaf_index"] for item in items]
        assert leaves == sorted(leaves)
        # Deliveries go to the subscription that existed when each was recorded; the one
        # made afterwards is not flooded with history (it reads the feed instead).
        assert sorted((row["subscription"], row["notice"]) for row in rows) == sorted(
            (earlier.id, notice) for notice in (held, corrected, released, recalled))
        assert later.id not in {row["subscription"] for row in rows}
