"""Each agent's figures from their rows of a raw export, as the policy's `metrics:` section declares them.

Every figure keeps its numerator and denominator so an analyst can check it, and a figure over no rows
is missing, never zero.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from cspay.policy.metrics_spec import AllOf, AnyOf, Condition, Metric, MetricsSpec, Ratio, coerce

# ---- cells and conditions ----------------------------------------------------------------------

Cell = bool | Decimal | str | None
Row = dict[str, Cell]
Predicate = Callable[[Row], bool]
CHECKS: dict[str, Callable[[Any, Any], bool]] = {
    "equals": operator.eq, "not_equals": operator.ne, "in": lambda value, options: value in options,
    "at_least": operator.ge, "at_most": operator.le, "above": operator.gt, "below": operator.lt,
}  # fmt: skip


def _predicate(condition: Condition | None, kinds: dict[str, str]) -> Predicate:
    """A condition as a function of a row; every test but `empty` is false on an empty cell."""
    if condition is None:
        return lambda row: True
    if isinstance(condition, AllOf | AnyOf):
        combine = all if isinstance(condition, AllOf) else any
        members = condition.all if isinstance(condition, AllOf) else condition.any
        parts = [_predicate(part, kinds) for part in members]
        return lambda row: combine(part(row) for part in parts)
    column, (test, expected) = condition.column, condition.test()
    if test == "empty":
        return lambda row: (row[column] is None) == expected
    check, wanted = CHECKS[test], coerce(expected, kinds[column], column)
    return lambda row: row[column] is not None and check(row[column], wanted)


# ---- aggregations ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """A derived value and what it came from: value = numerator / denominator where that applies.

    count: matching rows / the agent's rows; sum, mean: total / values; median, min, max and
    percentile: no numerator / values; share, top_box: hits / eligible rows; ratio: the two metrics.
    """

    value: Decimal | None
    numerator: Decimal | None
    denominator: Decimal | None


def percentile(values: list[Decimal], p: Decimal) -> Decimal:
    """The p-th percentile by linear interpolation between closest ranks (numpy's default).

    With the values sorted as x[0..n-1] and h = (n - 1) * p / 100, the result is
    x[floor(h)] + (h - floor(h)) * (x[floor(h) + 1] - x[floor(h)]), exact in Decimal.
    """
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    fraction = rank - low
    if fraction == 0:
        return ordered[low]
    return ordered[low] + fraction * (ordered[low + 1] - ordered[low])


def _fraction(hits: int, total: int, per: Decimal) -> Figure:
    value = Decimal(hits) * per / total if total else None
    return Figure(value, Decimal(hits), Decimal(total))


def _statistic(kind: str, values: list[Decimal], p: Decimal) -> Figure:
    if not values:
        return Figure(None, None, Decimal(0))
    if kind in ("sum", "mean"):
        total = sum(values, Decimal(0))
        return Figure(total if kind == "sum" else total / len(values), total, Decimal(len(values)))
    return Figure(percentile(values, p), None, Decimal(len(values)))


def _ratio(ratio: Ratio, done: dict[str, Figure]) -> Figure:
    numerator, denominator = done[ratio.numerator].value, done[ratio.denominator].value
    if numerator is None or not denominator:
        return Figure(None, numerator, denominator)
    return Figure(numerator * ratio.per / denominator, numerator, denominator)


Aggregate = Callable[[list[Row], dict[str, Figure]], Figure]
FIXED_P = {"median": Decimal(50), "min": Decimal(0), "max": Decimal(100)}


def _compile_metric(metric: Metric, kinds: dict[str, str]) -> Aggregate:
    """The metric as a function of one agent's rows and the figures derived before it (the policy's
    validation has checked that its values and columns fit)."""
    kind, spec = metric.aggregation()
    if kind == "ratio":
        return lambda rows, done: _ratio(spec, done)
    where, of, among = (_predicate(getattr(spec, part, None), kinds) for part in ("where", "of", "among"))
    if kind == "count":
        return lambda rows, done: _count(rows, where)
    if kind == "share":
        return lambda rows, done: _share(rows, of, among, spec.per)
    if kind == "top_box":
        return lambda rows, done: _top_box(_values(rows, where, spec.column), spec.at_least, spec.per)
    p = FIXED_P.get(kind, getattr(spec, "p", Decimal(0)))
    return lambda rows, done: _statistic(kind, _values(rows, where, spec.column), p)


def figures_of(spec: MetricsSpec) -> Callable[[list[Row]], dict[str, Figure]]:
    """Every metric of the spec, in order, as one function of an agent's parsed rows."""
    kinds = spec.column_kinds()
    aggregates = {name: _compile_metric(metric, kinds) for name, metric in spec.derived.items()}

    def figures(rows: list[Row]) -> dict[str, Figure]:
        done: dict[str, Figure] = {}
        for name, aggregate in aggregates.items():
            done[name] = aggregate(rows, done)  # a ratio reads the figures derived above it
        return done

    return figures


def _count(rows: list[Row], where: Predicate) -> Figure:
    hits = Decimal(sum(map(where, rows)))
    return Figure(hits, hits, Decimal(len(rows)))


def _share(rows: list[Row], of: Predicate, among: Predicate, per: Decimal) -> Figure:
    eligible = [row for row in rows if among(row)]
    return _fraction(sum(map(of, eligible)), len(eligible), per)


def _top_box(values: list[Decimal], at_least: Decimal, per: Decimal) -> Figure:
    return _fraction(sum(value >= at_least for value in values), len(values), per)


def _values(rows: list[Row], where: Predicate, column: str) -> list[Any]:
    """The column's non-empty cells in the rows kept: an empty cell means not applicable."""
    return [row[column] for row in rows if row[column] is not None and where(row)]
