"""Rich tables of payslips and run summaries for people reading a terminal."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from itertools import repeat
from typing import IO, TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.table import Table

from cspay.engine.consolidate import Consolidation
from cspay.engine.moves import tidy
from cspay.engine.parts import TEAM_CODE
from cspay.engine.teams import TeamBook
from cspay.engine.types import Payslip, Summaries, Summary
from cspay.i18n import Words
from cspay.outputs.audit import figure_text, short, whole
from cspay.outputs.export import several_currencies, zero
from cspay.outputs.teams import rollup_data
from cspay.outputs.text import number, score_text
from cspay.policy.model import Policy

if TYPE_CHECKING:
    from cspay.inputs.exports import Derived

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


def payslip_table(
    policy: Policy,
    payslips: list[Payslip],
    words: Words,
    triggered: dict[str, list[str]] | None = None,
    *,
    net: bool = False,
) -> Table:
    """One row per agent: who, score, grade, then base, allowances, bonus, adjustments, gross.

    `triggered` adds a column of the actions each agent's recorded history triggers; `net`, the employee's
    contributions, the tax and net pay.
    """
    layout = TableLayout(policy, words, triggered, floor=any(slip.amount("floor") for slip in payslips), net=net)
    return drawn_table(policy, words, layout, [layout.cells(slip) for slip in payslips])


def drawn_table(policy: Policy, words: Words, layout: TableLayout, rows: Iterable[list[str]]) -> Table:
    """The payslip table drawn from its rows' cells, laid out by `layout`."""
    table = Table(title=table_title(policy, words), title_justify="left")
    for heading, right, wraps in layout.columns:
        table.add_column(heading, justify="right" if right else "left", no_wrap=not wraps)
    for cells in rows:
        table.add_row(*cells)
    return table


def table_title(policy: Policy, words: Words) -> str:
    currencies = ", ".join(policy.paid_currencies)
    return words("table.title", title=policy.title or policy.policy, version=policy.version, currency=currencies)


class TableLayout:
    """The payslip table's columns for a policy, and each payslip's cells: the same in the drawn table and
    the plain one."""

    def __init__(
        self, policy: Policy, words: Words, triggered: dict[str, list[str]] | None, *, floor: bool, net: bool = False
    ) -> None:
        self.policy, self.triggered, self.net = policy, triggered, net
        self.several = several_currencies(policy)
        groups = ["base", "allowances", "bonus", "adjustments"]
        self.groups = list(
            dict.fromkeys(group for code, group in LINE_GROUPS.items() if group in groups and policy.pays_line(code))
        )
        if "bonus" in self.groups and any(role.team_share for role in policy.roles.values()):
            self.groups.insert(self.groups.index("bonus") + 1, "team_bonus")
        if floor:
            self.groups.append("floor")
        # (heading, right-aligned, may wrap)
        self.columns = [
            (words(f"col.{key}"), False, key in ("name", "team")) for key in ("agent", "name", "role", "team")
        ]
        if self.several:
            self.columns.append((words("col.currency"), False, False))
        self.columns += [(words("col.score"), True, False), (words("col.grade"), False, False)]
        if triggered is not None:
            self.columns.append((words("col.triggered"), False, True))
        self.columns += [(words(f"col.{group}"), True, False) for group in [*self.groups, "gross"]]
        if net:
            self.columns += [(words(f"col.{group}"), True, False) for group in ("contributions", "tax", "net")]
        self.zeros = {code: zero(policy, code) for code in policy.paid_currencies}

    def cells(self, slip: Payslip) -> list[str]:
        """One payslip's row, as text."""
        empty = self.zeros.get(slip.currency, self.zeros[self.policy.currency])
        amounts = _line_groups(slip, empty)
        grade = slip.grade or "-"
        if slip.action:
            grade += f" ({slip.action})"
        triggered = self.triggered
        actions = [", ".join(triggered.get(slip.agent_id, [])) or "-"] if triggered is not None else []
        return [
            slip.agent_id,
            slip.name,
            slip.role,
            slip.team,
            *([slip.currency] if self.several else []),
            score_text(slip.score) or "-",
            grade,
            *actions,
            *(number(amounts[group]) for group in self.groups),
            number(slip.gross),
            *(_net_cells(slip, empty) if self.net else []),
        ]


def write_plain_table(
    out: IO[str],
    policy: Policy,
    words: Words,
    first: list[Payslip],
    rest: Iterable[Payslip],
    triggered: dict[str, list[str]] | None = None,
    *,
    net: bool = False,
) -> None:
    """The payslip table as plain lines, written as the payslips come: columns as wide as in the `first`
    payslips (a wider cell later widens its own line only, never cut), two spaces apart, amounts on the right."""
    layout = TableLayout(policy, words, triggered, floor=policy.floor is not None, net=net)
    first_cells = [layout.cells(slip) for slip in first]
    table = PlainTable(out, table_title(policy, words), layout, first_cells)
    table.write(first_cells)
    chunk: list[list[str]] = []
    for slip in rest:
        chunk.append(layout.cells(slip))
        if len(chunk) == 512:
            table.write(chunk)
            chunk.clear()
    table.write(chunk)


class PlainTable:
    """A plain table's columns, as wide as its first rows need, and its lines written to `out`."""

    def __init__(self, out: IO[str], title: str, layout: TableLayout, first: list[list[str]]) -> None:
        self.out = out
        headings = [heading for heading, _, _ in layout.columns]
        widths = [cell_len(heading) for heading in headings]
        for cells in first:
            widths = list(map(max, widths, map(cell_len, cells)))
        self.widths, self.rights = widths, [right for _, right, _ in layout.columns]
        out.write(f"{title}\n{self.line(headings)}\n{self.line(['-' * width for width in widths])}\n")

    def line(self, cells: list[str]) -> str:
        padded = (_pad(cell, width, right) for cell, width, right in zip(cells, self.widths, self.rights, strict=True))
        return "  ".join(padded).rstrip()

    def write(self, rows: list[list[str]]) -> None:
        """Rows of cells, as lines."""
        if rows:
            self.out.write("\n".join(map(self.line, rows)) + "\n")

    def write_columns(self, columns: list[list[str]]) -> None:
        """Rows given column by column: a column of ASCII text padded at once, as _pad pads each cell."""
        padded = []
        for column, width, right in zip(columns, self.widths, self.rights, strict=True):
            if "".join(column).isascii():
                padded.append(list(map(str.rjust if right else str.ljust, column, repeat(width))))
            else:
                padded.append(list(map(_pad, column, repeat(width), repeat(right))))
        lines = map(str.rstrip, map("  ".join, zip(*padded, strict=True)))
        self.out.write("\n".join(lines) + "\n")


def _pad(cell: str, width: int, right: bool) -> str:
    space = " " * (width - cell_len(cell))
    return space + cell if right else cell + space


def _net_cells(slip: Payslip, empty: Decimal) -> list[str]:
    """The employee's contributions, the tax and net pay."""
    contributions = sum((line.amount for line in slip.deductions if line.code.startswith("contribution.")), empty)
    tax = sum((line.amount for line in slip.deductions if line.code.startswith("tax.")), empty)
    return [number(contributions), number(tax), number(slip.net)]


def _line_groups(slip: Payslip, empty: Decimal) -> dict[str, Decimal]:
    groups = dict.fromkeys([*LINE_GROUPS.values(), "team_bonus"], empty)
    for line in slip.lines:
        group = "team_bonus" if line.code == TEAM_CODE else LINE_GROUPS[line.code.split(".", 1)[0]]
        groups[group] += line.amount
    return groups


def teams_tables(policy: Policy, book: TeamBook, words: Words) -> list[Table]:
    """The run's team results, then its sites': members counted, their size, score and grade."""
    data = rollup_data(policy, book)
    rule = policy.teams
    tables = []
    for key, rows in (("teams", data["teams"]), ("sites", data["sites"])):
        if not rows:
            continue
        table = Table(title=words(f"teams.title.{key}"), title_justify="left")
        for column in ("team" if key == "teams" else "site", "site" if key == "teams" else "teams"):
            table.add_column(words(f"teams.col.{column}"))
        for column in ("members", "size", "score"):
            table.add_column(words(f"teams.col.{column}"), justify="right", no_wrap=True)
        table.add_column(words("teams.col.grade"), no_wrap=True)
        if key == "teams":
            table.add_column(words("teams.col.note"))
        for row in rows:
            cells = [row["team"], row["site"] or "-"] if key == "teams" else [row["site"], ", ".join(row["teams"])]
            cells += [str(len(row["members"])), size_text(Decimal(row["size"])), score_text(_score(row)) or "-"]
            cells.append(row["grade"] or "-")
            if key == "teams":
                small = row["small"] and rule is not None
                cells.append(words(f"teams.small.{rule.small_team}", min=rule.min_size) if small and rule else "")
            table.add_row(*cells)
        tables.append(table)
    return tables


def size_text(size: Decimal) -> str:
    """How many members a team counted, to two places at most: 4, 3.39 (a member who left counts for less)."""
    return str(tidy(size.quantize(Decimal("0.01"))))


def _score(row: dict[str, Any]) -> Decimal | None:
    return None if row["score"] is None else Decimal(row["score"])


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
    for currency, totals in summary.by_currency().items():
        if totals.deductions or totals.employer:
            _net_rows(table, totals, currency, words)
    if consolidated is not None:
        _consolidated_rows(table, consolidated, words)
    return table


def _net_rows(table: Table, summary: Summary, currency: str, words: Words) -> None:
    """From gross to net in one currency, and what it costs the employer."""
    totals = summary.deductions
    contributions = sum((amount for code, amount in totals.items() if code.startswith("contribution.")), Decimal(0))
    tax = sum((amount for code, amount in totals.items() if code.startswith("tax.")), Decimal(0))
    table.add_row(words("summary.total_contributions", currency=currency), number(contributions))
    table.add_row(words("summary.total_tax", currency=currency), number(tax))
    table.add_row(words("summary.total_net", currency=currency), number(summary.net))
    table.add_row(words("summary.employer", currency=currency), number(sum(summary.employer.values(), Decimal(0))))
    table.add_row(words("summary.employer_cost", currency=currency), number(summary.employer_cost))


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
