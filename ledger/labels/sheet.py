"""A4 label sheets for a packed lot: product, lot, grade, net weight, pack date and the QR
code of the Digital Link URI, 24 labels of 70 × 37 mm per sheet (the common 3 × 8 layout).

A serialised lot (``serial_first``..``serial_last`` in its Packed record) gets one label per
unit, each with its own ``/21/{serial}`` code; any other packed lot gets labels that all
carry the lot's code. At most ``MAX_LABELS`` labels per document. A lot that is recalled or
on hold, or made from one that is, gets none.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, replace

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from ledger.consumer.model import LotSummary
from ledger.consumer.timeline import local_date, quantity
from ledger.digitallink.uris import digital_link_uri
from ledger.errors import InvalidInput, WrongState
from ledger.labels.pdf import FONT, draw_qr, fit_lines, new_pdf
from ledger.labels.standing import require_standing

__all__ = ["COLUMNS", "MAX_LABELS", "ROWS", "Label", "label_sheet_pdf", "labels_for"]

COLUMNS, ROWS = 3, 8
LABEL_W, LABEL_H = 70 * mm, A4[1] / ROWS
MAX_LABELS = 1000
QR_SIZE = 29 * mm


@dataclass(frozen=True)
class Label:
    product: str
    grade: str | None
    net_weight: str
    lot: str
    packed: str  # date, UTC+8
    gtin: str
    serial: str | None
    uri: str

    @property
    def element_string(self) -> str:
        """The GS1 human-readable interpretation printed under the code."""
        serial = f"(21){self.serial}" if self.serial is not None else ""
        return f"(01){self.gtin}(10){self.lot}{serial}"


def labels_for(summary: LotSummary, host: str | None, *, first: int | None = None,
               count: int | None = None, limit: int = MAX_LABELS) -> list[Label]:
    """The labels of a packed lot: from serial ``first`` (default the first), ``count`` of
    them (default all, at most ``limit``); for a lot without serials, ``count`` copies
    (default one sheet). Raises ``WrongState`` for a lot not packed, ``InvalidInput`` for a
    range outside the lot's serials or a count over ``limit``; ``LotRecalled`` or ``LotHeld``
    for a lot recalled or held, or made from one that is."""
    require_standing(summary, "its labels")
    packing = summary.packing
    if packing is None:
        raise WrongState(f"lot {summary.lot} is not packed; labels carry a packed lot's GTIN")
    if count is not None and not 1 <= count <= limit:
        raise InvalidInput(f"must be between 1 and {limit}", field="count")
    lot_label = Label(product=summary.product_name, grade=packing.grade or summary.grade,
                      net_weight=quantity(packing.net_weight_per_unit,
                                          packing.net_weight_unit),
                      lot=summary.lot, packed=local_date(packing.time), gtin=packing.gtin,
                      serial=None, uri=digital_link_uri(host, packing.gtin, summary.lot))
    if packing.serial_first is None or packing.serial_last is None:
        if first is not None:
            raise InvalidInput(f"lot {summary.lot} has no serial numbers", field="first")
        return [lot_label] * (count or COLUMNS * ROWS)
    start = packing.serial_first if first is None else first
    if not packing.serial_first <= start <= packing.serial_last:
        raise InvalidInput(f"must be a serial from {packing.serial_first} to "
                           f"{packing.serial_last}", field="first")
    end = min(packing.serial_last, start + (count or limit) - 1)
    return [replace(lot_label, serial=str(serial),
                    uri=digital_link_uri(host, packing.gtin, summary.lot, serial))
            for serial in range(start, end + 1)]


def label_sheet_pdf(labels: list[Label], title: str) -> bytes:
    """The labels on A4 sheets, left to right, top to bottom."""
    out = io.BytesIO()
    per_sheet = COLUMNS * ROWS
    with new_pdf(A4, title, out) as canvas:
        for index, label in enumerate(labels):
            if index and index % per_sheet == 0:
                canvas.showPage()
            row, column = divmod(index % per_sheet, COLUMNS)
            _draw(canvas, label, column * LABEL_W, A4[1] - (row + 1) * LABEL_H)
    return out.getvalue()


def _draw(canvas: Canvas, label: Label, x: float, y: float) -> None:
    margin = 2 * mm
    draw_qr(canvas, label.uri, x + margin, y + 4.5 * mm, QR_SIZE)
    left = x + margin + QR_SIZE + 1 * mm
    width = LABEL_W - (left - x) - margin
    top = y + LABEL_H - 5 * mm
    lines: list[tuple[float, str]] = [(8.5, line) for line in
                                      fit_lines(label.product, width, 8.5, 2)]
    details = [f"等级 Grade {label.grade}" if label.grade else "",
               f"净含量 Net {label.net_weight}", f"批次 Lot {label.lot}",
               f"包装 Packed {label.packed}",
               f"序列号 S/N {label.serial}" if label.serial is not None else ""]
    lines += [(6.5, line) for detail in details if detail
              for line in fit_lines(detail, width, 6.5, 1)]
    for size, text in lines:
        canvas.setFont(FONT, size)
        canvas.drawString(left, top, text)
        top -= size + 2.4
    # Below the code's quiet zone, never inside it.
    canvas.setFont(FONT, 5.5)
    for line in fit_lines(label.element_string, LABEL_W - 2 * margin, 5.5, 1):
        canvas.drawString(x + margin + 1 * mm, y + 1.8 * mm, line)
