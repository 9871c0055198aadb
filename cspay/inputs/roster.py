"""Rosters: what exports lack (name, role, team, worked days …) per agent, for each month of a period,
and their join with an export's derived metrics into rows read like a metrics file.

A roster names its month in the policy's `agents.period` column, so one file may hold several months
and several files may each hold one; a roster without that column stands for every month of the period.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from cspay.cells import id_key
from cspay.engine.types import AgentRow
from cspay.errors import MetricsError, Problems
from cspay.i18n import Note
from cspay.inputs.exports import AgentMetrics, Derived, DerivedTable
from cspay.inputs.metrics import RowParser, find_header
from cspay.inputs.tables import CsvFile, Record, locate, read_csv, width_problem
from cspay.periods import Period, read_month_cell
from cspay.policy.model import Policy


@dataclass(frozen=True)
class Roster:
    """One month's agent attributes from one roster file, by agent id, in the file's order."""

    source: str
    header: list[str]
    lines: dict[str, Record]


@dataclass(frozen=True)
class Rosters:
    """The roster of each month of a period (a month no roster gives is absent), and the files read."""

    months: dict[str, Roster]
    files: list[str]
    reused: str | None = None  # a roster without a period column, standing for every month


def read_rosters(paths: Sequence[Path], policy: Policy, period: Period, months: list[Period]) -> Rosters:
    """Every roster file, split by the month of its period column; errors name the file, row and column."""
    column = policy.agents.period
    by_month: dict[str, Roster] = {}
    dated = []
    for path in paths:
        file = read_csv(path)
        if column is not None and find_header(file.header, column):
            dated.append(path)
            for label, roster in _by_month(file, policy.agents.id, column, period).items():
                if label in by_month:
                    raise MetricsError(
                        f"{roster.source}: holds {label}, like {by_month[label].source}; "
                        f"expected each month in one roster file"
                    )
                by_month[label] = roster
        elif len(paths) > 1:
            where = f"a {column} column" if column else "a period column (the policy's agents.period)"
            raise MetricsError(f"{path}: has no {where}; with several rosters, each names the month its rows are for")
        else:
            roster = _roster(file, policy.agents.id, file.records)
            each = {month.label: _dated(roster, column, month.label) for month in months}
            return Rosters(each, [str(path)], str(path) if len(months) > 1 else None)
    return Rosters(by_month, [str(path) for path in paths])


def _dated(roster: Roster, column: str | None, label: str) -> Roster:
    """A roster without a period column, standing for one month: the month added as that column, so its
    rows read like a monthly metrics file's."""
    if column is None:
        return roster
    lines = {agent: (line, [*cells, label]) for agent, (line, cells) in roster.lines.items()}
    return Roster(roster.source, [*roster.header, column], lines)


def _by_month(file: CsvFile, id_column: str, column: str, period: Period) -> dict[str, Roster]:
    """A roster file's rows by the month its period column names; rows of months outside the period are
    left out, as an export's rows outside the period are."""
    index = locate(file, [column])[column]
    problems, records = Problems(), defaultdict(list)
    for line, cells in file.records:
        text = cells[index] if index < len(cells) else ""
        try:
            month = read_month_cell(text)
        except ValueError as error:
            problems.add(f'{file.path}: row {line}, column "{column}": got "{text}", expected {error}')
            continue
        if month.first in period:
            records[month.label].append((line, cells))
    problems.raise_if_any(MetricsError)
    return {label: _roster(file, id_column, rows) for label, rows in records.items()}


def _roster(file: CsvFile, id_column: str, records: list[Record]) -> Roster:
    """The records keyed by agent id; duplicate or empty ids are errors naming the lines."""
    index, problems = locate(file, [id_column])[id_column], Problems()
    lines: dict[str, Record] = {}
    keys: dict[str, tuple[int, str]] = {}  # id key -> the row it is first on, and how it is written there
    for line, cells in records:
        agent = cells[index].strip() if index < len(cells) else ""
        if problem := width_problem(file, line, cells):
            problems.add(problem)
        elif not agent:
            problems.add(f'{file.path}: row {line}, column "{id_column}": got "", expected an agent id')
        elif (first := keys.setdefault(id_key(agent), (line, agent)))[0] != line:
            written = "" if first[1] == agent else f' (as "{first[1]}": ids match ignoring case, width and spaces)'
            problems.add(f'{file.path}: row {line}: agent "{agent}" is already on row {first[0]}{written}')
        else:
            lines[agent] = (line, cells[: len(file.header)])
    problems.raise_if_any(MetricsError)
    return Roster(str(file.path), file.header, lines)


def read_roster(path: str | Path, id_column: str = "agent_id") -> Roster:
    """One roster file, every row, keyed by `id_column`."""
    file = read_csv(path)
    return _roster(file, id_column, file.records)


@dataclass(frozen=True)
class Joined:
    """Roster columns then metrics as text cells, each row with its roster line, for the metrics reader."""

    period: Period
    header: list[str]
    rows: list[Record]
    not_in_roster: list[str]
    without_rows: list[str]


def join_roster(table: DerivedTable, roster: Roster | None, *, strict: bool = True,
                read: Collection[str] | None = None) -> Joined:  # fmt: skip
    """Join a month by agent id in roster order; an exported agent missing from the roster is an error if
    strict. A month without a roster joins no one. Only the metrics in `read` (all by default) are written
    out as cells; the others, which the policy never reads, stay empty."""
    roster = roster or Roster("", [], {})
    clashes = [name for name in table.metrics if find_header(roster.header, name)]
    if clashes:
        raise MetricsError(f"{roster.source}: row 1: columns {', '.join(clashes)} clash with derived metrics "
                           f"of the same names; rename or remove them")  # fmt: skip
    derived = {agent.agent_id: agent for agent in table.agents}
    unknown = [agent for agent in derived if agent not in roster.lines]
    if strict and unknown:
        where = roster.source or "the rosters"
        raise MetricsError([
            f'{where}: no line for agent "{agent}" in {table.period.label}, who has {_rows(derived[agent].rows)} '
            f"in {table.source} that month; add one so their pay can be computed"
            for agent in unknown
        ])  # fmt: skip
    written = [name if read is None or name in read else None for name in table.metrics]
    rows = [(line, cells + _cells(written, derived.get(agent))) for agent, (line, cells) in roster.lines.items()]
    idle = [agent for agent in roster.lines if agent not in derived]
    return Joined(table.period, roster.header + table.metrics, rows, unknown, idle)


def _rows(count: int) -> str:
    return "1 row" if count == 1 else f"{count} rows"


def _cells(metrics: list[str | None], agent: AgentMetrics | None) -> list[str]:
    """Values as plain decimal text (never an exponent); empty when missing, without rows or not written."""
    values = [agent.figures[name].value if agent and name else None for name in metrics]
    return ["" if value is None else format(value, "f") for value in values]


def read_metrics(policy: Policy, metrics: list[str]) -> set[str]:
    """The derived metrics some key of the policy reads (a KPI, gate, adjustment, proration …)."""
    return {metrics[index] for column in column_readers(policy) for index in find_header(metrics, column)}


# ---- from the join to the engine ---------------------------------------------------------------


def column_readers(policy: Policy) -> dict[str, list[str]]:
    """Each column the policy reads, with the policy keys that read it (`kpis.fcr`, `gates[0]` …)."""
    readers: dict[str, list[str]] = defaultdict(list)
    for code, kpi in policy.kpis.items():
        readers[kpi.column].append(f"kpis.{code}")
        if kpi.min_volume:
            readers[kpi.min_volume.column].append(f"kpis.{code}.min_volume")
        if kpi.weight_column:
            readers[kpi.weight_column].append(f"kpis.{code}.weight_column")
    for index, gate in enumerate(policy.gates):
        if gate.column:
            readers[gate.column].append(f"gates[{index}]")
    for name, adjustment in policy.adjustments.items():
        readers[adjustment.column].append(f"adjustments.{name}")
    if policy.proration:
        readers[policy.proration.column].append("proration")
    deductions = policy.deductions
    if deductions is not None and policy.period == "month":
        for name, column in deductions.bases.items():
            readers[column].append(f"deductions.bases.{name}")
        for key in ("special_deductions", "other_deductions"):
            if getattr(deductions, key):
                readers[getattr(deductions, key)].append(f"deductions.{key}")
    return readers


def check_sources(policy: Policy, roster: Roster, metrics: list[str]) -> None:
    """Every column the policy reads is a roster column or a derived metric; agent columns are the roster's."""
    agents = policy.agents
    identity = {"agents.id": agents.id, "agents.role": agents.role, "agents.name": agents.name,
                "agents.team": agents.team, "agents.currency": agents.currency}  # fmt: skip
    identity |= {f"review.by ({column})": column for column in policy.review.columns(agents)}
    teams = policy.teams
    identity |= {f"teams.{key}": getattr(teams, key) for key in ("site", "leads") if teams is not None}
    identity |= {f"kpis.{code}.by": kpi.by for code, kpi in policy.kpis.items() if kpi.by is not None}
    in_roster = ", ".join(roster.header)
    problems = [
        f'{policy.path}: {key} reads column "{column}", which is not a column of {roster.source} ({in_roster})'
        for key, column in identity.items()
        if column and not find_header(roster.header, column)
    ]
    for column, keys in column_readers(policy).items():
        if not find_header(roster.header, column) and not find_header(metrics, column):
            problems.append(f'{policy.path}: {", ".join(keys)} reads column "{column}", which is neither a '
                            f"derived metric ({', '.join(metrics)}) nor a column of {roster.source} "
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


def _rows_note(derived: Derived) -> Note:
    """How many rows the figures come from: read here, or aggregated elsewhere (a file of derived metrics)."""
    values: dict[str, str | int] = {"source": derived.source, "period": derived.period.label}
    if derived.rows_read is None:
        agents = {agent.agent_id for table in derived.months for agent in table.agents}
        rows = sum(agent.rows for table in derived.months for agent in table.agents)
        return Note("metrics.derived", values | {"agents": f"{len(agents):,}", "rows": f"{rows:,}"})
    inside = derived.rows_read - derived.rows_outside
    counts = {"read": derived.rows_read, "inside": inside, "outside": derived.rows_outside}
    return Note("metrics.rows", values | {key: f"{count:,}" for key, count in counts.items()})


def export_notes(derived: Derived, joined: Sequence[Joined], rosters: Rosters | None) -> list[Note]:
    """What the analyst should know besides the figures: rows left out, agents on one side only, a roster
    standing for several months."""
    notes = [_rows_note(derived)]
    if rosters is not None and rosters.reused is not None:
        notes.append(
            Note(
                "note.roster_reused",
                {"roster": rosters.reused, "period": derived.period.label, "months": derived.period.months},
            )
        )
    roster = ", ".join(rosters.files) if rosters is not None else ""
    for month in joined:
        if month.not_in_roster:
            notes.append(
                Note(
                    "metrics.not_in_roster",
                    {"roster": roster, "period": month.period.label, "agents": ", ".join(month.not_in_roster)},
                )
            )
        if month.without_rows:
            notes.append(
                Note("metrics.without_rows", {"period": month.period.label, "agents": ", ".join(month.without_rows)})
            )
    return notes
