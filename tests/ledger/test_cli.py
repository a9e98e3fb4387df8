"""The ``agritrace`` command, driven through typer's CliRunner against a fresh SQLite file.

Each test is a small user journey; exit codes are part of the contract (DESIGN §6):
0 done, 1 audit failed, 2 invalid input naming the field or file and line, 3 other errors.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from ledger.application import Ledger
from ledger.cli import app
from ledger.config import Settings
from ledger.demo import DEMO_LOTS, KIWI_GTIN
from ledger.devices import Devices
from ledger.keys.signing import SigningKey
from tests.journeys import possession

Run = Callable[..., Result]

HARVEST = {
    "product": {"name": "猕猴桃 kiwifruit", "variety": "红阳"},
    "quantity": "120", "unit": "kg",
    "origin": {"province": "湖南省", "city": "湘西土家族苗族自治州", "county": "花垣县"},
    "started": "2026-09-08T06:30:00+08:00", "ended": "2026-09-08T11:30:00+08:00",
    "harvester": "石光明",
}
CSV_HEADER = ("lot,time,product.name,quantity,unit,origin.province,origin.city,origin.county,"
              "started,ended,harvester\n")
CSV_ROW = ("{lot},2026-09-08T12:00+08:00,猕猴桃,{quantity},kg,湖南省,湘西州,花垣县,"
           "2026-09-08T07:00+08:00,2026-09-08T12:00+08:00,龙秀英\n")


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    """``run(*args, code=0)``: invoke the CLI on this test's store, check the exit code."""
    monkeypatch.delenv("AGRITRACE_DB", raising=False)
    monkeypatch.delenv("AGRITRACE_MASTER_KEY", raising=False)
    monkeypatch.setenv("AGRITRACE_MASTER_KEY_FILE", str(tmp_path / "master-key"))
    db = f"sqlite:///{tmp_path / 'agritrace.db'}"
    runner = CliRunner()

    def invoke(*args: str, code: int = 0) -> Result:
        result = runner.invoke(app, [*args, "--db", db])
        assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
        assert "Traceback" not in result.stderr
        return result

    return invoke


@pytest.fixture
def coop(run: Run) -> str:
    run("org", "create", "coop-a", "--name", "甲合作社 Coop A", "--role", "cooperative",
        "--region", "湖南省花垣县")
    return "coop-a"


def harvest(run: Run, lot: str, **changes: Any) -> Result:
    data = json.dumps({**HARVEST, **changes}, ensure_ascii=False)
    return run("record", "Harvested", "--org", "coop-a", "--lot", lot, "--data", data)


def lot_json(run: Run, lot: str) -> dict[str, Any]:
    shown: dict[str, Any] = json.loads(run("lot", "show", lot, "--json").stdout)
    return shown


def records_verified(audit_output: str) -> int:
    return int(audit_output.split(": ", 1)[1].split(" records verified")[0])


def test_organisation_is_created_listed_and_shown(run: Run, coop: str) -> None:
    assert coop in run("org", "list").stdout
    shown = json.loads(run("org", "show", coop, "--json").stdout)
    assert shown["roles"] == ["cooperative"]
    assert [key["status"] for key in shown["keys"]] == ["active"]


def test_keys_are_added_rotated_and_revoked(run: Run, coop: str) -> None:
    run("org", "key", "add", coop)
    run("org", "key", "rotate", coop)
    keys = json.loads(run("org", "show", coop, "--json").stdout)["keys"]
    active = [key["key_id"] for key in keys if key["status"] == "active"]
    assert len(active) == 2
    run("org", "key", "revoke", coop, active[0], "--reason", "手机丢失 lost phone")
    keys = json.loads(run("org", "show", coop, "--json").stdout)["keys"]
    assert [key["status"] for key in keys].count("revoked") == 2
    bad = run("org", "key", "add", coop, "--public-key", "not base64!", code=2)
    assert "--public-key" in bad.stderr


def test_steps_are_recorded_and_shown(run: Run, coop: str) -> None:
    harvest(run, "KW-1")
    stored = {"facility": "冷库 cold store", "started": "2026-09-09T06:00:00+08:00",
              "target_min_c": "0", "target_max_c": "4",
              "readings": [{"at": "2026-09-09T08:00:00+08:00", "temp_c": 5.6}]}
    run("record", "Stored", "--org", coop, "--lot", "KW-1", "--data", json.dumps(stored))
    shown = lot_json(run, "KW-1")
    assert [entry["type"] for entry in shown["history"]] == ["Harvested", "Stored"]
    # Private values never reach the record: only a commitment does.
    assert set(shown["history"][0]["data"]["harvester"]) == {"commitment"}
    # A JSON number with a fraction is read as a decimal string, never a float.
    assert shown["history"][1]["data"]["readings"][0]["temp_c"] == "5.6"
    human = run("lot", "show", "KW-1").stdout
    assert "Stored" in human
    assert shown["history"][1]["hash"][:12] in human
    assert "trace back" in human


def test_invalid_data_exits_2_naming_the_field(run: Run, coop: str) -> None:
    data = json.dumps({**HARVEST, "quantity": "-3"})
    failed = run("record", "Harvested", "--org", coop, "--lot", "KW-1", "--data", data, code=2)
    assert "data.quantity" in failed.stderr
    assert "greater than zero" in failed.stderr
    assert len(failed.stderr.strip().splitlines()) == 1
    assert "--data" in run("record", "Held", "--org", coop, "--lot", "KW-1", "--data", "{",
                           code=2).stderr
    assert "STEP" in run("record", "Picked", "--org", coop, "--lot", "KW-1", code=2).stderr


def test_other_ledger_errors_exit_3(run: Run, coop: str) -> None:
    assert "NOPE" in run("lot", "show", "NOPE", code=3).stderr
    harvest(run, "KW-1")
    held = run("record", "Held", "--org", coop, "--lot", "KW-1", "--data",
               '{"reason": "x"}', code=3)
    assert "inspector" in held.stderr
    run("org", "create", coop, "--name", "again", "--role", "farm", code=3)


def test_json_batch_is_all_or_nothing(run: Run, coop: str, tmp_path: Path) -> None:
    entries = [{"step": "Harvested", "lot": "KW-1", "data": HARVEST},
               {"step": "Harvested", "lot": "KW-2", "data": {**HARVEST, "quantity": "0"}}]
    batch = tmp_path / "batch.json"
    batch.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    failed = run("record", "--org", coop, "--json", str(batch), code=2)
    assert "entries[1].data.quantity" in failed.stderr
    run("lot", "show", "KW-1", code=3)  # the good first entry was not written either
    entries[1]["data"] = HARVEST
    batch.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    assert "KW-2" in run("record", "--org", coop, "--json", str(batch)).stdout
    assert lot_json(run, "KW-1")["lot"]["quantity"] == "120"


def test_unreadable_json_file_exits_2_with_file_and_line(run: Run, coop: str,
                                                         tmp_path: Path) -> None:
    batch = tmp_path / "broken.json"
    batch.write_text('[\n  {"step": "Held",\n  }\n]\n', encoding="utf-8")
    failed = run("record", "--org", coop, "--json", str(batch), code=2)
    assert f"{batch}:3:" in failed.stderr


def test_json_the_ledger_must_not_take_exits_2_naming_the_field(run: Run, coop: str,
                                                               tmp_path: Path) -> None:
    data = json.dumps(HARVEST, ensure_ascii=False)[:-1] + ', "quantity": "1"}'
    failed = run("record", "Harvested", "--org", coop, "--lot", "KW-1", "--data", data, code=2)
    assert "--data: quantity: appears more than once" in failed.stderr
    batch = tmp_path / "batch.json"
    batch.write_text('[{"step": "Harvested", "lot": "KW-1", "data": {"q": '
                     + "[" * 40 + "]" * 40 + "}}]", encoding="utf-8")
    failed = run("record", "--org", coop, "--json", str(batch), code=2)
    assert f"{batch}: [0].data: is nested more than 32 levels deep" in failed.stderr
    run("lot", "show", "KW-1", code=3)


def test_csv_import_builds_nested_data(run: Run, coop: str, tmp_path: Path) -> None:
    sheet = tmp_path / "harvests.csv"
    sheet.write_text(CSV_HEADER + CSV_ROW.format(lot="H-1", quantity="120")
                     + CSV_ROW.format(lot="H-2", quantity="95.5"), encoding="utf-8-sig")
    run("import", str(sheet), "--org", coop, "--step", "Harvested")
    shown = lot_json(run, "H-2")
    assert shown["lot"]["origin"]["county"] == "花垣县"
    assert shown["lot"]["quantity"] == "95.5"
    assert shown["history"][0]["time"] == "2026-09-08T04:00:00Z"


def test_csv_import_bad_row_names_row_and_column(run: Run, coop: str, tmp_path: Path) -> None:
    sheet = tmp_path / "harvests.csv"
    sheet.write_text(CSV_HEADER + CSV_ROW.format(lot="H-1", quantity="120")
                     + CSV_ROW.format(lot="H-2", quantity="-1"), encoding="utf-8")
    failed = run("import", str(sheet), "--org", coop, "--step", "Harvested", code=2)
    assert f"{sheet}:3: row 2, column quantity" in failed.stderr
    run("lot", "show", "H-1", code=3)  # all or nothing


def test_audit_passes_then_names_a_tampered_record(run: Run, coop: str,
                                                   tmp_path: Path) -> None:
    harvest(run, "KW-1")
    assert "2 records verified" in run("audit").stdout
    with sqlite3.connect(tmp_path / "agritrace.db") as connection:
        state = connection.execute("SELECT state FROM stored_events WHERE "
                                   "originator_version = 1 ORDER BY rowid DESC").fetchone()[0]
        forged = state.replace(b'"quantity":"120"', b'"quantity":"900"')
        connection.execute("UPDATE stored_events SET state = ? WHERE state = ?",
                           (forged, state))
    failed = run("audit", code=1)
    assert "first bad record" in failed.stderr


def test_demo_is_idempotent_and_prints_lot_codes(run: Run) -> None:
    first = run("demo")
    assert all(code in first.stdout for code in DEMO_LOTS)
    audited = run("audit").stdout
    second = run("demo")
    assert all(code in second.stdout for code in DEMO_LOTS)
    assert "nothing added" in second.stderr
    assert records_verified(run("audit").stdout) == records_verified(audited)
    kiwi = lot_json(run, "KW26-SBD-G1")
    assert kiwi["lot"]["gtin"] == KIWI_GTIN
    assert kiwi["lot"]["custodian"] == "platform-wh-changsha"
    assert [lot["lot"] for lot in kiwi["trace_back"]][:2] == ["KW26-SBD-G1", "KW26-SBD-C01"]
    recalled = lot_json(run, "OR26-MY-001")["trace_forward"]
    assert {lot["status"] for lot in recalled} == {"recalled"}


def test_device_pair_prints_a_one_time_link_and_revoke_ends_the_phone(
        run: Run, coop: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    link = run("device", "pair", coop, "--label", "收购点1").stdout.strip()
    assert "/app/pair#" in link
    run("device", "pair", "nobody", code=3)
    key = SigningKey.generate()
    monkeypatch.setenv("AGRITRACE_DB", f"sqlite:///{tmp_path / 'agritrace.db'}")
    ledger = Ledger(Settings.from_env())
    try:
        device = Devices(ledger).redeem(link.split("#")[1], key.public_key,
                                        possession(key, coop))
    finally:
        ledger.close()
    assert device.key_id in run("device", "list", coop).stdout
    run("device", "revoke", coop, device.key_id)
    assert "revoked" in run("device", "list", coop).stdout
