"""Reading an audit report back as a person and a phone would: its pages rendered by poppler's
``pdftoppm``, its QR code decoded by zxing-cpp, its text extracted by ``pdftotext``."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from ledger.application import Ledger
from tests.journeys import INSPECTOR, handle, kiwi_steps

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
    kiwi_steps(ledger)
    handle(ledger, INSPECTOR, "KG1", "Inspected", {
        "kind": "lab", "verdict": "fail", "lab": "湘西州农产品质量检测中心",
        "results": [{"analyte": "毒死蜱", "value": "0.05", "unit": "mg/kg", "limit": "0.02",
                     "verdict": "fail"}]})
    handle(ledger, INSPECTOR, "KC1", "Recalled", {"reason": "农药残留超标"})
