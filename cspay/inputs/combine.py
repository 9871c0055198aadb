"""How a quarter's or year's months combine into one row per agent.

Each KPI combines by its `aggregate` over the months it has a value in; volumes (min_volume and
weight columns), adjustment units and worked days add up; a gate's column combines by the gate's
`combine`, the mean when not given. Identity, role and the group columns (shift, site …) come from the
agent's last month.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from cspay.cells import id_key
from cspay.engine.types import AgentRow
from cspay.errors import MetricsError, Problems
from cspay.i18n import Note
from cspay.periods import Period
from cspay.policy.checks import summed_columns
from cspay.policy.model import Kpi, Policy

ZERO = Decimal(0)


@dataclass
class Month:
    """One monthly file's agent rows, and the month its period column names (None without one)."""

    path: str
    rows: list[AgentRow]
    month: Period | None = None


def _mean(values: list[Decimal]) -> Decimal:
    return sum(values, ZERO) / len(values)


COMBINE: dict[str, Callable[[list[Decimal]], Decimal]] = {
    "mean": _mean,
    "sum": lambda values: sum(values, ZERO),
    "last": lambda values: values[-1],
    "min": min,
    "max": max,
}


def column_rules(policy: Policy) -> dict[str, str]:
    """How each plain column combines: summed for volumes, units and worked days, else the gate's rule."""
    rules: dict[str, str] = {gate.column: gate.combine or "mean" for gate in policy.gates if gate.column}
    return rules | dict.fromkeys(summed_columns(policy), "sum")


def kpi_value(code: str, kpi: Kpi, rows: list[AgentRow]) -> Decimal | None:
    """The KPI over the months it has a value in, by its `aggregate`; None when it has none."""
    present = [row for row in rows if row.kpis.get(code) is not None]
    if not present:
        return None
    values: list[Decimal] = [row.kpis[code] for row in present]  # type: ignore[misc]
    if kpi.aggregate != "weighted_mean":
        return COMBINE[kpi.aggregate](values)
    weights = [row.numbers[kpi.weight_column] for row in present]  # type: ignore[index]
    total = sum(weights, ZERO)
    if total == 0:
        return _mean(values)  # no volume in any month: nothing to weight by; min_volume decides
    return sum((value * weight for value, weight in zip(values, weights, strict=True)), ZERO) / total


def combine(policy: Policy, months: list[Month]) -> tuple[list[AgentRow], list[Note]]:
    """One row per agent over the months they appear in, agents in order of first appearance."""
    present: dict[str, list[tuple[Month, AgentRow]]] = {}
    problems = Problems()
    for month in months:
        for row in month.rows:
            entries = present.setdefault(id_key(row.agent_id), [])
            if entries and entries[0][1].agent_id != row.agent_id:  # one agent, written two ways
                other = entries[0][1]
                problems.add(
                    f"{row.source}: row {row.line}: agent {row.agent_id!r} is written {other.agent_id!r} in "
                    f"{other.source} row {other.line}; expected one spelling of an id in every month"
                )
            entries.append((month, row))
    problems.raise_if_any(MetricsError)
    rules = column_rules(policy)
    rows = [_combined_row(policy, rules, [row for _, row in entries]) for entries in present.values()]
    notes = [note for entries in present.values() if (note := _role_note(entries))]
    notes += [note for entries in present.values() if (note := _currency_note(entries))]
    return rows, notes


def _combined_row(policy: Policy, rules: dict[str, str], rows: list[AgentRow]) -> AgentRow:
    last = rows[-1]  # identity, role and row number from the agent's last month
    kpis = {code: kpi_value(code, kpi, rows) for code, kpi in policy.kpis.items()}
    numbers = {column: COMBINE[rule]([row.numbers[column] for row in rows]) for column, rule in rules.items()}
    return AgentRow(
        last.line,
        last.agent_id,
        last.role,
        last.name,
        last.team,
        kpis,
        numbers,
        last.source,
        last.period,
        last.groups,
        last.currency,
    )


def _role_note(entries: list[tuple[Month, AgentRow]]) -> Note | None:
    roles = [row.role for _, row in entries]
    if len(set(roles)) == 1:
        return None
    shown = [f"{month.month.label if month.month else Path(month.path).name}: {row.role}" for month, row in entries]
    return Note("note.role_changed", {"agent": entries[-1][1].agent_id, "roles": ", ".join(shown), "role": roles[-1]})


def _currency_note(entries: list[tuple[Month, AgentRow]]) -> Note | None:
    cells = [row.currency for _, row in entries]
    if len(set(cells)) == 1:
        return None
    shown = [
        f"{month.month.label if month.month else Path(month.path).name}: {row.currency or '-'}"
        for month, row in entries
    ]
    values: dict[str, str | int] = {"agent": entries[-1][1].agent_id, "currencies": ", ".join(shown)}
    return Note("note.currency_changed", values | {"currency": cells[-1] or "-"})
