"""Statutory packs: the dated rules that take a payslip from gross to net -- contribution bases with their
floor and cap, employee and employer rates, income-tax tables, the one-time bonus. The policy's
`deductions:` section (cspay.policy.model.Deductions) names the packs and the columns they read.

A dated value is written plainly (it holds always) or by the first day of the month each value holds
from: `cap: {2024-07-01: 36921, 2025-07-01: 37302}`. A run takes the value holding on its first day.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, PositiveInt, PrivateAttr

from cspay.policy.model import Model, Rounding
from cspay.policy.values import HUNDRED, NonNegative, Positive, Share, ShareOfPay, Text, shown

ALWAYS = date(1, 1, 1)  # the date of a value written without one
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _dated(value: Any) -> Any:
    """A plain value holds always; a mapping gives values by the date each holds from."""
    if not isinstance(value, dict):
        return {ALWAYS.isoformat(): value}
    keys = [key for key in value if not (isinstance(key, str) and _DATE.fullmatch(key))]
    if not value or keys:
        got = f"the key {shown(keys[0])}" if keys else "an empty mapping"
        raise ValueError(
            f"expected a value, or values by the date each holds from, like {{2025-07-01: 7460}}; got {got}"
        )
    return value


def _first_days(values: dict[date, Any]) -> dict[date, Any]:
    late = [day for day in values if day.day != 1]
    if late:
        raise ValueError(f"{late[0]}: a value holds from the first day of a month, as pay changes month by month")
    return dict(sorted(values.items()))


def _at_most_all(share: Share) -> Share:
    if share.percent > HUNDRED:
        raise ValueError(f"expected a rate of at most 100%, got {share.percent}%")
    return share


Rate = Annotated[ShareOfPay, AfterValidator(_at_most_all)]


class Bracket(Model):
    """One row of a tax table: the rate on amounts up to `up_to` (included; none for the top row), and
    its quick deduction (tax = amount × rate − quick deduction)."""

    up_to: Positive | None = None
    rate: Rate
    quick_deduction: NonNegative | None = None


DatedAmount = Annotated[dict[date, NonNegative], BeforeValidator(_dated), AfterValidator(_first_days)]
DatedRate = Annotated[dict[date, Rate], BeforeValidator(_dated), AfterValidator(_first_days)]
DatedTable = Annotated[dict[date, list[Bracket]], BeforeValidator(_dated), AfterValidator(_first_days)]


class ContributionBase(Model):
    """What contributions are a share of: each agent's declared base (a column the policy names) or the
    month's gross pay, bounded below by `floor` and above by `cap`."""

    label: Text | None = None
    of: Literal["column", "gross"] = "column"
    floor: DatedAmount | None = None
    cap: DatedAmount | None = None


class Contribution(Model):
    """A social insurance or fund: the employee's share (deducted from gross) and the employer's (a cost)."""

    label: Text | None = None
    base: Text
    employee: DatedRate | None = None
    employer: DatedRate | None = None
    rounding: Rounding | None = None  # default: the pack's


class IncomeTax(Model):
    """Income tax withheld on wages: `cumulative` over the tax year (annual table) or `monthly` (a table of
    one month), after a basic deduction per month and, where deductible, the employee's contributions."""

    label: Text | None = None
    method: Literal["cumulative", "monthly"]
    basic_deduction: DatedAmount
    brackets: DatedTable
    contributions_deductible: bool = True
    rounding: Rounding | None = None


class OneTimeBonus(Model):
    """A bonus taxed on its own: bonus ÷ `months` picks the row of the table, then tax = bonus × rate −
    quick deduction. The option holds for bonuses of periods ending on or before `until`."""

    label: Text | None = None
    brackets: DatedTable
    months: PositiveInt = 12
    until: date
    rounding: Rounding | None = None


class Pack(Model):
    """A statutory pack file: national or local rules, with the source of their values."""

    pack: Text
    title: Text | None = None
    country: Text | None = None
    currency: Text
    source: Text | None = None
    checked: date | None = None  # when the values were last checked against the source
    example: bool = False  # values to confirm before paying: validate-policy warns
    holds_until: date | None = None  # the last day the values are known to hold: later runs are refused
    rounding: Rounding = Rounding()
    bases: dict[str, ContributionBase] = Field(default_factory=dict)
    contributions: dict[str, Contribution] = Field(default_factory=dict)
    income_tax: IncomeTax | None = None
    one_time_bonus: OneTimeBonus | None = None

    _path: str = PrivateAttr(default="<pack>")
    _document: Any = PrivateAttr(default=None)

    @property
    def path(self) -> str:
        return self._path

    @property
    def document(self) -> Any:
        """The loader's Document (where each key is), None for a pack not read from a file."""
        return self._document


def quick_deductions(brackets: list[Bracket]) -> list[Decimal]:
    """The quick deduction each row must have for tax = amount × rate − quick deduction to be the tax of
    the table's rows applied in turn: the row below's, plus its upper edge × the rise in rate."""
    found, quick = [], Decimal(0)
    for index, bracket in enumerate(brackets):
        if index:
            below = brackets[index - 1]
            quick += (below.up_to or Decimal(0)) * (bracket.rate.percent - below.rate.percent) / HUNDRED
        found.append(quick)
    return found
