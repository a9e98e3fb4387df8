"""QR codes, label sheets and the compliance certificate, read back with a real decoder:
``zxing-cpp`` for every code, ``pdftoppm`` (Debian's poppler-utils) to render the PDFs.

Each decoded code must be exactly the Digital Link URI on the public host, and its path must
open the right page. Tests needing ``pdftoppm`` are skipped without it, except when
``AGRITRACE_REQUIRE_BROWSER=1`` (CI), where its absence fails them.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from PIL import Image, ImageDraw

from ledger.demo import KIWI_GTIN, seed_day
from ledger.digitallink import parse_digital_link
from ledger.errors import InvalidInput, NotFound, WrongState
from ledger.labels import (
    compliance_certificate,
    issue_compliance_certificate,
    labels_for,
    qr_matrix,
    qr_png,
    qr_svg,
    write_certificate,
    write_label_sheet,
)
from ledger.labels.qr import QUIET_ZONE
from ledger.labels.sheet import COLUMNS, ROWS
from tests.test_scan_resolver import BROWSER, G1, PUBLIC, TestClient, client, scan_app

__all__ = ["client", "decode", "scan_app"]  # the module-scoped demo client is shared


def decode(image: Image.Image) -> list[str]:
    """Every QR code zxing-cpp finds in ``image``, as text."""
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    return [barcode.text for barcode in found]


def _page_of(client: TestClient, uri: str) -> Any:
    assert uri.startswith(PUBLIC)
    return client.get(uri.removeprefix(PUBLIC), headers=BROWSER)


@pytest.mark.parametrize("suffix", ["", "/21/1", "/21/300"])
def test_qr_png_decodes_to_the_uri_that_opens_the_page(client: TestClient, suffix: str) -> None:
    response = client.get(f"/qr{G1}{suffix}.png")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    (text,) = decode(image)
    assert text == f"{PUBLIC}{G1}{suffix}"
    page = _page_of(client, text)
    assert page.status_code == 200
    assert "KW26-SBD-G1" in page.text
    # Level Q, and the quiet zone of four modules is white all round.
    (barcode,) = zxingcpp.read_barcodes(image)
    assert barcode.ec_level == "Q"
    modules = len(qr_matrix(text)) + 2 * QUIET_ZONE
    assert image.width == image.height == modules * 10
    border = image.convert("L").crop((0, 0, image.width, QUIET_ZONE * 10))
    assert border.getextrema() == (255, 255)


def test_qr_png_size_is_chosen_per_module(client: TestClient) -> None:
    small = Image.open(io.BytesIO(client.get(f"/qr{G1}.png?size=4").content))
    big = Image.open(io.BytesIO(client.get(f"/qr{G1}.png?size=20").content))
    assert big.width == 5 * small.width
    assert decode(small) == decode(big) == [PUBLIC + G1]


def _svg_to_image(svg: str, scale: int = 8) -> Image.Image:
    """Paint the SVG's one path of ``M x y h n v1 h-n z`` runs: what a renderer would."""
    side = int(re.search(r'viewBox="0 0 (\d+) \1"', svg).group(1))  # type: ignore[union-attr]
    image = Image.new("L", (side * scale, side * scale), 255)
    draw = ImageDraw.Draw(image)
    for x, y, width in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", svg):
        left, top = int(x) * scale, int(y) * scale
        draw.rectangle((left, top, left + int(width) * scale - 1, top + scale - 1), fill=0)
    return image


def test_qr_svg_decodes_to_the_same_uri(client: TestClient) -> None:
    response = client.get(f"/qr{G1}/21/7.svg")
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert decode(_svg_to_image(response.text)) == [f"{PUBLIC}{G1}/21/7"]
    assert "<title>" in response.text


def test_qr_functions_refuse_what_cannot_be_a_label() -> None:
    with pytest.raises(ValueError, match="QR data"):
        qr_png("")
    with pytest.raises(ValueError, match="box_size"):
        qr_png("x", box_size=41)
    assert "&lt;b&gt;" in qr_svg("x", title="<b>")


def _pdftoppm() -> str:
    found = shutil.which("pdftoppm")
    if found is None:
        if os.environ.get("AGRITRACE_REQUIRE_BROWSER") == "1":
            pytest.fail("pdftoppm is required (apt-get install poppler-utils)")
        pytest.skip("pdftoppm is not installed (apt-get install poppler-utils)")
    return found


def render_pdf(pdf: bytes, folder: Path, dpi: int = 200) -> Iterator[Image.Image]:
    """Each page of ``pdf`` as an image, rendered by pdftoppm."""
    source = folder / "document.pdf"
    source.write_bytes(pdf)
    subprocess.run([_pdftoppm(), "-r", str(dpi), "-png", str(source), str(folder / "page")],
                   check=True, capture_output=True, timeout=120)
    for page in sorted(folder.glob("page-*.png")):
        with Image.open(page) as image:
            yield image.copy()


def test_the_label_sheet_pdf_carries_one_code_per_unit(client: TestClient,
                                                       tmp_path: Path) -> None:
    response = client.get("/lots/KW26-SBD-G1/labels.pdf?first=290")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    pages = list(render_pdf(response.content, tmp_path))
    assert len(pages) == 1
    found = decode(pages[0])
    assert sorted(found) == sorted(f"{PUBLIC}{G1}/21/{n}" for n in range(290, 301))
    for uri in found[:3]:
        assert parse_digital_link(uri.removeprefix(PUBLIC)).serial is not None
        assert _page_of(client, uri).status_code == 200


def test_a_full_sheet_has_twenty_four_labels(client: TestClient, tmp_path: Path) -> None:
    response = client.get("/lots/KW26-SBD-G1/labels.pdf?count=25")
    pages = list(render_pdf(response.content, tmp_path, dpi=150))
    assert [len(decode(page)) for page in pages] == [COLUMNS * ROWS, 1]


def test_labels_need_a_packed_lot_and_a_real_range(client: TestClient) -> None:
    assert client.get("/lots/TEA26-BJ-001/labels.pdf").status_code == 409
    assert client.get("/lots/NOPE/labels.pdf").status_code == 404
    assert client.get("/lots/KW26-SBD-G1/labels.pdf?first=301").status_code == 400
    assert client.get("/lots/KW26-SBD-G1/labels.pdf?count=0").status_code == 400
    assert client.get("/lots/KW26-SBD-G1/labels.pdf?count=1001").status_code == 400


def test_the_certificate_page_and_pdf_render_the_signed_record(client: TestClient,
                                                               tmp_path: Path) -> None:
    page = client.get("/lots/KW26-SBD-G1/certificate", headers=BROWSER)
    assert page.status_code == 200
    ledger: Any = client.app.state.ledger  # type: ignore[attr-defined]
    issued = seed_day(ledger) - timedelta(days=2)  # the demo packs and certifies then
    for text in ("承诺达标合格证", "HN-HY-2026-091601", "猕猴桃 kiwifruit", "1500 kg (300 × 5 kg)",
                 "十八洞村", issued.isoformat(), "0743-7120000", "我单位承诺"):
        assert text in page.text
    certified = [s.record for s in ledger.lot_history("KW26-SBD-G1")
                 if s.record.type == "Certified"]
    assert certified[-1].hash_hex in page.text
    pdf = client.get("/lots/KW26-SBD-G1/certificate.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    (rendered,) = render_pdf(pdf.content, tmp_path)
    assert decode(rendered) == [PUBLIC + G1]
    assert client.get("/lots/TEA26-BJ-001/certificate", headers=BROWSER).status_code == 404
    assert client.get("/lots/TEA26-BJ-001/certificate.pdf").status_code == 404


def test_issuing_a_certificate_records_it_and_the_files_are_written(
        client: TestClient, tmp_path: Path) -> None:
    ledger: Any = client.app.state.ledger  # type: ignore[attr-defined]
    receipts = issue_compliance_certificate(ledger, "coop-xiangxi", "KW26-SBD-G2",
                                            number="HGZ-G2-001")
    (receipt,) = receipts
    assert receipt.type == "Certified"
    record = ledger.lot_history("KW26-SBD-G2")[-1].record
    assert record.data["scheme"] == "compliance-certificate"
    assert record.data["contact"] == "0743-7120000"
    assert record.data["issuer"].startswith("湘西十八洞")
    certificate = write_certificate(ledger, "KW26-SBD-G2", tmp_path / "c.pdf", host=PUBLIC)
    assert certificate.record == receipt.hash
    assert certificate.uri == f"{PUBLIC}/lots/KW26-SBD-G2/page"  # no GTIN: the lot's page
    (rendered,) = render_pdf((tmp_path / "c.pdf").read_bytes(), tmp_path)
    (uri,) = decode(rendered)
    assert uri == certificate.uri
    assert _page_of(client, uri).status_code == 200
    count = write_label_sheet(ledger, "KW26-SBD-G1", tmp_path / "l.pdf", host=PUBLIC, count=2)
    assert count == 2
    assert (tmp_path / "l.pdf").read_bytes().startswith(b"%PDF")


def test_label_and_certificate_functions_refuse_lots_they_cannot_print(
        client: TestClient) -> None:
    from ledger.consumer import public_summary

    ledger: Any = client.app.state.ledger  # type: ignore[attr-defined]
    with pytest.raises(WrongState):  # never packed
        labels_for(public_summary(ledger, "OR26-MY-B"), PUBLIC)
    with pytest.raises(InvalidInput):
        labels_for(public_summary(ledger, "KW26-SBD-G1"), PUBLIC, first=0)
    with pytest.raises(NotFound):  # packed, but no certificate was issued
        compliance_certificate(public_summary(ledger, "OR26-MY-A"), PUBLIC)
    labels = labels_for(public_summary(ledger, "KW26-SBD-G1"), PUBLIC, first=299)
    assert [label.element_string for label in labels] == [
        f"(01){KIWI_GTIN}(10)KW26-SBD-G1(21)299", f"(01){KIWI_GTIN}(10)KW26-SBD-G1(21)300"]


def test_printing_spends_from_the_rate_limit(client: TestClient,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from api.limits import RateLimiter

    state: Any = client.app.state  # type: ignore[attr-defined]
    monkeypatch.setattr(state, "limiter", RateLimiter(0.001, 2))
    codes = [client.get(f"/qr{G1}/21/{n}.png").status_code for n in range(1, 4)]
    assert codes == [200, 200, 429]
    assert client.get("/lots/KW26-SBD-G1/labels.pdf?count=1").status_code == 429
    assert client.get(G1, headers=BROWSER).status_code == 200  # reading the page is not
