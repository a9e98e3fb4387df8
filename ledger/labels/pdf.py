"""Drawing on PDF pages with reportlab: Chinese text without font files, QR codes as vectors.

Chinese uses the Adobe CID font ``STSong-Light`` (Adobe-GB1), which reportlab knows and PDF
readers supply, so no font is embedded or shipped. QR modules are drawn as filled
rectangles: sharp at any printer resolution.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from ledger.labels.qr import QUIET_ZONE, qr_matrix

__all__ = ["FONT", "draw_qr", "fit_lines", "new_pdf", "printable", "wrap"]

FONT = "STSong-Light"
# Characters the UniGB-UCS2-H encoding of STSong-Light has no code for, drawn as the one it
# has: the middle dot of a plate number (湘U·12345) is KATAKANA MIDDLE DOT in Adobe-GB1, which
# readers extract as U+00B7 again (docs/report.md).
SUBSTITUTES = str.maketrans({"\u00b7": "\u30fb"})
_registered = False


def _register() -> None:
    global _registered
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _registered = True


@contextmanager
def new_pdf(size: tuple[float, float], title: str, out: io.BytesIO) -> Iterator[Canvas]:
    """A canvas writing a PDF into ``out``; saved when the block ends. The document date is
    fixed so the same ledger facts give the same bytes."""
    _register()
    canvas = Canvas(out, pagesize=size, invariant=True, pageCompression=1)
    canvas.setTitle(title)
    canvas.setAuthor("agritrace")
    canvas.setCreator("agritrace")
    yield canvas
    canvas.save()


def draw_qr(canvas: Canvas, data: str, x: float, y: float, size: float) -> None:
    """The QR code of ``data`` with its quiet zone, in a ``size`` square at (x, y) from the
    lower left."""
    matrix = qr_matrix(data)
    modules = len(matrix) + 2 * QUIET_ZONE
    unit = size / modules
    canvas.saveState()
    canvas.setFillColorRGB(1, 1, 1)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColorRGB(0, 0, 0)
    path = canvas.beginPath()
    for row, line in enumerate(matrix):
        top = y + size - (row + QUIET_ZONE + 1) * unit
        column = 0
        while column < len(line):
            if not line[column]:
                column += 1
                continue
            end = column
            while end < len(line) and line[end]:
                end += 1
            path.rect(x + (column + QUIET_ZONE) * unit, top, (end - column) * unit, unit)
            column = end
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()


def printable(text: str) -> str:
    """``text`` as the CID font can draw it (``SUBSTITUTES``)."""
    return text.translate(SUBSTITUTES)


def wrap(text: str, width: float, size: float) -> list[str]:
    """``text`` in lines no wider than ``width`` points at ``size``, drawable by the font
    (``printable``): breaks at spaces where it can, and between any two characters of
    Chinese (which has no spaces)."""
    _register()
    text = printable(text)
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for word in _words(paragraph):
            candidate = line + word
            if pdfmetrics.stringWidth(candidate.rstrip(), FONT, size) <= width or not line:
                line = candidate
                while pdfmetrics.stringWidth(line.rstrip(), FONT, size) > width and len(line) > 1:
                    cut = _fit(line, width, size)
                    lines.append(line[:cut].rstrip())
                    line = line[cut:].lstrip()
                continue
            lines.append(line.rstrip())
            line = word.lstrip()
        lines.append(line.rstrip())
    return lines


def fit_lines(text: str, width: float, size: float, most: int) -> list[str]:
    """At most ``most`` wrapped lines, the last ending in an ellipsis when cut short."""
    lines = wrap(text, width, size)
    if len(lines) <= most:
        return lines
    kept = lines[:most]
    last = kept[-1]
    while last and pdfmetrics.stringWidth(last + "…", FONT, size) > width:
        last = last[:-1]
    kept[-1] = last + "…"
    return kept


def _words(paragraph: str) -> Iterator[str]:
    """Words with their trailing space; each CJK character is a word of its own."""
    word = ""
    for char in paragraph:
        if ord(char) > 0x2E7F:  # CJK and fullwidth forms: a break is allowed around each
            if word:
                yield word
                word = ""
            yield char
        elif char == " ":
            yield word + " "
            word = ""
        else:
            word += char
    if word:
        yield word


def _fit(line: str, width: float, size: float) -> int:
    cut = len(line)
    while cut > 1 and pdfmetrics.stringWidth(line[:cut], FONT, size) > width:
        cut -= 1
    return cut

