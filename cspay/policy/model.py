"""The pay policy: pydantic models of the YAML format (rules across keys: cspay.policy.checks)."""

from __future__ import annotations

import functools
import itertools
import operator
import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PositiveInt,
    PrivateAttr,
    Tag,
    field_validator,
    model_validator,
)

from cspay.cells import is_missing, text_key
from cspay.currencies import CurrencyProblem, is_currency, minor_unit
from cspay.policy.forms import either, nested
from cspay.policy.metrics_spec import MetricsSpec
from cspay.policy.timeline import Timeline, Version
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

MOST_PLACES = 6  # decimal places a rounding step may have


def _currency_code(code: str) -> str:
    try:
        minor_unit(code)
    except CurrencyProblem as problem:
        raise ValueError(str(problem)) from None
    return code


CurrencyCode = Annotated[Text, AfterValidator(_currency_code)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Rounding(Model):
    step: Positive = Decimal("0.01")
    mode: Literal["half_up", "half_even"] = "half_up"

    @field_validator("step")
    @classmethod
    def _few_places(cls, step: Decimal) -> Decimal:
        # Amounts are written with the step's places: more than six would print as 0E-7 and mean nothing.
        if step.as_tuple().exponent < -MOST_PLACES:  # type: ignore[operator]
            raise ValueError(
                f"expected a step of at most {MOST_PLACES} decimal places, like 0.01, 0.05 or 1, got {step:f}"
            )
        return step


class AgentColumns(Model):
    id: Text
    role: Text
    name: Text | None = None
    team: Text | None = None
    period: Text | None = None  # a column holding the month (2026-11) or a date in it
    from_: Text = Field("from", alias="from")  # a changes file's columns: the first day of a change
    to: Text = "to"  # ... and its last day
    currency: Text | None = None  # a column naming the currency the agent is paid in (empty: the role's)


class Grade(Model):
    grade: Text
    min_score: NonNegative
    multiplier: NonNegative
    action: Text | None = None


PaidOn = Literal["own", "team", "site"]


class Role(Model):
    label: Text | None = None
    base_pay: NonNegative
    target_bonus: AmountOrShare
    allowances: dict[str, NonNegative] = {}
    team_share: Percent | None = None  # the share of the bonus paid on the team's result, the rest on the agent's own
    paid_on: PaidOn = "own"  # team or site: a leader, paid wholly on the result of the team(s) or site led
    grades: list[Grade] | None = Field(None, min_length=1)  # a leader's own grades (default: the policy's)
    currency: CurrencyCode | None = None  # the currency its amounts are in and its agents are paid in

    def target_bonus_amount(self) -> Decimal:
        """The bonus paid in full at multiplier 1.0: the amount, or the share of base pay."""
        if isinstance(self.target_bonus, Share):
            return self.target_bonus.of(self.base_pay)
        return self.target_bonus


class Band(Model):
    from_: Number = Field(alias="from")
    score: NonNegative


class LinearScore(Model):
    """A curve through (threshold, at_threshold), (target, at_target) and (stretch, at_stretch), rising or
    falling: lower is better when the stretch is below the threshold."""

    form: ClassVar[str] = "linear"
    bands: ClassVar[None] = None  # a linear curve has no bands
    threshold: Number
    target: Number
    stretch: Number
    at_threshold: NonNegative = Decimal("0.5")
    at_target: NonNegative = Decimal("1.0")
    at_stretch: NonNegative = Decimal("1.5")

    @model_validator(mode="after")
    def _monotone(self) -> LinearScore:
        points = (self.threshold, self.target, self.stretch)
        if not (points[0] < points[1] < points[2] or points[0] > points[1] > points[2]):
            raise ValueError(
                f"threshold, target and stretch must be strictly increasing or strictly "
                f"decreasing, got {points[0]}, {points[1]}, {points[2]}"
            )
        return self

    @property
    def higher_is_better(self) -> bool:
        return self.threshold < self.stretch


class BandScore(Model):
    """Bands sorted by `from`: a value scores the score of the last band it reaches; bands reward higher values."""

    form: ClassVar[str] = "bands"
    bands: list[Band]

    @field_validator("bands")
    @classmethod
    def _sorted(cls, bands: list[Band]) -> list[Band]:
        _check_bands(bands)
        return bands

    @property
    def higher_is_better(self) -> bool:
        return True


_SCORE_FORM, _SCORE_CHECK = either(
    {"linear": ("threshold", "target", "stretch"), "bands": ("bands",)},
    others=("at_threshold", "at_target", "at_stretch"),
    none="expected threshold, target and stretch (a linear curve) or bands",
    several="give either bands or threshold/target/stretch, not both",
)
Score = Annotated[
    Annotated[LinearScore, Tag("=linear")] | Annotated[BandScore, Tag("=bands")], _SCORE_FORM, _SCORE_CHECK
]


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
    score: Score  # with `by`: the curve of every agent whose group has none of its own
    by: Text | None = None  # a column whose text puts each agent in a group: queue, shift, site …
    groups: dict[str, Score] = {}  # with `by`: a group's own curve, by the group's name
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

    def curves(self) -> list[tuple[str | None, Score]]:
        """Every curve of the KPI: its own score (group None), then each group's, as the policy lists them."""
        return [(None, self.score), *self.groups.items()]

    def curve(self, group: str | None) -> Score:
        """The curve of a group named as the policy names it; None, the KPI's own score."""
        return self.score if group is None else self.groups[group]

    def curve_group(self, text: str) -> str | None:
        """The group whose curve scores an agent whose `by` cell holds `text`: the group named alike, ignoring
        case, width and spacing; None (the KPI's own score) for an empty cell or a value with no curve of its
        own."""
        if not self.groups or is_missing(text):
            return None
        key = text_key(text)
        return next((name for name in self.groups if text_key(name) == key), None)


class Bonus(Model):
    basis: Literal["grade", "score"] = "grade"
    cap: Positive | None = None


class Forfeit(Model):
    """The gate takes the whole bonus away."""

    form: ClassVar[str] = "forfeit"
    forfeit: Literal[True] = True

    def apply(self, bonus: Decimal) -> Decimal:
        return Decimal(0)

    def describe(self) -> str:
        return "forfeit"


class Multiply(Model):
    """The gate multiplies the bonus by `multiply`."""

    form: ClassVar[str] = "multiply"
    multiply: NonNegative

    def apply(self, bonus: Decimal) -> Decimal:
        return bonus * self.multiply

    def describe(self) -> str:
        return f"x {self.multiply}"


def _gate_effect(value: Any) -> Any:
    """`forfeit` is written as a word; {multiply: k} as a mapping."""
    if value == "forfeit":
        return {"forfeit": True}
    if (isinstance(value, dict) and set(value) == {"multiply"}) or isinstance(value, (Forfeit, Multiply)):
        return value
    raise ValueError(f'expected "forfeit" or {{multiply: k}}, got {shown(value)}')


_EFFECT_FORM, _ = either({"forfeit": ("forfeit",), "multiply": ("multiply",)}, none="")
GateEffect = Annotated[
    Annotated[Forfeit, Tag("=forfeit")] | Annotated[Multiply, Tag("=multiply")],
    _EFFECT_FORM,
    BeforeValidator(_gate_effect),
]

CONDITIONS = ("below", "above", "at_least", "at_most")
# What each condition tests, value against limit: `below 95` holds at 94.99, not at 95; `at_least 3` holds at 3.
GATE_TESTS = {"below": operator.lt, "above": operator.gt, "at_least": operator.ge, "at_most": operator.le}


class KpiSubject(Model):
    """A gate on a KPI's value, in its unit (read even when min_volume leaves the KPI out of the score)."""

    form: ClassVar[str] = "kpi"
    kpi: Text
    combine: None = None  # a KPI's months combine by its `aggregate`

    @field_validator("combine", mode="before")
    @classmethod
    def _no_combine(cls, value: Any) -> None:
        if value is not None:
            raise ValueError("a gate on a KPI uses the KPI's `aggregate`; combine is for a gate on a column")
        return None


class ColumnSubject(Model):
    """A gate on a metrics column, a plain number; `combine` says how a period's months combine (mean)."""

    form: ClassVar[str] = "column"
    column: Text
    combine: Combine | None = None


class GateCondition(Model):
    """One test of the gate's value against a limit: the field present names the test."""

    @property
    def name(self) -> str:
        return self.form  # type: ignore[attr-defined, no-any-return]

    @property
    def limit(self) -> Decimal:
        return getattr(self, self.name)  # type: ignore[no-any-return]


class Below(GateCondition):
    form: ClassVar[str] = "below"
    below: Number


class Above(GateCondition):
    form: ClassVar[str] = "above"
    above: Number


class AtLeast(GateCondition):
    form: ClassVar[str] = "at_least"
    at_least: Number


class AtMost(GateCondition):
    form: ClassVar[str] = "at_most"
    at_most: Number


_SUBJECT_FORM, _SUBJECT_CHECK = either(
    {"kpi": ("kpi",), "column": ("column",)}, others=("combine",), none="a gate names exactly one of `kpi` or `column`"
)
_CONDITION_FORM, _CONDITION_CHECK = either(
    {name: (name,) for name in CONDITIONS},
    none=f"a gate has exactly one condition of {', '.join(CONDITIONS)}; got {{count}}",
)


class Gate(Model):
    """A condition on a KPI or a column that forfeits or multiplies the bonus, before the cap."""

    flattened: ClassVar[tuple[str, ...]] = ("subject", "condition")  # written inline in the YAML
    subject: Annotated[
        Annotated[KpiSubject, Tag("=kpi")] | Annotated[ColumnSubject, Tag("=column")], _SUBJECT_FORM, _SUBJECT_CHECK
    ]
    condition: Annotated[
        Annotated[Below, Tag("=below")]
        | Annotated[Above, Tag("=above")]
        | Annotated[AtLeast, Tag("=at_least")]
        | Annotated[AtMost, Tag("=at_most")],
        _CONDITION_FORM,
        _CONDITION_CHECK,
    ]
    then: GateEffect
    reason: Text | None = None

    _gather = model_validator(mode="before")(nested({"subject": ("kpi", "column", "combine"), "condition": CONDITIONS}))

    @property
    def kpi(self) -> str | None:
        """The KPI the gate tests, None for a gate on a column."""
        return self.subject.kpi if isinstance(self.subject, KpiSubject) else None

    @property
    def column(self) -> str | None:
        """The column the gate tests, None for a gate on a KPI."""
        return self.subject.column if isinstance(self.subject, ColumnSubject) else None

    @property
    def combine(self) -> Combine | None:
        return self.subject.combine if isinstance(self.subject, ColumnSubject) else None

    @property
    def subject_name(self) -> str:
        """The KPI's code or the column's name."""
        return self.subject.kpi if isinstance(self.subject, KpiSubject) else self.subject.column

    @property
    def limit(self) -> Decimal:
        return self.condition.limit

    def holds(self, value: Decimal) -> bool:
        return bool(GATE_TESTS[self.condition.name](value, self.condition.limit))

    def describe(self) -> str:
        return f"{self.subject_name} {self.condition.name.replace('_', ' ')} {self.condition.limit}"


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
PAID_AS = {
    "base_pay": "base_pay",
    "allowance": "allowances",
    "bonus": "bonus",
    "adjustment": "adjustments",
    "floor": "base_pay",
    "true_up": "bonus",
    "one_off": "adjustments",
}


class Floor(Model):
    gross: NonNegative
    label: Text | None = None


class RoleIn(Model):
    """A role's amounts in one more currency, for the agents the `agents.currency` column pays in it."""

    base_pay: NonNegative
    target_bonus: AmountOrShare
    allowances: dict[str, NonNegative] = {}


class AdjustmentIn(Model):
    """An adjustment's money in one more currency; its column, units and `over` stay the policy's."""

    per_unit: Number
    limit: Number | None = None


class CurrencyTerms(Model):
    """What the policy pays in one more currency: the rounding step, and every amount written in it."""

    step: Positive | None = None  # default: the currency's ISO 4217 minor unit; 0.05 for Swiss cash rounding
    roles: dict[str, RoleIn] = {}
    adjustments: dict[str, AdjustmentIn] = {}
    floor: NonNegative | None = None


class PoolBudget(Model):
    """A fixed bonus pool for the month."""

    form: ClassVar[str] = "pool"
    bonus_pool: NonNegative

    def pool(self, base_pay: Decimal) -> Decimal:
        return self.bonus_pool


class ShareBudget(Model):
    """A bonus pool that is a share of the base pay paid that month."""

    form: ClassVar[str] = "share"
    bonus_pool_share: ShareOfPay

    def pool(self, base_pay: Decimal) -> Decimal:
        return self.bonus_pool_share.of(base_pay)


_BUDGET_FORM, _BUDGET_CHECK = either(
    {"pool": ("bonus_pool",), "share": ("bonus_pool_share",)},
    none="a budget gives exactly one of `bonus_pool` (an amount) or `bonus_pool_share` (N%)",
)
Budget = Annotated[
    Annotated[PoolBudget, Tag("=pool")] | Annotated[ShareBudget, Tag("=share")], _BUDGET_FORM, _BUDGET_CHECK
]


class InLast(Model):
    """At least `count` of the last `periods` periods."""

    periods: PositiveInt
    count: PositiveInt

    @model_validator(mode="after")
    def _count_fits(self) -> InLast:
        if self.count > self.periods:
            raise ValueError(f"count {self.count} cannot exceed periods {self.periods}")
        return self


class AtLeastGrade(Model):
    form: ClassVar[str] = "at_least"
    grade_at_least: Text


class AtMostGrade(Model):
    form: ClassVar[str] = "at_most"
    grade_at_most: Text


class Consecutive(Model):
    form: ClassVar[str] = "consecutive"
    consecutive: PositiveInt


class InLastSpan(Model):
    form: ClassVar[str] = "in_last"
    in_last: InLast


_GRADE_FORM, _GRADE_CHECK = either(
    {"at_least": ("grade_at_least",), "at_most": ("grade_at_most",)},
    none="a rule names exactly one of grade_at_least or grade_at_most",
)
_SPAN_FORM, _SPAN_CHECK = either(
    {"consecutive": ("consecutive",), "in_last": ("in_last",)},
    none="a rule has exactly one of consecutive: N or in_last: {{periods: N, count: K}}",
)


class ActionRule(Model):
    """An action triggered by grades over recorded periods, e.g. A or better 3 periods running."""

    flattened: ClassVar[tuple[str, ...]] = ("grade_rule", "span")  # written inline in the YAML
    grade_rule: Annotated[
        Annotated[AtLeastGrade, Tag("=at_least")] | Annotated[AtMostGrade, Tag("=at_most")], _GRADE_FORM, _GRADE_CHECK
    ]
    span: Annotated[
        Annotated[Consecutive, Tag("=consecutive")] | Annotated[InLastSpan, Tag("=in_last")], _SPAN_FORM, _SPAN_CHECK
    ]

    _gather = model_validator(mode="before")(
        nested({"grade_rule": ("grade_at_least", "grade_at_most"), "span": ("consecutive", "in_last")})
    )

    @property
    def periods(self) -> int:
        """How many periods, the current one included, the rule looks at."""
        span = self.span
        return span.consecutive if isinstance(span, Consecutive) else span.in_last.periods

    @property
    def at_least(self) -> bool:
        """True for grade_at_least (this grade or better), False for grade_at_most."""
        return isinstance(self.grade_rule, AtLeastGrade)

    @property
    def grade(self) -> str:
        rule = self.grade_rule
        return rule.grade_at_least if isinstance(rule, AtLeastGrade) else rule.grade_at_most


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


class Teams(Model):
    """Team results: how a team's score is made, who counts in it, and how teams roll up to sites."""

    score: Literal["member_kpis", "member_scores", "team_metrics"]
    site: Text | None = None  # the column naming each agent's site
    leads: Text | None = None  # the column naming the team(s) a leader leads, separated by ";"
    membership: Literal["prorated", "whole"] = "prorated"  # prorated: a member counts by worked days too
    min_size: NonNegative = Decimal(0)  # members counted (each by their membership); fewer: small_team decides
    small_team: Literal["own", "site"] = "own"  # what a member's team part is paid on when the team is small


class Review(Model):
    """How `cspay review` groups agents, and the smallest group it judges."""

    by: list[Text] = []  # agent columns: team, shift, site, queue, tenure band …
    min_group: PositiveInt = 10  # smaller groups are named "too small to judge", never flagged

    def columns(self, agents: AgentColumns) -> list[str]:
        """The metrics columns read as text for grouping: those of `by` that are not the role or team."""
        known = {"role", "team", agents.role, agents.team}
        return [name for name in dict.fromkeys(self.by) if name not in known]


class Approval(Model):
    """Who may approve a recorded run or a one-off adjustment."""

    four_eyes: bool = False  # the approver must not be the person who recorded (or added) it


ONE_OFF_CODE = re.compile(r"[a-z][a-z0-9_]*")


class OneOffAdjustments(Model):
    """Manual one-off amounts recorded in the ledger (`cspay adjust add`): the codes allowed, each with its
    payslip label, and the largest amount, either way, one adjustment may carry."""

    codes: dict[str, Text] = Field(min_length=1)
    max_amount: Positive | None = None

    @field_validator("codes")
    @classmethod
    def _codes_are_names(cls, codes: dict[str, str]) -> dict[str, str]:
        for code in codes:
            if not ONE_OFF_CODE.fullmatch(code):
                raise ValueError(
                    f"a code is lower-case letters, digits and _, starting with a letter (it names a payslip "
                    f"line and a CSV column), got {code!r}"
                )
        return codes


class Deductions(Model):
    """The policy's `deductions:` section: the packs (files beside the policy) and the columns they read."""

    packs: list[Text] = Field(min_length=1)
    bases: dict[str, Text] = {}  # a pack's base of: column -> the metrics or roster column holding it
    special_deductions: Text | None = None  # the month's special additional deductions, per agent
    other_deductions: Text | None = None  # other deductions allowed against income tax, per agent
    one_time_bonus: bool = False  # an annual policy's bonus taxed on its own (the pack's one_time_bonus)

    _loaded: list[Any] = PrivateAttr(default_factory=list)  # cspay.policy.statutory.Pack, set by the loader

    @property
    def loaded(self) -> list[Any]:
        """The packs as read, in the order named (set by the loader)."""
        return self._loaded


class Policy(Model):
    policy: Text
    title: Text | None = None
    version: Text
    currency: CurrencyCode = "CNY"
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
    approval: Approval = Approval()
    one_off_adjustments: OneOffAdjustments | None = None
    lint: Lint = Lint()
    review: Review = Review()
    currencies: dict[Text, CurrencyTerms] = {}  # other currencies paid: their steps and amounts
    deductions: Deductions | None = None  # from gross to net: the statutory packs and the columns they read
    teams: Teams | None = None

    _path: str = PrivateAttr(default="<policy>")
    _sha256: str = PrivateAttr(default="")
    _document: Any = PrivateAttr(default=None)  # the loader's Document: where each key is, for lint
    _versions: list[Version] = PrivateAttr(default_factory=list)  # a dated policy's versions; [] if undated
    _timelines: list[Timeline] = PrivateAttr(default_factory=list)  # its dated values

    @model_validator(mode="before")
    @classmethod
    def _step_of_currency(cls, data: Any) -> Any:
        """Without rounding.step, lines round to the minor unit of the policy's currency (0.01 for CNY, 1 for
        JPY, 0.001 for KWD), as ISO 4217 gives it."""
        if not isinstance(data, dict):
            return data
        code, rounding = data.get("currency", "CNY"), data.get("rounding", {})
        if isinstance(code, str) and is_currency(code) and isinstance(rounding, dict) and "step" not in rounding:
            return {**data, "rounding": {**rounding, "step": minor_unit(code)}}
        return data

    @property
    def path(self) -> str:
        return self._path

    @property
    def sha256(self) -> str:
        return self._sha256

    @property
    def versions(self) -> list[Version]:
        """A dated policy's versions, in date order (this policy is the last); empty for a policy without dates."""
        return self._versions

    @property
    def timelines(self) -> list[Timeline]:
        return self._timelines

    def in_force(self, first: date, last: date) -> list[Version]:
        """The versions in force from `first` to `last`, each cut to those days; ValueError for days before
        the policy's first date. A policy without dates is one version throughout."""
        if not self._versions:
            return [Version(first, last, self)]
        if first < self._versions[0].first:
            raise ValueError(f"the policy's dated values start on {self._versions[0].first}, after {first}")
        found = []
        for version in self._versions:
            end = last if version.last is None else min(version.last, last)
            start = max(version.first, first)
            if start <= end:
                found.append(Version(start, end, version.policy))
        return found

    @property
    def document(self) -> Any:
        """The loader's Document (data and positions), None for a policy not read from a file."""
        return self._document

    def grades_high_to_low(self, role: str | None = None) -> list[Grade]:
        """The grades from the highest min_score down: the role's own, when it has them, else the policy's."""
        own = None if role is None else self.roles[role].grades
        if own is None:
            return list(self.grade_ladder[0])
        return sorted(own, key=lambda grade: grade.min_score, reverse=True)

    @functools.cached_property
    def grade_ladder(self) -> tuple[tuple[Grade, ...], tuple[Decimal, ...]]:
        """The grades from high to low, and their min_scores ascending (for rules.grade_index): sorted once,
        however many scores are graded."""
        ordered = tuple(sorted(self.grades, key=lambda grade: grade.min_score, reverse=True))
        return ordered, tuple(grade.min_score for grade in reversed(ordered))

    @property
    def pays_teams(self) -> bool:
        """Whether some role is paid, wholly or in part, on a team's or site's result."""
        return any(role.team_share or role.paid_on != "own" for role in self.roles.values())

    def text_columns(self) -> list[str]:
        """The metrics columns read as text besides identity: review's groups, a team's site and leads, and
        the column of each KPI's `by`."""
        teams = [self.teams.site, self.teams.leads] if self.teams is not None else []
        known = {self.agents.role, self.agents.team, "role", "team"}
        named = [kpi.by for kpi in self.kpis.values() if kpi.by is not None]
        found = [*self.review.columns(self.agents), *(name for name in teams if name and name not in known), *named]
        return list(dict.fromkeys(found))

    @property
    def paid_lines(self) -> list[PaidLine]:
        """What the payslips pay: `pays`, else everything for a month and the bonus and adjustments
        for a quarter or year (base pay and allowances are paid by the monthly run)."""
        if self.pays is not None:
            return self.pays
        return MONTHLY_PAY if self.period == "month" else PERIOD_PAY

    @property
    def paid_currencies(self) -> list[str]:
        """Every currency the policy pays in: its own, its roles', then those of `currencies`."""
        roles = [role.currency for role in self.roles.values() if role.currency]
        return list(dict.fromkeys([self.currency, *roles, *self.currencies]))

    def role_currency(self, name: str) -> str:
        """The currency role `name`'s amounts are written in, which its agents are paid in by default."""
        return self.roles[name].currency or self.currency

    def role_currencies(self, name: str) -> list[str]:
        """Every currency role `name` can be paid in: its own, then those `currencies` gives it amounts in."""
        others = [code for code, terms in self.currencies.items() if name in terms.roles]
        return list(dict.fromkeys([self.role_currency(name), *others]))

    def rounding_step(self, currency: str) -> Decimal:
        """The step lines paid in `currency` round to: `rounding.step` for the policy's currency, else the
        step `currencies` gives, else the currency's ISO 4217 minor unit."""
        if currency == self.currency:
            return self.rounding.step
        terms = self.currencies.get(currency)
        return terms.step if terms is not None and terms.step is not None else minor_unit(currency)

    def pays_line(self, code: str) -> bool:
        """Whether this run pays the payslip line `code` (`allowance.meal`, or just `allowance`)."""
        return PAID_AS[code.split(".", 1)[0]] in self.paid_lines
