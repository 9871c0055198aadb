"""Folding a quarter's or year's months into one accumulator per agent as each month's rows go by, so that
a period holds one row per agent (its latest month's) and a few running figures, never every month's rows.

Each KPI folds by its `aggregate`, each plain column by its rule (cspay.inputs.combine.column_rules): a
mean keeps a running sum and a count, a weighted mean also the sums of value × weight and of the weights,
min and max the first of equal values, as Python's min and max do. The months are added in order, so the
sums are the same Decimal additions, in the same order, as adding up the whole list of months would be.
A month's rows are folded a batch at a time, column by column (MonthColumns: read so from a file's plain
rows by cspay.inputs.columns, or made from rows already read): each agent appears once in a batch, so each
agent's additions are still made one month after the other.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import compress, repeat
from operator import add, is_not, itemgetter, mul, setitem
from typing import Any, Generic, TypeVar, cast

from cspay.cells import id_key
from cspay.engine.types import AgentRow
from cspay.errors import Problems
from cspay.policy.model import Kpi, Policy

ZERO = Decimal(0)
ROWS_AT_ONCE = 512  # rows already read are folded as columns this many at a time
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

    def add_column(self, states: list[State], values: list[Decimal], numbers: Mapping[str, list[Decimal]]) -> None:
        """A batch of rows' values (none None), each added to its agent's state as `add` adds it."""
        raise NotImplementedError

    def _set(self, states: list[State], at: int, values: Iterable[Any]) -> None:
        list(map(setitem, states, repeat(at), values))

    def _held(self, states: list[State], at: int) -> list[Any]:
        return list(map(itemgetter(at), states))


class Sum(Rule):
    """The months added up in order (from zero, as `sum` does); counted, for the mean."""

    start: tuple[Any, ...] = (ZERO, 0)

    def add(self, state: State, value: Decimal, row: AgentRow) -> None:
        at = self.at
        state[at] = state[at] + value
        state[at + 1] += 1

    def value(self, state: State) -> Decimal | None:
        return state[self.at] if state[self.at + 1] else None

    def add_column(self, states: list[State], values: list[Decimal], numbers: Mapping[str, list[Decimal]]) -> None:
        at = self.at
        self._set(states, at, map(add, self._held(states, at), values))
        self._set(states, at + 1, map(add, self._held(states, at + 1), repeat(1)))


class Mean(Sum):
    """The sum over the count of months with a value."""

    def value(self, state: State) -> Decimal | None:
        total, count = state[self.at], state[self.at + 1]
        return total / count if count else None


class Last(Rule):
    def add(self, state: State, value: Decimal, row: AgentRow) -> None:
        state[self.at] = value

    def add_column(self, states: list[State], values: list[Decimal], numbers: Mapping[str, list[Decimal]]) -> None:
        self._set(states, self.at, values)


class Least(Rule):
    """The smallest value; of equal ones (92.5 and 92.50) the first, as `min` keeps."""

    def add(self, state: State, value: Decimal, row: AgentRow) -> None:
        held = state[self.at]
        if held is None or value < held:
            state[self.at] = value

    def add_column(self, states: list[State], values: list[Decimal], numbers: Mapping[str, list[Decimal]]) -> None:
        self._set(states, self.at, map(_least, self._held(states, self.at), values))


class Most(Rule):
    """The largest value; of equal ones the first, as `max` keeps."""

    def add(self, state: State, value: Decimal, row: AgentRow) -> None:
        held = state[self.at]
        if held is None or value > held:
            state[self.at] = value

    def add_column(self, states: list[State], values: list[Decimal], numbers: Mapping[str, list[Decimal]]) -> None:
        self._set(states, self.at, map(_most, self._held(states, self.at), values))


def _least(held: Decimal | None, value: Decimal) -> Decimal:
    return value if held is None or value < held else held


def _most(held: Decimal | None, value: Decimal) -> Decimal:
    return value if held is None or value > held else held


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

    def add_column(self, states: list[State], values: list[Decimal], numbers: Mapping[str, list[Decimal]]) -> None:
        at, weights = self.at, numbers[self.weight_column]
        super().add_column(states, values, numbers)
        self._set(states, at + 2, map(add, self._held(states, at + 2), map(mul, values, weights)))
        self._set(states, at + 3, map(add, self._held(states, at + 3), weights))

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


@dataclass(slots=True)
class MonthColumns:
    """A batch of a month's rows, read well, column by column (what Fold.add_columns takes): their lines,
    ids as written and as a person reads them (cspay.cells.id_key), the identity columns, and each KPI's
    values (None where the month has none) and each plain column's numbers."""

    lines: Sequence[int]
    ids: list[str]
    keys: list[str]
    roles: list[str]
    names: list[str]
    teams: list[str]
    source: str
    periods: list[str]
    groups: list[dict[str, str]]
    currencies: list[str]
    kpis: dict[str, list[Decimal | None]]
    numbers: dict[str, list[Decimal]]

    def identities(self) -> Iterator[Identity]:
        return zip(
            self.lines,
            self.ids,
            self.roles,
            self.names,
            self.teams,
            repeat(self.source),
            self.periods,
            self.groups,
            self.currencies,
            strict=False,  # the source repeats
        )


def month_columns(source: str, rows: list[AgentRow], kpis: Iterable[str], columns: Iterable[str]) -> MonthColumns:
    """Rows already read, as columns."""
    return MonthColumns(
        [row.line for row in rows],
        [row.agent_id for row in rows],
        [id_key(row.agent_id) for row in rows],
        [row.role for row in rows],
        [row.name for row in rows],
        [row.team for row in rows],
        source,
        [row.period for row in rows],
        [row.groups for row in rows],
        [row.currency for row in rows],
        {code: [row.kpis.get(code) for row in rows] for code in kpis},
        {column: [row.numbers[column] for row in rows] for column in columns},
    )


def _one_row(batch: MonthColumns, at: int) -> MonthColumns:
    cut = slice(at, at + 1)
    return MonthColumns(
        batch.lines[cut],
        batch.ids[cut],
        batch.keys[cut],
        batch.roles[cut],
        batch.names[cut],
        batch.teams[cut],
        batch.source,
        batch.periods[cut],
        batch.groups[cut],
        batch.currencies[cut],
        {code: values[cut] for code, values in batch.kpis.items()},
        {name: numbers[cut] for name, numbers in batch.numbers.items()},
    )


class Agent(Generic[M]):
    """One agent's months so far: the latest month's identity, the figures each rule keeps, and the months
    they appear in (each month's role, team and currency kept only once one differs from the first's)."""

    __slots__ = ("first", "held", "last", "months", "state")

    def __init__(self, row: Identity, month: int, state: State) -> None:
        self.first = (row[1], row[5], row[0])  # id, source and line: for the error of an id written two ways
        self.last = row
        self.months = [month]
        self.held: list[tuple[str, str, str]] | None = None
        self.state = state

    def also(self, row: Identity, month: int) -> None:
        """A later month's row: it becomes the latest."""
        last, held = self.last, self.held
        named = (row[2], row[4], row[8])
        if held is None and named != (last[2], last[4], last[8]):
            held = self.held = [(last[2], last[4], last[8])] * len(self.months)
        if held is not None:
            held.append(named)
        self.months.append(month)
        self.last = row


class Folded(Generic[M]):
    """An agent's period: a row of their latest month's identity and each KPI's and column's value over the
    months (its parts not yet split), and the months they appear in, in order (`months`, made when asked:
    `steady` says without them whether every month named the row's role, team and currency)."""

    __slots__ = ("_named", "_of", "indexes", "row")

    def __init__(
        self, row: AgentRow, indexes: list[int], named: list[tuple[str, str, str]] | None, months: list[M]
    ) -> None:
        self.row, self.indexes, self._named, self._of = row, indexes, named, months

    @property
    def steady(self) -> bool:
        """Whether every month named the same role, team and currency (the row's)."""
        return self._named is None

    @property
    def named(self) -> list[tuple[str, str, str]]:
        """The role, team and currency each month named, in the order of `indexes`."""
        row = self.row
        return self._named or [(row.role, row.team, row.currency)] * len(self.indexes)

    @property
    def months(self) -> list[Held[M]]:
        months = self._of
        return [Held(months[index], *each) for index, each in zip(self.indexes, self.named, strict=True)]


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
        self.kpi_codes = [code for code, _ in self._kpis]
        self.column_names = [column for column, _ in self._columns]

    def add(self, month: M, rows: Iterable[AgentRow]) -> None:
        """Fold a month's rows, which follow every month added before."""
        self.start(month)
        batch: list[AgentRow] = []
        for row in rows:
            batch.append(row)
            if len(batch) == ROWS_AT_ONCE:
                self.add_rows(batch)
                batch = []
        if batch:
            self.add_rows(batch)

    def start(self, month: M) -> None:
        """Begin a month, which follows every month added before: add its rows with add_rows or add_columns."""
        self.months.append(month)

    def add_rows(self, rows: list[AgentRow]) -> None:
        """Fold some of the month's rows, in order."""
        self.add_columns(month_columns(rows[0].source, rows, self.kpi_codes, self.column_names))

    def add_columns(self, batch: MonthColumns) -> None:
        """Fold a batch of the month's rows, column by column: each agent's rows in order, each KPI and
        column by its rule, the same additions in the same order as row by row."""
        if len(set(batch.keys)) < len(batch.keys):  # an agent twice: each row after the one before
            for at in range(len(batch.keys)):
                self.add_columns(_one_row(batch, at))
            return
        index = len(self.months) - 1
        agents, start = self._agents, self._start
        held: list[Agent[M]] = []
        for key, row in zip(batch.keys, batch.identities(), strict=False):
            agent = agents.get(key)
            if agent is None:
                agent = agents[key] = Agent(row, index, start.copy())
            else:
                if agent.first[0] != row[1]:
                    self._two_spellings(row, agent)
                agent.also(row, index)
            held.append(agent)
        states = [agent.state for agent in held]
        numbers = batch.numbers
        for code, rule in self._kpis:
            values = batch.kpis[code]
            kept = list(map(is_not, values, repeat(None)))
            if not all(kept):  # the months without a value are passed over
                some = {name: list(compress(column, kept)) for name, column in numbers.items()}
                rule.add_column(list(compress(states, kept)), list(compress(values, kept)), some)  # type: ignore[arg-type]
            else:
                rule.add_column(states, values, numbers)  # type: ignore[arg-type]
        for column, rule in self._columns:
            rule.add_column(states, numbers[column], numbers)

    def _two_spellings(self, row: Identity, agent: Agent[M]) -> None:
        spelt, source, line = agent.first
        self.problems.add(
            f"{row[5]}: row {row[0]}: agent {row[1]!r} is written {spelt!r} in {source} row {line}; "
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
            yield Folded(row, agent.months, agent.held, months)
