"""The statutory rules in force on a day: each dated value of a policy's packs resolved to the one holding
on the first day of the period paid, as the plain numbers the engine applies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from cspay.errors import PolicyError
from cspay.policy.model import Deductions, Rounding
from cspay.policy.packs import Statutory, Where, holding, rounding_of
from cspay.policy.statutory import Bracket, Pack, quick_deductions
from cspay.policy.values import HUNDRED

T = TypeVar("T")
Path_ = tuple[str | int, ...]


Row = tuple[Decimal | None, Decimal, Decimal]  # up_to (None: no limit), rate as a share (0.03), quick deduction


@dataclass(frozen=True)
class BaseInForce:
    name: str
    label: str | None
    of: str
    column: str | None
    floor: Decimal | None
    cap: Decimal | None


@dataclass(frozen=True)
class ContributionInForce:
    code: str
    label: str | None
    base: str
    employee: Decimal  # a share: 0.08
    employer: Decimal
    rounding: Rounding


@dataclass(frozen=True)
class TaxInForce:
    label: str | None
    method: str  # cumulative, monthly or one_time
    basic_deduction: Decimal  # a month's (zero for the one-time bonus)
    table: tuple[Row, ...]
    contributions_deductible: bool
    rounding: Rounding
    months: int = 12  # the one-time bonus: bonus ÷ months picks the row


@dataclass(frozen=True)
class RulesInForce:
    """The statutory rules holding on one day, as plain numbers: what the engine applies."""

    day: date
    bases: dict[str, BaseInForce]
    contributions: tuple[ContributionInForce, ...]
    tax: TaxInForce | None
    special_column: str | None
    other_column: str | None


def in_force(deductions: Deductions, statutory: Statutory, day: date, *, period: str = "month") -> RulesInForce:
    """The rules holding on `day` for a run of this kind of period: a month withholds contributions and
    wage tax, a year the one-time bonus's tax. PolicyError (located in the pack) when a value has no
    date on or before `day`, or the one-time bonus option has ended."""
    problems: list[str] = [
        f"{Where(pack, ('holds_until',))}: the pack's values are known to hold until {pack.holds_until}; "
        f"a run from {day} needs the values in force then: add them (from the first day they hold), with a "
        f"later holds_until"
        for pack in deductions.loaded
        if pack.holds_until is not None and day > pack.holds_until
    ]

    def on(values: dict[date, T] | None, pack: Pack, path: Path_) -> T | None:
        if values is None:
            return None
        found = holding(values, day)
        if found is None:
            first = min(values)
            problems.append(f"{Where(pack, path)}: no value holds on {day}; the first holds from {first}")
        return found

    if period == "year":
        return _one_time_in_force(deductions, statutory, day, on, problems)
    bases = {
        name: BaseInForce(
            name,
            base.label,
            base.of,
            deductions.bases.get(name),
            on(base.floor, pack, ("bases", name, "floor")),
            on(base.cap, pack, ("bases", name, "cap")),
        )
        for name, (pack, base) in statutory.bases.items()
    }
    contributions = tuple(
        ContributionInForce(
            code,
            item.label,
            item.base,
            _share(on(item.employee, pack, ("contributions", code, "employee"))),
            _share(on(item.employer, pack, ("contributions", code, "employer"))),
            rounding_of(item.rounding, pack),
        )
        for code, (pack, item) in statutory.contributions.items()
    )
    tax = None
    if statutory.income_tax is not None:
        pack, rule = statutory.income_tax
        basic = on(rule.basic_deduction, pack, ("income_tax", "basic_deduction"))
        rows = on(rule.brackets, pack, ("income_tax", "brackets"))
        if basic is not None and rows is not None:
            tax = TaxInForce(
                rule.label,
                rule.method,
                basic,
                rows_of(rows),
                rule.contributions_deductible,
                rounding_of(rule.rounding, pack),
            )
    if problems:
        raise PolicyError(problems)
    return RulesInForce(day, bases, contributions, tax, deductions.special_deductions, deductions.other_deductions)


def _one_time_in_force(
    deductions: Deductions, statutory: Statutory, day: date, on: Any, problems: list[str]
) -> RulesInForce:
    assert statutory.one_time_bonus is not None  # policy_checks: an annual policy's packs have one
    pack, rule = statutory.one_time_bonus
    rows = on(rule.brackets, pack, ("one_time_bonus", "brackets"))
    last = date(day.year, 12, 31)
    if last > rule.until:
        problems.append(
            f"{Where(pack, ('one_time_bonus', 'until'))}: the one-time bonus may be taxed on its own for periods "
            f"ending by {rule.until}; {day.year} ends later: pay the bonus with a month's wages"
        )
    if problems:
        raise PolicyError(problems)
    tax = TaxInForce(
        rule.label, "one_time", Decimal(0), rows_of(rows), False, rounding_of(rule.rounding, pack), rule.months
    )
    return RulesInForce(day, {}, (), tax, None, None)


def _share(found: Any) -> Decimal:
    return Decimal(0) if found is None else found.percent / HUNDRED


def rows_of(rows: list[Bracket]) -> tuple[Row, ...]:
    """A table's rows as plain numbers, with the quick deduction each implies."""
    quick = quick_deductions(rows)
    return tuple((row.up_to, row.rate.percent / HUNDRED, q) for row, q in zip(rows, quick, strict=True))


def one_time_rows(statutory: Statutory) -> tuple[tuple[Row, ...], int] | None:
    """The latest table of the one-time bonus and what the bonus is divided by, for checks that hold
    whatever the period (None without one)."""
    if statutory.one_time_bonus is None:
        return None
    rule = statutory.one_time_bonus[1]
    return rows_of(rule.brackets[max(rule.brackets)]), rule.months
