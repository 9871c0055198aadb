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
from operator import itemgetter
from pathlib import Path
from typing import Any

from cspay.cells import id_key
from cspay.engine.plans import MEMO_LIMIT
from cspay.engine.spans import Change, Spans, split
from cspay.engine.types import AgentRow, Part
from cspay.errors import MetricsError
from cspay.i18n import Note
from cspay.inputs.fold import Fold, Folded
from cspay.inputs.fold_rules import fold_values, kpi_rule
from cspay.periods import Period
from cspay.policy.checks import summed_columns
from cspay.policy.model import Kpi, Policy


@dataclass
class Month:
    """One monthly file's agent rows, and the month its period column names (None without one)."""

    path: str
    rows: Iterable[AgentRow]
    month: Period | None = None


_ROLE, _ROLE_TEAM, _CURRENCY = itemgetter(0), itemgetter(0, 1), itemgetter(2)  # of a month's role, team, currency


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
    notes = _Notes(fold.months)
    rows: list[AgentRow] = []
    for agent in fold.agents():
        row = agent.row  # identity, role and row number from the agent's last month
        row.parts = parts.of(agent)
        rows.append(row)
        if not agent.steady:  # one role, team and currency all period: nothing to note
            notes.add(agent, row)
    return rows, notes.roles + notes.currencies


class _Parts:
    """Each agent's parts (cspay.engine.spans.split): split once for all the agents without changes of their
    own who held the same roles and teams in the same months."""

    def __init__(self, policy: Policy, changes: Mapping[str, Sequence[Change]], spans: Spans | None) -> None:
        self.policy, self.changes, self.spans = policy, by_id(changes), spans
        self.pays_teams = policy.pays_teams
        self._alike: dict[tuple[Any, ...], tuple[Part, ...]] = {}
        self._steady: dict[tuple[tuple[int, ...], str, str], tuple[Part, ...]] = {}

    def of(self, agent: Folded[Month]) -> tuple[Part, ...]:
        """The agent's parts."""
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
        # The months it appears in, with the role (and team, under a policy that pays on teams; else the last
        # month's) of each.
        named = agent.named
        if self.pays_teams:
            held: tuple[Any, ...] = (tuple(agent.indexes), tuple(map(_ROLE_TEAM, named)))
        else:
            held = (tuple(agent.indexes), tuple(map(_ROLE, named)), last.team)
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


class _Notes:
    """The notes of the agents whose role or currency changed within the period, in the order of the agents.
    What a role note says of the months and the parts is the same for every agent who held the same roles
    in the same months and shares their parts' tuple (cspay.inputs.combine._Parts): worked out once."""

    def __init__(self, months: list[Month]) -> None:
        self.labels = [month.month.label if month.month else Path(month.path).name for month in months]
        self.roles: list[Note] = []
        self.currencies: list[Note] = []
        self._said: dict[tuple[Any, ...], tuple[tuple[Part, ...], str, str]] = {}

    def add(self, agent: Folded[Month], row: AgentRow) -> None:
        """The agent's notes: which role they held each month and the part each role is paid for, when a
        month named another role than the last; which currency each month named, when one differs."""
        named, indexes = agent.named, agent.indexes
        roles = tuple(map(_ROLE, named))
        if roles.count(row.role) < len(roles):
            parts = row.parts
            key = (id(parts), tuple(indexes), roles)
            said = self._said.get(key)
            if said is None or said[0] is not parts:  # the tuple kept, so that a reused id is never taken for it
                shown = ", ".join(f"{self.labels[index]}: {role}" for index, role in zip(indexes, roles, strict=True))
                said = (parts, shown, _shares(parts))
                if len(self._said) < MEMO_LIMIT:
                    self._said[key] = said
            values: dict[str, str | int] = {"agent": row.agent_id, "roles": said[1], "shares": said[2]}
            self.roles.append(Note("note.role_changed", values))
        if list(map(_CURRENCY, named)).count(row.currency) < len(named):
            self.currencies.append(self._currency_note(indexes, named, row))

    def _currency_note(self, indexes: list[int], named: list[tuple[str, str, str]], row: AgentRow) -> Note:
        shown = [
            f"{self.labels[index]}: {currency or '-'}" for index, (_, _, currency) in zip(indexes, named, strict=True)
        ]
        values: dict[str, str | int] = {"agent": row.agent_id, "currencies": ", ".join(shown)}
        return Note("note.currency_changed", values | {"currency": row.currency or "-"})


def _shares(parts: tuple[Part, ...]) -> str:
    """The part of the period each role is paid for, roles in the order they come."""
    shares: dict[str, Fraction] = {}
    for part in parts:
        shares[part.role] = shares.get(part.role, Fraction(0)) + part.share
    return ", ".join(f"{role} {share}" for role, share in shares.items())
