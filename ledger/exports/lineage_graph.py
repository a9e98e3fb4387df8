"""The lineage drawn as a graph: lots as boxes, transformations as arrows labelled with the
quantity that went from one lot into the next, laid out by generation (the oldest harvests
at the top, the reported lot at the bottom). Drawn with reportlab's vector graphics, so it
needs no graphviz and prints sharp.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence

from reportlab.graphics.shapes import Drawing, Line, Polygon, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from ledger.exports.report_facts import Edge, Node
from ledger.labels.pdf import FONT, printable

__all__ = ["lineage_drawing"]

BOX_HEIGHT = 44.0
ROW_GAP = 46.0
MAX_BOX_WIDTH = 120.0
GAP = 10.0
FLAGGED = colors.Color(0.99, 0.88, 0.88)
OWN = colors.Color(0.88, 0.94, 1.0)
STEP_WORDS = {"Harvested": "采收 harvest", "Collected": "集货 collection",
              "Graded": "分级 grading"}


def lineage_drawing(nodes: Sequence[Node], edges: Sequence[Edge], width: float,
                    flagged: Collection[str]) -> Drawing:
    """A drawing ``width`` points wide; lots in ``flagged`` (held or recalled) are tinted."""
    rows: dict[int, list[Node]] = {}
    for node in nodes:
        rows.setdefault(node.generation, []).append(node)
    generations = sorted(rows, reverse=True)
    height = len(generations) * (BOX_HEIGHT + ROW_GAP) - ROW_GAP + 8
    drawing = Drawing(width, height)
    places: dict[str, tuple[float, float, float]] = {}  # code -> x, y (bottom), box width
    for row, generation in enumerate(generations):
        members = rows[generation]
        box = min(MAX_BOX_WIDTH, (width - GAP * (len(members) - 1)) / len(members))
        used = box * len(members) + GAP * (len(members) - 1)
        y = height - 4 - BOX_HEIGHT - row * (BOX_HEIGHT + ROW_GAP)
        for i, node in enumerate(members):
            x = (width - used) / 2 + i * (box + GAP)
            places[node.code] = (x, y, box)
            _box(drawing, node, x, y, box, own=generation == 0,
                 flagged=node.code in flagged)
    for edge in edges:
        if edge.parent in places and edge.child in places:
            _arrow(drawing, edge, places[edge.parent], places[edge.child])
    return drawing


def _box(drawing: Drawing, node: Node, x: float, y: float, width: float, *, own: bool,
         flagged: bool) -> None:
    fill = FLAGGED if flagged else OWN if own else colors.white
    rect = Rect(x, y, width, BOX_HEIGHT, rx=3, ry=3)
    rect.fillColor, rect.strokeColor, rect.strokeWidth = fill, colors.black, 1.6 if own else 0.6
    drawing.add(rect)
    amount = " ".join(part for part in (node.quantity, node.unit) if part)
    lines = [(node.code, 8.0), (" ".join(p for p in (node.product, node.grade) if p), 7.0),
             (amount, 7.0)]
    for i, (text, size) in enumerate(lines):
        shown, fitted = _fit(text, width - 6, size)
        drawing.add(String(x + width / 2, y + BOX_HEIGHT - 13 - i * 12, shown,
                           fontName=FONT, fontSize=fitted, textAnchor="middle"))


def _arrow(drawing: Drawing, edge: Edge, parent: tuple[float, float, float],
           child: tuple[float, float, float]) -> None:
    x1, y1 = parent[0] + parent[2] / 2, parent[1]
    x2, y2 = child[0] + child[2] / 2, child[1] + BOX_HEIGHT
    drawing.add(Line(x1, y1, x2, y2, strokeColor=colors.darkslategray, strokeWidth=0.8))
    angle = math.atan2(y2 - y1, x2 - x1)
    head = [(x2, y2)]
    for side in (-0.4, 0.4):
        head.append((x2 - 7 * math.cos(angle + side), y2 - 7 * math.sin(angle + side)))
    drawing.add(Polygon([c for point in head for c in point], fillColor=colors.darkslategray,
                        strokeColor=colors.darkslategray, strokeWidth=0.5))
    label = " ".join(part for part in (edge.quantity, edge.unit) if part)
    label = f"{STEP_WORDS.get(edge.step, edge.step)} {label}".strip()
    shown, size = _fit(label, 110, 6.5)
    # Near the parent's end: arrows converging on one lot keep their labels apart.
    drawing.add(String(x1 + (x2 - x1) * 0.3, y1 + (y2 - y1) * 0.3 - 2, shown, fontName=FONT,
                       fontSize=size, textAnchor="middle", fillColor=colors.darkblue))


def _fit(text: str, width: float, size: float) -> tuple[str, float]:
    """``text`` at ``size`` or smaller (down to 5 pt) to fit ``width``; cut with … if still
    too wide."""
    text = printable(text)
    while size > 5 and stringWidth(text, FONT, size) > width:
        size -= 0.5
    while len(text) > 1 and stringWidth(text, FONT, size) > width:
        text = text[:-2] + "…"
    return text, size
