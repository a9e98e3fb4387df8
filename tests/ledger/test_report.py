"""The audit report of a lot, read back: rendered pages, its QR code and its Chinese text;
made twice, the same bytes; issued as an official report, its hash is a verified record of
the inspector. SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from ledger.application import Ledger
from ledger.bundles import build_bundle
from ledger.config import Settings
from ledger.digitallink.uris import DigitalLink
from ledger.errors import LotNotFound, NotPermitted
from ledger.exports.report import build_report, issue_report
from ledger.exports.scans import scan_report
from ledger.log import TransparencyLog
from ledger.log.logkey import LogKey
from tests.journeys import COOP, INSPECTOR, register_parties
from tests.report_reading import (
    GTIN,
    pages,
    qr_codes,
    scan_codes,
    scan_rows,
    story_to_recall,
    text_of,
)
from verify.bundle import Bundle
from verify.notes import Signer
from verify.verification import verify_bundle

HOST = "https://trace.example.cn"


@pytest.fixture
def settings(db_url: str) -> Settings:
    """No key limits: one story gives a cooperative a key per phone."""
    return Settings(db_url=db_url, master_key=os.urandom(32), max_active_keys=100_000,
                    max_new_keys_per_day=100_000)


@pytest.fixture
def log(ledger: Ledger) -> TransparencyLog:
    return TransparencyLog(ledger.store, LogKey(Signer.generate("agritrace.test/report-log")))


@pytest.fixture
def recalled(ledger: Ledger) -> Ledger:
    register_parties(ledger)
    story_to_recall(ledger)
    return ledger


def test_the_report_of_a_recalled_lot_reads_back(recalled: Ledger, log: TransparencyLog,
                                                 tmp_path: Path) -> None:
    report = build_report(recalled, log, "KG1", host=HOST)
    # A phone scanning the printed report reaches the lot's Digital Link.
    images = pages(report.pdf, tmp_path)
    assert len(images) >= 2
    assert qr_codes(images) == [DigitalLink(GTIN, "KG1").uri(HOST)]
    # The text is there for a reader (and a screen reader) to take: Chinese exactly.
    # Table cells wrap, so lines are joined before looking.
    text = text_of(report.pdf, tmp_path).replace("\n", "")
    for expected in ("农产品追溯审核报告", "批次 LotKG1", "状态 Status已召回 recalled",
                     "产品 Product猕猴桃 红阳", "农药残留超标", "毒死蜱", "湘U·12345",
                     "西乡冷库1号", "凤凰县市场监督管理局", "非正式副本",
                     "无扫码记录。No scans of serialised codes."):
        assert expected in text, expected
    # It rests on the bundle of the latest checkpoint, and says which.
    bundle = build_bundle(recalled, log, "KG1").to_json()
    assert report.bundle_sha256 == hashlib.sha256(bundle).hexdigest()
    assert report.bundle_sha256 in text
    assert report.checkpoint_size == log.latest_checkpoint().size
    assert f"检查点大小 Checkpoint size{report.checkpoint_size}" in text
    # The same facts give the same bytes.
    assert build_report(recalled, log, "KG1", host=HOST).pdf == report.pdf


def test_the_scan_section_is_the_scan_report(recalled: Ledger, log: TransparencyLog,
                                            tmp_path: Path) -> None:
    scan_codes(recalled)
    report = build_report(recalled, log, "KG1", host=HOST)
    text = text_of(report.pdf, tmp_path)
    # Each row of the section is the scan report's row for that day (GET /exports/scans.csv).
    days = scan_report(recalled, lot="KG1")
    assert scan_rows(text) == [
        [d.day, d.gtin, str(d.scans), str(d.serials), str(d.implausible),
         str(d.after_best_before)] for d in days]
    # Worked by hand: serial 1 passes 20 scans on 10-01 and is scanned again on 10-20, the
    # day serials 1 and 2 are scanned after the best-before (10-15 00:00 UTC+8).
    assert scan_rows(text) == [[
        "2026-10-01", GTIN, "24", "2", "1", "0"], ["2026-10-14", GTIN, "1", "1", "0", "0"],
        ["2026-10-20", GTIN, "3", "2", "1", "2"]]
    flat = text.replace("\n", " ")
    assert "保质期至 Best before: 2026-10-15 00:00 (UTC+8)" in flat
    assert (f"Serials scanned too often: 2026-10-01 {GTIN}: 1; 2026-10-20 {GTIN}: 1"
            in flat)


def test_an_official_report_is_a_verified_record_of_the_inspector(
        recalled: Ledger, log: TransparencyLog, tmp_path: Path) -> None:
    report = build_report(recalled, log, "KG1", host=HOST, issuer=INSPECTOR)
    assert "正式报告" in text_of(report.pdf, tmp_path)
    receipt = issue_report(recalled, report)
    last = recalled.lot_history("KG1")[-1].record
    assert (last.hash_hex, last.type, last.org) == (receipt.hash, "ReportIssued", INSPECTOR)
    assert last.data == {"report_sha256": hashlib.sha256(report.pdf).hexdigest(),
                         "bundle_sha256": report.bundle_sha256,
                         "checkpoint_size": report.checkpoint_size,
                         "checkpoint_root": report.checkpoint_root}
    # The record verifies in the lot's next bundle, and changes nothing of its state.
    bundle = build_bundle(recalled, log, "KG1")
    result = verify_bundle(Bundle.from_json(bundle.to_json()), [log.key.verifier])
    assert receipt.hash in {hashlib.sha256(r.raw).hexdigest() for r in bundle.records}
    assert result.state is not None
    assert result.state["status"] == "recalled"


def test_only_an_inspector_issues_an_official_report(recalled: Ledger,
                                                     log: TransparencyLog) -> None:
    with pytest.raises(NotPermitted, match="not an inspector") as refused:
        build_report(recalled, log, "KG1", host=HOST, issuer=COOP)
    assert refused.value.field == "official"
    with pytest.raises(NotPermitted, match="only an inspector"):
        recalled.record(COOP, "ReportIssued", {
            "report_sha256": "a" * 64, "bundle_sha256": "b" * 64, "checkpoint_size": 1,
            "checkpoint_root": "c" * 64}, lot="KG1")


def test_an_unknown_lot_has_no_report(recalled: Ledger, log: TransparencyLog) -> None:
    with pytest.raises(LotNotFound):
        build_report(recalled, log, "NOSUCH", host=HOST)


def test_an_organisation_with_many_keys_still_fits_the_page(recalled: Ledger,
                                                            log: TransparencyLog,
                                                            tmp_path: Path) -> None:
    """A cooperative with a key per phone: the signers table names the keys that signed and
    counts the others, instead of a cell taller than a page."""
    for _ in range(150):
        recalled.add_key(COOP)
    report = build_report(recalled, log, "KG1", host=HOST)
    text = text_of(report.pdf, tmp_path).replace("\n", "")
    assert "把有效" in text
    assert report.pdf.startswith(b"%PDF")
