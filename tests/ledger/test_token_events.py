"""Every token issuance and revocation leaves an event: who did it, for which organisation,
with which roles, when; never the token's secret. The operator reads them on the command
line (``agritrace token log``) and over HTTP with an admin token (``GET /tokens/log``)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from ledger.application import Ledger
from ledger.cli import app
from ledger.persistence.tables import metadata
from tests.api.test_http_helpers import ADMIN, Api, api_fixture, log_key_file_fixture
from tests.journeys import COOP, INSPECTOR

__all__ = ["api_fixture", "log_key_file_fixture"]


def _stored_events(ledger: Ledger) -> list[dict[str, Any]]:
    table = metadata.tables["agritrace_token_events"]
    with ledger.store.engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(select(table))]


def _no_secret_in(token: str, *texts: str) -> None:
    secret = token.split("_", 2)[2]
    digest = hashlib.sha256(secret.encode()).hexdigest()
    for text in texts:
        assert secret not in text
        assert digest not in text


def test_an_admin_minting_a_coop_token_leaves_a_trace(api: Api) -> None:
    admin_id = api.ok(api.get(ADMIN, "/whoami"), 200)["token_id"]
    issued = api.ok(api.post(ADMIN, f"/orgs/{COOP}/tokens", {"label": "运维 ops"}))
    api.tokens["minted"] = issued["token"]
    # The minted token reads the cooperative's private values: the trace says who made it.
    events = api.ok(api.get(ADMIN, "/tokens/log", org=COOP), 200)["events"]
    minted = [e for e in events if e["token_id"] == issued["token_id"]]
    assert len(minted) == 1
    assert minted[0]["action"] == "issued"
    assert minted[0]["org"] == COOP
    assert minted[0]["admin"] is False
    assert minted[0]["roles"] == ["cooperative"]
    assert minted[0]["by"] == f"admin token {admin_id}"
    assert minted[0]["label"] == "运维 ops"
    assert minted[0]["at"]

    # The cooperative revokes it with its own token; that is recorded too.
    own_id = api.ok(api.get(COOP, "/whoami"), 200)["token_id"]
    revoked = api.client.delete(f"/tokens/{issued['token_id']}", headers=api.headers(COOP))
    assert revoked.status_code == 204
    log = api.get(ADMIN, "/tokens/log", org=COOP)
    last = api.ok(log, 200)["events"][-1]
    assert (last["action"], last["token_id"], last["by"]) == (
        "revoked", issued["token_id"], f"token {own_id} of {COOP}")
    _no_secret_in(issued["token"], log.text, json.dumps(_stored_events(api.ledger),
                                                        default=str))


def test_the_token_log_is_for_admins_only(api: Api) -> None:
    assert api.get(None, "/tokens/log").status_code == 401
    for who in (COOP, INSPECTOR):
        refused = api.get(who, "/tokens/log")
        assert refused.status_code == 403
        assert refused.json()["field"] == "authorization"


def test_the_token_log_pages_in_order(api: Api) -> None:
    # The fixture registered five organisations, each with a token.
    first = api.ok(api.get(ADMIN, "/tokens/log", limit=2), 200)
    assert [e["action"] for e in first["events"]] == ["issued", "issued"]
    following = api.ok(api.get(ADMIN, "/tokens/log", after=first["next"], limit=100), 200)
    ids = [e["event_id"] for e in first["events"] + following["events"]]
    assert ids == sorted(ids)
    assert len(ids) == 6  # the admin token and five organisations' tokens
    assert following["next"] is None
    refused = api.get(ADMIN, "/tokens/log", limit=0)
    assert (refused.status_code, refused.json()["field"]) == (400, "limit")


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.delenv("AGRITRACE_DB", raising=False)
    monkeypatch.delenv("AGRITRACE_MASTER_KEY", raising=False)
    monkeypatch.setenv("AGRITRACE_MASTER_KEY_FILE", str(tmp_path / "master-key"))
    db = f"sqlite:///{tmp_path / 'agritrace.db'}"
    runner = CliRunner()

    def invoke(*args: str) -> Any:
        result = runner.invoke(app, [*args, "--db", db])
        assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
        return result
    return invoke


def test_the_command_line_records_and_shows_token_events(cli: Any) -> None:
    cli("org", "create", "coop-a", "--name", "甲合作社", "--role", "cooperative")
    admin = cli("token", "create", "--admin", "--label", "值班").stdout.strip()
    token = cli("token", "create", "--org", "coop-a", "--label", "手机").stdout.strip()
    token_id = token.split("_")[1]
    cli("token", "revoke", token_id)

    shown = cli("token", "log", "--json")
    events = json.loads(shown.stdout)
    assert [(e["action"], e["org"], e["admin"], e["roles"]) for e in events] == [
        ("issued", None, True, []),
        ("issued", "coop-a", False, ["cooperative"]),
        ("revoked", "coop-a", False, ["cooperative"])]
    assert all(e["by"].startswith("local process (") for e in events)
    assert [e["token_id"] for e in events[1:]] == [token_id, token_id]
    _no_secret_in(token, shown.stdout)
    _no_secret_in(admin, shown.stdout)

    only = json.loads(cli("token", "log", "--org", "coop-a", "--json").stdout)
    assert len(only) == 2
    table = cli("token", "log").stdout
    assert "Token log" in table
    assert "revoked" in table
