"""Text on every PDF the ledger prints (labels, 合格证, the audit report) goes through one
font, the standard CID font STSong-Light: a character its encoding lacks is drawn as one it
has, and a reader still extracts what the record says."""

from __future__ import annotations

import io
from pathlib import Path

from reportlab.lib.pagesizes import A4

from ledger.labels.pdf import FONT, new_pdf, wrap
from tests.report_reading import text_of

PLATE = "湘U·12345"  # a Chinese number plate: its middle dot is U+00B7


def test_a_middle_dot_is_drawn_with_a_glyph_the_font_has() -> None:
    # UniGB-UCS2-H has no code for U+00B7 (poppler draws a box); KATAKANA MIDDLE DOT it has.
    assert wrap(PLATE, 200, 10) == ["湘U\u30fb12345"]


def test_a_reader_extracts_the_plate_as_recorded(tmp_path: Path) -> None:
    out = io.BytesIO()
    with new_pdf(A4, "plate", out) as canvas:
        canvas.setFont(FONT, 12)
        for line in wrap(f"车辆 Vehicle {PLATE}", 400, 12):
            canvas.drawString(72, 700, line)
    assert PLATE in text_of(out.getvalue(), tmp_path)
