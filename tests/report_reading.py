"""Reading an audit report back as a person and a phone would: its pages rendered by poppler's
``pdftoppm``, its QR code decoded by zxing-cpp, its text extracted by ``pdftotext``."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from ledger.application import Ledger
from ledger.consumer.scans import ScanCounter
from tests.journeys import COOP, INSPECTOR, PLATFORM, collect, grade, handle, harvest

GTIN = "06901234567892"


def poppler(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        if os.environ.get("AGRITRACE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{tool} is required (apt-get install poppler-utils)")
        pytest.skip(f"{tool} is not installed (apt-get install poppler-utils)")
    return found


def pages(pdf: bytes, folder: Path, dpi: int = 150) -> list[Image.Image]:
    """Each page of ``pdf`` as an image, rendered by pdftoppm."""
    source = folder / "report.pdf"
    source.write_bytes(pdf)
    subprocess.run([poppler("pdftoppm"), "-r", str(dpi), "-png", str(source),
                    str(folder / "page")], check=True, capture_output=True, timeout=120)
    images = []
    for page in sorted(folder.glob("page-*.png")):
        with Image.open(page) as image:
            images.append(image.copy())
    return images


def text_of(pdf: bytes, folder: Path) -> str:
    """The text poppler extracts from ``pdf`` (UTF-8, reading order)."""
    source = folder / "report-text.pdf"
    source.write_bytes(pdf)
    done = subprocess.run([poppler("pdftotext"), "-enc", "UTF-8", str(source), "-"],
                          check=True, capture_output=True, timeout=60)
    return done.stdout.decode()


def qr_codes(images: list[Image.Image]) -> list[str]:
    return [code.text for image in images
            for code in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


def story_to_recall(ledger: Ledger) -> None:
    """Harvest → collect → grade → pre-cool → store with an excursion → pack → ship →
    receive, then an inspector tests the packed lot and recalls the collected lot, its
    ancestor. The parties are registered already."""
    for i in range(3):
        harvest(ledger, f"KH{i}", household=f"HH-00{i}")
    collect(ledger, "KC1", {"KH0": "100", "KH1": "100", "KH2": "100"})
    grade(ledger, "KC1", {"KG1": ("一级", "200"), "KG2": ("二级", "90")}, loss="10")
    handle(ledger, COOP, "KG1", "PreCooled", {
        "method": "forced-air", "started": "2026-09-10T17:00:00+08:00",
        "ended": "2026-09-10T21:00:00+08:00", "target_core_temp_c": "2",
        "reached_core_temp_c": "2.4",
        "readings": [{"at": "2026-09-10T18:00:00+08:00", "temp_c": "8.1"},
                     {"at": "2026-09-10T21:00:00+08:00", "temp_c": "2.4"}]})
    handle(ledger, COOP, "KG1", "Stored", {
        "facility": "西乡冷库1号", "started": "2026-09-10T22:00:00+08:00",
        "ended": "2026-09-12T06:00:00+08:00", "target_min_c": "0", "target_max_c": "4",
        "readings": [{"at": "2026-09-11T06:00:00+08:00", "temp_c": "1.5"},
                     {"at": "2026-09-11T14:00:00+08:00", "temp_c": "6.2"},
                     {"at": "2026-09-11T22:00:00+08:00", "temp_c": "2.0"}]})
    handle(ledger, COOP, "KG1", "Packed", {
        "packaging": "5 kg 礼盒", "units": 40, "net_weight_per_unit": "5",
        "net_weight_unit": "kg", "gtin": GTIN, "grade": "一级", "serial_first": 1,
        "serial_last": 40, "best_before": "2026-10-15T00:00:00+08:00"},
        time="2026-09-12T08:00:00+08:00")
    handle(ledger, COOP, "KG1", "Shipped", {
        "to": PLATFORM, "to_location": "长沙市望城区电商产业园", "location": "西乡冷库",
        "carrier": "湘西冷链物流", "vehicle": "湘U·12345", "waybill": "XL20260912001"},
        time="2026-09-12T09:00:00+08:00")
    handle(ledger, PLATFORM, "KG1", "Received", {
        "from": COOP, "location": "长沙市望城区电商产业园", "temp_c": "3.2",
        "waybill": "XL20260912001"}, time="2026-09-12T19:00:00+08:00")
    handle(ledger, INSPECTOR, "KG1", "Inspected", {
        "kind": "lab", "verdict": "fail", "lab": "湘西州农产品质量检测中心",
        "results": [{"analyte": "毒死蜱", "value": "0.05", "unit": "mg/kg", "limit": "0.02",
                     "verdict": "fail"}]})
    handle(ledger, INSPECTOR, "KC1", "Recalled", {"reason": "农药残留超标"})


def scan_codes(ledger: Ledger) -> None:
    """Phones resolve KG1's boxes: serial 1 21 times on 10-01 (one more than one box of
    produce plausibly gets) and once on 10-20; serial 2 3 times on 10-01 and twice on 10-20,
    after the best-before (10-15 00:00 UTC+8); serial 3 once on 10-14."""
    counter = ScanCounter(ledger.store.engine, flush_every=3600)
    for serial, day, times in (("1", 1, 21), ("1", 20, 1), ("2", 1, 3), ("2", 20, 2),
                               ("3", 14, 1)):
        for _ in range(times):
            counter.count(GTIN, "KG1", serial, datetime(2026, 10, day, 12, tzinfo=UTC))
    counter.flush()


def scan_rows(text: str) -> list[list[str]]:
    """The scan section's table rows as ``pdftotext`` reads them: each row's cells, from its
    day (``2026-10-01``) to the next day or the section's end."""
    section = text[text.index("9. 扫码统计"):text.index("10. 验证摘要")]
    words = section.split()
    starts = [i for i, word in enumerate(words) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", word)
              and i + 1 < len(words) and words[i + 1] == GTIN]
    return [words[start:start + 6] for start in starts]
