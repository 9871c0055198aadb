"""The policy's `metrics:` section: how agent metrics are derived from a raw per-call export.

It names the export's agent and date columns and declares each metric as an aggregation over one
agent's rows in a period. cspay.inputs.sql_query compiles it to SQL for the engine that runs it.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, Tag, model_validator

from cspay.cells import CellError, clean, parse_duration, parse_flag, parse_number
from cspay.policy.forms import either, nested


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


class Test(Model):
    """One test of a column's cells; the field present names it."""

    form: ClassVar[str]

    @property
    def value(self) -> Any:
        return getattr(self, "in_" if self.form == "in" else self.form)


class Equals(Test):
    form: ClassVar[str] = "equals"
    equals: Scalar


class NotEquals(Test):
    form: ClassVar[str] = "not_equals"
    not_equals: Scalar


class In(Test):
    form: ClassVar[str] = "in"
    in_: list[Scalar] = Field(alias="in")


class AtLeast(Test):
    form: ClassVar[str] = "at_least"
    at_least: Scalar


class AtMost(Test):
    form: ClassVar[str] = "at_most"
    at_most: Scalar


class Above(Test):
    form: ClassVar[str] = "above"
    above: Scalar


class Below(Test):
    form: ClassVar[str] = "below"
    below: Scalar


class Empty(Test):
    form: ClassVar[str] = "empty"
    empty: bool


_TEST_FORM, _TEST_CHECK = either(
    {name: (name,) for name in TESTS}, none=f"give a column and exactly one of {', '.join(TESTS)}"
)
_TESTS = (Equals, NotEquals, In, AtLeast, AtMost, Above, Below, Empty)
AnyTest = Annotated[
    Annotated[Equals, Tag("=equals")]
    | Annotated[NotEquals, Tag("=not_equals")]
    | Annotated[In, Tag("=in")]
    | Annotated[AtLeast, Tag("=at_least")]
    | Annotated[AtMost, Tag("=at_most")]
    | Annotated[Above, Tag("=above")]
    | Annotated[Below, Tag("=below")]
    | Annotated[Empty, Tag("=empty")],
    _TEST_FORM,
    _TEST_CHECK,
]


class Leaf(Model):
    """One test of one column: `{column: Resolved, equals: true}`."""

    form: ClassVar[str] = "leaf"
    flattened: ClassVar[tuple[str, ...]] = ("check",)  # written inline in the YAML
    column: str
    check: AnyTest

    _gather = model_validator(mode="before")(nested({"check": TESTS}))

    def test(self) -> tuple[str, Any]:
        """The (test, value) pair."""
        return self.check.form, self.check.value

    def leaves(self) -> list[Leaf]:
        return [self]


def _some(conditions: list[Any]) -> list[Any]:
    if not conditions:
        raise ValueError("give all: [...] or any: [...] alone, with at least one condition")
    return conditions


class AllOf(Model):
    """Every one of several conditions."""

    form: ClassVar[str] = "all"
    all: Annotated[list[Condition], AfterValidator(_some)]

    def leaves(self) -> list[Leaf]:
        return [leaf for part in self.all for leaf in part.leaves()]


class AnyOf(Model):
    """At least one of several conditions."""

    form: ClassVar[str] = "any"
    any: Annotated[list[Condition], AfterValidator(_some)]

    def leaves(self) -> list[Leaf]:
        return [leaf for part in self.any for leaf in part.leaves()]


_CONDITION_FORM, _CONDITION_CHECK = either(
    {"all": ("all",), "any": ("any",), "leaf": ("column",)},
    marks={"leaf": TESTS},
    none=f"give a column and exactly one of {', '.join(TESTS)}",
    several="give all: [...] or any: [...] alone, with at least one condition",
)
Condition = Annotated[
    Annotated[AllOf, Tag("=all")] | Annotated[AnyOf, Tag("=any")] | Annotated[Leaf, Tag("=leaf")],
    _CONDITION_FORM,
    _CONDITION_CHECK,
]
AllOf.model_rebuild()
AnyOf.model_rebuild()


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


class Aggregation(Model):
    """One derived column: exactly one aggregation over an agent's rows; the field present names it."""

    form: ClassVar[str]

    def aggregation(self) -> tuple[str, Any]:
        """The aggregation's name and its settings."""
        return self.form, getattr(self, self.form)

    def leaves(self) -> list[Leaf]:
        """Every single-column test in the metric's where, of and among."""
        spec = self.aggregation()[1]
        found = (getattr(spec, part, None) for part in ("where", "of", "among"))
        return [leaf for condition in found if condition for leaf in condition.leaves()]


class CountMetric(Aggregation):
    form: ClassVar[str] = "count"
    count: Count


class SumMetric(Aggregation):
    form: ClassVar[str] = "sum"
    sum: OfColumn


class MeanMetric(Aggregation):
    form: ClassVar[str] = "mean"
    mean: OfColumn


class MedianMetric(Aggregation):
    form: ClassVar[str] = "median"
    median: OfColumn


class MinMetric(Aggregation):
    form: ClassVar[str] = "min"
    min: OfColumn


class MaxMetric(Aggregation):
    form: ClassVar[str] = "max"
    max: OfColumn


class PercentileMetric(Aggregation):
    form: ClassVar[str] = "percentile"
    percentile: Percentile


class ShareMetric(Aggregation):
    form: ClassVar[str] = "share"
    share: Share


class TopBoxMetric(Aggregation):
    form: ClassVar[str] = "top_box"
    top_box: TopBox


class RatioMetric(Aggregation):
    form: ClassVar[str] = "ratio"
    ratio: Ratio


_METRICS = (
    CountMetric,
    SumMetric,
    MeanMetric,
    MedianMetric,
    MinMetric,
    MaxMetric,
    PercentileMetric,
    ShareMetric,
    TopBoxMetric,
    RatioMetric,
)
_METRIC_FORM, _METRIC_CHECK = either(
    {cls.form: (cls.form,) for cls in _METRICS}, none=f"give exactly one of {', '.join(AGGREGATIONS)}; got {{count}}"
)
Metric = Annotated[
    Annotated[CountMetric, Tag("=count")]
    | Annotated[SumMetric, Tag("=sum")]
    | Annotated[MeanMetric, Tag("=mean")]
    | Annotated[MedianMetric, Tag("=median")]
    | Annotated[MinMetric, Tag("=min")]
    | Annotated[MaxMetric, Tag("=max")]
    | Annotated[PercentileMetric, Tag("=percentile")]
    | Annotated[ShareMetric, Tag("=share")]
    | Annotated[TopBoxMetric, Tag("=top_box")]
    | Annotated[RatioMetric, Tag("=ratio")],
    _METRIC_FORM,
    _METRIC_CHECK,
]


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
            refs = (metric.ratio.numerator, metric.ratio.denominator) if isinstance(metric, RatioMetric) else ()
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
            (numeric if numbers else compared)[leaf.column] = None
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
        column, (test, expected) = leaf.column, leaf.test()
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
