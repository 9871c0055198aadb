"""A KPI's curve: its points, where a value sits on it, and, in exact fractions, the value that
reaches a wanted score.

The engine scores in 28-digit Decimals; solving "which value reaches grade S" backwards through a
division by 35 or by 3 needs exact arithmetic, or the answer lands a hair short of the grade.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from cspay.policy.model import BandScore, LinearScore, Score

ZERO = Decimal(0)
ONE = Decimal(1)


@dataclass(frozen=True)
class CurvePoint:
    """A point of a KPI's curve: threshold, target or stretch (linear), or a band's start."""

    name: str
    at: Decimal
    score: Decimal


Scorer = Callable[[Decimal], tuple[Decimal, str, Decimal | None]]
# How a payslip's KPI results say where a value sits (explanations use the codes, in the reader's words).
POSITION_TEXT = {
    "short_of_threshold": "short of threshold", "threshold_to_target": "between threshold and target",
    "target_to_stretch": "between target and stretch", "at_stretch": "at or beyond stretch",
    "band": "band from {start}", "below_first_band": "below the first band",
}  # fmt: skip


def linear_scorer(score: LinearScore) -> Scorer:
    """The curve through (threshold, at_threshold), (target, at_target), (stretch, at_stretch), running up
    or down: a value's score, where it sits and (for bands) the band's start. A value exactly at a point
    has reached it (at the threshold it scores at_threshold; at the stretch, at_stretch)."""
    t, g, x = score.threshold, score.target, score.stretch
    at_t, at_g, at_x = score.at_threshold, score.at_target, score.at_stretch
    # The differences are exact and the same on every call, so they are taken once.
    rise, gain, stretch_rise, stretch_gain = g - t, at_g - at_t, x - g, at_x - at_g

    if t < x:  # higher is better: a value reaches a point at or above it

        def scorer(value: Decimal) -> tuple[Decimal, str, Decimal | None]:
            if value < t:
                return ZERO, "short_of_threshold", None
            if value < g:
                return at_t + (value - t) / rise * gain, "threshold_to_target", None
            if value < x:
                return at_g + (value - g) / stretch_rise * stretch_gain, "target_to_stretch", None
            return at_x, "at_stretch", None

        return scorer

    def lower_is_better(value: Decimal) -> tuple[Decimal, str, Decimal | None]:  # reached at or below a point
        if value > t:
            return ZERO, "short_of_threshold", None
        if value > g:
            return at_t + (value - t) / rise * gain, "threshold_to_target", None
        if value > x:
            return at_g + (value - g) / stretch_rise * stretch_gain, "target_to_stretch", None
        return at_x, "at_stretch", None

    return lower_is_better


def band_scorer(score: BandScore) -> Scorer:
    """The score of the last band whose `from` the value reaches (a value at `from` is in that band);
    below the first band, 0."""
    bands = [(band.from_, band.score) for band in reversed(score.bands)]

    def scorer(value: Decimal) -> tuple[Decimal, str, Decimal | None]:
        for start, points in bands:
            if value >= start:
                return points, "band", start
        return ZERO, "below_first_band", None

    return scorer


def scorer_of(score: Score) -> Scorer:
    """The KPI's scoring function: its bands, or its linear curve."""
    return band_scorer(score) if isinstance(score, BandScore) else linear_scorer(score)


def position_text(code: str, band_from: Decimal | None) -> str:
    """Where a value sits, as a payslip's KPI result says it: "between threshold and target", "band from 90"."""
    return POSITION_TEXT[code].format(start=band_from)


def curve_points(score: Score) -> tuple[CurvePoint, ...]:
    """The points a KPI's curve is drawn through, worst to best."""
    if isinstance(score, BandScore):
        return tuple(CurvePoint("band", band.from_, band.score) for band in score.bands)
    return (
        CurvePoint("threshold", score.threshold, score.at_threshold),
        CurvePoint("target", score.target, score.at_target),
        CurvePoint("stretch", score.stretch, score.at_stretch),
    )


def position(score: Score, value: Decimal | None) -> tuple[str, Decimal | None]:
    """Where a value sits on its curve (the engine's own scorer), and the band it is in."""
    if value is None:
        return "no_value", None
    _, code, band_from = scorer_of(score)(value)
    return code, band_from


def exact_score(score: Score, value: Fraction) -> Fraction:
    """A value's score on a curve as an exact fraction (the engine's curve, without Decimal's 28-digit limit)."""
    if isinstance(score, BandScore):
        reached = [band.score for band in score.bands if band.from_ <= value]
        return Fraction(reached[-1]) if reached else Fraction(0)
    sign = 1 if score.higher_is_better else -1
    points = _exact_points(score)
    return _score_on(points, sign * value)


def _exact_points(score: LinearScore) -> list[tuple[Fraction, Fraction]]:
    """The linear curve's points, mirrored for lower-is-better so that it always rises left to right
    (made once per curve: explaining a run asks for them for every agent)."""
    held = _EXACT_POINTS.get(id(score))
    if held is not None and held[0] is score:
        return held[1]
    sign = 1 if score.higher_is_better else -1
    points = [
        (sign * Fraction(score.threshold), Fraction(score.at_threshold)),
        (sign * Fraction(score.target), Fraction(score.at_target)),
        (sign * Fraction(score.stretch), Fraction(score.at_stretch)),
    ]
    if len(_EXACT_POINTS) >= 256:  # policies loaded in one process are few; a bound all the same
        _EXACT_POINTS.clear()
    _EXACT_POINTS[id(score)] = (score, points)  # the curve is kept with its points, so its id is not reused
    return points


_EXACT_POINTS: dict[int, tuple[LinearScore, list[tuple[Fraction, Fraction]]]] = {}


def _score_on(points: list[tuple[Fraction, Fraction]], u: Fraction) -> Fraction:
    if u < points[0][0]:
        return Fraction(0)
    for (start, at_start), (end, at_end) in itertools.pairwise(points):
        if u < end:
            return at_start + (u - start) * (at_end - at_start) / (end - start)
    return points[-1][1]


def value_for_score(score: Score, value: Fraction, wanted: Fraction) -> Fraction | None:
    """The nearest value, in the better direction, whose score on a curve reaches `wanted`; None beyond it."""
    if isinstance(score, BandScore):
        return next((Fraction(band.from_) for band in score.bands if band.from_ > value and band.score >= wanted), None)
    sign = 1 if score.higher_is_better else -1
    found = _solve_linear(_exact_points(score), sign * value, wanted)
    return None if found is None else sign * found


def _solve_linear(points: list[tuple[Fraction, Fraction]], now: Fraction, wanted: Fraction) -> Fraction | None:
    """On a curve rising left to right: the smallest u ≥ now whose score reaches `wanted`."""
    threshold, at_threshold = points[0]
    if now < threshold and at_threshold >= wanted:
        return threshold  # the score jumps from 0 to at_threshold at the threshold
    for (start, at_start), (end, at_end) in itertools.pairwise(points):
        begin = max(now, start)
        if begin >= end:
            continue
        at_begin = at_start + (begin - start) * (at_end - at_start) / (end - start)
        if at_begin >= wanted and begin > now:
            return begin
        if at_end >= wanted > at_begin:
            return start + (wanted - at_start) * (end - start) / (at_end - at_start)
    return None
