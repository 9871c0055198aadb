"""Rich tables of payslips and run summaries for people reading a terminal."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rich.table import Table

from cspay.engine.consolidate import Consolidation
from cspay.engine.types import Payslip, Summaries, Summary
from cspay.i18n import Words
from cspay.inputs.exports import Derived
from cspay.outputs.audit import figure_text, short, whole
from cspay.outputs.export import score_text, several_currencies, zero
from cspay.policy.model import Policy

# Which table column each payslip line adds up into, by the line code's first part.
LINE_GROUPS = {
    "base_pay": "base",
    "allowance": "allowances",
    "bonus": "bonus",
    "adjustment": "adjustments",
    "floor": "floor",
    "true_up": "bonus",
    "one_off": "adjustments",
}


def number(amount: Decimal) -> str:
    """An amount with thousands separators and its own decimals: 7,940.00."""
    return f"{amount:,}"


def _amount_column(table: Table, title: str) -> None:
    table.add_column(title, justify="right", no_wrap=True)


def payslip_table(
    policy: Policy, payslips: list[Payslip], words: Words, triggered: dict[str, list[str]] | None = None
) -> Table:
    """One row per agent: who, score, grade, then base, allowances, bonus, adjustments, gross.

    `triggered` adds a column of the actions each agent's recorded history triggers.
    """
    several = several_currencies(policy)
    currencies = ", ".join(policy.paid_currencies)
    title = words("table.title", title=policy.title or policy.policy, version=policy.version, currency=currencies)
    table = Table(title=title, title_justify="left")
    for key in ("agent", "name", "role", "team"):
        table.add_column(words(f"col.{key}"), no_wrap=key in ("agent", "role"))
    if several:
        table.add_column(words("col.currency"), no_wrap=True)
    table.add_column(words("col.score"), justify="right", no_wrap=True)
    table.add_column(words("col.grade"), no_wrap=True)
    if triggered is not None:
        table.add_column(words("col.triggered"))
    groups = ["base", "allowances", "bonus", "adjustments"]
    groups = list(
        dict.fromkeys(group for code, group in LINE_GROUPS.items() if group in groups and policy.pays_line(code))
    )
    if any(slip.amount("floor") for slip in payslips):
        groups.append("floor")
    for group in [*groups, "gross"]:
        _amount_column(table, words(f"col.{group}"))
    zeros = {code: zero(policy, code) for code in policy.paid_currencies}
    for slip in payslips:
        amounts = _line_groups(slip, zeros.get(slip.currency, zeros[policy.currency]))
        grade = slip.grade or "-"
        if slip.action:
            grade += f" ({slip.action})"
        actions = [", ".join(triggered.get(slip.agent_id, [])) or "-"] if triggered is not None else []
        table.add_row(
            slip.agent_id,
            slip.name,
            slip.role,
            slip.team,
            *([slip.currency] if several else []),
            score_text(slip.score) or "-",
            grade,
            *actions,
            *(number(amounts[group]) for group in groups),
            number(slip.gross),
        )
    return table


def _line_groups(slip: Payslip, empty: Decimal) -> dict[str, Decimal]:
    groups = dict.fromkeys(LINE_GROUPS.values(), empty)
    for line in slip.lines:
        group = LINE_GROUPS[line.code.split(".", 1)[0]]
        groups[group] += line.amount
    return groups


def summary_table(policy: Policy, summary: Summary, words: Words, consolidated: Consolidation | None = None) -> Table:
    """Headcount, totals (each currency's apart), bonus share of gross, grades and actions; a consolidated
    view when one was asked for."""
    table = Table(title=words("summary.title"), title_justify="left", show_header=False)
    table.add_column("")
    table.add_column("", justify="right", no_wrap=True)
    table.add_row(words("summary.headcount"), str(summary.headcount))
    several = isinstance(summary, Summaries)
    for currency, totals in summary.by_currency().items():
        if several:
            table.add_row(words("summary.headcount_in", currency=currency), str(totals.headcount))
        table.add_row(words("summary.total_gross", currency=currency), number(totals.gross))
        table.add_row(words("summary.total_bonus", currency=currency), number(totals.bonus))
        share = totals.bonus_share
        key = "summary.bonus_share_in" if several else "summary.bonus_share"
        table.add_row(words(key, currency=currency), "-" if share is None else f"{share * 100:.1f}%")
    order = [grade.grade for grade in policy.grades_high_to_low()] + ["-"]
    grades = ", ".join(f"{g}: {summary.grades[g]}" for g in order if g in summary.grades)
    table.add_row(words("summary.grades"), grades or "-")
    actions = ", ".join(f"{name}: {count}" for name, count in summary.actions.items())
    table.add_row(words("summary.actions"), actions or words("summary.none"))
    for currency, totals in summary.by_currency().items():
        if "floor" in totals.lines:
            table.add_row(words("summary.topups", currency=currency), number(totals.lines["floor"]))
    if summary.budget is not None:
        _budget_rows(table, summary.budget, policy.currency, words)
    if consolidated is not None:
        _consolidated_rows(table, consolidated, words)
    return table


def _consolidated_rows(table: Table, consolidated: Consolidation, words: Words) -> None:
    """Each currency's gross, its rate and date, and the gross converted; then the converted totals."""
    table.add_section()
    currency = consolidated.currency
    table.add_row(words("summary.consolidated", currency=currency, rates=consolidated.source), "")
    for part in consolidated.parts:
        if part.date is None:
            label = words("summary.converted_same", amount=number(part.gross), code=part.currency)
        else:
            label = words(
                "summary.converted",
                amount=number(part.gross),
                code=part.currency,
                rate=part.rate,
                date=part.date.isoformat(),
            )
        table.add_row(label, number(part.converted_gross))
    table.add_row(words("summary.consolidated_gross", currency=currency), number(consolidated.gross))
    table.add_row(words("summary.consolidated_bonus", currency=currency), number(consolidated.bonus))


def _budget_rows(table: Table, budget: Any, currency: str, words: Words) -> None:
    table.add_row(words("summary.bonus_pool", currency=currency), number(budget.pool))
    table.add_row(words("summary.bonus_demand", currency=currency), number(budget.demand))
    factor = f"{budget.factor:.6f}" if budget.scaled else words("summary.within_pool")
    table.add_row(words("summary.budget_factor"), factor)


def figures_table(derived: Derived, words: Words) -> Table:
    """One row per agent (and month, over several): rows, then each metric as value (numerator/denominator)."""
    title = words("metrics.title", source=derived.source, period=derived.period.label)
    view = Table(title=title, title_justify="left")
    several = len(derived.months) > 1
    if several:
        view.add_column(words("metrics.col.month"), no_wrap=True)
    view.add_column(words("col.agent"), no_wrap=True)
    view.add_column(words("metrics.col.rows"), justify="right", no_wrap=True)
    for name in derived.metrics:
        view.add_column(name, justify="right", no_wrap=True)
    agents = [(table.period.label, agent) for table in derived.months for agent in table.agents]
    # A column of fractions shows 2 places throughout, so 50.00 lines up with 49.13.
    places = {name: not all(whole(agent.figures[name].value) for _, agent in agents) for name in derived.metrics}
    for month, agent in agents:
        view.add_row(*([month] if several else []), agent.agent_id, short(Decimal(agent.rows)),
                     *(figure_text(agent.figures[name], places=places[name]) for name in derived.metrics))  # fmt: skip
    return view
