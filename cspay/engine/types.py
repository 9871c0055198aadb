"""What the engine makes: payslip lines, KPI results, gate hits, payslips and a run's totals, and the
agent rows it pays from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

ZERO = Decimal(0)
ONE = Decimal(1)
BASE_PAY_LABEL = "Base pay"
BONUS_LABEL = "Performance bonus"
FLOOR_LABEL = "Minimum pay top-up"
TEAM_BONUS_LABEL = "Team bonus"
BONUS_CODES = frozenset({"bonus", "true_up"})  # a true-up line pays bonus too


def is_bonus(code: str) -> bool:
    """Whether a line pays performance: the bonus, its team part (`bonus.team`), or a true-up."""
    return code in BONUS_CODES or code.startswith("bonus.")


@dataclass(frozen=True, slots=True)
class Line:
    """One payslip line: a stable code (`bonus`, `allowance.meal` …), the policy's label, the amount, and for
    a payslip paid in parts (a change of role, team or policy value within the period) the part it pays."""

    code: str
    label: str
    amount: Decimal
    part: int | None = None  # an index into the payslip's parts


@dataclass(frozen=True, slots=True)
class Part:
    """A stretch of the agent's period with one role, one team and one set of the policy's role amounts.

    `share` is its part of what the agent is paid for the period, exact (the parts' shares add up to 1): each
    month the agent is paid for counts alike, split by its days. `first` and `last` are its days, None when
    the months are known only by their order; `version` picks the policy's role amounts in force.
    """

    role: str
    team: str
    share: Fraction
    first: date | None = None
    last: date | None = None
    version: int = 0


def times(share: Fraction, amount: Decimal) -> Decimal:
    """`amount` times an exact share, rounded once (to Decimal's 28 digits); a whole share leaves it as it is."""
    if share.denominator == 1 and share.numerator == 1:
        return amount
    return amount * share.numerator / share.denominator


@dataclass(frozen=True, slots=True)
class BonusPiece:
    """How one bonus line of a payslip paid on a team's result was made.

    `basis` is whose result paid it: `own`, `team` or `site`; `group` names the team or site. `fallback`
    says why another result than the line's own was used (`small`: the team had fewer members than the
    policy's min_size; `no_team`: the agent has no team). `weight` is the share of the role's target bonus
    the line is paid on (0.8 for an 80% own part), `target` that share of the role's target bonus; the part's
    share and the proration then apply to what the gates and the cap leave of `before_gates`.
    """

    code: str
    part: int | None
    basis: str
    group: str | None
    weight: Fraction
    target: Decimal
    score: Decimal | None
    grade: str | None
    multiplier: Decimal | None
    before_gates: Decimal
    capped: bool
    amount: Decimal
    fallback: str | None = None
    result: Any = field(default=None, compare=False, repr=False)  # the cspay.engine.teams.Group it was paid on


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
    by: str | None = None  # the column whose group picks the KPI's curve; None: one curve for every agent
    curve_group: str | None = None  # the group whose own curve scored the value; None: the KPI's own score


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
    # The plain columns (volumes, gate columns, adjustment units, worked days) the payslip was paid from,
    # so that an explanation needs nothing but the payslip.
    numbers: dict[str, Decimal] = field(default_factory=dict, compare=False, repr=False)
    # The text columns the policy groups agents by (`review.by`: shift, site …), as the row had them.
    groups: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    # The ISO 4217 code every amount of the payslip is in; deductions and banks read it from here.
    currency: str = ""
    # From gross to net, under a policy with `deductions:`: the employee's contributions and the tax
    # (taken from gross), the employer's contributions (a cost, never on gross), and how each was worked
    # out (cspay.engine.statutory.Withholding). All in the payslip's currency, the pack's.
    deductions: list[Line] = field(default_factory=list)
    employer: list[Line] = field(default_factory=list)
    withholding: Any = field(default=None, compare=False, repr=False)
    parts: tuple[Part, ...] = ()  # when the period is paid in parts; its lines then name their part
    pieces: tuple[BonusPiece, ...] = ()  # under a policy with team results: how each bonus line was made

    @property
    def gross(self) -> Decimal:
        return sum([line.amount for line in self.lines], ZERO)

    @property
    def net(self) -> Decimal:
        """Gross less the deductions: what the agent is paid."""
        return self.gross - sum([line.amount for line in self.deductions], ZERO)

    def amount(self, code: str) -> Decimal:
        """The amount of the lines with this code (one per part, for a payslip paid in parts), 0 without any."""
        return sum([line.amount for line in self.lines if line.code == code], ZERO)

    @property
    def bonus(self) -> Decimal:
        """What the payslip pays for performance: its bonus lines, the team part and any true-up."""
        return sum([line.amount for line in self.lines if is_bonus(line.code)], ZERO)


class AddsCurrencies(ValueError):
    """Two amounts of different currencies were about to be added up: cspay never does."""


@dataclass
class Summary:
    """Totals over a run paid in one currency, accumulated payslip by payslip."""

    headcount: int = 0
    gross: Decimal = ZERO
    bonus: Decimal = ZERO
    lines: dict[str, Decimal] = field(default_factory=dict)
    grades: dict[str, int] = field(default_factory=dict)
    actions: dict[str, int] = field(default_factory=dict)
    budget: Any = None  # the BudgetResult (pool, demand, factor) under a policy with a budget
    currency: str = ""  # what gross, bonus and the lines are in: every payslip added is paid in it
    # Under a policy with `deductions:`: the total of each deduction and employer contribution, and net
    # (0 for a run without deductions).
    deductions: dict[str, Decimal] = field(default_factory=dict)
    employer: dict[str, Decimal] = field(default_factory=dict)
    net: Decimal = ZERO

    def add(self, slip: Payslip) -> None:
        if slip.currency != self.currency and slip.currency:
            if self.currency:
                raise AddsCurrencies(f"a {slip.currency} payslip added to totals in {self.currency}")
            self.currency = slip.currency
        self.headcount += 1
        totals, gross, bonus = self.lines, ZERO, ZERO
        for line in slip.lines:  # one pass for gross, the bonus and the totals per line
            code, amount = line.code, line.amount
            gross += amount
            totals[code] = totals.get(code, ZERO) + amount
            if code in BONUS_CODES or code.startswith("bonus."):
                bonus += amount
        self.gross += gross
        self.bonus += bonus
        if slip.withholding is not None:
            self.net += gross - _add_up(self.deductions, slip.deductions)
            _add_up(self.employer, slip.employer)
        grade = slip.grade or "-"
        self.grades[grade] = self.grades.get(grade, 0) + 1
        if slip.action:
            self.actions[slip.action] = self.actions.get(slip.action, 0) + 1

    @property
    def bonus_share(self) -> Decimal | None:
        """Total bonus as a share of total gross (0-1), None for an empty run."""
        return self.bonus / self.gross if self.gross else None

    @property
    def employer_cost(self) -> Decimal:
        """What the run costs the employer: gross and the employer's contributions."""
        return self.gross + sum(self.employer.values(), ZERO)

    def by_currency(self) -> dict[str, Summary]:
        """The totals of each currency the run paid: here, its one currency."""
        return {self.currency: self}


class Summaries(Summary):
    """Totals over a run paid in several currencies: headcount, grades and actions over every payslip, money
    only per currency. It has no gross, bonus or line totals of its own: reading one is an error, so no view
    can show two currencies added up."""

    def __init__(self, currencies: list[str]) -> None:
        self.headcount, self.budget, self.currency = 0, None, ""
        self.grades: dict[str, int] = {}
        self.actions: dict[str, int] = {}
        self.currencies = {code: Summary(currency=code) for code in currencies}

    def add(self, slip: Payslip) -> None:
        self.headcount += 1
        grade = slip.grade or "-"
        self.grades[grade] = self.grades.get(grade, 0) + 1
        if slip.action:
            self.actions[slip.action] = self.actions.get(slip.action, 0) + 1
        totals = self.currencies.get(slip.currency)
        if totals is None:
            totals = self.currencies[slip.currency] = Summary(currency=slip.currency)
        totals.add(slip)

    def by_currency(self) -> dict[str, Summary]:
        """The totals of each currency some payslip was paid in, in the policy's order of currencies."""
        return {code: totals for code, totals in self.currencies.items() if totals.headcount}

    @property
    def gross(self) -> Decimal:  # type: ignore[override]
        raise AddsCurrencies("a run paid in several currencies has no one gross; read by_currency()")

    @property
    def bonus(self) -> Decimal:  # type: ignore[override]
        raise AddsCurrencies("a run paid in several currencies has no one bonus total; read by_currency()")

    @property
    def lines(self) -> dict[str, Decimal]:  # type: ignore[override]
        raise AddsCurrencies("a run paid in several currencies has no one total per line; read by_currency()")

    @property
    def net(self) -> Decimal:  # type: ignore[override]
        raise AddsCurrencies("a run paid in several currencies has no one net; read by_currency()")

    @property
    def deductions(self) -> dict[str, Decimal]:  # type: ignore[override]
        raise AddsCurrencies("a run paid in several currencies has no one total per deduction; read by_currency()")

    @property
    def employer(self) -> dict[str, Decimal]:  # type: ignore[override]
        raise AddsCurrencies("a run paid in several currencies has no one employer cost; read by_currency()")


def _add_up(totals: dict[str, Decimal], lines: list[Line]) -> Decimal:
    """Add each line to its code's total; the lines' sum."""
    amount = ZERO
    for line in lines:
        totals[line.code] = totals.get(line.code, ZERO) + line.amount
        amount += line.amount
    return amount


@dataclass(slots=True)
class AgentRow:
    """One agent's month: identity as text, KPI values in their units, other columns as numbers."""

    line: int
    agent_id: str
    role: str
    name: str = ""
    team: str = ""
    kpis: dict[str, Decimal | None] = field(default_factory=dict)
    numbers: dict[str, Decimal] = field(default_factory=dict)
    source: str = ""  # the metrics file, for messages about this row
    period: str = ""  # the cell of the policy's `agents.period` column, as text
    groups: dict[str, str] = field(default_factory=dict)  # the text columns the policy groups agents by
    currency: str = ""  # the cell of the policy's `agents.currency` column (empty: the role's currency)
    parts: tuple[Part, ...] = ()  # a period paid in parts (a change of role, team or policy value within it)


@dataclass(frozen=True)
class YearToDate:
    """What the tax year paid and withheld for one agent, over some months (the cumulative method)."""

    months: int = 0
    income: Decimal = ZERO
    contributions: Decimal = ZERO
    special: Decimal = ZERO
    other: Decimal = ZERO
    withheld: Decimal = ZERO

    def __add__(self, more: YearToDate) -> YearToDate:
        return YearToDate(
            self.months + more.months,
            self.income + more.income,
            self.contributions + more.contributions,
            self.special + more.special,
            self.other + more.other,
            self.withheld + more.withheld,
        )
