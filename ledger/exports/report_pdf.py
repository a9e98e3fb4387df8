"""The report's page plumbing: A4 pages in reportlab's platypus, Chinese in the standard Adobe
CID font ``STSong-Light`` (not embedded: every conforming PDF reader supplies Adobe-GB1,
see docs/report.md), hashes in Courier, and bytes that depend only on what is drawn.

Deterministic output matters: an official report's SHA-256 is recorded in the ledger, so the
same facts must give the same bytes. reportlab's ``invariant`` mode fixes the document id
and dates; the dates shown as the PDF's creation and modification date are then set to the
checkpoint's signed time (``pdf_date``), never the clock.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Table, TableStyle

from ledger.labels.pdf import FONT, draw_qr, printable

__all__ = [
    "BODY",
    "CONTENT_WIDTH",
    "HEADING",
    "MARGIN",
    "MONO",
    "NOTE",
    "TITLE",
    "QrCode",
    "grid",
    "para",
    "pdf_date",
    "render_pages",
]

MARGIN = 16 * mm
CONTENT_WIDTH = A4[0] - 2 * MARGIN
MONO_FONT = "Courier"


def _register() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


_register()

TITLE = ParagraphStyle("title", fontName=FONT, fontSize=17, leading=22, spaceAfter=4)
HEADING = ParagraphStyle("heading", fontName=FONT, fontSize=12, leading=16, spaceBefore=10,
                         spaceAfter=4, textColor=colors.darkblue)
BODY = ParagraphStyle("body", fontName=FONT, fontSize=8.5, leading=11.5, wordWrap="CJK")
NOTE = ParagraphStyle("note", parent=BODY, fontSize=7.5, leading=10, textColor=colors.dimgrey)
MONO = ParagraphStyle("mono", parent=BODY, fontName=MONO_FONT, fontSize=7.5, leading=9.5,
                      wordWrap="CJK")
ALERT = colors.Color(0.8, 0.0, 0.0)
def para(text: str, style: ParagraphStyle = BODY, *, bold: bool = False,
         colour: colors.Color | None = None) -> Paragraph:
    """A paragraph of plain ``text`` (escaped: record data is never markup)."""
    markup = escape(printable(text)).replace("\n", "<br/>")
    if colour is not None:
        markup = f'<font color="{colour.hexval()}">{markup}</font>'
    if bold:
        markup = f"<b>{markup}</b>"
    return Paragraph(markup, style)


Cell = str | Flowable


def grid(rows: Sequence[Sequence[Cell]], widths: Sequence[float], *, header: bool = True,
         alerts: Sequence[int] = ()) -> Table:
    """A table of ``rows`` (strings become paragraphs); the first row is the header when
    ``header``; rows numbered in ``alerts`` are tinted red."""
    cells = [[para(cell) if isinstance(cell, str) else cell for cell in row] for row in rows]
    table = Table(cells, colWidths=list(widths), repeatRows=1 if header else 0)
    style: list[tuple[Any, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.92, 0.92, 0.95)))
    for row in alerts:
        style.append(("BACKGROUND", (0, row), (-1, row), colors.Color(1, 0.9, 0.9)))
    table.setStyle(TableStyle(style))
    return table


class QrCode(Flowable):
    """A QR code of ``data``, ``size`` points square, drawn as vector modules."""

    def __init__(self, data: str, size: float) -> None:
        super().__init__()
        self.data = data
        self.size = size

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.size, self.size

    def draw(self) -> None:
        draw_qr(self.canv, self.data, 0, 0, self.size)


def pdf_date(seconds: int | None) -> str:
    """A PDF date string for POSIX ``seconds`` (UTC); reportlab's fixed date without one."""
    if seconds is None:
        return "D:20000101000000+00'00'"
    return datetime.fromtimestamp(seconds, UTC).strftime("D:%Y%m%d%H%M%S+00'00'")


def render_pages(story: list[Flowable], *, title: str, subject: str, keywords: str,
                 date: str, footer: Callable[[Canvas, int], None]) -> bytes:
    """The PDF bytes of ``story`` on A4 pages, ``footer(canvas, page)`` drawn on each."""
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
        bottomMargin=MARGIN + 4 * mm, title=title, author="agritrace", subject=subject,
        creator="agritrace", producer="agritrace", keywords=[keywords], invariant=1,
        pageCompression=1)

    def on_page(canvas: Canvas, _: object) -> None:
        canvas.setDateFormatter(lambda *_: date)
        footer(canvas, canvas.getPageNumber())

    document.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return out.getvalue()
