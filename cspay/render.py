"""Rich tables of payslips and run summaries for people reading a terminal."""

from __future__ import annotations

from decimal import Decimal

from rich.table import Table

from .engine import Payslip, Summary
from .export import score_text, zero
from .policy import Policy


GROUP_TITLES = {"base": "Base", "allowances": "Allowances", "bonus": "Bonus",
                "adjustments": "Adjustments", "floor": "Top-up"}
LINE_GROUPS = {"base_pay": "base", "allowance": "allowances", "bonus": "bonus",
               "adjustment": "adjustments", "floor": "floor"}


def money(amount: Decimal) -> str:
    """An amount with thousands separators and its own decimals: 7,940.00."""
    return f"{amount:,}"


def _amount_column(table: Table, title: str) -> None:
    table.add_column(title, justify="right", no_wrap=True)


def payslip_table(policy: Policy, payslips: list[Payslip]) -> Table:
    """One row per agent: who, score, grade, then base, allowances, bonus, adjustments, gross."""
    table = Table(title=f"{policy.title or policy.policy} {policy.version} ({policy.currency})",
                  title_justify="left")
    for title in ("Agent", "Name", "Role", "Team"):
        table.add_column(title, no_wrap=title in ("Agent", "Role"))
    table.add_column("Score", justify="right", no_wrap=True)
    table.add_column("Grade", no_wrap=True)
    groups = ["base", "allowances", "bonus", "adjustments"]
    if any(slip.amount("floor") for slip in payslips):
        groups.append("floor")
    for group in groups:
        _amount_column(table, GROUP_TITLES[group])
    _amount_column(table, "Gross")
    empty = zero(policy)
    for slip in payslips:
        amounts = _line_groups(slip, empty)
        grade = slip.grade or "-"
        if slip.action:
            grade += f" ({slip.action})"
        table.add_row(
            slip.agent_id, slip.name, slip.role, slip.team, score_text(slip.score) or "-", grade,
            *(money(amounts[group]) for group in groups), money(slip.gross),
        )
    return table


def _line_groups(slip: Payslip, empty: Decimal) -> dict[str, Decimal]:
    groups = dict.fromkeys(GROUP_TITLES, empty)
    for line in slip.lines:
        kind = line.code.split(".", 1)[0]
        groups[LINE_GROUPS[kind]] += line.amount
    return groups


def summary_table(policy: Policy, summary: Summary) -> Table:
    """Headcount, totals, bonus share of gross, grades and actions."""
    table = Table(title="Summary", title_justify="left", show_header=False)
    table.add_column("What")
    table.add_column("Value", justify="right", no_wrap=True)
    table.add_row("Headcount", str(summary.headcount))
    table.add_row(f"Total gross ({policy.currency})", money(summary.gross))
    table.add_row(f"Total bonus ({policy.currency})", money(summary.bonus))
    share = summary.bonus_share
    table.add_row("Bonus share of gross", "-" if share is None else f"{share * 100:.1f}%")
    order = [grade.grade for grade in policy.grades_high_to_low()] + ["-"]
    grades = ", ".join(f"{g}: {summary.grades[g]}" for g in order if g in summary.grades)
    table.add_row("Agents per grade", grades or "-")
    actions = ", ".join(f"{name}: {count}" for name, count in summary.actions.items())
    table.add_row("Agents with an action", actions or "none")
    if "floor" in summary.lines:
        table.add_row(f"Minimum pay top-ups ({policy.currency})", money(summary.lines["floor"]))
    return table
