"""The pure-Python aggregation cspay used before its metrics section was compiled to SQL, kept as the
reference the engine is held to: the whole export read with the csv module, every cell parsed, each
agent's rows aggregated in plain loops. Only tests import it."""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from cspay.cells import CellError, is_missing
from cspay.errors import MetricsError, Problems
from cspay.inputs.export_cells import agent_id, date_parser
from cspay.inputs.exports import AgentMetrics, Derived, DerivedTable
from cspay.inputs.figures import Figure
from cspay.inputs.tables import CsvFile, locate, read_csv, width_problem
from cspay.periods import Period, months_of, parse_period
from cspay.policy.metrics_spec import PARSERS, AllOf, AnyOf, Condition, Metric, MetricsSpec, Ratio, coerce

# ---- cells and conditions ----------------------------------------------------------------------

Cell = bool | Decimal | str | None
Row = dict[str, Cell]
Predicate = Callable[[Row], bool]
CHECKS: dict[str, Callable[[Any, Any], bool]] = {
    "equals": operator.eq, "not_equals": operator.ne, "in": lambda value, options: value in options,
    "at_least": operator.ge, "at_most": operator.le, "above": operator.gt, "below": operator.lt,
}  # fmt: skip


def _predicate(condition: Condition | None, kinds: dict[str, str]) -> Predicate:
    """A condition as a function of a row; every test but `empty` is false on an empty cell."""
    if condition is None:
        return lambda row: True
    if isinstance(condition, AllOf | AnyOf):
        combine = all if isinstance(condition, AllOf) else any
        members = condition.all if isinstance(condition, AllOf) else condition.any
        parts = [_predicate(part, kinds) for part in members]
        return lambda row: combine(part(row) for part in parts)
    column, (test, expected) = condition.column, condition.test()
    if test == "empty":
        return lambda row: (row[column] is None) == expected
    check, wanted = CHECKS[test], coerce(expected, kinds[column], column)
    return lambda row: row[column] is not None and check(row[column], wanted)


# ---- aggregations ------------------------------------------------------------------------------


def percentile(values: list[Decimal], p: Decimal) -> Decimal:
    """The p-th percentile by linear interpolation between closest ranks (numpy's default).

    With the values sorted as x[0..n-1] and h = (n - 1) * p / 100, the result is
    x[floor(h)] + (h - floor(h)) * (x[floor(h) + 1] - x[floor(h)]), exact in Decimal.
    """
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    fraction = rank - low
    if fraction == 0:
        return ordered[low]
    return ordered[low] + fraction * (ordered[low + 1] - ordered[low])


def _fraction(hits: int, total: int, per: Decimal) -> Figure:
    value = Decimal(hits) * per / total if total else None
    return Figure(value, Decimal(hits), Decimal(total))


def _statistic(kind: str, values: list[Decimal], p: Decimal) -> Figure:
    if not values:
        return Figure(None, None, Decimal(0))
    if kind in ("sum", "mean"):
        total = sum(values, Decimal(0))
        return Figure(total if kind == "sum" else total / len(values), total, Decimal(len(values)))
    return Figure(percentile(values, p), None, Decimal(len(values)))


def _ratio(ratio: Ratio, done: dict[str, Figure]) -> Figure:
    numerator, denominator = done[ratio.numerator].value, done[ratio.denominator].value
    if numerator is None or not denominator:
        return Figure(None, numerator, denominator)
    return Figure(numerator * ratio.per / denominator, numerator, denominator)


Aggregate = Callable[[list[Row], dict[str, Figure]], Figure]
FIXED_P = {"median": Decimal(50), "min": Decimal(0), "max": Decimal(100)}


def _compile_metric(metric: Metric, kinds: dict[str, str]) -> Aggregate:
    """The metric as a function of one agent's rows and the figures derived before it (the policy's
    validation has checked that its values and columns fit)."""
    kind, spec = metric.aggregation()
    if kind == "ratio":
        return lambda rows, done: _ratio(spec, done)
    where, of, among = (_predicate(getattr(spec, part, None), kinds) for part in ("where", "of", "among"))
    if kind == "count":
        return lambda rows, done: _count(rows, where)
    if kind == "share":
        return lambda rows, done: _share(rows, of, among, spec.per)
    if kind == "top_box":
        return lambda rows, done: _top_box(_values(rows, where, spec.column), spec.at_least, spec.per)
    p = FIXED_P.get(kind, getattr(spec, "p", Decimal(0)))
    return lambda rows, done: _statistic(kind, _values(rows, where, spec.column), p)


def figures_of(spec: MetricsSpec) -> Callable[[list[Row]], dict[str, Figure]]:
    """Every metric of the spec, in order, as one function of an agent's parsed rows."""
    kinds = spec.column_kinds()
    aggregates = {name: _compile_metric(metric, kinds) for name, metric in spec.derived.items()}

    def figures(rows: list[Row]) -> dict[str, Figure]:
        done: dict[str, Figure] = {}
        for name, aggregate in aggregates.items():
            done[name] = aggregate(rows, done)  # a ratio reads the figures derived above it
        return done

    return figures


def _count(rows: list[Row], where: Predicate) -> Figure:
    hits = Decimal(sum(map(where, rows)))
    return Figure(hits, hits, Decimal(len(rows)))


def _share(rows: list[Row], of: Predicate, among: Predicate, per: Decimal) -> Figure:
    eligible = [row for row in rows if among(row)]
    return _fraction(sum(map(of, eligible)), len(eligible), per)


def _top_box(values: list[Decimal], at_least: Decimal, per: Decimal) -> Figure:
    return _fraction(sum(value >= at_least for value in values), len(values), per)


def _values(rows: list[Row], where: Predicate, column: str) -> list[Any]:
    """The column's non-empty cells in the rows kept: an empty cell means not applicable."""
    return [row[column] for row in rows if row[column] is not None and where(row)]


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
        parse_date = date_parser(self.spec.source.date.format)
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
        agent = self.cell(line, cells, self.spec.source.agent, agent_id, optional=False)
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


def reference_derive(spec: MetricsSpec, path: str | Path, period: Period | str, *, encoding: str | None = None,
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
