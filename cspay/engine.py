"""The pay rules: scores, grades, gates, bonus, proration, adjustments and rounding, as pure functions."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Any

from .metrics import AgentRow
from .policy import Adjustment, Grade, Kpi, Policy, Score

ZERO = Decimal(0)
ONE = Decimal(1)
ROUNDING_MODES = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN}
BASE_PAY_LABEL = "Base pay"
BONUS_LABEL = "Performance bonus"
FLOOR_LABEL = "Minimum pay top-up"


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
        return sum((line.amount for line in self.lines), ZERO)

    def amount(self, code: str) -> Decimal:
        """The amount of the line with this code, 0 when the payslip has no such line."""
        return next((line.amount for line in self.lines if line.code == code), ZERO)


def round_to(amount: Decimal, step: Decimal, mode: str) -> Decimal:
    """Round to a multiple of `step` ("half_up" goes away from zero at the half, as in Decimal)."""
    units = (amount / step).to_integral_value(rounding=ROUNDING_MODES.get(mode, mode))
    places = min(step.as_tuple().exponent, 0)
    result = (units * step).quantize(ONE.scaleb(places))
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


@dataclass(frozen=True)
class _CompiledKpi:
    code: str
    kpi: Kpi
    scorer: Callable[[Decimal], tuple[Decimal, str]]


class Engine:
    """A policy compiled once into plain functions, then applied to each agent row."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.kpis = [
            _CompiledKpi(code, kpi, band_scorer(kpi.score) if kpi.score.bands else linear_scorer(kpi.score))
            for code, kpi in policy.kpis.items()
        ]
        self.grades: list[Grade] = policy.grades_high_to_low()
        self.targets = {name: role.target_bonus_amount() for name, role in policy.roles.items()}
        self.step = policy.rounding.step
        self.mode = policy.rounding.mode

    def round(self, amount: Decimal) -> Decimal:
        return round_to(amount, self.step, self.mode)

    def payslip(self, row: AgentRow) -> Payslip:
        """The payslip of one agent row."""
        kpis, score = _weighted_score([self._kpi_result(entry, row) for entry in self.kpis])
        grade = self._grade(score)
        target = self.targets[row.role]
        bonus = self._bonus_by_basis(target, score, grade)
        gated, hits = self._gates(bonus, row)
        capped_bonus = gated
        cap = self.policy.bonus.cap
        if cap is not None and gated > cap * target:
            capped_bonus = cap * target
        slip = Payslip(
            row.agent_id, row.name, row.role, row.team, row.line, kpis, score,
            grade.grade if grade else None, grade.multiplier if grade else None,
            grade.action if grade else None, target, bonus, hits, capped_bonus != gated,
            self._proration(row),
        )
        slip.lines = self._lines(row, slip, capped_bonus)
        return slip

    def _kpi_result(self, entry: _CompiledKpi, row: AgentRow) -> KpiResult:
        kpi = entry.kpi
        label = kpi.label or entry.code
        value = row.kpis.get(entry.code)
        if value is None:
            return KpiResult(entry.code, label, None, None, kpi.weight, None, "no value",
                             "no value (the KPI allows a missing value)")
        points, position = entry.scorer(value)
        volume = kpi.min_volume
        if volume is not None and row.numbers[volume.column] < volume.at_least:
            reason = f"{volume.column} {row.numbers[volume.column]} is below the minimum {volume.at_least}"
            return KpiResult(entry.code, label, value, points, kpi.weight, None, position, reason,
                             row.numbers[volume.column])
        return KpiResult(entry.code, label, value, points, kpi.weight, None, position)

    def _grade(self, score: Decimal | None) -> Grade | None:
        if score is None:
            return None
        return next(grade for grade in self.grades if grade.min_score <= score)

    def _bonus_by_basis(self, target: Decimal, score: Decimal | None, grade: Grade | None) -> Decimal:
        if score is None or grade is None:
            return ZERO
        if self.policy.bonus.basis == "score":
            return target * score
        return target * grade.multiplier

    def _gates(self, bonus: Decimal, row: AgentRow) -> tuple[Decimal, tuple[GateHit, ...]]:
        hits = []
        for index, gate in enumerate(self.policy.gates):
            value = row.kpis.get(gate.kpi) if gate.kpi else row.numbers[gate.column]
            if value is None or not gate.holds(value):
                continue
            after = gate.then.apply(bonus)
            hits.append(GateHit(index, gate.describe(), gate.then.describe(),
                                gate.reason or gate.describe(), bonus, after))
            bonus = after
        return bonus, tuple(hits)

    def _proration(self, row: AgentRow) -> Decimal:
        proration = self.policy.proration
        if proration is None:
            return ONE
        return min(row.numbers[proration.column] / proration.full, ONE)

    def _lines(self, row: AgentRow, slip: Payslip, bonus: Decimal) -> list[Line]:
        policy, role = self.policy, self.policy.roles[row.role]
        applies = set(policy.proration.applies_to) if policy.proration else set()

        def prorated(kind: str, amount: Decimal) -> Decimal:
            return self.round(amount * slip.proration if kind in applies else amount)

        lines = [Line("base_pay", BASE_PAY_LABEL, prorated("base_pay", role.base_pay))]
        lines += [Line(f"allowance.{name}", name, prorated("allowances", amount))
                  for name, amount in role.allowances.items()]
        lines.append(Line("bonus", BONUS_LABEL, prorated("bonus", bonus)))
        for name, adjustment in policy.adjustments.items():
            amount = _adjustment_amount(adjustment, row.numbers[adjustment.column])
            lines.append(Line(f"adjustment.{name}", adjustment.label or name, self.round(amount)))
        return lines + self._floor_line(lines)

    def _floor_line(self, lines: list[Line]) -> list[Line]:
        floor = self.policy.floor
        if floor is None:
            return []
        gross = sum((line.amount for line in lines), ZERO)
        if gross >= floor.gross:
            return []
        return [Line("floor", floor.label or FLOOR_LABEL, floor.gross - gross)]


def _weighted_score(kpis: list[KpiResult]) -> tuple[tuple[KpiResult, ...], Decimal | None]:
    """Σ(weight × score) / Σ(weight) over the KPIs not left out (None when none counts),
    and the KPIs with their contributions to it filled in."""
    total_weight = sum((k.weight for k in kpis if k.left_out is None), ZERO)
    if total_weight == 0:
        return tuple(kpis), None
    with_shares = tuple(
        replace(k, contribution=k.weight * k.score / total_weight) if k.left_out is None else k
        for k in kpis
    )
    score = sum((k.weight * k.score for k in kpis if k.left_out is None), ZERO) / total_weight
    return with_shares, score


def _adjustment_amount(adjustment: Adjustment, value: Decimal) -> Decimal:
    units = value if adjustment.over is None else max(value - adjustment.over, ZERO)
    amount = units * adjustment.per_unit
    limit = adjustment.limit
    if limit is None:
        return amount
    return max(amount, limit) if limit < 0 else min(amount, limit)


def iter_payslips(policy: Policy, rows: Iterable[AgentRow]) -> Iterator[Payslip]:
    """Payslips one by one, as the rows arrive (memory stays flat)."""
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
        self.gross += slip.gross
        self.bonus += slip.amount("bonus") + slip.amount("true_up")  # a true-up pays bonus too
        for line in slip.lines:
            self.lines[line.code] = self.lines.get(line.code, ZERO) + line.amount
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
