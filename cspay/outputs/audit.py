"""The derived metrics for the analyst's audit: a rich table, CSV and JSON, every figure with its parts."""

from __future__ import annotations

import csv
import json
from decimal import ROUND_HALF_UP, Decimal
from typing import IO, Any

from rich.table import Table

from cspay import __version__
from cspay.i18n import Words
from cspay.inputs.exports import DerivedTable, Joined
from cspay.outputs.export import inert
from cspay.policy.metrics_spec import Figure
from cspay.policy.model import Policy

SHOWN_PLACES = Decimal("0.01")


def short(number: Decimal, *, places: bool = False) -> str:
    """A number for people: to 2 places, or whole when it is (the files keep every digit)."""
    if not places and number == number.to_integral_value():
        return f"{number:,.0f}"
    return f"{number.quantize(SHOWN_PLACES, ROUND_HALF_UP):,}"


def figure_text(figure: Figure, *, places: bool = False) -> str:
    """`0.91 (436/479)`: the value and what it came from; `n=` when only the count of values applies."""
    value = "-" if figure.value is None else short(figure.value, places=places)
    if figure.denominator is None:
        return value
    if figure.numerator is None:
        return f"{value} (n={short(figure.denominator)})"
    return f"{value} ({short(figure.numerator)}/{short(figure.denominator)})"


def figures_table(table: DerivedTable, words: Words) -> Table:
    """One row per agent: rows in the period, then each metric as value (numerator/denominator)."""
    title = words("metrics.title", source=table.source, period=table.period.label)
    view = Table(title=title, title_justify="left")
    view.add_column(words("col.agent"), no_wrap=True)
    view.add_column(words("metrics.col.rows"), justify="right", no_wrap=True)
    for name in table.metrics:
        view.add_column(name, justify="right", no_wrap=True)
    # A column of fractions shows 2 places throughout, so 50.00 lines up with 49.13.
    places = {name: not all(_whole(agent.figures[name].value) for agent in table.agents) for name in table.metrics}
    for agent in table.agents:
        view.add_row(agent.agent_id, short(Decimal(agent.rows)),
                     *(figure_text(agent.figures[name], places=places[name]) for name in table.metrics))  # fmt: skip
    return view


def _whole(number: Decimal | None) -> bool:
    return number is None or number == number.to_integral_value()


def _exact(number: Decimal | None) -> str:
    """Every digit, never an exponent; empty for a missing figure."""
    return "" if number is None else format(number, "f")


def write_figures_csv(handle: IO[str], table: DerivedTable) -> None:
    """agent_id, rows, then per metric its value, `.numerator` and `.denominator` columns."""
    writer = csv.writer(handle, lineterminator="\n")
    parts = [(name, f"{name}.numerator", f"{name}.denominator") for name in table.metrics]
    writer.writerow(["agent_id", "rows", *(column for columns in parts for column in columns)])
    for agent in table.agents:
        cells = []
        for name in table.metrics:
            figure = agent.figures[name]
            cells += [_exact(figure.value), _exact(figure.numerator), _exact(figure.denominator)]
        writer.writerow([inert(agent.agent_id), agent.rows, *cells])


def figures_data(policy: Policy, table: DerivedTable, joined: Joined | None, roster: str | None) -> dict[str, Any]:
    """The derived table as JSON-ready data; numbers as decimal strings, missing figures as null."""
    period = table.period
    return {
        "policy": policy.policy, "policy_version": policy.version, "policy_sha256": policy.sha256,
        "cspay_version": __version__, "source": table.source,
        "period": {"label": period.label, "first": period.first.isoformat(), "last": period.last.isoformat()},
        "rows_read": table.rows_read, "rows_outside": table.rows_outside, "metrics": table.metrics,
        "agents": [
            {"agent_id": agent.agent_id, "rows": agent.rows,
             "figures": {name: _figure_data(agent.figures[name]) for name in table.metrics}}
            for agent in table.agents
        ],
        "roster": None if joined is None else {
            "source": roster, "not_in_roster": joined.not_in_roster, "without_rows": joined.without_rows,
        },
    }  # fmt: skip


def _figure_data(figure: Figure) -> dict[str, str | None]:
    return {part: _exact(getattr(figure, part)) or None for part in ("value", "numerator", "denominator")}


def write_figures_json(handle: IO[str], data: dict[str, Any]) -> None:
    """The document with one agent per line, as payslips are written, so it reads and diffs well."""
    head = {key: value for key, value in data.items() if key != "agents"}
    handle.write(json.dumps(head, ensure_ascii=False, indent=1)[:-2] + ',\n "agents": [')
    for index, agent in enumerate(data["agents"]):
        handle.write(",\n  " if index else "\n  ")
        handle.write(json.dumps(agent, ensure_ascii=False))
    handle.write("\n ]\n}\n")
