"""A derived figure and the rules that make its value from exact parts, written once.

The engine that aggregates an export (cspay.inputs.sql_engine) hands over counts, exact sums and the order
statistics a percentile needs; the divisions and the interpolation happen here, in Decimal, so every
digit is what cspay has always computed. Figures read back from a file of derived metrics
(cspay.inputs.derived_file) go through the same rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import NamedTuple

HUNDRED = Decimal(100)
# The p of the order statistics that are percentiles under another name.
FIXED_P = {"median": Decimal(50), "min": Decimal(0), "max": Decimal(100)}


class Figure(NamedTuple):
    """A derived value and what it came from: value = numerator / denominator where that applies.

    count: matching rows / the agent's rows; sum, mean: total / values; median, min, max and
    percentile: no numerator / values; share, top_box: hits / eligible rows; ratio: the two metrics.
    (Immutable; a named tuple because a large export makes millions of them.)
    """

    value: Decimal | None
    numerator: Decimal | None
    denominator: Decimal | None


def count_figure(hits: int, rows: int) -> Figure:
    """Rows matching a condition, over the agent's rows."""
    matching = Decimal(hits)
    return Figure(matching, matching, Decimal(rows))


def fraction_figure(hits: int, total: int, per: Decimal) -> Figure:
    """hits × per / total (share, top_box); missing when nothing was eligible."""
    value = Decimal(hits) * per / total if total else None
    return Figure(value, Decimal(hits), Decimal(total))


def total_figure(kind: str, total: Decimal | None, values: int) -> Figure:
    """A sum, or a mean (the sum over the count of values); missing over no values."""
    if total is None or not values:
        return Figure(None, None, Decimal(0))
    return Figure(total if kind == "sum" else total / values, total, Decimal(values))


def rank_of(values: int, p: Decimal) -> tuple[int, Decimal]:
    """Where the p-th percentile of `values` sorted values lies: the 0-based position below it and the
    fraction of the way to the next one, h = (n - 1) × p / 100."""
    rank = (values - 1) * p / HUNDRED
    low = int(rank)
    return low, rank - low


def percentile_figure(values: int, p: Decimal, low: Decimal | None, high: Decimal | None) -> Figure:
    """The p-th percentile by linear interpolation between closest ranks (numpy's default), exact.

    With the values sorted as x[0..n-1] and h = (n - 1) × p / 100, `low` is x[floor(h)] and `high`
    x[floor(h) + 1]; the result is low + (h - floor(h)) × (high - low).
    """
    if not values or low is None:
        return Figure(None, None, Decimal(values))
    return Figure(_between(low, high, rank_of(values, p)[1]), None, Decimal(values))


def percentile(values: Sequence[Decimal], p: Decimal) -> Decimal:
    """The p-th percentile of some values by the rule above, for callers holding every value (calibration,
    review); there must be at least one."""
    ordered = sorted(values)
    low, fraction = rank_of(len(ordered), p)
    return _between(ordered[low], ordered[low + 1] if low + 1 < len(ordered) else None, fraction)


def _between(low: Decimal, high: Decimal | None, fraction: Decimal) -> Decimal:
    """low + fraction × (high - low): the value `fraction` of the way from one order statistic to the next."""
    if fraction == 0 or high is None:
        return low
    return low + fraction * (high - low)


def ratio_figure(numerator: Decimal | None, denominator: Decimal | None, per: Decimal) -> Figure:
    """One metric's value over another's, × per; missing when either is missing or the denominator is 0."""
    if numerator is None or not denominator:
        return Figure(None, numerator, denominator)
    return Figure(numerator * per / denominator, numerator, denominator)
