"""The pay policy: pydantic models of the YAML format and the checks that span several keys."""

from __future__ import annotations

import itertools
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    model_validator,
)

_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
HUNDRED = Decimal(100)
LARGEST_DIGITS = 15  # numbers from 10**15 on are refused, as in metrics cells


def _number(value: Any) -> Decimal:
    number = _any_number(value)
    if number and number.adjusted() >= LARGEST_DIGITS:  # pay from it could need more than 28 exact digits
        raise ValueError(f"expected a number below {10 ** LARGEST_DIGITS:,} in size, got {shown(value)}")
    return number


def _any_number(value: Any) -> Decimal:
    if isinstance(value, Decimal) and value.is_finite():
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        return Decimal(value.strip())
    raise ValueError(f"expected a number, got {shown(value)}")


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        return getattr(value, "text", str(value))
    raise ValueError(f"expected text, got {shown(value)}")


def shown(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    return repr(getattr(value, "text", None) or str(value))


def _at_least_zero(value: Decimal) -> Decimal:
    if value < 0:
        raise ValueError(f"expected a number of at least 0, got {value}")
    return value


def _above_zero(value: Decimal) -> Decimal:
    if value <= 0:
        raise ValueError(f"expected a number above 0, got {value}")
    return value


Number = Annotated[Decimal, BeforeValidator(_number)]
NonNegative = Annotated[Decimal, BeforeValidator(_number), AfterValidator(_at_least_zero)]
Positive = Annotated[Decimal, BeforeValidator(_number), AfterValidator(_above_zero)]
Text = Annotated[str, BeforeValidator(_text)]


class Share(BaseModel):
    """A share written as "N%"; `percent` is N."""

    model_config = ConfigDict(frozen=True)
    percent: Decimal

    def of(self, amount: Decimal) -> Decimal:
        return amount * self.percent / HUNDRED


def _amount_or_share(value: Any) -> Decimal | Share:
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            percent = _number(value.strip()[:-1])
        except ValueError:  # quote the whole share, % included, as the user wrote it
            raise ValueError(f"expected an amount or a share of base_pay like 30%, got {value!r}") from None
        if percent < 0:
            raise ValueError(f"expected a share of at least 0%, got {value!r}")
        return Share(percent=percent)
    amount = _number(value)
    if amount < 0:
        raise ValueError(f"expected an amount of at least 0, got {amount}")
    return amount


AmountOrShare = Annotated[Decimal | Share, BeforeValidator(_amount_or_share)]


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


class Kpi(Model):
    label: Text | None = None
    column: Text
    unit: Unit
    weight: NonNegative
    score: Score
    min_volume: MinVolume | None = None
    missing: Literal["error", "exclude"] = "error"


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


class Gate(Model):
    kpi: Text | None = None
    column: Text | None = None
    below: Number | None = None
    above: Number | None = None
    at_least: Number | None = None
    at_most: Number | None = None
    then: Annotated[GateEffect, BeforeValidator(_gate_effect)]
    reason: Text | None = None

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
        if name == "below":
            return value < limit
        if name == "above":
            return value > limit
        if name == "at_least":
            return value >= limit
        return value <= limit

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


class Floor(Model):
    gross: NonNegative
    label: Text | None = None


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

    _path: str = PrivateAttr(default="<policy>")
    _sha256: str = PrivateAttr(default="")

    @property
    def path(self) -> str:
        return self._path

    @property
    def sha256(self) -> str:
        return self._sha256

    def grades_high_to_low(self) -> list[Grade]:
        return sorted(self.grades, key=lambda grade: grade.min_score, reverse=True)


def cross_checks(policy: Policy) -> list[tuple[tuple[str | int, ...], str]]:
    """Rules that span several keys, each with the path of the key it concerns."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    total = sum((kpi.weight for kpi in policy.kpis.values()), Decimal(0))
    if total != HUNDRED:
        problems.append((("kpis",), f"KPI weights must add up to 100, they add up to {total}"))
    seen: dict[Decimal, int] = {}
    for i, grade in enumerate(policy.grades):
        if grade.min_score in seen:
            problems.append((("grades", i, "min_score"),
                             f"min_score {grade.min_score} is also the min_score of grade "
                             f"{policy.grades[seen[grade.min_score]].grade}; each grade needs its own"))
        seen.setdefault(grade.min_score, i)
    names = [grade.grade for grade in policy.grades]
    for i, name in enumerate(names):
        if name in names[:i]:
            problems.append((("grades", i, "grade"), f"grade {name!r} is listed twice"))
    if Decimal(0) not in seen:
        problems.append((("grades",), "one grade must have min_score 0, so every score gets a grade"))
    for i, gate in enumerate(policy.gates):
        if gate.kpi is not None and gate.kpi not in policy.kpis:
            problems.append((("gates", i, "kpi"),
                             f"unknown KPI {gate.kpi!r}; the KPIs are {', '.join(policy.kpis)}"))
    return problems
