"""The list-based way cspay combined a period's months before it folded them as they stream, kept as the
reference the fold is held to: every month's rows held, each agent's rows gathered, each KPI combined over
the list of its values. Only tests import it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from cspay.cells import id_key
from cspay.engine.spans import Change, Spans, split
from cspay.engine.types import AgentRow, Part
from cspay.errors import MetricsError, Problems
from cspay.i18n import Note
from cspay.inputs.combine import Month, by_id, column_rules
from cspay.periods import Period
from cspay.policy.model import Kpi, Policy

ZERO = Decimal(0)


def _mean(values: list[Decimal]) -> Decimal:
    return sum(values, ZERO) / len(values)


COMBINE: dict[str, Callable[[list[Decimal]], Decimal]] = {
    "mean": _mean,
    "sum": lambda values: sum(values, ZERO),
    "last": lambda values: values[-1],
    "min": min,
    "max": max,
}


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


def combine(
    policy: Policy,
    months: list[Month],
    changes: Mapping[str, Sequence[Change]] | None = None,
    spans: Spans | None = None,
) -> tuple[list[AgentRow], list[Note]]:
    """One row per agent over the months they appear in, agents in order of first appearance, each paid in
    parts when their role (or team) changed, by the months, the `changes` within them and the `spans` of
    the policy's role amounts."""
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
    by_agent = by_id(changes or {})
    rows = [_combined_row(policy, rules, entries, by_agent, spans) for entries in present.values()]
    notes = [note for entries, row in zip(present.values(), rows, strict=True) if (note := _role_note(entries, row))]
    notes += [note for entries in present.values() if (note := _currency_note(entries))]
    return rows, notes


def _combined_row(
    policy: Policy,
    rules: dict[str, str],
    entries: list[tuple[Month, AgentRow]],
    changes: Mapping[str, Sequence[Change]],
    spans: Spans | None,
) -> AgentRow:
    rows = [row for _, row in entries]
    last = rows[-1]  # identity, role and row number from the agent's last month
    kpis = {code: kpi_value(code, kpi, rows) for code, kpi in policy.kpis.items()}
    numbers = {column: COMBINE[rule]([row.numbers[column] for row in rows]) for column, rule in rules.items()}
    held = [held_in(policy, row, month.month, last.team) for month, row in entries]
    parts = split(held, _kept(policy, changes.get(id_key(last.agent_id), ())), spans)
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
        parts,
    )


def held_in(policy: Policy, row: AgentRow, month: Period | None, last_team: str) -> Part:
    """The role and team a row says the agent held over a month (its days, when known): where a period's
    parts start from. The team counts only under a policy that pays on teams (else: the last month's)."""
    first, last = (month.first, month.last) if month is not None else (None, None)
    return Part(row.role, row.team if policy.pays_teams else last_team, Fraction(1), first, last)


def _kept(policy: Policy, changes: Sequence[Change]) -> Sequence[Change]:
    """The changes that move pay: a change of team only does under a policy that pays on teams."""
    if policy.pays_teams:
        return changes
    return [replace(change, team="") for change in changes if change.role]


def _role_note(entries: list[tuple[Month, AgentRow]], row: AgentRow) -> Note | None:
    """Which role the agent held each month, and the part of the period each role is paid for."""
    roles = [row.role for _, row in entries]
    if len(set(roles)) == 1:
        return None
    shown = [f"{month.month.label if month.month else Path(month.path).name}: {row.role}" for month, row in entries]
    shares: dict[str, Fraction] = {}
    for part in row.parts:
        shares[part.role] = shares.get(part.role, Fraction(0)) + part.share
    paid = ", ".join(f"{role} {share}" for role, share in shares.items())
    return Note("note.role_changed", {"agent": row.agent_id, "roles": ", ".join(shown), "shares": paid})


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
