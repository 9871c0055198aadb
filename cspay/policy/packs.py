"""Statutory packs checked across their keys (tables, bounds, a stated source) and put together with the
policy that names them; the loader (cspay.policy.loader.load_pack) reads them as safely as policies, and
cspay.policy.in_force gives the values holding on a day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from cspay.errors import PolicyError
from cspay.policy.model import Deductions, Rounding
from cspay.policy.statutory import (
    ALWAYS,
    Bracket,
    Contribution,
    ContributionBase,
    IncomeTax,
    OneTimeBonus,
    Pack,
    quick_deductions,
)
from cspay.policy.values import dotted

Path_ = tuple[str | int, ...]
Problem = tuple[Path_, str]
T = TypeVar("T")


def pack_checks(pack: Pack) -> list[Problem]:
    """A pack's rules across keys: its source stated (or its values marked as examples), each table's rows
    in order with the quick deductions they imply, each base and cap in order."""
    problems: list[Problem] = []
    if not pack.example and not (pack.source or "").strip():
        problems.append((("pack",), "name the source of the values (source: and checked:), or mark them example: true"))
    for name, base in pack.bases.items():
        problems += _bounds(("bases", name), base)
    if pack.income_tax is not None:
        problems += _dated_tables(("income_tax", "brackets"), pack.income_tax.brackets)
    if pack.one_time_bonus is not None:
        problems += _dated_tables(("one_time_bonus", "brackets"), pack.one_time_bonus.brackets)
    return problems


def _at(path: Path_, day: date) -> Path_:
    """The path of one dated value: the date is a key only when the file wrote one."""
    return path if day == ALWAYS else (*path, day.isoformat())


def _bounds(path: Path_, base: ContributionBase) -> list[Problem]:
    if base.floor is None or base.cap is None:
        return []
    days = sorted({*base.floor, *base.cap})
    for day in days:
        floor, cap = holding(base.floor, day), holding(base.cap, day)
        if floor is not None and cap is not None and floor > cap:
            return [((*path, "cap"), f"the cap {cap} lies below the floor {floor} from {day}")]
    return []


def _dated_tables(path: Path_, tables: dict[date, list[Bracket]]) -> list[Problem]:
    return [problem for day, rows in tables.items() for problem in table_checks(_at(path, day), rows)]


def table_checks(path: Path_, rows: list[Bracket]) -> list[Problem]:
    """A tax table: rows rising by `up_to` with only the last open-ended, rates never falling, and each
    quick deduction (where given) the one the rows imply."""
    if not rows:
        return [(path, "expected at least one row {up_to, rate, quick_deduction}")]
    problems: list[Problem] = []
    for index, row in enumerate(rows):
        last = index == len(rows) - 1
        if row.up_to is None and not last:
            problems.append(((*path, index), "only the last row may leave out up_to (it holds everything above)"))
        elif row.up_to is not None and last:
            problems.append(((*path, index, "up_to"), "the last row holds everything above the one before: no up_to"))
        if index and row.up_to is not None and (rows[index - 1].up_to or row.up_to) >= row.up_to:
            problems.append(((*path, index, "up_to"), f"up_to must rise row by row; {row.up_to} does not"))
        if index and row.rate.percent < rows[index - 1].rate.percent:
            problems.append(((*path, index, "rate"), "rates must not fall from one row to the next"))
    if problems:
        return problems
    for index, (row, quick) in enumerate(zip(rows, quick_deductions(rows), strict=True)):
        if row.quick_deduction is not None and row.quick_deduction != quick:
            problems.append(
                (
                    (*path, index, "quick_deduction"),
                    f"{row.quick_deduction} does not follow from the rows above it: expected {quick.normalize():f}",
                )
            )
    return problems


def holding(values: dict[date, T], day: date) -> T | None:
    """The value holding on `day`: the one from the latest date on or before it."""
    found = None
    for start, value in values.items():  # sorted by date when read
        if start <= day:
            found = value
    return found


# ---- a policy's packs together --------------------------------------------------------------------


@dataclass(frozen=True)
class Where:
    """A pack and the path of a key in it, for messages."""

    pack: Pack
    path: Path_

    def __str__(self) -> str:
        document = self.pack.document
        place = document.where(self.path, key=True) if document is not None else self.pack.path
        return f"{place}: {dotted(self.path)}"


def rounding_of(own: Rounding | None, pack: Pack) -> Rounding:
    return own or pack.rounding


@dataclass(frozen=True)
class Statutory:
    """Every pack of a policy, put together: each base, contribution and tax from the pack that defines it."""

    bases: dict[str, tuple[Pack, ContributionBase]]
    contributions: dict[str, tuple[Pack, Contribution]]
    income_tax: tuple[Pack, IncomeTax] | None
    one_time_bonus: tuple[Pack, OneTimeBonus] | None


def combine_packs(packs: list[Pack]) -> Statutory:
    """The packs as one set of rules; a base, contribution or tax defined twice is an error at both."""
    problems: list[str] = []
    bases: dict[str, tuple[Pack, ContributionBase]] = {}
    contributions: dict[str, tuple[Pack, Contribution]] = {}
    taxes: dict[str, tuple[Pack, Any]] = {}
    for pack in packs:
        for kind, items, found in (("bases", pack.bases, bases), ("contributions", pack.contributions, contributions)):
            for name, item in items.items():
                if name in found:
                    problems.append(_twice(pack, (kind, name), found[name][0]))
                else:
                    found[name] = (pack, item)  # type: ignore[assignment]
        for key in ("income_tax", "one_time_bonus"):
            item = getattr(pack, key)
            if item is not None and key in taxes:
                problems.append(_twice(pack, (key,), taxes[key][0]))
            elif item is not None:
                taxes[key] = (pack, item)
    for code, (pack, contribution) in contributions.items():
        if contribution.base not in bases:
            known = ", ".join(bases) or "none"
            where = Where(pack, ("contributions", code, "base"))
            problems.append(f"{where}: unknown base {contribution.base!r}; the packs' bases are {known}")
    if problems:
        raise PolicyError(problems)
    return Statutory(bases, contributions, taxes.get("income_tax"), taxes.get("one_time_bonus"))


def _twice(pack: Pack, path: Path_, first: Pack) -> str:
    return f"{Where(pack, path)}: also defined in {first.path}; each rule belongs to one pack"


def policy_checks(
    deductions: Deductions, statutory: Statutory, currency: str, period: str, roles: dict[str, str] | None = None
) -> list[Problem]:
    """The deductions section against its packs and the policy: columns for the bases, the currency (the
    policy's, and `roles`: each role's currency, whose agents are paid in it), and what each kind of period
    withholds."""
    problems: list[Problem] = []
    for index, pack in enumerate(deductions.loaded):
        if pack.currency != currency:
            problems.append(
                (
                    ("deductions", "packs", index),
                    f"the pack {pack.pack} holds amounts in {pack.currency}, the policy pays in {currency}; "
                    f"a statutory pack applies to pay in its own currency",
                )
            )
    for role, paid_in in (roles or {}).items():
        if paid_in != currency:
            problems.append(
                (
                    ("roles", role, "currency"),
                    f"role {role} is paid in {paid_in}, and the deductions apply to pay in {currency} only; "
                    f"pay this role under a policy without deductions",
                )
            )
    used = {contribution.base for _, contribution in statutory.contributions.values()}
    for name in sorted(used):
        if statutory.bases[name][1].of == "column" and name not in deductions.bases:
            problems.append(
                (
                    ("deductions", "bases") if deductions.bases else ("deductions",),
                    f"base {name!r} is each agent's declared base: name its column, e.g. bases: {{{name}: <column>}}",
                )
            )
    for name in deductions.bases:
        if name not in statutory.bases or statutory.bases[name][1].of != "column":
            declared = [key for key, (_, base) in statutory.bases.items() if base.of == "column"]
            problems.append(
                (
                    ("deductions", "bases", name),
                    f"unknown base {name!r}; the packs' declared bases are {', '.join(declared) or 'none'}",
                )
            )
    return problems + _period_checks(deductions, statutory, period)


def _period_checks(deductions: Deductions, statutory: Statutory, period: str) -> list[Problem]:
    if period == "quarter":
        return [
            (
                ("deductions",),
                "a quarter's bonus is wage income of the month it is paid in: withhold on it in that month's run "
                "(a monthly policy), not in a quarterly one",
            )
        ]
    if period == "year" and not deductions.one_time_bonus:
        return [
            (
                ("deductions",),
                "an annual policy's run withholds only the one-time bonus's tax: set one_time_bonus: true "
                "(or pay the bonus with a month's wages, in a monthly policy)",
            )
        ]
    if deductions.one_time_bonus and period != "year":
        return [(("deductions", "one_time_bonus"), "the one-time bonus is an annual bonus: it needs period: year")]
    if deductions.one_time_bonus and statutory.one_time_bonus is None:
        return [(("deductions", "one_time_bonus"), "none of the packs has a one_time_bonus table")]
    return []
