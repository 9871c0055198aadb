"""The policy's `metrics:` section: how agent metrics are derived from a raw per-call export.

It names the export's agent and date columns and declares each metric as an aggregation over one
agent's rows in a period. The aggregations themselves run in cspay.inputs.derive.
"""

from __future__ import annotations

from collections.abc import Callable
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
            check_metric(name, metric, self._kinds)  # refuses values the columns cannot hold
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


# ---- what a condition's values mean for its column ---------------------------------------------

PARSERS: dict[str, Callable[[str], bool | Decimal | str]] = {
    "flag": parse_flag, "duration": parse_duration, "number": parse_number, "text": clean,
}  # fmt: skip


def coerce(value: Any, kind: str, column: str) -> Any:
    """A condition's value read the way the column's cells are read ("Y" is true for a flag)."""
    if isinstance(value, list):
        return frozenset(coerce(item, kind, column) for item in value)
    if isinstance(value, bool) and kind != "flag":
        raise ValueError(f'column "{column}" is compared with true/false: list it under source.flags')
    if isinstance(value, bool | Decimal):
        return value
    try:
        return PARSERS[kind](value)
    except CellError as error:
        raise ValueError(f'column "{column}": got "{value}", expected {error.expected}') from None


def check_condition(condition: Condition, kinds: dict[str, str]) -> None:
    """Every test's value reads as its column's cells do, and ordered tests compare numbers."""
    for leaf in condition.leaves():
        column, (test, expected) = leaf.column or "", leaf.test()
        if test == "empty":
            continue
        if test in ORDERED and kinds[column] == "flag":
            raise ValueError(f'{test} needs numbers, but column "{column}" holds flags')
        coerce(expected, kinds[column], column)


def check_metric(name: str, metric: Metric, kinds: dict[str, str]) -> None:
    """A metric's aggregation fits its column, and its conditions fit theirs."""
    kind, spec = metric.aggregation()
    if kind == "ratio":
        return
    if kind in NUMERIC and kinds[spec.column] == "flag":
        raise ValueError(f'derived.{name}: {kind} needs numbers, but column "{spec.column}" holds flags')
    try:
        for part in ("where", "of", "among"):
            condition = getattr(spec, part, None)
            if condition is not None:
                check_condition(condition, kinds)
    except ValueError as error:
        raise ValueError(f"derived.{name}: {error}") from None
