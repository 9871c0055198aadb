"""Folding a quarter's or year's months into one accumulator per agent as each month's rows go by, so that
a period holds one row per agent (its latest month's) and a few running figures, never every month's rows.

Each KPI folds by its `aggregate`, each plain column by its rule (cspay.inputs.combine.column_rules): a
mean keeps a running sum and a count, a weighted mean also the sums of value × weight and of the weights,
min and max the first of equal values, as Python's min and max do. The months are added in order, so the
sums are the same Decimal additions, in the same order, as adding up the whole list of months would be.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar, cast

from cspay.cells import id_key
from cspay.engine.types import AgentRow
from cspay.errors import Problems
from cspay.policy.model import Kpi, Policy

ZERO = Decimal(0)
M = TypeVar("M")  # what the caller knows a month by (its file and the month it names)
State = list[Any]  # an agent's running figures: each rule knows the types of its slots


class Rule:
    """How one KPI or column folds over an agent's months, in its slots of the agent's state."""

    start: tuple[Any, ...] = (None,)  # the slots' values before the first month

    def __init__(self, at: int) -> None:
        self.at = at

    def add(self, state: State, value: Decimal, row: AgentRow) -> None:
        raise NotImplementedError

    def value(self, state: State) -> Decimal | None:
        """The period's value; None when no month had one."""
        value: Decimal | None = state[self.at]
        return value


class Sum(Rule):
    """The months added up in order (from zero, as `sum` does); counted, for the mean."""

    start: tuple[Any, ...] = (ZERO, 0)

    def add(self, state: State, value: Decimal, row: AgentRow) -> None:
        at = self.at
        state[at] = state[at] + value
        state[at + 1] += 1

    def value(self, state: State) -> Decimal | None:
        return state[self.at] if state[self.at + 1] else None


class Mean(Sum):
    """The sum over the count of months with a value."""

    def value(self, state: State) -> Decimal | None:
        total, count = state[self.at], state[self.at + 1]
        return total / count if count else None


class Last(Rule):
    def add(self, state: State, value: Decimal, row: AgentRow) -> None:
        state[self.at] = value


class Least(Rule):
    """The smallest value; of equal ones (92.5 and 92.50) the first, as `min` keeps."""

    def add(self, state: State, value: Decimal, row: AgentRow) -> None:
        held = state[self.at]
        if held is None or value < held:
            state[self.at] = value


class Most(Rule):
    """The largest value; of equal ones the first, as `max` keeps."""

    def add(self, state: State, value: Decimal, row: AgentRow) -> None:
        held = state[self.at]
        if held is None or value > held:
            state[self.at] = value


class WeightedMean(Mean):
    """Each month's value weighed by its volume in the weight column; the plain mean when no month had any
    volume (nothing to weigh by: min_volume decides)."""

    start = (ZERO, 0, ZERO, ZERO)  # the mean's sum and count, the sum of value × weight, the sum of weights

    def __init__(self, at: int, weight_column: str) -> None:
        super().__init__(at)
        self.weight_column = weight_column

    def add(self, state: State, value: Decimal, row: AgentRow) -> None:
        at = self.at
        weight = row.numbers[self.weight_column]
        state[at] = state[at] + value
        state[at + 1] += 1
        state[at + 2] = state[at + 2] + value * weight
        state[at + 3] = state[at + 3] + weight

    def value(self, state: State) -> Decimal | None:
        at = self.at
        if not state[at + 1]:
            return None
        if state[at + 3] == 0:
            return super().value(state)
        weighted: Decimal = state[at + 2] / state[at + 3]
        return weighted


RULES: dict[str, type[Rule]] = {"mean": Mean, "sum": Sum, "last": Last, "min": Least, "max": Most}


def kpi_rule(kpi: Kpi, at: int = 0) -> Rule:
    """How a KPI's months fold, by its `aggregate`."""
    if kpi.aggregate == "weighted_mean":
        assert kpi.weight_column is not None  # the policy model requires one
        return WeightedMean(at, kpi.weight_column)
    return RULES[kpi.aggregate](at)


def fold_values(rule: Rule, values: Iterable[tuple[Decimal | None, AgentRow]]) -> Decimal | None:
    """One value over months, by `rule`: the months without a value are passed over."""
    state: State = list(rule.start)
    for value, row in values:
        if value is not None:
            rule.add(state, value, row)
    return rule.value(state)


@dataclass(slots=True)
class Held(Generic[M]):
    """A month an agent appears in, with the role, team and currency their row there names."""

    month: M
    role: str
    team: str
    currency: str


# What a period's row takes from the agent's latest month: line, id, role, name, team, source, period cell,
# groups and currency (AgentRow's fields but the figures, which the rules keep).
Identity = tuple[int, str, str, str, str, str, str, dict[str, str], str]


def identity(row: AgentRow) -> Identity:
    return row.line, row.agent_id, row.role, row.name, row.team, row.source, row.period, row.groups, row.currency


class Agent(Generic[M]):
    """One agent's months so far: the latest month's identity, the figures each rule keeps, and the months
    they appear in (each month's role, team and currency kept only once one differs from the first's)."""

    __slots__ = ("first", "held", "last", "months", "state")

    def __init__(self, row: AgentRow, month: int, state: State) -> None:
        self.first = (row.agent_id, row.source, row.line)  # for the error of an id written two ways
        self.last = identity(row)
        self.months = [month]
        self.held: list[tuple[str, str, str]] | None = None
        self.state = state

    def also(self, row: AgentRow, month: int) -> None:
        """A later month's row: it becomes the latest."""
        last, held = self.last, self.held
        named = (row.role, row.team, row.currency)
        if held is None and named != (last[2], last[4], last[8]):
            held = self.held = [(last[2], last[4], last[8])] * len(self.months)
        if held is not None:
            held.append(named)
        self.months.append(month)
        self.last = identity(row)


@dataclass(slots=True)
class Folded(Generic[M]):
    """An agent's period: a row of their latest month's identity and each KPI's and column's value over the
    months (its parts not yet split), and the months they appear in, in order."""

    row: AgentRow
    months: list[Held[M]]


class Fold(Generic[M]):
    """A period's agents as their months are added in order, agents kept in order of first appearance;
    an id written two ways in two months is a problem, collected in `problems`."""

    def __init__(self, policy: Policy, column_rules: dict[str, str]) -> None:
        self.months: list[M] = []
        self.problems = Problems()
        self._agents: dict[str, Agent[M]] = {}
        at = 0
        self._kpis: list[tuple[str, Rule]] = []
        for code, kpi in policy.kpis.items():
            self._kpis.append((code, kpi_rule(kpi, at)))
            at += len(self._kpis[-1][1].start)
        self._columns: list[tuple[str, Rule]] = []
        for column, name in column_rules.items():
            self._columns.append((column, RULES[name](at)))
            at += len(self._columns[-1][1].start)
        self._start: State = [slot for _, rule in self._kpis + self._columns for slot in rule.start]

    def add(self, month: M, rows: Iterable[AgentRow]) -> None:
        """Fold a month's rows, which follow every month added before."""
        index = len(self.months)
        self.months.append(month)
        agents, kpi_rules, column_rules, start = self._agents, self._kpis, self._columns, self._start
        for row in rows:
            key = id_key(row.agent_id)
            agent = agents.get(key)
            if agent is None:
                agent = agents[key] = Agent(row, index, start.copy())
            else:
                if agent.first[0] != row.agent_id:
                    self._two_spellings(row, agent)
                agent.also(row, index)
            state, kpis, numbers = agent.state, row.kpis, row.numbers
            for code, rule in kpi_rules:
                value = kpis.get(code)
                if value is not None:
                    rule.add(state, value, row)
            for column, rule in column_rules:
                rule.add(state, numbers[column], row)

    def _two_spellings(self, row: AgentRow, agent: Agent[M]) -> None:
        spelt, source, line = agent.first
        self.problems.add(
            f"{row.source}: row {row.line}: agent {row.agent_id!r} is written {spelt!r} in {source} row {line}; "
            f"expected one spelling of an id in every month"
        )

    def agents(self) -> Iterator[Folded[M]]:
        """Each agent's period, in order of first appearance; the fold lets go of each as it is given."""
        agents, months = self._agents, self.months
        for key in list(agents):
            agent = agents.pop(key)
            state = agent.state
            line, agent_id, role, name, team, source, period, groups, currency = agent.last
            kpis = {code: rule.value(state) for code, rule in self._kpis}
            # every month has a value in each plain column, so none is None
            numbers = cast(dict[str, Decimal], {column: rule.value(state) for column, rule in self._columns})
            row = AgentRow(line, agent_id, role, name, team, kpis, numbers, source, period, groups, currency)
            named = agent.held or [(role, team, currency)] * len(agent.months)
            held = [Held(months[index], *each) for index, each in zip(agent.months, named, strict=True)]
            yield Folded(row, held)
