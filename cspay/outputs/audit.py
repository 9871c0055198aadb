"""The derived metrics for the analyst's audit, as CSV and JSON: every figure with its parts, month by month."""

from __future__ import annotations

import csv
import json
from decimal import ROUND_HALF_UP, Decimal
from typing import IO, Any

from cspay import __version__
from cspay.inputs.exports import Derived
from cspay.inputs.figures import Figure
from cspay.inputs.roster import Joined, Rosters
from cspay.outputs.text import inert
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


def whole(number: Decimal | None) -> bool:
    return number is None or number == number.to_integral_value()


def _exact(number: Decimal | None) -> str:
    """Every digit, never an exponent; empty for a missing figure."""
    if number is None:
        return ""
    text = str(number)  # the same digits, and quicker, unless Decimal chose an exponent
    return format(number, "f") if "E" in text else text


def write_figures_csv(handle: IO[str], derived: Derived) -> None:
    """agent_id, rows, then per metric its value, `.numerator` and `.denominator` columns; a period of
    several months starts each row with its month."""
    writer = csv.writer(handle, lineterminator="\n")
    several = len(derived.months) > 1
    parts = [(name, f"{name}.numerator", f"{name}.denominator") for name in derived.metrics]
    writer.writerow(
        [*(["month"] if several else []), "agent_id", "rows", *(column for columns in parts for column in columns)]
    )
    for table in derived.months:
        for agent in table.agents:
            cells = []
            for name in derived.metrics:
                figure = agent.figures[name]
                cells += [_exact(figure.value), _exact(figure.numerator), _exact(figure.denominator)]
            writer.writerow([*([table.period.label] if several else []), inert(agent.agent_id), agent.rows, *cells])


def figures_data(policy: Policy, derived: Derived, joined: list[Joined], rosters: Rosters | None) -> dict[str, Any]:
    """The derived tables as JSON-ready data; numbers as decimal strings, missing figures as null. A period
    of several months gives each agent's figures per month, with the month."""
    period = derived.period
    several = len(derived.months) > 1
    return {
        "policy": policy.policy, "policy_version": policy.version, "policy_sha256": policy.sha256,
        "cspay_version": __version__, "source": derived.source,
        "period": {"label": period.label, "first": period.first.isoformat(), "last": period.last.isoformat()},
        "rows_read": derived.rows_read, "rows_outside": derived.rows_outside, "metrics": derived.metrics,
        "agents": [
            {**({"month": table.period.label} if several else {}), "agent_id": agent.agent_id, "rows": agent.rows,
             "figures": {name: _figure_data(agent.figures[name]) for name in derived.metrics}}
            for table in derived.months for agent in table.agents
        ],
        "roster": None if rosters is None else {
            "source": ", ".join(rosters.files),
            "not_in_roster": sorted({agent for month in joined for agent in month.not_in_roster}),
            "without_rows": sorted({agent for month in joined for agent in month.without_rows}),
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
