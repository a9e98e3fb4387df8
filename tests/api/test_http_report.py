"""The audit report over HTTP and on the command line, SQLite and PostgreSQL: a copy for any
organisation's token, an official report issued by an inspector (its hash recorded and
verified), refused to anyone else with the reason, 404 for an unknown lot."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.services import services_of
from ledger.cli import app as cli
from ledger.config import Settings
from ledger.exports.scans import scan_report
from tests.api.test_http_helpers import (  # noqa: F401 - fixtures
    Api,
    api_fixture,
    log_key_file_fixture,
)
from tests.journeys import COOP, INSPECTOR, PLATFORM
from tests.report_reading import GTIN, scan_rows, story_to_recall, text_of
from verify.bundle import Bundle
from verify.notes import Verifier
from verify.verification import verify_bundle


@pytest.fixture
def recalled(api: Api) -> Api:
    story_to_recall(api.ledger)
    return api


def test_an_inspector_issues_the_official_report(recalled: Api, tmp_path: Path) -> None:
    api = recalled
    # Any organisation gets a copy; nothing is recorded.
    copy = api.get(PLATFORM, "/exports/report.pdf", lot="KG1")
    assert copy.status_code == 200, copy.text
    assert copy.headers["content-type"] == "application/pdf"
    assert copy.headers["x-report-sha256"] == hashlib.sha256(copy.content).hexdigest()
    assert "x-report-record" not in copy.headers
    assert "已召回" in text_of(copy.content, tmp_path)
    # The inspector issues it officially: the answer names its ReportIssued record, which
    # holds the SHA-256 of exactly the bytes returned.
    official = api.get(INSPECTOR, "/exports/report.pdf", lot="KG1", official="true")
    assert official.status_code == 200, official.text
    digest = hashlib.sha256(official.content).hexdigest()
    history = api.ok(api.get(None, "/lots/KG1"), 200)["history"]
    issued = history[-1]
    assert (issued["hash"], issued["type"], issued["org"]) == (
        official.headers["x-report-record"], "ReportIssued", INSPECTOR)
    assert issued["data"] == {"report_sha256": digest,
                              "bundle_sha256": official.headers["x-bundle-sha256"],
                              "checkpoint_size": int(official.headers["x-checkpoint-size"]),
                              "checkpoint_root": issued["data"]["checkpoint_root"]}
    # The lot's bundle, now carrying the record, verifies as before.
    services_of(api.client.app).log.integrate()  # type: ignore[arg-type]
    vkey = api.client.get("/log/key").text.strip()
    bundle = Bundle.from_json(api.client.get("/lots/KG1/bundle").content)
    result = verify_bundle(bundle, [Verifier.from_vkey(vkey)])
    assert result.state is not None
    assert result.state["status"] == "recalled"
    # The consumer page and the command line show the lot with its new record.
    page = api.client.get(f"/01/{GTIN}/10/KG1", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "已召回" in page.text


def test_the_reports_scans_are_the_scan_reports_even_those_just_made(
        recalled: Api, tmp_path: Path) -> None:
    api = recalled
    # Phones resolve two of KG1's boxes; the counts are still in the service's memory.
    for serial, times in (("1", 3), ("2", 1)):
        for _ in range(times):
            scanned = api.client.get(f"/01/{GTIN}/10/KG1/21/{serial}",
                                     headers={"Accept": "application/json"})
            assert scanned.status_code == 200, scanned.text
    report = api.get(INSPECTOR, "/exports/report.pdf", lot="KG1")
    assert report.status_code == 200, report.text
    rows = scan_rows(text_of(report.content, tmp_path))
    assert [row[1:4] for row in rows] == [[GTIN, "4", "2"]]  # today's four scans, two serials
    assert rows == [[d.day, d.gtin, str(d.scans), str(d.serials), str(d.implausible),
                     str(d.after_best_before)] for d in scan_report(api.ledger, lot="KG1")]
    table = api.get(INSPECTOR, "/exports/scans.csv", lot="KG1")
    assert table.status_code == 200, table.text
    assert [line.split(",")[2:8] for line in table.text.splitlines()[1:]] == [
        [row[0], *row[2:5], "", row[5]] for row in rows]


def test_the_report_is_refused_with_the_reason(recalled: Api) -> None:
    api = recalled
    refused = api.get(COOP, "/exports/report.pdf", lot="KG1", official="true")
    assert refused.status_code == 403
    body = refused.json()
    assert body["field"] == "official"
    assert "not an inspector" in body["reason"]
    missing = api.get(INSPECTOR, "/exports/report.pdf", lot="NOSUCH")
    assert missing.status_code == 404
    assert missing.json()["field"] == "lot"
    assert api.get(None, "/exports/report.pdf", lot="KG1").status_code == 401
    assert api.get(INSPECTOR, "/exports/report.pdf", lot="K G").status_code == 400
    assert "ReportIssued" not in api.get(None, "/lots/KG1").text


def test_the_command_writes_the_official_report(recalled: Api, settings: Settings,
                                                tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGRITRACE_MASTER_KEY", settings.master_key.hex())
    runner, out = CliRunner(), tmp_path / "KG1.pdf"
    refused = runner.invoke(cli, ["report", "KG1", "-o", str(out), "--official", "--org", COOP,
                                  "--db", settings.db_url])
    assert refused.exit_code == 3, refused.stderr
    assert "not an inspector" in refused.stderr
    assert not out.exists()
    done = runner.invoke(cli, ["report", "KG1", "-o", str(out), "--official", "--org",
                               INSPECTOR, "--db", settings.db_url])
    assert done.exit_code == 0, (done.stderr, done.exception)
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    assert f"report sha256 {digest}" in done.stderr
    last = recalled.ledger.lot_history("KG1")[-1].record
    assert (last.type, last.data["report_sha256"]) == ("ReportIssued", digest)
    unknown = runner.invoke(cli, ["report", "NOSUCH", "-o", str(out), "--db", settings.db_url])
    assert unknown.exit_code != 0
    assert "NOSUCH" in unknown.stderr
