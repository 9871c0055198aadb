"""Per-agent metrics derived from a raw per-call or per-ticket export, with an audit trail.

A policy's `metrics:` section names the export's agent and date columns and declares each metric as
an aggregation over one agent's rows in a period. Every figure keeps its numerator and denominator
so an analyst can check it, and a figure over no rows is missing, never zero. Reading the export
and joining the roster live in cspay.events.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, model_validator

from cspay.cells import CellError, clean, parse_duration, parse_flag, parse_number


def _exact(value: Any) -> Any:
    """Numbers stay exact: ints become Decimals, floats are refused (the policy loader gives Decimals)."""
    if isinstance(value, float):
        raise ValueError("a float cannot be exact; the YAML loader must give a Decimal")
    return Decimal(value) if type(value) is int else value


Number = Annotated[Decimal, BeforeValidator(_exact)]
Scalar = Annotated[bool | Decimal | str, BeforeValidator(_exact)]
ORDERED = ("at_least", "at_most", "above", "below")
TESTS = ("equals", "not_equals", "in", *ORDERED, "empty")


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Condition(Model):
    """One test of a column (`{column: Resolved, equals: true}`), or all/any of several conditions."""

    column: str | None = None
    equals: Scalar | None = None
    not_equals: Scalar | None = None
    in_: list[Scalar] | None = Field(None, alias="in")
    at_least: Scalar | None = None
    at_most: Scalar | None = None
    above: Scalar | None = None
    below: Scalar | None = None
    empty: bool | None = None
    all: list[Condition] | None = None
    any: list[Condition] | None = None

    @model_validator(mode="after")
    def _one_test(self) -> Condition:
        given = [name for name in TESTS if self.test_value(name) is not None]
        parts = [part for part in (self.all, self.any) if part is not None]
        if parts and (len(parts) > 1 or not parts[0] or given or self.column is not None):
            raise ValueError("give all: [...] or any: [...] alone, with at least one condition")
        if not parts and (self.column is None or len(given) != 1):
            raise ValueError(f"give a column and exactly one of {', '.join(TESTS)}")
        return self

    def test_value(self, name: str) -> Any:
        return self.in_ if name == "in" else getattr(self, name)

    def test(self) -> tuple[str, Any]:
        """The one (test, value) pair of a leaf condition."""
        return next((name, self.test_value(name)) for name in TESTS if self.test_value(name) is not None)

    def leaves(self) -> list[Condition]:
        parts = self.all if self.all is not None else self.any
        return [self] if parts is None else [leaf for part in parts for leaf in part.leaves()]


class Count(Model):
    where: Condition | None = None


class OfColumn(Model):
    column: str
    where: Condition | None = None


class Percentile(OfColumn):
    p: Number = Field(ge=0, le=100)


class TopBox(OfColumn):
    at_least: Number
    per: Number = Decimal(1)


class Share(Model):
    of: Condition
    among: Condition | None = None
    per: Number = Decimal(1)


class Ratio(Model):
    numerator: str
    denominator: str
    per: Number = Decimal(1)


AGGREGATIONS = ("count", "sum", "mean", "median", "min", "max", "percentile", "share", "top_box", "ratio")
NUMERIC = ("sum", "mean", "median", "min", "max", "percentile", "top_box")


class Metric(Model):
    """One derived column: exactly one aggregation over an agent's rows."""

    count: Count | None = None
    sum: OfColumn | None = None
    mean: OfColumn | None = None
    median: OfColumn | None = None
    min: OfColumn | None = None
    max: OfColumn | None = None
    percentile: Percentile | None = None
    share: Share | None = None
    top_box: TopBox | None = None
    ratio: Ratio | None = None

    @model_validator(mode="after")
    def _one_aggregation(self) -> Metric:
        given = [name for name in AGGREGATIONS if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(AGGREGATIONS)}; got {len(given)}")
        return self

    def aggregation(self) -> tuple[str, Any]:
        return next((name, getattr(self, name)) for name in AGGREGATIONS if getattr(self, name) is not None)

    def leaves(self) -> list[Condition]:
        """Every single-column test in the metric's where, of and among."""
        spec = self.aggregation()[1]
        found = (getattr(spec, part, None) for part in ("where", "of", "among"))
        return [leaf for condition in found if condition for leaf in condition.leaves()]


class DateColumn(Model):
    column: str
    format: str = "%Y-%m-%d"


class Source(Model):
    agent: str
    date: DateColumn
    flags: list[str] = []
    durations: list[str] = []


class MetricsSpec(Model):
    """The `metrics:` section: where the export keeps what, and each derived metric in column order."""

    source: Source
    derived: dict[str, Metric] = Field(min_length=1)
    _kinds: dict[str, str] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> MetricsSpec:
        names = list(self.derived)
        for position, (name, metric) in enumerate(self.derived.items()):
            refs = (metric.ratio.numerator, metric.ratio.denominator) if metric.ratio else ()
            if later := [ref for ref in refs if ref not in names[:position]]:
                raise ValueError(f'derived.{name}: ratio needs "{later[0]}" to be a metric defined above it')
        self._kinds = _column_kinds(self)
        for name, metric in self.derived.items():
            _compile_metric(name, metric, self._kinds)  # refuses values the columns cannot hold
        return self

    def column_kinds(self) -> dict[str, str]:
        """Each export column the metrics read, and how: flag, duration, number or text."""
        return dict(self._kinds)


def _column_kinds(spec: MetricsSpec) -> dict[str, str]:
    """Declared flags and durations; other columns are numbers if used as numbers, else text."""
    kinds = {column: "flag" for column in spec.source.flags}
    for column in spec.source.durations:
        if kinds.setdefault(column, "duration") != "duration":
            raise ValueError(f'source: column "{column}" cannot be both a flag and a duration')
    numeric: dict[str, None] = {}  # a dict keeps the order columns are met in
    compared: dict[str, None] = {}
    for metric in spec.derived.values():
        kind, aggregation = metric.aggregation()
        numeric.update({aggregation.column: None} if kind in NUMERIC else {})
        for leaf in metric.leaves():
            test, value = leaf.test()
            values = value if test == "in" else [value]
            numbers = test in ORDERED or any(isinstance(item, Decimal) for item in values)
            (numeric if numbers else compared)[leaf.column or ""] = None
    for column in [*numeric, *compared]:
        kinds.setdefault(column, "number" if column in numeric else "text")
    return kinds


# ---- cells and conditions ----------------------------------------------------------------------

Cell = bool | Decimal | str | None
Row = dict[str, Cell]
Predicate = Callable[[Row], bool]
PARSERS: dict[str, Callable[[str], Cell]] = {
    "flag": parse_flag, "duration": parse_duration, "number": parse_number, "text": clean,
}  # fmt: skip
CHECKS: dict[str, Callable[[Any, Any], bool]] = {
    "equals": operator.eq, "not_equals": operator.ne, "in": lambda value, options: value in options,
    "at_least": operator.ge, "at_most": operator.le, "above": operator.gt, "below": operator.lt,
}  # fmt: skip


def _coerce(value: Any, kind: str, column: str) -> Any:
    """A condition's value read the way the column's cells are read ("Y" is true for a flag)."""
    if isinstance(value, list):
        return frozenset(_coerce(item, kind, column) for item in value)
    if isinstance(value, bool) and kind != "flag":
        raise ValueError(f'column "{column}" is compared with true/false: list it under source.flags')
    if isinstance(value, bool | Decimal):
        return value
    try:
        return PARSERS[kind](value)
    except CellError as error:
        raise ValueError(f'column "{column}": got "{value}", expected {error.expected}') from None


def _predicate(condition: Condition | None, kinds: dict[str, str]) -> Predicate:
    """A condition as a function of a row; every test but `empty` is false on an empty cell."""
    if condition is None:
        return lambda row: True
    if condition.all is not None or condition.any is not None:
        combine = all if condition.all is not None else any
        parts = [_predicate(part, kinds) for part in condition.all or condition.any or []]
        return lambda row: combine(part(row) for part in parts)
    column, (test, expected) = condition.column or "", condition.test()
    if test == "empty":
        return lambda row: (row[column] is None) == expected
    if test in ORDERED and kinds[column] == "flag":
        raise ValueError(f'{test} needs numbers, but column "{column}" holds flags')
    check, wanted = CHECKS[test], _coerce(expected, kinds[column], column)
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


def _compile_metric(name: str, metric: Metric, kinds: dict[str, str]) -> Aggregate:
    """The metric as a function of one agent's rows and the figures derived before it."""
    kind, spec = metric.aggregation()
    if kind == "ratio":
        return lambda rows, done: _ratio(spec, done)
    if kind in NUMERIC and kinds[spec.column] == "flag":
        raise ValueError(f'derived.{name}: {kind} needs numbers, but column "{spec.column}" holds flags')
    try:
        parts = (getattr(spec, part, None) for part in ("where", "of", "among"))
        where, of, among = (_predicate(part, kinds) for part in parts)
    except ValueError as error:
        raise ValueError(f"derived.{name}: {error}") from None
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
    aggregates = {name: _compile_metric(name, metric, kinds) for name, metric in spec.derived.items()}

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
