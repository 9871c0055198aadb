"""Per-agent metrics derived from a raw per-call or per-ticket export, with an audit trail.

A policy's `metrics:` section names the export's agent and date columns and declares each metric as
an aggregation over one agent's rows in a period. Every figure keeps its numerator and denominator
so an analyst can check it, and a figure over no rows is missing, never zero.
"""

from __future__ import annotations

import csv
import io
import operator
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, model_validator

from cspay.cells import CellError, clean, is_missing, parse_duration, parse_number
from cspay.errors import MetricsError, Problems
from cspay.periods import Period, parse_period


def _exact(value: Any) -> Any:
    """Numbers stay exact: ints become Decimals, floats are refused (the policy loader gives Decimals)."""
    if isinstance(value, float):
        raise ValueError("a float cannot be exact; the YAML loader must give a Decimal")
    return Decimal(value) if type(value) is int else value


Number = Annotated[Decimal, BeforeValidator(_exact)]
Scalar = Annotated[bool | Decimal | str, BeforeValidator(_exact)]
ORDERED = ("at_least", "at_most", "above", "below")
TESTS = ("equals", "not_equals", "in", *ORDERED, "empty")


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Condition(Model):
    """One test of a column (`{column: Resolved, equals: true}`), or all/any of several conditions."""

    column: str | None = None
    equals: Scalar | None = None
    not_equals: Scalar | None = None
    in_: list[Scalar] | None = Field(None, alias="in")
    at_least: Scalar | None = None
    at_most: Scalar | None = None
    above: Scalar | None = None
    below: Scalar | None = None
    empty: bool | None = None
    all: list[Condition] | None = None
    any: list[Condition] | None = None

    @model_validator(mode="after")
    def _one_test(self) -> Condition:
        given = [name for name in TESTS if self.test_value(name) is not None]
        parts = [part for part in (self.all, self.any) if part is not None]
        if parts and (len(parts) > 1 or not parts[0] or given or self.column is not None):
            raise ValueError("give all: [...] or any: [...] alone, with at least one condition")
        if not parts and (self.column is None or len(given) != 1):
            raise ValueError(f"give a column and exactly one of {', '.join(TESTS)}")
        return self

    def test_value(self, name: str) -> Any:
        return self.in_ if name == "in" else getattr(self, name)

    def test(self) -> tuple[str, Any]:
        """The one (test, value) pair of a leaf condition."""
        return next((name, self.test_value(name)) for name in TESTS if self.test_value(name) is not None)

    def leaves(self) -> list[Condition]:
        parts = self.all if self.all is not None else self.any
        return [self] if parts is None else [leaf for part in parts for leaf in part.leaves()]


class Count(Model):
    where: Condition | None = None


class OfColumn(Model):
    column: str
    where: Condition | None = None


class Percentile(OfColumn):
    p: Number = Field(ge=0, le=100)


class TopBox(OfColumn):
    at_least: Number
    per: Number = Decimal(1)


class Share(Model):
    of: Condition
    among: Condition | None = None
    per: Number = Decimal(1)


class Ratio(Model):
    numerator: str
    denominator: str
    per: Number = Decimal(1)


AGGREGATIONS = ("count", "sum", "mean", "median", "min", "max", "percentile", "share", "top_box", "ratio")
NUMERIC = ("sum", "mean", "median", "min", "max", "percentile", "top_box")


class Metric(Model):
    """One derived column: exactly one aggregation over an agent's rows."""

    count: Count | None = None
    sum: OfColumn | None = None
    mean: OfColumn | None = None
    median: OfColumn | None = None
    min: OfColumn | None = None
    max: OfColumn | None = None
    percentile: Percentile | None = None
    share: Share | None = None
    top_box: TopBox | None = None
    ratio: Ratio | None = None

    @model_validator(mode="after")
    def _one_aggregation(self) -> Metric:
        given = [name for name in AGGREGATIONS if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(AGGREGATIONS)}; got {len(given)}")
        return self

    def aggregation(self) -> tuple[str, Any]:
        return next((name, getattr(self, name)) for name in AGGREGATIONS if getattr(self, name) is not None)

    def leaves(self) -> list[Condition]:
        """Every single-column test in the metric's where, of and among."""
        spec = self.aggregation()[1]
        found = (getattr(spec, part, None) for part in ("where", "of", "among"))
        return [leaf for condition in found if condition for leaf in condition.leaves()]


class DateColumn(Model):
    column: str
    format: str = "%Y-%m-%d"


class Source(Model):
    agent: str
    date: DateColumn
    flags: list[str] = []
    durations: list[str] = []


class MetricsSpec(Model):
    """The `metrics:` section: where the export keeps what, and each derived metric in column order."""

    source: Source
    derived: dict[str, Metric] = Field(min_length=1)
    _kinds: dict[str, str] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> MetricsSpec:
        names = list(self.derived)
        for position, (name, metric) in enumerate(self.derived.items()):
            refs = (metric.ratio.numerator, metric.ratio.denominator) if metric.ratio else ()
            if later := [ref for ref in refs if ref not in names[:position]]:
                raise ValueError(f'derived.{name}: ratio needs "{later[0]}" to be a metric defined above it')
        self._kinds = _column_kinds(self)
        for name, metric in self.derived.items():
            _compile_metric(name, metric, self._kinds)  # refuses values the columns cannot hold
        return self

    def column_kinds(self) -> dict[str, str]:
        """Each export column the metrics read, and how: flag, duration, number or text."""
        return dict(self._kinds)


def _column_kinds(spec: MetricsSpec) -> dict[str, str]:
    """Declared flags and durations; other columns are numbers if used as numbers, else text."""
    kinds = {column: "flag" for column in spec.source.flags}
    for column in spec.source.durations:
        if kinds.setdefault(column, "duration") != "duration":
            raise ValueError(f'source: column "{column}" cannot be both a flag and a duration')
    numeric: dict[str, None] = {}  # a dict keeps the order columns are met in
    compared: dict[str, None] = {}
    for metric in spec.derived.values():
        kind, aggregation = metric.aggregation()
        numeric.update({aggregation.column: None} if kind in NUMERIC else {})
        for leaf in metric.leaves():
            test, value = leaf.test()
            values = value if test == "in" else [value]
            numbers = test in ORDERED or any(isinstance(item, Decimal) for item in values)
            (numeric if numbers else compared)[leaf.column or ""] = None
    for column in [*numeric, *compared]:
        kinds.setdefault(column, "number" if column in numeric else "text")
    return kinds


# ---- cells and conditions ----------------------------------------------------------------------

Cell = bool | Decimal | str | None
Row = dict[str, Cell]
Predicate = Callable[[Row], bool]
FLAG_WORDS = {"y": True, "yes": True, "true": True, "1": True, "是": True,
              "n": False, "no": False, "false": False, "0": False, "否": False}  # fmt: skip
FLAG_EXPECTED = "Y/N (yes/no, true/false, 1/0, 是/否)"


def parse_flag(text: str) -> bool:
    """A yes/no cell as exports write it: Y/N, yes/no, true/false, 1/0 or 是/否."""
    try:
        return FLAG_WORDS[clean(text).casefold()]
    except KeyError:
        raise CellError(FLAG_EXPECTED) from None


PARSERS: dict[str, Callable[[str], Cell]] = {
    "flag": parse_flag, "duration": parse_duration, "number": parse_number, "text": clean,
}  # fmt: skip
CHECKS: dict[str, Callable[[Any, Any], bool]] = {
    "equals": operator.eq, "not_equals": operator.ne, "in": lambda value, options: value in options,
    "at_least": operator.ge, "at_most": operator.le, "above": operator.gt, "below": operator.lt,
}  # fmt: skip


def _coerce(value: Any, kind: str, column: str) -> Any:
    """A condition's value read the way the column's cells are read ("Y" is true for a flag)."""
    if isinstance(value, list):
        return frozenset(_coerce(item, kind, column) for item in value)
    if isinstance(value, bool) and kind != "flag":
        raise ValueError(f'column "{column}" is compared with true/false: list it under source.flags')
    if isinstance(value, bool | Decimal):
        return value
    try:
        return PARSERS[kind](value)
    except CellError as error:
        raise ValueError(f'column "{column}": got "{value}", expected {error.expected}') from None


def _predicate(condition: Condition | None, kinds: dict[str, str]) -> Predicate:
    """A condition as a function of a row; every test but `empty` is false on an empty cell."""
    if condition is None:
        return lambda row: True
    if condition.all is not None or condition.any is not None:
        combine = all if condition.all is not None else any
        parts = [_predicate(part, kinds) for part in condition.all or condition.any or []]
        return lambda row: combine(part(row) for part in parts)
    column, (test, expected) = condition.column or "", condition.test()
    if test == "empty":
        return lambda row: (row[column] is None) == expected
    if test in ORDERED and kinds[column] == "flag":
        raise ValueError(f'{test} needs numbers, but column "{column}" holds flags')
    check, wanted = CHECKS[test], _coerce(expected, kinds[column], column)
    return lambda row: row[column] is not None and check(row[column], wanted)


# ---- aggregations ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """A derived value and what it came from: value = numerator / denominator where that applies.

    count: matching rows / the agent's rows; sum, mean: total / values; median, min, max and
    percentile: no numerator / values; share, top_box: hits / eligible rows; ratio: the two metrics.
    """

    value: Decimal | None
    numerator: Decimal | None
    denominator: Decimal | None


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


def _compile_metric(name: str, metric: Metric, kinds: dict[str, str]) -> Aggregate:
    """The metric as a function of one agent's rows and the figures derived before it."""
    kind, spec = metric.aggregation()
    if kind == "ratio":
        return lambda rows, done: _ratio(spec, done)
    if kind in NUMERIC and kinds[spec.column] == "flag":
        raise ValueError(f'derived.{name}: {kind} needs numbers, but column "{spec.column}" holds flags')
    try:
        parts = (getattr(spec, part, None) for part in ("where", "of", "among"))
        where, of, among = (_predicate(part, kinds) for part in parts)
    except ValueError as error:
        raise ValueError(f"derived.{name}: {error}") from None
    if kind == "count":
        return lambda rows, done: _count(rows, where)
    if kind == "share":
        return lambda rows, done: _share(rows, of, among, spec.per)
    if kind == "top_box":
        return lambda rows, done: _top_box(_values(rows, where, spec.column), spec.at_least, spec.per)
    p = FIXED_P.get(kind, getattr(spec, "p", Decimal(0)))
    return lambda rows, done: _statistic(kind, _values(rows, where, spec.column), p)


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


# ---- reading files -----------------------------------------------------------------------------

Record = tuple[int, list[str]]


def _decode(path: Path) -> str:
    """The file's text: UTF-8 with or without a byte-order mark, else GB18030 (Chinese Excel)."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise MetricsError(f"{path}: cannot read the file: {error.strerror}") from None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            pass
    raise MetricsError(f"{path}: cannot decode the file: expected UTF-8 or GB18030")


def _read_csv(path: Path) -> tuple[list[str], list[Record]]:
    """The header and each non-blank record with the line it starts on (the header is line 1)."""
    reader, records, line = csv.reader(io.StringIO(_decode(path), newline="")), [], 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                records.append((line, cells))
            line = reader.line_num + 1
    except csv.Error as error:
        raise MetricsError(f"{path}: row {line}: {error}") from None
    if not records:
        raise MetricsError(f"{path}: the file is empty, expected a header row")
    return [name.strip() for name in records[0][1]], records[1:]


def _locate(path: Path, header: list[str], needed: list[str]) -> dict[str, int]:
    """Each needed column's index; missing and doubled columns are reported together."""
    problems, wanted = Problems(), list(dict.fromkeys(needed))
    if missing := [name for name in wanted if name not in header]:
        problems.add(f"{path}: row 1: missing required columns: {', '.join(missing)} "
                     f"(the header has: {', '.join(header)})")  # fmt: skip
    for name in (name for name in wanted if header.count(name) > 1):
        places = " and ".join(str(i + 1) for i, cell in enumerate(header) if cell == name)
        problems.add(f"{path}: row 1: column {name!r} appears more than once (columns {places})")
    problems.raise_if_any(MetricsError)
    return {name: header.index(name) for name in wanted}


def _width_problem(path: Path, header: list[str], line: int, cells: list[str]) -> str | None:
    if len(cells) < len(header) or any(cell.strip() for cell in cells[len(header):]):
        return f"{path}: row {line}: has {len(cells)} cells, expected {len(header)} like the header"
    return None


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

    path: Path
    spec: MetricsSpec
    period: Period
    columns: dict[str, int]
    problems: Problems = field(default_factory=Problems)

    def rows_by_agent(self, header: list[str], records: list[Record]) -> dict[str, list[Row]]:
        parse_date, by_agent = _date_parser(self.spec.source.date.format), defaultdict(list)
        for line, cells in records:
            if problem := _width_problem(self.path, header, line, cells):
                self.problems.add(problem)
            elif read := self.record(line, cells, parse_date):
                by_agent[read[0]].append(read[1])
        self.problems.raise_if_any(MetricsError)
        return by_agent

    def record(self, line: int, cells: list[str], parse_date: Callable) -> tuple[str, Row] | None:
        """The agent and parsed cells of a record dated in the period; None if outside or bad.

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
        return agent, row

    def cell(self, line: int, cells: list[str], column: str, parse: Callable, optional: bool = True
             ) -> Any:  # fmt: skip
        """The cell read by `parse`, None when empty and optional, or _BAD after recording why."""
        text = cells[self.columns[column]]
        if optional and is_missing(text):
            return None
        try:
            return parse(text)
        except CellError as error:
            shown = text if len(text) <= 40 else f"{text[:40]}… ({len(text)} characters)"
            where = f'{self.path}: row {line}, column "{column}"'
            self.problems.add(f'{where}: got "{shown}", expected {error.expected}')
            return _BAD


# ---- the derived table -------------------------------------------------------------------------


@dataclass(frozen=True)
class AgentMetrics:
    """One agent's rows in the period and figures, in the order the policy derives them."""

    agent_id: str
    rows: int
    figures: dict[str, Figure]


@dataclass(frozen=True)
class DerivedTable:
    """Per-agent derived metrics for a period, agents ordered by id; rows_outside were skipped."""

    source: str
    period: Period
    metrics: list[str]
    agents: list[AgentMetrics]
    rows_read: int
    rows_outside: int


def derive(spec: MetricsSpec, path: str | Path, period: Period | str) -> DerivedTable:
    """Read an export and derive each agent's metrics over the rows dated in the period."""
    path, period = Path(path), period if isinstance(period, Period) else parse_period(period)
    header, records = _read_csv(path)
    kinds, source = spec.column_kinds(), spec.source
    columns = _locate(path, header, [source.agent, source.date.column, *kinds])
    by_agent = _ExportReader(path, spec, period, columns).rows_by_agent(header, records)
    aggregates = {name: _compile_metric(name, metric, kinds) for name, metric in spec.derived.items()}
    agents = [
        AgentMetrics(agent, len(rows), _figures(aggregates, rows))
        for agent, rows in sorted(by_agent.items())
    ]
    inside = sum(agent.rows for agent in agents)
    return DerivedTable(str(path), period, list(spec.derived), agents, len(records), len(records) - inside)


def _figures(aggregates: dict[str, Aggregate], rows: list[Row]) -> dict[str, Figure]:
    done: dict[str, Figure] = {}
    for name, aggregate in aggregates.items():
        done[name] = aggregate(rows, done)
    return done


# ---- the roster --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Roster:
    """Agent attributes that exports lack (name, role, team, worked days …), by agent id."""

    source: str
    header: list[str]
    lines: dict[str, Record]


def read_roster(path: str | Path, id_column: str = "agent_id") -> Roster:
    """Read a roster CSV keyed by `id_column`; duplicate or empty ids are errors naming the lines."""
    path = Path(path)
    header, records = _read_csv(path)
    index, problems, lines = _locate(path, header, [id_column])[id_column], Problems(), {}
    for line, cells in records:
        agent = cells[index].strip() if index < len(cells) else ""
        if problem := _width_problem(path, header, line, cells):
            problems.add(problem)
        elif not agent:
            problems.add(f'{path}: row {line}, column "{id_column}": got "", expected an agent id')
        elif agent in lines:
            problems.add(f'{path}: row {line}: agent "{agent}" is already on row {lines[agent][0]}')
        else:
            lines[agent] = (line, cells[: len(header)])
    problems.raise_if_any(MetricsError)
    return Roster(str(path), header, lines)


@dataclass(frozen=True)
class Joined:
    """Roster columns then metrics as text cells, each row with its roster line, for the metrics reader."""

    header: list[str]
    rows: list[Record]
    not_in_roster: list[str]
    without_rows: list[str]


def join_roster(table: DerivedTable, roster: Roster, *, strict: bool = True) -> Joined:
    """Join by agent id in roster order; an exported agent missing from the roster is an error if strict."""
    clashes = [name for name in table.metrics if name in roster.header]
    if clashes:
        raise MetricsError(f"{roster.source}: columns {', '.join(clashes)} clash with derived metrics")
    derived = {agent.agent_id: agent for agent in table.agents}
    unknown = [agent for agent in derived if agent not in roster.lines]
    if strict and unknown:
        raise MetricsError([
            f'{roster.source}: no line for agent "{agent}", who has {_rows(derived[agent].rows)} in '
            f"{table.source} for {table.period.label}; add one so their pay can be computed"
            for agent in unknown
        ])  # fmt: skip
    rows = [
        (line, cells + _cells(table.metrics, derived.get(agent)))
        for agent, (line, cells) in roster.lines.items()
    ]
    idle = [agent for agent in roster.lines if agent not in derived]
    return Joined(roster.header + table.metrics, rows, unknown, idle)


def _rows(count: int) -> str:
    return "1 row" if count == 1 else f"{count} rows"


def _cells(metrics: list[str], agent: AgentMetrics | None) -> list[str]:
    """Values as plain decimal text (never an exponent); empty when missing or without rows."""
    values = [agent.figures[name].value if agent else None for name in metrics]
    return ["" if value is None else format(value, "f") for value in values]
