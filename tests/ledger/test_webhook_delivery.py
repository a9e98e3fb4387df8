"""Stories of delivering webhooks to a real receiver on 127.0.0.1: signed per Standard
Webhooks (checked with the ``standardwebhooks`` library and the specification's vector),
retried with backoff until delivered, dead after the horizon and replayed, never following
a redirect, cut off when the receiver hangs, and claimed by one worker at a time."""

from __future__ import annotations

import json
import threading
import time

import pytest
from standardwebhooks.webhooks import Webhook

from ledger.application import Ledger
from ledger.log import TransparencyLog
from ledger.platform.delivery import DeliverySettings, DeliveryWorker, backoff_delay
from ledger.platform.outbox import Outbox, delivery_id
from ledger.platform.subscriptions import Subscriptions
from ledger.platform.webhooks import secret_bytes, sign
from tests.journeys import INSPECTOR, PLATFORM, kiwi_journey
from tests.ledger.test_log_helpers import new_key
from tests.webhook_receiver import Behaviour, receiver

FAST = DeliverySettings(timeout=2.0, backoff=0.05, backoff_cap=0.2, horizon=3600, poll=0.2,
                        lease=10, leaf_wait=5.0, allow_private=True)


class FakeClock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def journey(ledger: Ledger) -> Ledger:
    kiwi_journey(ledger)
    return ledger


def _subscribe(ledger: Ledger, url: str, **listed: object) -> tuple[str, str]:
    subs = Subscriptions(ledger.store.engine, ledger.settings.master_key)
    made, secret = subs.create(PLATFORM, url, allow_private=True,
                               **(listed or {"lots": ["KG1"]}))  # type: ignore[arg-type]
    return made.id, secret


def _worker(ledger: Ledger, settings: DeliverySettings = FAST) -> DeliveryWorker:
    return DeliveryWorker(ledger.store.outbox,
                          Subscriptions(ledger.store.engine, ledger.settings.master_key),
                          settings)


def test_the_signature_matches_the_specifications_vector() -> None:
    # The test vector of the Standard Webhooks libraries (github.com/standard-webhooks/
    # standard-webhooks, MIT), as every implementation of the specification checks it.
    key = secret_bytes("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    assert sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}') == \
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_a_platform_receives_a_signed_recall_with_its_leaf_index(journey: Ledger) -> None:
    with receiver() as hook:
        subscription, secret = _subscribe(journey, hook.url)
        receipts = journey.record(INSPECTOR, "Recalled", {"reason": "农残超标"}, lot="KC1")
        log = TransparencyLog(journey.store, new_key())
        log.integrate()
        assert _worker(journey).deliver_due() == 1
        [got] = hook.wait_for(1, 5)
    # An implementation nobody here wrote checks the signature.
    message = Webhook(secret).verify(got.body, got.headers)
    assert got.headers["webhook-id"] == delivery_id(receipts[0].hash, subscription)
    assert message["type"] == "lot.recalled"
    assert message["timestamp"] == \
        message["data"]["recorded"]
    data = message["data"]
    assert data["record"] == data["id"] == receipts[0].hash
    assert data["leaf_index"] == log.inclusion_by_hash(receipts[0].hash).leaf_index
    assert data["affected_lots"] == ["KC1", "KG1", "KG2"]
    assert data["lot"] == "KC1"
    assert data["gtins"] == ["06901234567892"]
    assert data["org"] == INSPECTOR
    assert got.headers["content-type"] == "application/json"
    # A body altered on the way fails the check.
    with pytest.raises(Exception, match="signature"):
        Webhook(secret).verify(got.body.replace(b"KC1", b"KC2"), got.headers)


def test_a_recall_reaches_every_subscriber_once_and_their_outcomes_are_kept(
        journey: Ledger) -> None:
    with receiver() as hook:
        made = [_subscribe(journey, f"{hook.url}/{i}")[0] for i in range(5)]
        journey.record(INSPECTOR, "Recalled", {"reason": "召回"}, lot="KG1")
        worker = _worker(journey, DeliverySettings(**{**FAST.__dict__, "leaf_wait": 0.0}))
        worker.start()
        try:
            got = hook.wait_for(5, 10)
        finally:
            worker.stop()
    assert sorted(r.path for r in got) == sorted(f"/hooks/{i}" for i in range(5))
    bodies = {r.body for r in got}
    assert len(bodies) == 1  # one body for every subscriber; signatures differ
    rows = journey.store.outbox.deliveries(PLATFORM, admin=False)
    assert sorted(r["subscription"] for r in rows) == sorted(made)
    assert all(r["status"] == "delivered" and len(r["attempts"]) == 1 for r in rows)


def test_a_receiver_failing_five_times_gets_it_once_more_then_no_more(journey: Ledger) -> None:
    with receiver(Behaviour(failures=5)) as hook:
        subscription, secret = _subscribe(journey, hook.url)
        worker = _worker(journey, DeliverySettings(**{**FAST.__dict__, "leaf_wait": 0.0}))
        worker.start()
        try:
            journey.record(INSPECTOR, "Held", {"reason": "待检"}, lot="KG1")
            got = hook.wait_for(6, 10)
            time.sleep(0.6)  # several backoffs more: nothing else arrives
        finally:
            worker.stop()
    assert [r.answered for r in hook.received] == [500] * 5 + [204]
    assert len({r.headers["webhook-id"] for r in got}) == 1
    for request in got:
        Webhook(secret).verify(request.body, request.headers)
    [row] = journey.store.outbox.deliveries(PLATFORM, admin=False)
    assert row["status"] == "delivered"
    assert row["subscription"] == subscription
    assert [a["status_code"] for a in row["attempts"]] == [500] * 5 + [204]
    assert all(a["duration_ms"] >= 0 and a["error"] is None for a in row["attempts"])


def test_undelivered_after_the_horizon_is_dead_and_a_replay_delivers_it(
        journey: Ledger) -> None:
    clock = FakeClock()
    journey.store.outbox.clock = clock
    settings = DeliverySettings(**{**FAST.__dict__, "backoff": 600.0, "backoff_cap": 3000.0,
                                   "horizon": 86400.0, "leaf_wait": 0.0})
    with receiver(Behaviour(failures=10**6)) as hook:
        _subscribe(journey, hook.url)
        journey.record(INSPECTOR, "Recalled", {"reason": "召回"}, lot="KG1")
        worker = _worker(journey, settings)
        assert worker.deliver_due() == 1
        assert worker.deliver_due() == 0  # the retry waits its backoff
        for _ in range(60):  # a day passes: retries every ≤ 50 minutes, then none
            clock.now += 3000
            worker.deliver_due()
        [row] = journey.store.outbox.deliveries(PLATFORM, admin=False)
        assert row["status"] == "dead"
        assert row["next_attempt_ms"] is None
        tries = len(row["attempts"])
        assert 20 < tries <= 31  # backoff, capped at 50 minutes, over 24 hours
        assert journey.store.outbox.deliveries(PLATFORM, admin=False, status="dead")
        clock.now += 86400
        assert worker.deliver_due() == 0  # dead stays dead
        # The platform fixes its receiver and replays it: delivered, same webhook-id.
        hook.behaviour.failures = 0
        hook.received.clear()
        journey.store.outbox.replay(row["id"], PLATFORM, admin=False)
        assert worker.deliver_due() == 1
    assert [r.answered for r in hook.received] == [204]
    assert hook.received[0].headers["webhook-id"] == row["id"]
    [after] = journey.store.outbox.deliveries(PLATFORM, admin=False)
    assert after["status"] == "delivered"
    assert len(after["attempts"]) == tries + 1


def test_a_redirect_to_another_host_is_not_followed(journey: Ledger) -> None:
    with receiver() as elsewhere, receiver(Behaviour(redirect_to="")) as hook:
        hook.behaviour.redirect_to = elsewhere.url
        _subscribe(journey, hook.url)
        journey.record(INSPECTOR, "Held", {"reason": "待检"}, lot="KG1")
        _worker(journey, DeliverySettings(**{**FAST.__dict__, "leaf_wait": 0.0})).deliver_due()
        assert [r.answered for r in hook.wait_for(1, 5)] == [307]
        time.sleep(0.2)
        assert elsewhere.received == []
    [row] = journey.store.outbox.deliveries(PLATFORM, admin=False)
    assert row["status"] == "retrying"
    assert row["attempts"][0]["status_code"] == 307


def test_a_hanging_receiver_is_cut_off_at_the_timeout(journey: Ledger) -> None:
    with receiver(Behaviour(hang=3.0)) as hook:
        _subscribe(journey, hook.url)
        journey.record(INSPECTOR, "Held", {"reason": "待检"}, lot="KG1")
        started = time.monotonic()
        _worker(journey, DeliverySettings(**{**FAST.__dict__, "timeout": 0.5,
                                             "leaf_wait": 0.0})).deliver_due()
        assert time.monotonic() - started < 2.5
    [row] = journey.store.outbox.deliveries(PLATFORM, admin=False)
    [attempt] = row["attempts"]
    assert attempt["status_code"] is None
    assert "timed out" in attempt["error"]
    assert row["status"] == "retrying"


def test_a_receiver_trickling_its_answer_is_cut_off_at_the_timeout_of_the_whole_attempt(
        journey: Ledger) -> None:
    # One byte every 0.2 s: no single read waits long, but the answer (~80 bytes) would
    # take some 16 s; the attempt as a whole gets its timeout and not a moment more.
    with receiver(Behaviour(trickle=0.2)) as hook:
        _subscribe(journey, hook.url)
        journey.record(INSPECTOR, "Held", {"reason": "待检"}, lot="KG1")
        started = time.monotonic()
        _worker(journey, DeliverySettings(**{**FAST.__dict__, "timeout": 0.6,
                                             "leaf_wait": 0.0})).deliver_due()
        took = time.monotonic() - started
    assert took < 2.0
    [row] = journey.store.outbox.deliveries(PLATFORM, admin=False)
    [attempt] = row["attempts"]
    assert attempt["status_code"] is None
    assert "timed out" in attempt["error"]
    assert 500 <= attempt["duration_ms"] < 1200
    assert row["status"] == "retrying"


def test_private_addresses_are_not_called_unless_allowed(journey: Ledger) -> None:
    with receiver() as hook:
        _subscribe(journey, hook.url)
        journey.record(INSPECTOR, "Held", {"reason": "待检"}, lot="KG1")
        _worker(journey, DeliverySettings(**{**FAST.__dict__, "leaf_wait": 0.0,
                                             "allow_private": False})).deliver_due()
        time.sleep(0.2)
        assert hook.received == []
    [row] = journey.store.outbox.deliveries(PLATFORM, admin=False)
    assert "not a public address" in row["attempts"][0]["error"]


def test_a_notice_waits_briefly_for_its_leaf_index(journey: Ledger) -> None:
    with receiver() as hook:
        _subscribe(journey, hook.url)
        journey.record(INSPECTOR, "Held", {"reason": "待检"}, lot="KG1")
        worker = _worker(journey, DeliverySettings(**{**FAST.__dict__, "leaf_wait": 0.3}))
        assert worker.deliver_due() == 0  # not integrated yet: not claimed, not tried
        time.sleep(0.35)
        assert worker.deliver_due() == 1  # waited long enough: sent without it
        [got] = hook.wait_for(1, 5)
    assert json.loads(got.body)["data"]["leaf_index"] is None


def test_a_subscription_deleted_after_its_delivery_was_claimed_gets_nothing_more(
        journey: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    with receiver() as hook:
        subscription, _ = _subscribe(journey, hook.url)
        worker = _worker(journey, DeliverySettings(**{**FAST.__dict__, "leaf_wait": 0.0}))
        journey.record(INSPECTOR, "Held", {"reason": "待检"}, lot="KG1")
        assert worker.deliver_due() == 1  # the worker has sent to this subscription
        journey.record(INSPECTOR, "Released", {"reason": "合格"}, lot="KG1")
        # The platform deletes the subscription the moment after the worker claimed the
        # release's delivery, before it is sent.
        claim = journey.store.outbox.claim

        def claim_then_delete(*args: object, **kwargs: object) -> object:
            found = claim(*args, **kwargs)  # type: ignore[arg-type]
            if found[1]:
                worker.subscriptions.delete(subscription, PLATFORM, admin=False)
            return found

        monkeypatch.setattr(journey.store.outbox, "claim", claim_then_delete)
        worker.deliver_due()
        time.sleep(0.2)
        assert len(hook.received) == 1
    statuses = sorted(row["status"] for row in
                      journey.store.outbox.deliveries(PLATFORM, admin=False))
    assert statuses == ["cancelled", "delivered"]


def test_two_workers_never_hold_the_same_delivery(journey: Ledger) -> None:
    for i in range(20):
        _subscribe(journey, f"https://shop{i}.example.cn/hook")
    journey.record(INSPECTOR, "Recalled", {"reason": "召回"}, lot="KG1")
    outboxes = [Outbox(journey.store.engine) for _ in range(4)]
    claimed: list[list[str]] = []
    barrier = threading.Barrier(len(outboxes))

    def claim(outbox: Outbox) -> None:
        barrier.wait()
        _, rows = outbox.claim(20, 30)
        claimed.append([row.delivery_id for row in rows])

    threads = [threading.Thread(target=claim, args=(o,)) for o in outboxes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [one for rows in claimed for one in rows]
    assert len(every) == len(set(every)) == 20


def test_the_backoff_doubles_with_jitter_up_to_its_cap() -> None:
    settings = DeliverySettings(backoff=5, backoff_cap=3600)
    assert [backoff_delay(n, settings, lambda: 1.0) for n in (1, 2, 3)] == [5, 10, 20]
    assert backoff_delay(1, settings, lambda: 0.0) == 2.5
    assert backoff_delay(30, settings, lambda: 0.999) <= 3600
