"""From gross to net, each statutory rule written once: a contribution base bounded by its floor and cap,
contributions as shares of it, and income tax by the cumulative, monthly or one-time-bonus method. Every
deduction is its own line, rounded by its pack's rule; net is gross less those lines, so it always adds up.

Boundaries: a base equal to the cap or floor is kept as it is; an amount equal to a row's `up_to` is taxed
at that row's rate (the row holds amounts up to and including it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from cspay.cells import id_key
from cspay.engine.rounding import Rounder
from cspay.engine.types import Line, Payslip, YearToDate
from cspay.errors import PayError
from cspay.i18n import DEFAULT_LANGUAGE, catalog
from cspay.policy.in_force import BaseInForce, Row, RulesInForce, TaxInForce

ZERO = Decimal(0)
MEMO_LIMIT = 20_000  # distinct sets of bases whose contributions are remembered
TAX_CODES = {"cumulative": "tax.income", "monthly": "tax.income", "one_time": "tax.bonus"}


@dataclass(frozen=True)
class BaseWorked:
    """A contribution base: what the agent declared (or gross), the floor and cap, and the base used."""

    name: str
    declared: Decimal
    floor: Decimal | None
    cap: Decimal | None
    amount: Decimal


@dataclass(frozen=True)
class ContributionWorked:
    """One contribution: its base, and the employee's and employer's rates and rounded amounts."""

    code: str
    base: str
    base_amount: Decimal
    employee_rate: Decimal
    employee: Decimal
    employer_rate: Decimal
    employer: Decimal


@dataclass(frozen=True)
class TaxWorked:
    """How the tax line was worked out. For the cumulative method every figure is the year's so far, this
    month included; for the monthly method, the month's; for the one-time bonus, `income` is the bonus."""

    method: str
    months: int  # counted for the basic deduction; for the one-time bonus, what it is divided by
    income: Decimal
    basic_deduction: Decimal
    contributions: Decimal
    special: Decimal
    other: Decimal
    taxable: Decimal
    rate: Decimal
    quick_deduction: Decimal
    due: Decimal
    withheld_before: Decimal
    amount: Decimal
    divided: Decimal | None = None  # the one-time bonus ÷ months, which picks the row


@dataclass(frozen=True)
class Withholding:
    """Everything behind one payslip's deductions: the year to date before it, each base and contribution,
    the tax, and the month's own deductions from taxable income."""

    year: int
    method: str | None
    before: YearToDate
    bases: tuple[BaseWorked, ...]
    contributions: tuple[ContributionWorked, ...]
    tax: TaxWorked | None
    special: Decimal
    other: Decimal

    @property
    def employee_contributions(self) -> Decimal:
        return sum((item.employee for item in self.contributions), ZERO)

    def this_month(self, gross: Decimal) -> YearToDate:
        """The month's own figures, as the next month's year to date counts them."""
        withheld = self.tax.amount if self.tax is not None else ZERO
        return YearToDate(1, gross, self.employee_contributions, self.special, self.other, withheld)


NOTHING = YearToDate()  # the year to date of an agent with no earlier month
Contributed = tuple[tuple[ContributionWorked, ...], tuple[Line, ...], tuple[Line, ...], Decimal]


def bounded(declared: Decimal, floor: Decimal | None, cap: Decimal | None) -> Decimal:
    """The base used: the declared base, raised to the floor and cut to the cap (equal to either: kept)."""
    amount = declared
    if cap is not None and amount > cap:
        amount = cap
    if floor is not None and amount < floor:
        amount = floor
    return amount


def row_for(table: tuple[Row, ...], amount: Decimal) -> Row:
    """The table's row for an amount: the first whose up_to it does not exceed (or the open top row)."""
    for row in table:
        if row[0] is None or amount <= row[0]:
            return row
    return table[-1]


def tax_by_table(table: tuple[Row, ...], amount: Decimal, picked_by: Decimal | None = None) -> tuple[Decimal, Row]:
    """amount × rate − quick deduction, the row picked by `picked_by` (default: the amount); 0 for an
    amount of 0 or less."""
    row = row_for(table, amount if picked_by is None else picked_by)
    if amount <= 0:
        return ZERO, row
    return max(amount * row[1] - row[2], ZERO), row


def default_label(code: str) -> str:
    """cspay's English words for a statutory line's code, or the code; views word it in their language."""
    return catalog(DEFAULT_LANGUAGE).get(f"line.{code}", code)


class Withholder:
    """The rules in force for a run, applied to each payslip after its gross is final."""

    def __init__(
        self, rules: RulesInForce, year_to_date: Mapping[str, YearToDate] | None = None, *, currency: str = ""
    ) -> None:
        self.rules = rules
        self.currency = currency  # the packs' currency: pay in another has no deductions by these rules
        # By agent id as compared (cspay.cells.id_key): "A001" in the ledger is "a001" in the metrics.
        self.year_to_date = {id_key(agent): figures for agent, figures in (year_to_date or {}).items()}
        self.round = {item.code: Rounder(item.rounding.step, item.rounding.mode) for item in rules.contributions}
        tax = rules.tax
        self.round_tax = Rounder(tax.rounding.step, tax.rounding.mode) if tax is not None else None
        used = {item.base for item in rules.contributions}
        self.bases = [base for name, base in rules.bases.items() if name in used]
        self.labels = {
            item.code: (
                (f"contribution.{item.code}", item.label or default_label(f"contribution.{item.code}")),
                (f"employer.{item.code}", item.label or default_label(f"contribution.{item.code}")),
            )
            for item in rules.contributions
        }
        self._contributed: dict[tuple[Decimal, ...], Contributed] = {}
        code = TAX_CODES[tax.method] if tax is not None else None
        self.tax_label = None if tax is None or code is None else (code, tax.label or default_label(code))

    def codes(self) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """The deduction lines (employee contributions, then the tax) and the employer's lines of this
        run, in payslip order, each with its label."""
        taken = [self.labels[item.code][0] for item in self.rules.contributions if item.employee]
        paid = [self.labels[item.code][1] for item in self.rules.contributions if item.employer]
        return taken + ([self.tax_label] if self.tax_label else []), paid

    def withhold(self, slip: Payslip) -> Payslip:
        """Set the payslip's deductions, employer lines and how they were worked out. PayError for a payslip
        in another currency than the packs': their bases, rates and tax tables are amounts in theirs."""
        if self.currency and slip.currency and slip.currency != self.currency:
            raise PayError(
                f"row {slip.row}: agent {slip.agent_id!r} is paid in {slip.currency}, and the policy's deductions "
                f"are in {self.currency}: contributions and income tax are deducted only from pay in "
                f"{self.currency}; pay this agent under a policy without deductions"
            )
        rules, numbers, gross = self.rules, slip.numbers, slip.gross
        bases = tuple(self._base(base, gross, numbers) for base in self.bases)
        key = tuple(base.amount for base in bases)
        contributed = self._contributed.get(key)
        if contributed is None:
            contributed = self._contributions({base.name: base.amount for base in bases})
            if len(self._contributed) < MEMO_LIMIT:  # bases repeat (pay grades, the floor, the cap)
                self._contributed[key] = contributed
        contributions, employee_lines, employer_lines, employee = contributed
        special = numbers.get(rules.special_column, ZERO) if rules.special_column else ZERO
        other = numbers.get(rules.other_column, ZERO) if rules.other_column else ZERO
        before = self.year_to_date.get(id_key(slip.agent_id), NOTHING)
        tax = (
            None if rules.tax is None else self._tax(rules.tax, YearToDate(1, gross, employee, special, other), before)
        )
        taken = list(employee_lines)
        if tax is not None and self.tax_label is not None:
            taken.append(Line(*self.tax_label, tax.amount))
        slip.deductions, slip.employer = taken, list(employer_lines)
        method = rules.tax.method if rules.tax is not None else None
        slip.withholding = Withholding(rules.day.year, method, before, bases, contributions, tax, special, other)
        return slip

    @staticmethod
    def _base(base: BaseInForce, gross: Decimal, numbers: dict[str, Decimal]) -> BaseWorked:
        declared = gross if base.of == "gross" else numbers[base.column or ""]
        return BaseWorked(base.name, declared, base.floor, base.cap, bounded(declared, base.floor, base.cap))

    def _contributions(self, bases: dict[str, Decimal]) -> Contributed:
        """Each contribution on its bounded base, the employee's and the employer's lines, and the
        employee's total."""
        contributions, taken, paid = [], [], []
        for item in self.rules.contributions:
            amount, round_ = bases[item.base], self.round[item.code]
            worked = ContributionWorked(
                item.code, item.base, amount, item.employee, round_(amount * item.employee),
                item.employer, round_(amount * item.employer),
            )  # fmt: skip
            contributions.append(worked)
            employee_label, employer_label = self.labels[item.code]
            if item.employee:
                taken.append(Line(*employee_label, worked.employee))
            if item.employer:
                paid.append(Line(*employer_label, worked.employer))
        employee = sum((line.amount for line in taken), ZERO)
        return tuple(contributions), tuple(taken), tuple(paid), employee

    def _tax(self, rule: TaxInForce, month: YearToDate, before: YearToDate) -> TaxWorked:
        """The tax line: the one-time bonus on its own; the cumulative method over the year so far, less
        what was withheld before (never below 0: no refund through payroll); the monthly method on the month."""
        assert self.round_tax is not None
        if rule.method == "one_time":
            bonus = month.income
            divided = bonus / rule.months
            due, row = tax_by_table(rule.table, bonus, divided)
            zero = ZERO
            return TaxWorked("one_time", rule.months, bonus, zero, zero, zero, zero, bonus, row[1], row[2], due, zero,
                             self.round_tax(due), divided)  # fmt: skip
        total = before + month if rule.method == "cumulative" and before is not NOTHING else month
        withheld_before = total.withheld
        contributions = total.contributions if rule.contributions_deductible else ZERO
        basic = rule.basic_deduction * total.months
        taxable = max(total.income - basic - contributions - total.special - total.other, ZERO)
        due, row = tax_by_table(rule.table, taxable)
        amount = self.round_tax(max(due - withheld_before, ZERO))
        return TaxWorked(
            rule.method, total.months, total.income, basic, contributions, total.special, total.other,
            taxable, row[1], row[2], due, withheld_before, amount,
        )  # fmt: skip
