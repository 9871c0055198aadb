"""Rich tables of a policy comparison: the cost, per role and team, who gains and loses, the grades."""

from __future__ import annotations

from decimal import Decimal

from rich.table import Table
from rich.text import Text

from cspay.i18n import Words
from cspay.outputs.text import number
from cspay.rollout.compare import AgentChange, Comparison, Totals


def signed(amount: Decimal) -> str:
    """A difference with its sign and thousands separators: +1,234.50, -80.00, 0.00."""
    return f"{amount:+,}" if amount else f"{amount:,}"


def change(percent: Decimal | None) -> str:
    """A change in percent with its sign, to 2 places: +1.84%, -0.46%, 0.00%."""
    if percent is None:
        return "-"
    shown = f"{percent:+.2f}%"
    return shown[1:] if shown in ("+0.00%", "-0.00%") else shown


def _names(comparison: Comparison) -> tuple[str, str]:
    """Each policy's title and version, and its file too when both read the same."""
    old, new = (f"{p.title or p.policy} {p.version}" for p in (comparison.old, comparison.new))
    if old == new:
        return f"{old} ({comparison.old.path})", f"{new} ({comparison.new.path})"
    return old, new


def _amount_columns(table: Table, words: Words, *keys: str) -> None:
    for key in keys:
        table.add_column(words(key), justify="right", no_wrap=True)


def comparison_tables(comparison: Comparison, words: Words) -> list[Text | Table]:
    """A heading naming both policies, then every table of the comparison, in reading order."""
    old, new = _names(comparison)
    paid = ", ".join(dict.fromkeys(change.currency for change in comparison.changes)) or comparison.new.currency
    heading = Text(words("compare.title", old=old, new=new, currency=paid), style="bold")
    tables: list[Text | Table] = [
        heading,
        cost_table(comparison, words),
        agents_table(comparison, words),
        group_table(comparison.by_role(), words("compare.by_role"), words("col.role"), words, comparison.several),
        group_table(comparison.by_team(), words("compare.by_team"), words("col.team"), words, comparison.several),
    ]
    several = len(comparison.months) > 1
    for key, changes in (
        ("compare.gains", comparison.largest_gains()),
        ("compare.losses", comparison.largest_losses()),
    ):
        tables.append(people_table(changes, words(key), words, with_month=several, currency=comparison.several))
    tables.append(grades_table(comparison, words))
    return tables


def cost_table(comparison: Comparison, words: Words) -> Table:
    """Total gross and bonus under each policy, the difference and the change."""
    table = Table(title=words("compare.cost"), title_justify="left")
    table.add_column("")
    _amount_columns(table, words, "compare.col.old", "compare.col.new", "compare.col.delta", "compare.col.percent")
    for total in comparison.totals():  # one currency at a time: never added up
        suffix = f" ({total.currency})" if comparison.several else ""
        table.add_row(
            words("compare.row.gross") + suffix,
            number(total.old_gross),
            number(total.new_gross),
            signed(total.delta),
            change(total.percent),
        )
        table.add_row(
            words("compare.row.bonus") + suffix,
            number(total.old_bonus),
            number(total.new_bonus),
            signed(total.bonus_delta),
            change(total.bonus_percent),
        )
    return table


def agents_table(comparison: Comparison, words: Words) -> Table:
    """How many agents gain, lose and stay the same."""
    table = Table(title=words("compare.agents"), title_justify="left", show_header=False)
    table.add_column("")
    table.add_column("", justify="right", no_wrap=True)
    counts = comparison.counts()
    for key in ("gain", "lose", "same"):
        table.add_row(words(f"compare.agents.{key}"), str(counts[key]))
    table.add_row(words("compare.agents.total", months=len(comparison.months)), str(len(comparison.changes)))
    return table


def group_table(groups: list[Totals], title: str, heading: str, words: Words, currency: bool = False) -> Table:
    """One row per role or team (and currency): agents, gross under each policy, the difference, the change."""
    table = Table(title=title, title_justify="left")
    table.add_column(heading)
    if currency:
        table.add_column(words("col.currency"), no_wrap=True)
    _amount_columns(
        table,
        words,
        "compare.col.agents",
        "compare.col.old",
        "compare.col.new",
        "compare.col.delta",
        "compare.col.percent",
    )
    for group in groups:
        table.add_row(
            group.name or "-",
            *([group.currency] if currency else []),
            str(group.headcount),
            number(group.old_gross),
            number(group.new_gross),
            signed(group.delta),
            change(group.percent),
        )
    return table


def people_table(
    changes: list[AgentChange], title: str, words: Words, *, with_month: bool, currency: bool = False
) -> Table:
    """The agents whose gross moves most (in each currency): who, gross under each policy, the difference,
    the grades."""
    table = Table(title=title, title_justify="left")
    if with_month:
        table.add_column(words("compare.col.month"), no_wrap=True)
    for key in ("col.agent", "col.name", "col.role", "col.team"):
        table.add_column(words(key), no_wrap=key in ("col.agent", "col.role"))
    if currency:
        table.add_column(words("col.currency"), no_wrap=True)
    _amount_columns(table, words, "compare.col.old", "compare.col.new", "compare.col.delta")
    table.add_column(words("compare.col.grades"), no_wrap=True)
    for item in changes:
        old, new = item.old, item.new
        grades = f"{old.grade or '-'} → {new.grade or '-'}"
        table.add_row(
            *([item.month] if with_month else []),
            old.agent_id,
            old.name,
            old.role,
            old.team,
            *([item.currency] if currency else []),
            number(old.gross),
            number(new.gross),
            signed(item.delta),
            grades,
        )
    if not changes:
        table.add_row(*([""] if with_month else []), words("compare.nobody"), *[""] * (8 if currency else 7))
    return table


def grades_table(comparison: Comparison, words: Words) -> Table:
    """Agents per grade under each policy."""
    table = Table(title=words("compare.grades"), title_justify="left")
    table.add_column(words("col.grade"))
    _amount_columns(table, words, "compare.col.old", "compare.col.new")
    for grade, old, new in comparison.grades():
        table.add_row(grade, str(old), str(new))
    return table
