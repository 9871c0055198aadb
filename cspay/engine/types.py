"""What the engine makes: payslip lines, KPI results, gate hits, payslips and a run's totals, and the
agent rows it pays from."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

ZERO = Decimal(0)
ONE = Decimal(1)
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

    @property
    def gross(self) -> Decimal:
        return sum([line.amount for line in self.lines], ZERO)

    def amount(self, code: str) -> Decimal:
        """The amount of the line with this code, 0 when the payslip has no such line."""
        return next((line.amount for line in self.lines if line.code == code), ZERO)


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
