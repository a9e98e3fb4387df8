"""The cold-chain chart: readings laid out on an SVG canvas, target ranges shaded, each
excursion marked. Pure geometry; ``templates/_coldchain.html`` draws it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ledger.consumer.model import ColdChain, Reading
from ledger.consumer.timeline import CHINA

__all__ = ["Chart", "chart"]

WIDTH, HEIGHT = 340, 190
LEFT, RIGHT, TOP, BOTTOM = 34, 8, 10, 24


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    reading: Reading


@dataclass(frozen=True)
class Band:
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    path: str
    points: tuple[Point, ...]
    excursions: tuple[Point, ...]
    bands: tuple[Band, ...]
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]
    left: int
    right: int
    top: int
    bottom: int


def chart(cold: ColdChain) -> Chart | None:
    """The chart of ``cold``'s readings, or None when there are fewer than two."""
    readings = cold.readings
    if len(readings) < 2:
        return None
    times = [datetime.fromisoformat(r.at).timestamp() for r in readings]
    temps = [float(Decimal(r.temp_c)) for r in readings]
    limits = [float(Decimal(v)) for b in cold.bands for v in (b.min_c, b.max_c) if v is not None]
    low = math.floor(min(temps + limits) / 5) * 5
    high = math.ceil(max(temps + limits) / 5) * 5
    high = high if high > low else low + 5
    start, end = min(times), max(times)
    span = end - start or 1.0

    def x_of(moment: float) -> float:
        return round(LEFT + (WIDTH - LEFT - RIGHT) * (moment - start) / span, 1)

    def y_of(temp: float) -> float:
        return round(TOP + (HEIGHT - TOP - BOTTOM) * (high - temp) / (high - low), 1)

    points = tuple(Point(x_of(t), y_of(v), r) for t, v, r in zip(times, temps, readings,
                                                                 strict=True))
    bands = []
    for band in cold.bands:
        left = x_of(max(start, datetime.fromisoformat(band.start).timestamp()))
        right = x_of(min(end, datetime.fromisoformat(band.end).timestamp()))
        top = y_of(float(Decimal(band.max_c)) if band.max_c is not None else high)
        bottom = y_of(float(Decimal(band.min_c)) if band.min_c is not None else low)
        if right > left:
            bands.append(Band(left, top, round(right - left, 1), round(bottom - top, 1)))
    step = 5 if high - low <= 30 else 10
    y_ticks = tuple(Tick(y_of(v), f"{v}") for v in range(low, high + 1, step))
    x_ticks = tuple(Tick(x_of(t), datetime.fromtimestamp(t, CHINA).strftime("%m-%d"))
                    for t in (start, start + span / 2, end))
    path = "M" + " L".join(f"{p.x} {p.y}" for p in points)
    return Chart(width=WIDTH, height=HEIGHT, path=path, points=points,
                 excursions=tuple(p for p in points if p.reading.excursion),
                 bands=tuple(bands), y_ticks=y_ticks, x_ticks=x_ticks, left=LEFT,
                 right=WIDTH - RIGHT, top=TOP, bottom=HEIGHT - BOTTOM)
