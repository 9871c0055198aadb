"""Raw per-call exports and rosters: reading them, deriving each agent's metrics, joining the two.

The export gives one row per call or ticket; cspay.derive says how its rows become each agent's
figures. The roster adds what exports lack (role, team, worked days); the joined rows are read by
metrics.RowParser exactly like an agent-level metrics file, so the engine sees no difference.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from cspay.cells import CellError, clean, is_missing
from cspay.errors import MetricsError, Problems
from cspay.i18n import Note
from cspay.inputs.metrics import SNIFF_BYTES, AgentRow, RowParser, detect_delimiter, detect_encoding, find_header
from cspay.periods import Period, parse_period
from cspay.policy.metrics_spec import PARSERS, Figure, MetricsSpec, Row, figures_of
from cspay.policy.model import Policy

Record = tuple[int, list[str]]


@dataclass(frozen=True)
class CsvFile:
    """A CSV file's header and each non-blank record with the line it starts on (the header is line 1)."""

    path: Path
    header: list[str]
    records: list[Record]


def read_csv(path: str | Path, *, encoding: str | None = None, delimiter: str | None = None) -> CsvFile:
    """Read a whole CSV; the encoding and delimiter are detected as for metrics files unless given."""
    path = Path(path)
    text = _decode(path, encoding)
    first = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter or detect_delimiter(first))
    records, line = [], 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                records.append((line, cells))
            line = reader.line_num + 1
    except csv.Error as error:
        raise MetricsError(f"{path}: row {line}: cannot be read as CSV: {error}") from None
    if not records:
        raise MetricsError(f"{path}: the file is empty, expected a header row")
    return CsvFile(path, [name.strip() for name in records[0][1]], records[1:])


def _decode(path: Path, encoding: str | None) -> str:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise MetricsError(f"{path}: cannot read the file: {error.strerror or error}") from None
    encoding = encoding or detect_encoding(data[:SNIFF_BYTES])
    try:
        codecs.lookup(encoding)
        # A BOM left by a forced --encoding utf-8 is not part of the first column's name.
        return data.decode(encoding).removeprefix("\ufeff")
    except LookupError:
        raise MetricsError(f"{path}: unknown encoding {encoding!r}; try utf-8 or gb18030") from None
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise MetricsError(f"{path}: row {line}: bytes that are not valid {encoding} text; "
                           f"save the file as UTF-8, or pass --encoding") from None  # fmt: skip


def locate(file: CsvFile, needed: list[str]) -> dict[str, int]:
    """Each needed column's index, matched like metrics headers; missing and doubled ones reported together."""
    found = {name: find_header(file.header, name) for name in dict.fromkeys(needed)}
    problems = Problems()
    if missing := [name for name, places in found.items() if not places]:
        problems.add(f"{file.path}: row 1: missing required columns: {', '.join(missing)} "
                     f"(the header has: {', '.join(file.header)})")  # fmt: skip
    for name, places in found.items():
        if len(places) > 1:
            shown = " and ".join(str(i + 1) for i in places)
            problems.add(f"{file.path}: row 1: column {name!r} appears more than once (columns {shown})")
    problems.raise_if_any(MetricsError)
    return {name: places[0] for name, places in found.items()}


def _width_problem(file: CsvFile, line: int, cells: list[str]) -> str | None:
    width = len(file.header)
    if len(cells) < width or any(cell.strip() for cell in cells[width:]):
        return f"{file.path}: row {line}: has {len(cells)} cells, expected {width} like the header"
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

    file: CsvFile
    spec: MetricsSpec
    period: Period
    columns: dict[str, int]
    problems: Problems = field(default_factory=Problems)

    def rows_by_agent(self) -> dict[str, list[Row]]:
        parse_date, by_agent = _date_parser(self.spec.source.date.format), defaultdict(list)
        for line, cells in self.file.records:
            if problem := _width_problem(self.file, line, cells):
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
            where = f'{self.file.path}: row {line}, column "{column}"'
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


def derive(spec: MetricsSpec, path: str | Path, period: Period | str, *, encoding: str | None = None,
           delimiter: str | None = None) -> DerivedTable:  # fmt: skip
    """Read an export and derive each agent's metrics over the rows dated in the period."""
    period = period if isinstance(period, Period) else parse_period(period)
    file = read_csv(path, encoding=encoding, delimiter=delimiter)
    source = spec.source
    columns = locate(file, [source.agent, source.date.column, *spec.column_kinds()])
    by_agent = _ExportReader(file, spec, period, columns).rows_by_agent()
    figures = figures_of(spec)
    agents = [AgentMetrics(agent, len(rows), figures(rows)) for agent, rows in sorted(by_agent.items())]
    read, inside = len(file.records), sum(agent.rows for agent in agents)
    return DerivedTable(str(file.path), period, list(spec.derived), agents, read, read - inside)


# ---- the roster and the join -------------------------------------------------------------------


@dataclass(frozen=True)
class Roster:
    """Agent attributes that exports lack (name, role, team, worked days …), by agent id."""

    source: str
    header: list[str]
    lines: dict[str, Record]


def read_roster(path: str | Path, id_column: str = "agent_id") -> Roster:
    """Read a roster CSV keyed by `id_column`; duplicate or empty ids are errors naming the lines."""
    file = read_csv(path)
    index, problems, lines = locate(file, [id_column])[id_column], Problems(), {}
    for line, cells in file.records:
        agent = cells[index].strip() if index < len(cells) else ""
        if problem := _width_problem(file, line, cells):
            problems.add(problem)
        elif not agent:
            problems.add(f'{file.path}: row {line}, column "{id_column}": got "", expected an agent id')
        elif agent in lines:
            problems.add(f'{file.path}: row {line}: agent "{agent}" is already on row {lines[agent][0]}')
        else:
            lines[agent] = (line, cells[: len(file.header)])
    problems.raise_if_any(MetricsError)
    return Roster(str(file.path), file.header, lines)


@dataclass(frozen=True)
class Joined:
    """Roster columns then metrics as text cells, each row with its roster line, for the metrics reader."""

    header: list[str]
    rows: list[Record]
    not_in_roster: list[str]
    without_rows: list[str]


def join_roster(table: DerivedTable, roster: Roster, *, strict: bool = True) -> Joined:
    """Join by agent id in roster order; an exported agent missing from the roster is an error if strict."""
    clashes = [name for name in table.metrics if find_header(roster.header, name)]
    if clashes:
        raise MetricsError(f"{roster.source}: row 1: columns {', '.join(clashes)} clash with derived metrics "
                           f"of the same names; rename or remove them")  # fmt: skip
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


# ---- from the join to the engine ---------------------------------------------------------------


def column_readers(policy: Policy) -> dict[str, list[str]]:
    """Each column the policy reads, with the policy keys that read it (`kpis.fcr`, `gates[0]` …)."""
    readers: dict[str, list[str]] = defaultdict(list)
    for code, kpi in policy.kpis.items():
        readers[kpi.column].append(f"kpis.{code}")
        if kpi.min_volume:
            readers[kpi.min_volume.column].append(f"kpis.{code}.min_volume")
    for index, gate in enumerate(policy.gates):
        if gate.column:
            readers[gate.column].append(f"gates[{index}]")
    for name, adjustment in policy.adjustments.items():
        readers[adjustment.column].append(f"adjustments.{name}")
    if policy.proration:
        readers[policy.proration.column].append("proration")
    return readers


def check_sources(policy: Policy, roster: Roster, table: DerivedTable) -> None:
    """Every column the policy reads is a roster column or a derived metric; agent columns are the roster's."""
    agents = policy.agents
    identity = {"agents.id": agents.id, "agents.role": agents.role, "agents.name": agents.name,
                "agents.team": agents.team}  # fmt: skip
    in_roster = ", ".join(roster.header)
    problems = [
        f'{policy.path}: {key} reads column "{column}", which is not a column of {roster.source} ({in_roster})'
        for key, column in identity.items()
        if column and not find_header(roster.header, column)
    ]
    for column, keys in column_readers(policy).items():
        if not find_header(roster.header, column) and not find_header(table.metrics, column):
            problems.append(f'{policy.path}: {", ".join(keys)} reads column "{column}", which is neither a '
                            f"derived metric ({', '.join(table.metrics)}) nor a column of {roster.source} "
                            f"({in_roster})")  # fmt: skip
    if problems:
        raise MetricsError(problems)


def agent_rows(policy: Policy, joined: Joined, source: str) -> Iterator[AgentRow]:
    """The joined rows read as a metrics file named `source`; every bad cell is raised at the end."""
    parser = RowParser(policy, joined.header, source)
    for line, cells in joined.rows:
        row = parser.parse(line, cells)
        if row is not None:
            yield row
    parser.problems.raise_if_any(MetricsError)


def export_notes(table: DerivedTable, joined: Joined | None, roster: Path | None) -> list[Note]:
    """What the analyst should know besides the figures: rows left out, agents on one side only."""
    inside = table.rows_read - table.rows_outside
    notes = [Note("metrics.rows", {"source": table.source, "read": f"{table.rows_read:,}", "inside": f"{inside:,}",
                                   "outside": f"{table.rows_outside:,}", "period": table.period.label})]
    if joined is not None and joined.not_in_roster:
        notes.append(Note("metrics.not_in_roster", {"roster": str(roster), "agents": ", ".join(joined.not_in_roster)}))
    if joined is not None and joined.without_rows:
        notes.append(Note("metrics.without_rows", {"period": table.period.label,
                                                   "agents": ", ".join(joined.without_rows)}))
    return notes
