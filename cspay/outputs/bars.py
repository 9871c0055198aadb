"""The small bar drawn beside each KPI on a statement: the value against its curve's points.

The bar always runs from worse (left) to better (right), so a lower-is-better KPI such as handle
time reads the same way as satisfaction. Geometry only; the template draws it as inline SVG.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal

from cspay.engine.explain import KpiExplained

WIDTH = Decimal(120)
PLACES = Decimal("0.1")
# Colours of the stretches of a curve, worst to best (short of threshold … beyond stretch).
LINEAR_COLOURS = ("#f2cfca", "#f5e2b3", "#d3e9cd", "#a8d49e")
BAND_COLOURS = ("#f2cfca", "#f5e2b3", "#d3e9cd", "#b9dfb1", "#a8d49e", "#8fc684")


@dataclass(frozen=True)
class Segment:
    x: Decimal
    width: Decimal
    colour: str


@dataclass(frozen=True)
class Bar:
    """Coloured stretches, tick positions at the curve's points, and the value's position (or None)."""

    segments: tuple[Segment, ...]
    ticks: tuple[Decimal, ...]
    marker: Decimal | None


def kpi_bar(kpi: KpiExplained) -> Bar:
    """The bar of one KPI: its points spread over the width, padded on both sides."""
    sign = Decimal(1) if kpi.higher_is_better else Decimal(-1)
    points = [sign * point.at for point in kpi.points]
    span = (points[-1] - points[0]) or abs(points[0]) or Decimal(1)
    low, high = points[0] - span * Decimal("0.4"), points[-1] + span * Decimal("0.25")

    def x(u: Decimal) -> Decimal:
        return (WIDTH * (min(max(u, low), high) - low) / (high - low)).quantize(PLACES)

    edges = [low, *points, high]
    colours = _colours(kpi, len(edges) - 1)
    segments = tuple(
        Segment(x(start), x(end) - x(start), colour)
        for (start, end), colour in zip(itertools.pairwise(edges), colours, strict=True)
    )
    marker = None if kpi.value is None else x(sign * kpi.value)
    return Bar(segments, tuple(x(point) for point in points), marker)


def _colours(kpi: KpiExplained, count: int) -> list[str]:
    if kpi.curve == "linear":
        return list(LINEAR_COLOURS)
    # Bands: below the first band is red, then each band a step greener, the best the greenest.
    greens = BAND_COLOURS[1:]
    steps = count - 1
    return [BAND_COLOURS[0]] + [greens[i * (len(greens) - 1) // max(steps - 1, 1)] for i in range(steps)]
