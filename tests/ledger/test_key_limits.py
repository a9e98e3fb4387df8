"""An organisation holds a bounded number of active keys and adds a bounded number per day,
enforced by the ledger, so the command line and the API refuse alike. SQLite and PostgreSQL.
"""

from __future__ import annotations

import os

import pytest

from ledger.application import Ledger
from ledger.config import Settings
from ledger.errors import InvalidInput, KeyLimitReached, RateLimited
from tests.api.test_http_helpers import Api, api_fixture, log_key_file_fixture  # noqa: F401
from tests.journeys import COOP, register_parties
from tests.ledger.test_cli import Run, run  # noqa: F401 - fixture

MAX_ACTIVE, PER_DAY = 3, 4


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(db_url=db_url, master_key=os.urandom(32), max_active_keys=MAX_ACTIVE,
                    max_new_keys_per_day=PER_DAY)


def test_an_organisation_holds_at_most_the_allowed_active_keys(ledger: Ledger) -> None:
    register_parties(ledger)
    ledger.add_key(COOP)
    ledger.add_key(COOP)
    with pytest.raises(KeyLimitReached, match="already has 3 active keys") as refused:
        ledger.add_key(COOP)
    assert refused.value.field == "org"
    assert len(ledger.organisation(COOP).active_keys) == MAX_ACTIVE  # nothing half written
    ledger.rotate_key(COOP)  # a rotation replaces a key: the count stays
    ledger.revoke_key(COOP, next(iter(ledger.organisation(COOP).active_keys)), "旧手机")
    assert len(ledger.organisation(COOP).active_keys) == MAX_ACTIVE - 1


def test_keys_added_or_rotated_per_day_are_limited(ledger: Ledger,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    register_parties(ledger)
    for _ in range(2):
        ledger.add_key(COOP)
        ledger.rotate_key(COOP)
    with pytest.raises(RateLimited, match="added 4 keys in the last 24 hours") as refused:
        ledger.rotate_key(COOP)
    assert refused.value.field == "org"
    assert 0 < refused.value.retry_after <= 24 * 3600
    # A revocation is never held back: a leaked key can always be revoked at once.
    ledger.revoke_key(COOP, next(iter(ledger.organisation(COOP).active_keys)), "泄露")
    # A day later the organisation may add keys again.
    monkeypatch.setattr("ledger.persistence.work.now", lambda: "2099-01-01T00:00:00.000Z")
    ledger.add_key(COOP)


def test_the_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGRITRACE_MASTER_KEY", "00" * 32)
    assert (Settings.from_env("sqlite:///x.db").max_active_keys,
            Settings.from_env("sqlite:///x.db").max_new_keys_per_day) == (16, 10)
    monkeypatch.setenv("AGRITRACE_MAX_ACTIVE_KEYS", "4")
    monkeypatch.setenv("AGRITRACE_MAX_NEW_KEYS_PER_DAY", "2")
    assert Settings.from_env("sqlite:///x.db").max_active_keys == 4
    assert Settings.from_env("sqlite:///x.db").max_new_keys_per_day == 2
    monkeypatch.setenv("AGRITRACE_MAX_ACTIVE_KEYS", "0")
    with pytest.raises(InvalidInput) as refused:
        Settings.from_env("sqlite:///x.db")
    assert refused.value.field == "AGRITRACE_MAX_ACTIVE_KEYS"


def test_the_api_answers_409_then_429_naming_why(api: Api) -> None:
    path = f"/orgs/{COOP}/keys"
    api.ok(api.post(COOP, path, {}))
    api.ok(api.post(COOP, path, {}))
    full = api.post(COOP, path, {})
    assert full.status_code == 409, full.text
    assert full.json()["field"] == "org"
    assert "active keys" in full.json()["reason"]
    api.ok(api.post(COOP, f"/orgs/{COOP}/keys/rotate"))
    api.ok(api.post(COOP, f"/orgs/{COOP}/keys/rotate"))
    busy = api.post(COOP, f"/orgs/{COOP}/keys/rotate")
    assert busy.status_code == 429, busy.text
    assert busy.json()["error"] == "RateLimited"
    assert "24 hours" in busy.json()["reason"]
    assert 0 < int(busy.headers["Retry-After"]) <= 24 * 3600


def test_the_command_line_exits_3_naming_why(run: Run,  # noqa: F811
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGRITRACE_MAX_ACTIVE_KEYS", "2")
    run("org", "create", "coop-a", "--name", "甲合作社", "--role", "cooperative")
    run("org", "key", "add", "coop-a")
    refused = run("org", "key", "add", "coop-a", code=3)
    assert "org: coop-a already has 2 active keys" in refused.stderr
