"""What moves the bonus: for each KPI and gate, the value that would pay more and how much more.

Every amount here comes from running the real Engine on a copy of the agent's row with one value
changed, never from an estimate: gates, the cap, proration, rounding and the floor all apply as they
would on the payslip.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction

from cspay.cells import in_range
from cspay.engine.budget import at_factor
from cspay.engine.compiled import Engine
from cspay.engine.currency import Engines
from cspay.engine.curves import exact_score, value_for_score
from cspay.engine.period import paid_only
from cspay.engine.rounding import exponent
from cspay.engine.types import AgentRow, KpiResult, Payslip
from cspay.policy.model import BandScore, KpiSubject, Score


@dataclass(frozen=True)
class Outcome:
    """The payslip the engine makes with the changed value, and what it adds to this month's gross."""

    score: Decimal | None
    grade: str | None
    bonus: Decimal
    gross: Decimal
    gain: Decimal


@dataclass(frozen=True)
class Step:
    """A value to reach (a curve point, a band's start, or what the next grade needs) and its effect."""

    goal: str
    goal_at: Decimal | None
    grade: str | None
    exact: Decimal
    value: Decimal
    change: Decimal
    reached: bool
    outcome: Outcome


@dataclass(frozen=True)
class KpiLever:
    """One KPI's next curve point and the value that alone would reach the next grade."""

    code: str
    label: str
    unit: str
    value: Decimal | None
    next_point: Step | None
    next_grade: Step | None
    note: str | None
    grade_note: str | None


@dataclass(frozen=True)
class GateLever:
    """A gate that fired, the value that would clear it, and the money clearing it alone restores."""

    index: int
    subject: str
    subject_label: str
    reason: str | None
    value_now: Decimal
    value: Decimal
    outcome: Outcome


@dataclass(frozen=True)
class NextGrade:
    grade: str
    min_score: Decimal
    multiplier: Decimal
    gap: Decimal


@dataclass(frozen=True)
class Moves:
    next_grade: NextGrade | None
    kpis: tuple[KpiLever, ...]
    gates: tuple[GateLever, ...]


@dataclass(frozen=True)
class Pricing:
    """How the run pays a row: its engine, only the lines the period pays, and the budget's factor.

    Under a bonus budget every bonus is scaled by the month's factor; a changed row is priced at the
    same factor, rounded down to the step (its share before the steps left over are handed out), since
    one agent's better month moves the factor only by a hair.
    """

    engine: Engine
    budget_factor: Decimal | None = None
    engines: Engines | None = None  # every currency's engine, when the run pays several

    def of(self, slip: Payslip) -> Pricing:
        """How the run pays rows like this payslip's: by the engine of its currency."""
        if self.engines is None or slip.currency == self.engine.currency:
            return self
        return replace(self, engine=self.engines.engine(slip.currency))

    def payslip(self, row: AgentRow) -> Payslip:
        engine = self.engine
        book = engine.teams
        if book is not None and book.rule.score != "team_metrics":
            engine.teams = book.replaced(row)  # the agent's teams counted with the row as it is priced
            try:
                slip = paid_only(engine.payslip(row), engine.policy)
            finally:
                engine.teams = book
        else:
            slip = paid_only(engine.payslip(row), engine.policy)
        if self.budget_factor is not None and self.budget_factor < 1:
            slip = at_factor(engine, slip, self.budget_factor)
        return slip


def what_moves(pricing: Pricing, row: AgentRow) -> Moves:
    """The next grade, each KPI's levers and each fired gate's lever, all priced by the engine against
    the row as it is."""
    engine, slip = pricing.engine, pricing.payslip(row)
    next_grade = _next_grade(engine, slip.role, slip.score)
    gates = tuple(_gate_lever(pricing, row, slip, hit.index) for hit in slip.gates)
    if engine.policy.roles[slip.role].paid_on != "own":
        return Moves(next_grade, (), gates)  # a leader's score is the team's: no own KPI moves it
    levers = tuple(_kpi_lever(pricing, row, slip, result, next_grade) for result in slip.kpis)
    return Moves(next_grade, levers, gates)


class MovesMemo:
    """What moves the bonus, worked out once per distinct row as a run prices it: agents whose role,
    currency, team, groups, parts of the period and every value (as written: 92.5 and 92.50 show
    differently) are alike have the same moves. Under team results an agent's own values count in the
    team's score, so there each agent is its own row. Holds at most `limit` rows, the oldest forgotten
    first, so memory stays flat on any run."""

    def __init__(self, limit: int = 512) -> None:
        self.limit = limit
        self._moves: dict[tuple[object, ...], Moves] = {}

    def moves(self, pricing: Pricing, row: AgentRow) -> Moves:
        key = (
            id(pricing.engine),
            pricing.budget_factor,
            row.role,
            row.currency,
            row.team,
            row.parts,
            row.agent_id if pricing.engine.teams is not None else None,
            *sorted(row.groups.items()),
            *((code, None if value is None else str(value)) for code, value in row.kpis.items()),
            *((column, str(value)) for column, value in row.numbers.items()),
        )
        found = self._moves.get(key)
        if found is None:
            found = self._moves[key] = what_moves(pricing, row)
            if len(self._moves) > self.limit:
                del self._moves[next(iter(self._moves))]
        return found


def _next_grade(engine: Engine, role: str, score: Decimal | None) -> NextGrade | None:
    """The grade above the score's, by the role's grades (a leader's own, else the policy's)."""
    if score is None:
        return None
    above = [grade for grade in engine.policy.grades_high_to_low(role) if grade.min_score > score]
    if not above:
        return None
    grade = above[-1]  # grades are high to low: the last one above is the next one up
    return NextGrade(grade.grade, grade.min_score, grade.multiplier, grade.min_score - score)


def outcome(pricing: Pricing, row: AgentRow, slip: Payslip) -> Outcome:
    """The payslip of a changed row, against the row's payslip as it is."""
    changed = pricing.payslip(row)
    return Outcome(changed.score, changed.grade, changed.bonus, changed.gross, changed.gross - slip.gross)


def with_kpi(row: AgentRow, code: str, value: Decimal) -> AgentRow:
    """A copy of the row with one KPI value changed."""
    return replace(row, kpis={**row.kpis, code: value})


def _kpi_lever(
    pricing: Pricing, row: AgentRow, slip: Payslip, result: KpiResult, next_grade: NextGrade | None
) -> KpiLever:
    engine = pricing.engine
    kpi = engine.policy.kpis[result.code]
    curve = kpi.curve(result.curve_group)  # the agent's group's curve, for a KPI by group
    lever = KpiLever(result.code, result.label, kpi.unit, result.value, None, None, None, None)
    if result.value is None:
        return replace(lever, note="no_value")
    if result.left_out is not None:
        return replace(lever, note="left_out")
    point = _next_point(curve, result.value)
    step = None if point is None else _step(pricing, row, slip, result.code, point[0], point[1], point[1])
    note = "at_best" if point is None else ("out_of_range" if step is None else None)
    lever = replace(lever, next_point=step, note=note)
    if next_grade is None:
        return lever
    needed = _needed_score(engine, slip, result.code, next_grade)
    exact = None if needed is None else value_for_score(curve, Fraction(result.value), needed)
    grade_step = None if exact is None else _grade_step(pricing, row, slip, result, exact, next_grade)
    return replace(lever, next_grade=grade_step, grade_note=None if grade_step else "unreachable")


def _needed_score(engine: Engine, slip: Payslip, code: str, next_grade: NextGrade) -> Fraction | None:
    """The score KPI `code` alone must reach for the total to reach the next grade (exact)."""
    counted = [k for k in slip.kpis if k.left_out is None]
    weight = Fraction(engine.policy.kpis[code].weight)
    if not weight:
        return None
    others = sum(
        (
            Fraction(k.weight) * exact_score(engine.policy.kpis[k.code].curve(k.curve_group), Fraction(_valued(k)))
            for k in counted
            if k.code != code
        ),
        Fraction(0),
    )
    total_weight = sum((Fraction(k.weight) for k in counted), Fraction(0))
    return (Fraction(next_grade.min_score) * total_weight - others) / weight


def _next_point(score: Score, value: Decimal) -> tuple[str, Decimal] | None:
    """The next of threshold / target / stretch (or the next band's start) in the better direction."""
    if isinstance(score, BandScore):
        ahead = [band.from_ for band in score.bands if band.from_ > value]
        return ("band", ahead[0]) if ahead else None
    better = 1 if score.higher_is_better else -1
    for name, point in (("threshold", score.threshold), ("target", score.target), ("stretch", score.stretch)):
        if value * better < point * better:
            return name, point
    return None


def _step(
    pricing: Pricing,
    row: AgentRow,
    slip: Payslip,
    code: str,
    goal: str,
    goal_at: Decimal | None,
    value: Decimal,
    grade: str | None = None,
    exact: Decimal | None = None,
) -> Step | None:
    kpi = pricing.engine.policy.kpis[code]
    if not in_range(kpi.unit, value):
        return None
    result = outcome(pricing, with_kpi(row, code, value), slip)
    reached = grade is None or _at_least_grade(pricing.engine, result.score, grade)
    change = tidy(value - _valued(row.kpis[code]))
    return Step(goal, goal_at, grade, value if exact is None else exact, value, change, reached, result)


def _grade_step(
    pricing: Pricing, row: AgentRow, slip: Payslip, result: KpiResult, exact: Fraction, next_grade: NextGrade
) -> Step | None:
    """The exact value rounded to a readable step in the better direction, then checked by the engine.

    The engine adds up scores in 28-digit Decimals; should that land a hair below the grade, one
    step more is tried, so the value shown is one that really reaches the grade.
    """
    curve = pricing.engine.policy.kpis[result.code].curve(result.curve_group)
    quantum = _quantum(curve)
    value = _round_better(curve, exact, quantum)
    exact_decimal = Decimal(exact.numerator) / Decimal(exact.denominator)
    step = None
    for _ in range(2):
        step = _step(pricing, row, slip, result.code, "grade", None, value, next_grade.grade, exact_decimal)
        if step is None or step.reached:
            return step
        value = tidy(value + (quantum if curve.higher_is_better else -quantum))
    return step


def _gate_lever(pricing: Pricing, row: AgentRow, slip: Payslip, index: int) -> GateLever:
    engine = pricing.engine
    gate = engine.policy.gates[index]
    subject = gate.subject
    if isinstance(subject, KpiSubject):
        now = _valued(row.kpis[subject.kpi])
        value = clearing_value((gate.condition.name, gate.condition.limit), now)
        changed, label = with_kpi(row, subject.kpi, value), engine.policy.kpis[subject.kpi].label or subject.kpi
    else:
        now = row.numbers[subject.column]
        value = clearing_value((gate.condition.name, gate.condition.limit), now)
        changed, label = replace(row, numbers={**row.numbers, subject.column: value}), subject.column
    return GateLever(index, gate.subject_name, label, gate.reason, now, value, outcome(pricing, changed, slip))


def _valued(value: Decimal | KpiResult | None) -> Decimal:
    """A KPI value a move starts from: the KPI has one (a KPI without a value has no moves)."""
    found = value.value if isinstance(value, KpiResult) else value
    if found is None:
        raise ValueError("a KPI without a value has no moves")
    return found


def clearing_value(condition: tuple[str, Decimal], now: Decimal) -> Decimal:
    """The nearest value at which the gate no longer holds (`below 95` clears at 95, `at_least 3` at 2)."""
    name, limit = condition
    if name in ("below", "above"):
        return limit
    # at_least / at_most hold at the limit itself: step past it by the finest place either number uses.
    step = Decimal(1).scaleb(min(exponent(limit), exponent(now), 0))
    return limit - step if name == "at_least" else limit + step


def _at_least_grade(engine: Engine, score: Decimal | None, grade: str) -> bool:
    wanted = next(g.min_score for g in engine.grades if g.grade == grade)
    return score is not None and score >= wanted


def _quantum(score: Score) -> Decimal:
    """Two decimal places finer than the policy writes the curve's points (0.01 for 80/90/96)."""
    points = (
        [band.from_ for band in score.bands]
        if isinstance(score, BandScore)
        else [score.threshold, score.target, score.stretch]
    )
    places = min(min(exponent(point) for point in points), 0) - 2
    return Decimal(1).scaleb(places)


def _round_better(score: Score, value: Fraction, quantum: Decimal) -> Decimal:
    steps = value / Fraction(quantum)
    units = math.ceil(steps) if score.higher_is_better else math.floor(steps)
    return tidy(units * quantum)


def tidy(value: Decimal) -> Decimal:
    """A Decimal without trailing zeros after the point, never in exponent form (93.10 → 93.1)."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()
