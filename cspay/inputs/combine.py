"""How a quarter's or year's months combine into one row per agent, and how an agent's period splits into
parts (cspay.engine.spans) when their role or team changes within it.

Each KPI combines by its `aggregate` over the months it has a value in; volumes (min_volume and
weight columns), adjustment units and worked days add up; a gate's column combines by the gate's
`combine`, the mean when not given. Identity and the group columns (shift, site …) come from the
agent's last month; each month's role (and team, under a policy that pays on teams) makes the parts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from cspay.cells import id_key
from cspay.engine.spans import Change, Spans, split
from cspay.engine.types import AgentRow, Part
from cspay.errors import MetricsError
from cspay.i18n import Note
from cspay.inputs.fold import Fold, Folded, Held, fold_values, kpi_rule
from cspay.periods import Period
from cspay.policy.checks import summed_columns
from cspay.policy.model import Kpi, Policy


@dataclass
class Month:
    """One monthly file's agent rows, and the month its period column names (None without one)."""

    path: str
    rows: Iterable[AgentRow]
    month: Period | None = None


def column_rules(policy: Policy) -> dict[str, str]:
    """How each plain column combines: summed for volumes, units and worked days, else the gate's rule."""
    rules: dict[str, str] = {gate.column: gate.combine or "mean" for gate in policy.gates if gate.column}
    return rules | dict.fromkeys(summed_columns(policy), "sum")


def kpi_value(code: str, kpi: Kpi, rows: list[AgentRow]) -> Decimal | None:
    """The KPI over the months it has a value in, by its `aggregate`; None when it has none."""
    return fold_values(kpi_rule(kpi), ((row.kpis.get(code), row) for row in rows))


def combine(
    policy: Policy,
    months: list[Month],
    changes: Mapping[str, Sequence[Change]] | None = None,
    spans: Spans | None = None,
) -> tuple[list[AgentRow], list[Note]]:
    """One row per agent over the months they appear in, agents in order of first appearance, each paid in
    parts when their role (or team) changed, by the months, the `changes` within them and the `spans` of
    the policy's role amounts."""
    fold = month_fold(policy)
    for month in months:
        fold.add(month, month.rows)
    return combined(policy, fold, changes, spans)


def month_fold(policy: Policy) -> Fold[Month]:
    """An empty fold of the policy's months (cspay.inputs.fold): add each month's rows, in order."""
    return Fold(policy, column_rules(policy))


def combined(
    policy: Policy,
    fold: Fold[Month],
    changes: Mapping[str, Sequence[Change]] | None = None,
    spans: Spans | None = None,
) -> tuple[list[AgentRow], list[Note]]:
    """The fold's agents as rows, each split into parts, and the notes of the roles and currencies that
    changed; MetricsError when an agent's id is written two ways."""
    fold.problems.raise_if_any(MetricsError)
    parts = _Parts(policy, changes or {}, spans)
    labels = {id(month): month.month.label if month.month else Path(month.path).name for month in fold.months}
    rows: list[AgentRow] = []
    notes: list[Note] = []
    currency_notes: list[Note] = []
    for agent in fold.agents():
        row = agent.row  # identity, role and row number from the agent's last month
        months = None if agent.steady else agent.months  # made once for the parts and the notes
        row.parts = parts.of(agent, months)
        rows.append(row)
        if months is None:  # one role, team and currency all period: nothing to note
            continue
        if note := _role_note(months, row, labels):
            notes.append(note)
        if note := _currency_note(months, row, labels):
            currency_notes.append(note)
    return rows, notes + currency_notes


class _Parts:
    """Each agent's parts (cspay.engine.spans.split): split once for all the agents without changes of their
    own who held the same roles and teams in the same months."""

    def __init__(self, policy: Policy, changes: Mapping[str, Sequence[Change]], spans: Spans | None) -> None:
        self.policy, self.changes, self.spans = policy, by_id(changes), spans
        self.pays_teams = policy.pays_teams
        self._alike: dict[tuple[tuple[int, str, str], ...], tuple[Part, ...]] = {}
        self._steady: dict[tuple[tuple[int, ...], str, str], tuple[Part, ...]] = {}

    def of(self, agent: Folded[Month], months: list[Held[Month]] | None = None) -> tuple[Part, ...]:
        """The agent's parts; `months` are agent.months when already made."""
        last, policy = agent.row, self.policy
        found = self.changes.get(id_key(last.agent_id), ()) if self.changes else ()
        if found:
            return split(self._held(agent), _kept(policy, found), self.spans)
        if agent.steady:  # the same role and team each month: the months it appears in tell its parts
            steady = (tuple(agent.indexes), last.role, last.team)
            parts = self._steady.get(steady)
            if parts is None:
                parts = self._steady[steady] = split(self._held(agent), (), self.spans)
            return parts
        pays_teams = self.pays_teams
        months = months if months is not None else agent.months
        held = tuple((id(each.month), each.role, each.team if pays_teams else last.team) for each in months)
        parts = self._alike.get(held)
        if parts is None:
            parts = self._alike[held] = split(self._held(agent), (), self.spans)
        return parts

    def _held(self, agent: Folded[Month]) -> list[Part]:
        team = agent.row.team
        return [held_in(self.policy, each.role, each.team, each.month.month, team) for each in agent.months]


def held_in(policy: Policy, role: str, team: str, month: Period | None, last_team: str) -> Part:
    """The role and team a row says the agent held over a month (its days, when known): where a period's
    parts start from. The team counts only under a policy that pays on teams (else: the last month's)."""
    first, last = (month.first, month.last) if month is not None else (None, None)
    return Part(role, team if policy.pays_teams else last_team, Fraction(1), first, last)


def split_month(
    rows: Iterable[AgentRow],
    policy: Policy,
    month: Period,
    changes: Mapping[str, Sequence[Change]],
    spans: Spans | None,
) -> Iterator[AgentRow]:
    """A month's rows as they stream, each paid in parts when a change or the policy's role amounts split it."""
    plain: dict[tuple[str, str], tuple[Part, ...]] = {}  # without changes, a row's parts follow its role and team
    by_agent = by_id(changes)
    for row in rows:
        found = by_agent.get(id_key(row.agent_id), ()) if by_agent else ()
        if found:
            row.parts = split([held_in(policy, row.role, row.team, month, row.team)], _kept(policy, found), spans)
        elif spans is not None and len(spans) > 1:
            parts = plain.get((row.role, row.team))
            if parts is None:
                held = held_in(policy, row.role, row.team, month, row.team)
                parts = plain[(row.role, row.team)] = split([held], (), spans)
            row.parts = parts
        yield row


def by_id(changes: Mapping[str, Sequence[Change]]) -> dict[str, Sequence[Change]]:
    """The changes by what a person reads each agent's id as (cspay.cells.id_key), as rows are matched."""
    return {id_key(agent): found for agent, found in changes.items()}


def _kept(policy: Policy, changes: Sequence[Change]) -> Sequence[Change]:
    """The changes that move pay: a change of team only does under a policy that pays on teams."""
    if policy.pays_teams:
        return changes
    return [replace(change, team="") for change in changes if change.role]


def _role_note(months: list[Held[Month]], row: AgentRow, labels: dict[int, str]) -> Note | None:
    """Which role the agent held each month, and the part of the period each role is paid for."""
    if all(each.role == row.role for each in months):
        return None
    shown = [f"{labels[id(each.month)]}: {each.role}" for each in months]
    shares: dict[str, Fraction] = {}
    for part in row.parts:
        shares[part.role] = shares.get(part.role, Fraction(0)) + part.share
    paid = ", ".join(f"{role} {share}" for role, share in shares.items())
    return Note("note.role_changed", {"agent": row.agent_id, "roles": ", ".join(shown), "shares": paid})


def _currency_note(months: list[Held[Month]], row: AgentRow, labels: dict[int, str]) -> Note | None:
    if all(each.currency == row.currency for each in months):
        return None
    shown = [f"{labels[id(each.month)]}: {each.currency or '-'}" for each in months]
    values: dict[str, str | int] = {"agent": row.agent_id, "currencies": ", ".join(shown)}
    return Note("note.currency_changed", values | {"currency": row.currency or "-"})
