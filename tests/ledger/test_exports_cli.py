"""``agritrace export trace|scans``: the spreadsheet and the CSV from the command line, the
log integrated first; refusals exit non-zero and leave no file behind."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from ledger.application import Ledger
from ledger.cli import app
from ledger.config import Settings
from ledger.exports.columns import index_of
from tests.exports_story import RECALL_LOTS, recalled_journey
from tests.journeys import register_parties


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.delenv("AGRITRACE_DB", raising=False)
    for name in ("AGRITRACE_MASTER_KEY", "AGRITRACE_LOG_KEY", "AGRITRACE_LOG_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AGRITRACE_MASTER_KEY_FILE", str(tmp_path / "master-key"))
    url = f"sqlite:///{tmp_path / 'agritrace.db'}"
    ledger = Ledger(Settings.from_env(url))
    register_parties(ledger)
    recalled_journey(ledger)  # its log integrated under a test key
    ledger.close()
    return url


def run(db: str, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(app, [*args, "--db", db])
    assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
    assert "Traceback" not in result.stderr
    return str(result.stderr)


def test_the_command_line_writes_both_files(db: str, tmp_path: Path) -> None:
    told = run(db, "export", "trace", "--recall", "KC1", "-o", str(tmp_path / "r.xlsx"))
    assert "recall=KC1" in told
    sheet = openpyxl.load_workbook(tmp_path / "r.xlsx")["追溯 Trace"]
    assert {row[index_of("lot")] for row in sheet.iter_rows(min_row=2, values_only=True)} \
        == set(RECALL_LOTS)
    run(db, "export", "trace", "--lot", "KG1", "-o", str(tmp_path / "g.csv"))
    text = (tmp_path / "g.csv").read_text("utf-8")
    assert text.startswith("\ufeff")
    assert len(list(csv.reader(io.StringIO(text)))) > 1
    run(db, "export", "scans", "-o", str(tmp_path / "s.csv"))
    assert (tmp_path / "s.csv").read_text("utf-8").startswith("\ufeff商品条码 GTIN")


def test_refusals_exit_non_zero_and_write_nothing(db: str, tmp_path: Path) -> None:
    assert "lot NOPE is not registered" in run(db, "export", "trace", "--lot", "NOPE", "-o",
                                               str(tmp_path / "x.xlsx"), code=3)
    assert "--output" in run(db, "export", "trace", "-o", str(tmp_path / "x.pdf"), code=2)
    told = run(db, "export", "trace", "--recall", "KC1", "--limit", "3", "-o",
               str(tmp_path / "x.csv"), code=2)
    assert "more than 3 rows, the limit" in told
    assert sorted(path.name for path in tmp_path.iterdir() if path.name.startswith(("x", ".x"))
                  ) == []
