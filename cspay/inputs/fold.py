"""Folding a quarter's or year's months into a few running figures per agent as each month's rows go by, so
that a period holds one row per agent (its latest month's) and those figures, never every month's rows.

Each KPI folds by its `aggregate`, each plain column by its rule (cspay.inputs.combine.column_rules;
cspay.inputs.fold_rules). The months are added in order, so the sums are the same Decimal additions, in
the same order, as adding up the whole list of months would be. A month's rows are folded a batch at a
time, column by column (MonthColumns: read so from a file's plain rows by cspay.inputs.columns, or made
from rows already read): each agent appears once in a batch, so each agent's additions are still made one
month after the other. The figures are kept a column per slot, an agent's at their number (in order of
first appearance), so that a batch of agents listed in the order of the month before is read and written
through one slice of each column.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import compress, repeat
from operator import is_not
from typing import Generic, TypeVar, cast

from cspay.cells import id_key
from cspay.engine.types import AgentRow
from cspay.errors import Problems
from cspay.inputs.fold_rules import RULES, Columns, Place, Rule, State, kpi_rule
from cspay.policy.model import Policy

ROWS_AT_ONCE = 512  # rows already read are folded as columns this many at a time
M = TypeVar("M")  # what the caller knows a month by (its file and the month it names)


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
    """One agent's months so far: the latest month's identity and the months they appear in (each month's
    role, team and currency kept only once one differs from the first's); their figures are in the fold's
    columns, at their number."""

    __slots__ = ("first", "held", "last", "months")

    def __init__(self, row: Identity, month: int) -> None:
        self.first = (row[1], row[5], row[0])  # id, source and line: for the error of an id written two ways
        self.last = row
        self.months = [month]
        self.held: list[tuple[str, str, str]] | None = None

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
    """A period's agents as their months are added in order, agents numbered in order of first appearance,
    their running figures kept a column per slot; an id written two ways in two months is a problem,
    collected in `problems`."""

    def __init__(self, policy: Policy, column_rules: dict[str, str]) -> None:
        self.months: list[M] = []
        self.problems = Problems()
        self._numbers: dict[str, int] = {}  # each agent's number, by id_key
        self._agents: list[Agent[M] | None] = []
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
        self._figures: Columns = [[] for _ in self._start]
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
        numbers = self._place(batch)
        place, figures, columns = Place(numbers), self._figures, batch.numbers
        for code, rule in self._kpis:
            values = batch.kpis[code]
            kept = list(map(is_not, values, repeat(None)))
            if not all(kept):  # the months without a value are passed over
                some = {name: list(compress(column, kept)) for name, column in columns.items()}
                rule.add_column(figures, Place(list(compress(numbers, kept))), list(compress(values, kept)), some)  # type: ignore[arg-type]
            else:
                rule.add_column(figures, place, values, columns)  # type: ignore[arg-type]
        for column, rule in self._columns:
            rule.add_column(figures, place, columns[column], columns)

    def _place(self, batch: MonthColumns) -> list[int]:
        """Each row's agent's number: a new agent's made (their figures started), a known one's months and
        identity carried on."""
        index, known, agents = len(self.months) - 1, self._numbers, self._agents
        numbers = list(map(known.get, batch.keys))
        before = len(agents)
        for at, (number, row) in enumerate(zip(numbers, batch.identities(), strict=False)):
            if number is None:
                numbers[at] = known[batch.keys[at]] = len(agents)
                agents.append(Agent(row, index))
                continue
            agent = agents[number]
            assert agent is not None  # every agent is kept until the fold gives them
            if agent.first[0] != row[1]:
                self._two_spellings(row, agent)
            agent.also(row, index)
        for column, start in zip(self._figures, self._start, strict=True):
            column.extend(repeat(start, len(agents) - before))
        return cast(list[int], numbers)

    def _two_spellings(self, row: Identity, agent: Agent[M]) -> None:
        spelt, source, line = agent.first
        self.problems.add(
            f"{row[5]}: row {row[0]}: agent {row[1]!r} is written {spelt!r} in {source} row {line}; "
            f"expected one spelling of an id in every month"
        )

    def agents(self) -> Iterator[Folded[M]]:
        """Each agent's period, in order of first appearance; the fold lets go of each batch of agents as
        it gives them."""
        agents, months, figures = self._agents, self.months, self._figures
        self._numbers = {}
        for first in range(0, len(agents), ROWS_AT_ONCE):
            cut = slice(first, min(first + ROWS_AT_ONCE, len(agents)))
            kpis = [rule.values(figures, cut) for _, rule in self._kpis]
            # every month has a value in each plain column, so none is None
            numbers = cast(list[list[Decimal]], [rule.values(figures, cut) for _, rule in self._columns])
            given = agents[cut]
            gone = [None] * len(given)
            agents[cut] = gone
            for column in figures:
                column[cut] = gone
            kpi_rows: Iterable[tuple[Decimal | None, ...]] = zip(*kpis, strict=True) if kpis else repeat(())
            number_rows: Iterable[tuple[Decimal, ...]] = zip(*numbers, strict=True) if numbers else repeat(())
            for agent, kpi_values, number_values in zip(given, kpi_rows, number_rows, strict=False):
                assert agent is not None
                line, agent_id, role, name, team, source, period, groups, currency = agent.last
                row = AgentRow(
                    line,
                    agent_id,
                    role,
                    name,
                    team,
                    dict(zip(self.kpi_codes, kpi_values, strict=True)),
                    dict(zip(self.column_names, number_values, strict=True)),
                    source,
                    period,
                    groups,
                    currency,
                )
                yield Folded(row, agent.months, agent.held, months)
