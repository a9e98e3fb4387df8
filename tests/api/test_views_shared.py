"""The command line's ``--json`` and the HTTP API show a lot, its records and an
organisation with the same views (``ledger.views``): the same fields, the same values."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api.app import create_app
from ledger.cli import app as cli
from ledger.config import Settings
from tests.api.test_http_helpers import TestClient, log_key_file_fixture, service  # noqa: F401
from tests.ledger.test_cli import HARVEST


def test_the_cli_json_and_the_api_answer_the_same_views(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, log_key_file: Path) -> None:
    monkeypatch.delenv("AGRITRACE_MASTER_KEY", raising=False)
    monkeypatch.setenv("AGRITRACE_MASTER_KEY_FILE", str(tmp_path / "master-key"))
    db = f"sqlite:///{tmp_path / 'agritrace.db'}"
    runner = CliRunner()

    def run(*args: str) -> Any:
        result = runner.invoke(cli, [*args, "--db", db])
        assert result.exit_code == 0, (result.stdout, result.stderr)
        return json.loads(result.stdout) if "--json" in args else None

    run("org", "create", "coop-a", "--name", "甲合作社", "--role", "cooperative")
    run("record", "Harvested", "--org", "coop-a", "--lot", "KW-1", "--data",
        json.dumps(HARVEST, ensure_ascii=False))
    run("record", "Stored", "--org", "coop-a", "--lot", "KW-1", "--data", json.dumps(
        {"facility": "冷库", "started": "2026-09-08T13:00:00+08:00"}, ensure_ascii=False))
    shown = run("lot", "show", "KW-1", "--json")
    organisation = run("org", "show", "coop-a", "--json")

    with TestClient(create_app(Settings.from_env(db), service())) as client:
        page = client.get("/lots/KW-1").json()
        record = client.get(f"/records/{shown['history'][1]['hash']}").json()
        traced = client.get("/lots/KW-1/trace/back").json()["lots"]
        assert client.get("/orgs/coop-a").json() == organisation
    assert page["lot"] == shown["lot"]
    assert page["history"] == shown["history"]
    assert {name: record[name] for name in shown["history"][1]} == shown["history"][1]
    assert [{**lot, "shipments": None} for lot in shown["trace_back"]] == traced
