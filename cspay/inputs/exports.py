"""Raw per-call exports: reading one for a period and deriving each agent's metrics, month by month.

The export gives one row per call or ticket; cspay.inputs.derive says how an agent's rows become
figures. A period of several months is derived month by month, as monthly metrics files would be
(cspay.inputs.raw combines the months by the policy's rules).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from cspay.cells import CellError, clean, is_missing
from cspay.errors import MetricsError, Problems
from cspay.inputs.derive import Figure, Row, figures_of
from cspay.inputs.tables import CsvFile, locate, read_csv, width_problem
from cspay.periods import Period, parse_period, period_of
from cspay.policy.metrics_spec import PARSERS, MetricsSpec


def _date_parser(format: str) -> Callable[[str], date]:
    example = date(2021, 1, 31).strftime(format)

    def parse(text: str) -> date:
        try:
            return datetime.strptime(clean(text), format).date()
        except ValueError:
            raise CellError(f'a date like "{example}" ({format})') from None

    return parse


def _agent_id(text: str) -> str:
    if not text.strip():
        raise CellError("an agent id")
    return text.strip()  # ids stay text: 007 stays 007


_BAD = object()


@dataclass
class _ExportReader:
    """Reads the records of one export for a period, collecting every bad cell."""

    file: CsvFile
    spec: MetricsSpec
    period: Period
    columns: dict[str, int]
    problems: Problems = field(default_factory=Problems)

    def rows_by_month(self) -> dict[str, dict[str, list[Row]]]:
        """Each month's rows of each agent, for the records dated in the period."""
        parse_date = _date_parser(self.spec.source.date.format)
        by_month: dict[str, dict[str, list[Row]]] = defaultdict(lambda: defaultdict(list))
        for line, cells in self.file.records:
            if problem := width_problem(self.file, line, cells):
                self.problems.add(problem)
            elif read := self.record(line, cells, parse_date):
                day, agent, row = read
                by_month[f"{day.year}-{day.month:02d}"][agent].append(row)
        self.problems.raise_if_any(MetricsError)
        return by_month

    def record(self, line: int, cells: list[str], parse_date: Callable[[str], date]
               ) -> tuple[date, str, Row] | None:  # fmt: skip
        """The day, agent and parsed cells of a record dated in the period; None if outside or bad.

        Cells of rows outside the period are not checked: they cannot change the figures.
        """
        day = self.cell(line, cells, self.spec.source.date.column, parse_date, optional=False)
        if day is _BAD or day not in self.period:
            return None
        agent = self.cell(line, cells, self.spec.source.agent, _agent_id, optional=False)
        kinds = self.spec.column_kinds().items()
        row = {column: self.cell(line, cells, column, PARSERS[kind]) for column, kind in kinds}
        if agent is _BAD or any(value is _BAD for value in row.values()):
            return None
        return day, agent, row

    def cell(self, line: int, cells: list[str], column: str, parse: Callable[[str], Any], optional: bool = True
             ) -> Any:  # fmt: skip
        """The cell read by `parse`, None when empty and optional, or _BAD after recording why."""
        text = cells[self.columns[column]]
        if optional and is_missing(text):
            return None
        try:
            return parse(text)
        except CellError as error:
            shown = text if len(text) <= 40 else f"{text[:40]}… ({len(text)} characters)"
            where = f'{self.file.path}: row {line}, column "{column}"'
            self.problems.add(f'{where}: got "{shown}", expected {error.expected}')
            return _BAD


# ---- the derived tables ------------------------------------------------------------------------


@dataclass(frozen=True)
class AgentMetrics:
    """One agent's rows in the month and figures, in the order the policy derives them."""

    agent_id: str
    rows: int
    figures: dict[str, Figure]


@dataclass(frozen=True)
class DerivedTable:
    """One month's per-agent derived metrics, agents ordered by id."""

    source: str
    period: Period
    metrics: list[str]
    agents: list[AgentMetrics]


@dataclass(frozen=True)
class Derived:
    """An export's derived metrics over a period: a table per month, and how many rows were left out."""

    source: str
    period: Period
    metrics: list[str]
    months: list[DerivedTable]
    rows_read: int
    rows_outside: int


def months_of(period: Period) -> list[Period]:
    """The months of a period, in order."""
    first = period.first.year * 12 + period.first.month - 1
    return [period_of(date(index // 12, index % 12 + 1, 1), "month") for index in range(first, first + period.months)]


def derive(spec: MetricsSpec, path: str | Path, period: Period | str, *, encoding: str | None = None,
           delimiter: str | None = None) -> Derived:  # fmt: skip
    """Read an export and derive each agent's metrics for each month of the period."""
    period = period if isinstance(period, Period) else parse_period(period)
    file = read_csv(path, encoding=encoding, delimiter=delimiter)
    source = spec.source
    columns = locate(file, [source.agent, source.date.column, *spec.column_kinds()])
    by_month = _ExportReader(file, spec, period, columns).rows_by_month()
    figures = figures_of(spec)
    tables = []
    for month in months_of(period):
        by_agent = by_month.get(month.label, {})
        agents = [AgentMetrics(agent, len(rows), figures(rows)) for agent, rows in sorted(by_agent.items())]
        tables.append(DerivedTable(str(file.path), month, list(spec.derived), agents))
    inside = sum(agent.rows for table in tables for agent in table.agents)
    read = len(file.records)
    return Derived(str(file.path), period, list(spec.derived), tables, read, read - inside)
