"""The pay policy: pydantic models of the YAML format (cross-key checks: policy_checks.py)."""

from __future__ import annotations

import itertools
import operator
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PositiveInt,
    PrivateAttr,
    model_validator,
)

from cspay.policy.metrics_spec import MetricsSpec
from cspay.policy.values import (
    AmountOrShare,
    NonNegative,
    Number,
    Percent,
    Positive,
    Reason,
    Share,
    ShareOfPay,
    Text,
    shown,
)


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Rounding(Model):
    step: Positive = Decimal("0.01")
    mode: Literal["half_up", "half_even"] = "half_up"


class AgentColumns(Model):
    id: Text
    role: Text
    name: Text | None = None
    team: Text | None = None
    period: Text | None = None  # a column holding the month (2026-11) or a date in it


class Role(Model):
    label: Text | None = None
    base_pay: NonNegative
    target_bonus: AmountOrShare
    allowances: dict[str, NonNegative] = {}

    def target_bonus_amount(self) -> Decimal:
        """The bonus paid in full at multiplier 1.0: the amount, or the share of base pay."""
        if isinstance(self.target_bonus, Share):
            return self.target_bonus.of(self.base_pay)
        return self.target_bonus


class Band(Model):
    from_: Number = Field(alias="from")
    score: NonNegative


class Score(Model):
    """A linear curve (threshold, target, stretch) or a list of bands; exactly one of the two."""

    threshold: Number | None = None
    target: Number | None = None
    stretch: Number | None = None
    at_threshold: NonNegative = Decimal("0.5")
    at_target: NonNegative = Decimal("1.0")
    at_stretch: NonNegative = Decimal("1.5")
    bands: list[Band] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Score:
        points = (self.threshold, self.target, self.stretch)
        if self.bands is not None:
            if any(p is not None for p in points):
                raise ValueError("give either bands or threshold/target/stretch, not both")
            _check_bands(self.bands)
        elif any(p is None for p in points):
            raise ValueError("expected threshold, target and stretch (a linear curve) or bands")
        elif not (points[0] < points[1] < points[2] or points[0] > points[1] > points[2]):
            raise ValueError(
                f"threshold, target and stretch must be strictly increasing or strictly "
                f"decreasing, got {points[0]}, {points[1]}, {points[2]}"
            )
        return self

    @property
    def higher_is_better(self) -> bool:
        """Linear curves may run either way; bands always reward higher values."""
        return self.bands is not None or self.threshold < self.stretch


def _check_bands(bands: list[Band]) -> None:
    if not bands:
        raise ValueError("bands must list at least one band")
    for before, after in itertools.pairwise(bands):
        if after.from_ <= before.from_:
            raise ValueError(
                f"bands must be sorted by `from`, strictly ascending; {after.from_} follows {before.from_}"
            )


class MinVolume(Model):
    column: Text
    at_least: NonNegative


Unit = Literal["percent", "ratio", "seconds", "points", "count"]
Aggregate = Literal["mean", "weighted_mean", "sum", "last", "min", "max"]
Combine = Literal["mean", "sum", "last", "min", "max"]


class Kpi(Model):
    label: Text | None = None
    column: Text
    unit: Unit
    weight: NonNegative
    score: Score
    min_volume: MinVolume | None = None
    missing: Literal["error", "exclude"] = "error"
    aggregate: Aggregate = "mean"  # how a quarter's or year's months combine
    weight_column: Text | None = None

    @model_validator(mode="after")
    def _weight_goes_with_weighted_mean(self) -> Kpi:
        if self.aggregate == "weighted_mean" and self.weight_column is None:
            raise ValueError("aggregate weighted_mean needs a weight_column naming the volume column (e.g. surveys)")
        if self.aggregate != "weighted_mean" and self.weight_column is not None:
            raise ValueError("weight_column is only used by aggregate: weighted_mean")
        return self


class Grade(Model):
    grade: Text
    min_score: NonNegative
    multiplier: NonNegative
    action: Text | None = None


class Bonus(Model):
    basis: Literal["grade", "score"] = "grade"
    cap: Positive | None = None


class GateEffect(Model):
    """What a gate does to the bonus: forfeit it, or multiply it by `multiply`."""

    forfeit: bool = False
    multiply: NonNegative = Decimal(1)

    def apply(self, bonus: Decimal) -> Decimal:
        return Decimal(0) if self.forfeit else bonus * self.multiply

    def describe(self) -> str:
        return "forfeit" if self.forfeit else f"x {self.multiply}"


def _gate_effect(value: Any) -> GateEffect:
    if value == "forfeit":
        return GateEffect(forfeit=True)
    if isinstance(value, dict) and set(value) == {"multiply"}:
        return GateEffect(multiply=value["multiply"])
    raise ValueError(f'expected "forfeit" or {{multiply: k}}, got {shown(value)}')


CONDITIONS = ("below", "above", "at_least", "at_most")
# What each condition tests, value against limit: `below 95` holds at 94.99, not at 95; `at_least 3` holds at 3.
GATE_TESTS = {"below": operator.lt, "above": operator.gt, "at_least": operator.ge, "at_most": operator.le}


class Gate(Model):
    kpi: Text | None = None
    column: Text | None = None
    below: Number | None = None
    above: Number | None = None
    at_least: Number | None = None
    at_most: Number | None = None
    then: Annotated[GateEffect, BeforeValidator(_gate_effect)]
    reason: Text | None = None
    combine: Combine | None = None  # how a column's months combine (mean when not given)

    @model_validator(mode="after")
    def _one_subject_one_condition(self) -> Gate:
        if (self.kpi is None) == (self.column is None):
            raise ValueError("a gate names exactly one of `kpi` or `column`")
        given = [name for name in CONDITIONS if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"a gate has exactly one condition of {', '.join(CONDITIONS)}; got {len(given)}")
        return self

    @property
    def condition(self) -> tuple[str, Decimal]:
        name = next(name for name in CONDITIONS if getattr(self, name) is not None)
        return name, getattr(self, name)

    def holds(self, value: Decimal) -> bool:
        name, limit = self.condition
        return GATE_TESTS[name](value, limit)

    def describe(self) -> str:
        name, limit = self.condition
        return f"{self.kpi or self.column} {name.replace('_', ' ')} {limit}"


class Adjustment(Model):
    label: Text | None = None
    column: Text
    per_unit: Number
    over: Number | None = None
    limit: Number | None = None

    @model_validator(mode="after")
    def _limit_has_a_sign(self) -> Adjustment:
        if self.limit is not None and self.limit == 0:
            raise ValueError("limit must be negative (a floor) or positive (a ceiling), not 0")
        return self


ProratedLine = Literal["base_pay", "allowances", "bonus"]


class Proration(Model):
    column: Text
    full: Positive
    applies_to: list[ProratedLine] = ["base_pay", "allowances", "bonus"]


PaidLine = Literal["base_pay", "allowances", "bonus", "adjustments"]
MONTHLY_PAY: list[PaidLine] = ["base_pay", "allowances", "bonus", "adjustments"]
PERIOD_PAY: list[PaidLine] = ["bonus", "adjustments"]
# Which `pays` entry each payslip line belongs to, by the first part of its code.
PAID_AS = {"base_pay": "base_pay", "allowance": "allowances", "bonus": "bonus", "adjustment": "adjustments",
           "floor": "base_pay", "true_up": "bonus"}


class Floor(Model):
    gross: NonNegative
    label: Text | None = None


class Budget(Model):
    """A cap on the month's total bonus: a fixed pool, or a share of the base pay paid that month."""

    bonus_pool: NonNegative | None = None
    bonus_pool_share: ShareOfPay | None = None

    @model_validator(mode="after")
    def _one_pool(self) -> Budget:
        if (self.bonus_pool is None) == (self.bonus_pool_share is None):
            raise ValueError("a budget gives exactly one of `bonus_pool` (an amount) or `bonus_pool_share` (N%)")
        return self


class InLast(Model):
    """At least `count` of the last `periods` periods."""

    periods: PositiveInt
    count: PositiveInt

    @model_validator(mode="after")
    def _count_fits(self) -> InLast:
        if self.count > self.periods:
            raise ValueError(f"count {self.count} cannot exceed periods {self.periods}")
        return self


class ActionRule(Model):
    """An action triggered by grades over recorded periods, e.g. A or better 3 periods running."""

    grade_at_least: Text | None = None
    grade_at_most: Text | None = None
    consecutive: PositiveInt | None = None
    in_last: InLast | None = None

    @model_validator(mode="after")
    def _one_grade_one_span(self) -> ActionRule:
        if (self.grade_at_least is None) == (self.grade_at_most is None):
            raise ValueError("a rule names exactly one of grade_at_least or grade_at_most")
        if (self.consecutive is None) == (self.in_last is None):
            raise ValueError("a rule has exactly one of consecutive: N or in_last: {periods: N, count: K}")
        return self

    @property
    def periods(self) -> int:
        """How many periods, the current one included, the rule looks at."""
        return self.consecutive if self.consecutive is not None else self.in_last.periods

    @property
    def grade(self) -> str:
        return self.grade_at_least if self.grade_at_least is not None else self.grade_at_most


class BonusShareRange(Model):
    """The range of target bonus / target total pay that `validate-policy` accepts without a warning."""

    min: Percent = Decimal(10)
    max: Percent = Decimal(40)

    @model_validator(mode="after")
    def _min_below_max(self) -> BonusShareRange:
        if self.min >= self.max:
            raise ValueError(f"min must be below max, got {self.min}% and {self.max}%")
        return self


class Lint(Model):
    """Thresholds of the pitfall warnings of `validate-policy`, and the rules this policy silences."""

    bonus_share: BonusShareRange = BonusShareRange()
    max_kpi_weight: NonNegative = Decimal(40)
    cliff: Percent = Decimal(25)
    ignore: dict[str, Reason] = {}


class Policy(Model):
    policy: Text
    title: Text | None = None
    version: Text
    currency: Text = "CNY"
    period: Literal["month", "quarter", "year"] = "month"
    locale: Literal["en", "zh"] | None = None
    rounding: Rounding = Rounding()
    agents: AgentColumns
    roles: dict[str, Role] = Field(min_length=1)
    kpis: dict[str, Kpi] = Field(min_length=1)
    grades: list[Grade] = Field(min_length=1)
    bonus: Bonus = Bonus()
    gates: list[Gate] = []
    adjustments: dict[str, Adjustment] = {}
    proration: Proration | None = None
    floor: Floor | None = None
    pays: list[PaidLine] | None = Field(None, min_length=1)
    budget: Budget | None = None
    metrics: MetricsSpec | None = None  # derive the agent metrics from a raw per-call export
    true_up: bool = False
    claw_back: bool = False
    actions: dict[str, ActionRule] = {}
    lint: Lint = Lint()

    _path: str = PrivateAttr(default="<policy>")
    _sha256: str = PrivateAttr(default="")
    _document: Any = PrivateAttr(default=None)  # the loader's Document: where each key is, for lint

    @property
    def path(self) -> str:
        return self._path

    @property
    def sha256(self) -> str:
        return self._sha256

    @property
    def document(self) -> Any:
        """The loader's Document (data and positions), None for a policy not read from a file."""
        return self._document

    def grades_high_to_low(self) -> list[Grade]:
        return sorted(self.grades, key=lambda grade: grade.min_score, reverse=True)

    @property
    def paid_lines(self) -> list[PaidLine]:
        """What the payslips pay: `pays`, else everything for a month and the bonus and adjustments
        for a quarter or year (base pay and allowances are paid by the monthly run)."""
        if self.pays is not None:
            return self.pays
        return MONTHLY_PAY if self.period == "month" else PERIOD_PAY

    def pays_line(self, code: str) -> bool:
        """Whether this run pays the payslip line `code` (`allowance.meal`, or just `allowance`)."""
        return PAID_AS[code.split(".", 1)[0]] in self.paid_lines
