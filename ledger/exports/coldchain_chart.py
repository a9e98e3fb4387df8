"""The cold-chain chart: every temperature reading of the lot's history against time, each
cold store's target band shaded over the time it held the lot, excursions marked in red.
Pre-cooling readings are drawn grey: a cooling curve starts warm on purpose and is not judged.
Times are shown in UTC+8, as everything people read here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal

from reportlab.graphics.shapes import Circle, Drawing, Line, PolyLine, Rect, String
from reportlab.lib import colors

from ledger.consumer.timeline import CHINA
from ledger.exports.report_facts import Band, Reading
from ledger.labels.pdf import FONT

__all__ = ["coldchain_drawing"]

LEFT, BOTTOM, TOP, RIGHT = 34.0, 30.0, 10.0, 10.0
BAND = colors.Color(0.85, 0.95, 0.85)
SERIES = {"Stored": colors.darkblue, "PreCooled": colors.grey,
          "Shipped": colors.darkgreen, "Received": colors.darkgreen}


def coldchain_drawing(readings: Sequence[Reading], bands: Sequence[Band], width: float,
                      height: float = 170.0) -> Drawing:
    """Requires at least one reading."""
    drawing = Drawing(width, height)
    times = [_seconds(r.at) for r in readings]
    band_times = [_seconds(t) for b in bands for t in (b.start, b.end) if t is not None]
    start, end = min(times + band_times), max(times + band_times)
    end = end if end > start else start + 3600
    temps = [r.temp_c for r in readings] + [t for b in bands for t in (b.low, b.high)
                                             if t is not None]
    low, high = _nice(min(temps), max(temps))
    plot_w, plot_h = width - LEFT - RIGHT, height - BOTTOM - TOP

    def x(seconds: float) -> float:
        return LEFT + (seconds - start) / (end - start) * plot_w

    def y(temp: Decimal) -> float:
        return BOTTOM + float(temp - low) / float(high - low) * plot_h

    for band in bands:
        top = band.high if band.high is not None else high
        bottom = band.low if band.low is not None else low
        left = x(_seconds(band.start))
        right = x(_seconds(band.end)) if band.end else LEFT + plot_w
        rect = Rect(left, y(bottom), max(right - left, 1), y(top) - y(bottom))
        rect.fillColor, rect.strokeColor = BAND, None
        drawing.add(rect)
    _axes(drawing, low, high, start, end, x, y, plot_w)
    for source in ("PreCooled", "Stored"):
        points = [(x(_seconds(r.at)), y(r.temp_c)) for r in readings if r.source == source]
        if len(points) > 1:
            drawing.add(PolyLine([c for p in points for c in p], strokeColor=SERIES[source],
                                 strokeWidth=1))
    for reading in readings:
        colour = colors.red if reading.excursion else SERIES[reading.source]
        drawing.add(Circle(x(_seconds(reading.at)), y(reading.temp_c),
                           3 if reading.excursion else 1.6, fillColor=colour,
                           strokeColor=colour))
        if reading.excursion:
            drawing.add(String(x(_seconds(reading.at)) + 4, y(reading.temp_c) + 3,
                               f"{reading.temp_c} ℃", fontName=FONT, fontSize=6.5,
                               fillColor=colors.red))
    return drawing


def _axes(drawing: Drawing, low: Decimal, high: Decimal, start: float, end: float,
          to_x: Callable[[float], float], to_y: Callable[[Decimal], float],
          plot_w: float) -> None:
    drawing.add(Line(LEFT, to_y(low), LEFT + plot_w, to_y(low), strokeWidth=0.6))
    drawing.add(Line(LEFT, to_y(low), LEFT, to_y(high), strokeWidth=0.6))
    step = _step(high - low)
    tick = low
    while tick <= high:
        drawing.add(Line(LEFT - 3, to_y(tick), LEFT, to_y(tick), strokeWidth=0.5))
        drawing.add(String(LEFT - 5, to_y(tick) - 2.5, f"{tick}", fontName=FONT, fontSize=6.5,
                           textAnchor="end"))
        tick += step
    drawing.add(String(4, to_y(high) + 2, "℃", fontName=FONT, fontSize=7))
    for i in range(5):
        moment = start + (end - start) * i / 4
        drawing.add(Line(to_x(moment), to_y(low), to_x(moment), to_y(low) - 3, strokeWidth=0.5))
        label = datetime.fromtimestamp(moment, CHINA).strftime("%m-%d %H:%M")
        drawing.add(String(to_x(moment), to_y(low) - 12, label,
                           fontName=FONT, fontSize=6.5, textAnchor="middle"))
    drawing.add(String(LEFT + plot_w, 2, "UTC+8", fontName=FONT, fontSize=6.5,
                       textAnchor="end"))


def _seconds(moment: str) -> float:
    return datetime.fromisoformat(moment).timestamp()


def _nice(lowest: Decimal, highest: Decimal) -> tuple[Decimal, Decimal]:
    """Axis bounds around the values, on whole degrees, at least 4 ℃ apart."""
    low, high = Decimal(int(lowest) - 1), Decimal(int(highest) + 1)
    if high - low < 4:
        high = low + 4
    return low, high


def _step(span: Decimal) -> Decimal:
    for step in (1, 2, 5, 10, 20):
        if span / step <= 8:
            return Decimal(step)
    return Decimal(50)
