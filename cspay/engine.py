"""The pay rules: scores, grades, gates, bonus, proration, adjustments and rounding, as pure functions."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Any

from .metrics import AgentRow
from .policy import Policy, Score

ZERO = Decimal(0)
ONE = Decimal(1)
ROUNDING_MODES = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN}
BASE_PAY_LABEL = "Base pay"
BONUS_LABEL = "Performance bonus"
FLOOR_LABEL = "Minimum pay top-up"
BONUS_CODES = frozenset({"bonus", "true_up"})  # a true-up line pays bonus too


@dataclass(frozen=True, slots=True)
class Line:
    """One payslip line: a stable code (`bonus`, `allowance.meal` …), the policy's label, the amount."""

    code: str
    label: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class KpiResult:
    """How one KPI counted: its value, where it sits on its curve, score, and weight in the total."""

    code: str
    label: str
    value: Decimal | None
    score: Decimal | None
    weight: Decimal
    contribution: Decimal | None
    position: str
    left_out: str | None = None
    volume: Decimal | None = None  # the min_volume column's value, when it left the KPI out


@dataclass(frozen=True, slots=True)
class GateHit:
    """A gate that held for this agent and what it did to the bonus."""

    index: int
    condition: str
    effect: str
    reason: str
    bonus_before: Decimal
    bonus_after: Decimal


@dataclass(slots=True)
class Payslip:
    """Everything about one agent's pay for the period, amounts exact until the lines are rounded."""

    agent_id: str
    name: str
    role: str
    team: str
    row: int
    kpis: tuple[KpiResult, ...]
    score: Decimal | None
    grade: str | None
    multiplier: Decimal | None
    action: str | None
    target_bonus: Decimal
    bonus_before_gates: Decimal
    gates: tuple[GateHit, ...]
    capped: bool
    proration: Decimal
    lines: list[Line] = field(default_factory=list)
    budget_factor: Decimal | None = None  # set only under a policy with a budget (1 within the pool)

    @property
    def gross(self) -> Decimal:
        return sum([line.amount for line in self.lines], ZERO)

    def amount(self, code: str) -> Decimal:
        """The amount of the line with this code, 0 when the payslip has no such line."""
        return next((line.amount for line in self.lines if line.code == code), ZERO)


def round_to(amount: Decimal, step: Decimal, mode: str) -> Decimal:
    """Round to a multiple of `step` ("half_up" goes away from zero at the half, as in Decimal)."""
    units = (amount / step).to_integral_value(rounding=ROUNDING_MODES.get(mode, mode))
    result = (units * step).quantize(quantum(step))
    return result if result else result.copy_abs()  # never "-0.00" on a payslip


def linear_scorer(score: Score) -> Callable[[Decimal], tuple[Decimal, str]]:
    """The curve through (threshold, at_threshold), (target, at_target), (stretch, at_stretch)."""
    t, g, x = score.threshold, score.target, score.stretch
    at_t, at_g, at_x = score.at_threshold, score.at_target, score.at_stretch
    sign = ONE if t < x else -ONE

    def scorer(value: Decimal) -> tuple[Decimal, str]:
        v = value * sign
        if v < t * sign:
            return ZERO, "short of threshold"
        if v < g * sign:
            return at_t + (value - t) / (g - t) * (at_g - at_t), "between threshold and target"
        if v < x * sign:
            return at_g + (value - g) / (x - g) * (at_x - at_g), "between target and stretch"
        return at_x, "at or beyond stretch"

    return scorer


def band_scorer(score: Score) -> Callable[[Decimal], tuple[Decimal, str]]:
    """The score of the last band whose `from` the value reaches; below the first band, 0."""
    bands = [(band.from_, band.score) for band in reversed(score.bands or [])]

    def scorer(value: Decimal) -> tuple[Decimal, str]:
        for start, points in bands:
            if value >= start:
                return points, f"band from {start}"
        return ZERO, "below the first band"

    return scorer


def line_codes(policy: Policy) -> list[tuple[str, str]]:
    """Every payslip line the policy can produce, in payslip order, with its label."""
    codes = [("base_pay", BASE_PAY_LABEL)]
    allowances = dict.fromkeys(name for role in policy.roles.values() for name in role.allowances)
    codes += [(f"allowance.{name}", name) for name in allowances]
    codes.append(("bonus", BONUS_LABEL))
    codes += [(f"adjustment.{name}", a.label or name) for name, a in policy.adjustments.items()]
    if policy.floor is not None:
        codes.append(("floor", policy.floor.label or FLOOR_LABEL))
    return codes


def quantum(step: Decimal) -> Decimal:
    """The exponent a rounded amount is written with: 0.01 for cents, 1 for a step of 1, 5 or 10."""
    return ONE.scaleb(min(step.as_tuple().exponent, 0))


def iter_payslips(policy: Policy, rows: Iterable[AgentRow]) -> Iterator[Payslip]:
    """Payslips one by one, as the rows arrive (memory stays flat)."""
    from .compiled import Engine

    engine = Engine(policy)
    for row in rows:
        yield engine.payslip(row)


@dataclass
class Summary:
    """Totals over a run, accumulated payslip by payslip."""

    headcount: int = 0
    gross: Decimal = ZERO
    bonus: Decimal = ZERO
    lines: dict[str, Decimal] = field(default_factory=dict)
    grades: dict[str, int] = field(default_factory=dict)
    actions: dict[str, int] = field(default_factory=dict)
    budget: Any = None  # the BudgetResult (pool, demand, factor) under a policy with a budget

    def add(self, slip: Payslip) -> None:
        self.headcount += 1
        totals, gross, bonus = self.lines, ZERO, ZERO
        for line in slip.lines:  # one pass for gross, the bonus and the totals per line
            code, amount = line.code, line.amount
            gross += amount
            totals[code] = totals.get(code, ZERO) + amount
            if code in BONUS_CODES:
                bonus += amount
        self.gross += gross
        self.bonus += bonus
        grade = slip.grade or "-"
        self.grades[grade] = self.grades.get(grade, 0) + 1
        if slip.action:
            self.actions[slip.action] = self.actions.get(slip.action, 0) + 1

    @property
    def bonus_share(self) -> Decimal | None:
        """Total bonus as a share of total gross (0-1), None for an empty run."""
        return self.bonus / self.gross if self.gross else None


@dataclass
class PayRun:
    """The payslips of a run and their summary."""

    policy: Policy
    payslips: list[Payslip]
    summary: Summary


def compute(policy: Policy, rows: Iterable[AgentRow]) -> PayRun:
    """Every agent's payslip and the totals, in the order of the rows."""
    return pay_run(policy, list(iter_payslips(policy, rows)))


def pay_run(policy: Policy, payslips: list[Payslip]) -> PayRun:
    """The run of these payslips: the bonus budget applied when the policy has one, and the totals."""
    summary = Summary()
    if policy.budget is not None:
        from .budget import apply_budget  # the pool depends on the whole month, so it is a second pass

        summary.budget = apply_budget(policy, payslips)
        payslips = summary.budget.payslips
    for slip in payslips:
        summary.add(slip)
    return PayRun(policy, payslips, summary)


def __getattr__(name: str) -> Any:
    # The Engine class lives in cspay.compiled, which builds on the types above; `from cspay.engine import
    # Engine` still works.
    if name == "Engine":
        from .compiled import Engine

        return Engine
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
