"""Team metrics: a file of their own with one row per team, for a policy whose `teams.score` is
team_metrics. Its columns are the team column (the policy's agents.team) and each KPI's column, with
its min_volume and weight columns; cells are read as in a metrics file, in each KPI's unit."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from cspay.cells import UNIT_PARSERS, CellError, is_missing, parse_plain
from cspay.engine.types import AgentRow
from cspay.errors import MetricsError, Problems
from cspay.inputs.tables import locate, read_csv, width_problem
from cspay.policy.model import Policy


def read_team_metrics(path: Path, policy: Policy) -> dict[str, AgentRow]:
    """Each team's row, by team name (as an AgentRow whose id is the team); every bad cell at once."""
    team_column = policy.agents.team
    if team_column is None:
        raise MetricsError(f"{policy.path}: team metrics need agents.team, the column naming the team")
    file = read_csv(path)
    readers = _readers(policy)
    columns = locate(file, [team_column, *readers])
    problems = Problems()
    found: dict[str, AgentRow] = {}
    for line, cells in file.records:
        if problem := width_problem(file, line, cells):
            problems.add(problem)
            continue
        team = cells[columns[team_column]].strip()
        if not team:
            problems.add(f'{file.path}: row {line}, column "{team_column}": got "", expected a team')
            continue
        if team in found:
            problems.add(f"{file.path}: row {line}: team {team!r} is already on row {found[team].line}")
            continue
        row = AgentRow(line, team, "", source=str(file.path))
        for name, (code, read) in readers.items():
            text = cells[columns[name]]
            try:
                value = read(text)
            except CellError as error:
                problems.add(
                    f'{file.path}: row {line}, column "{name}": got "{text.strip()}", expected {error.expected}'
                )
                continue
            if code is not None:
                row.kpis[code] = value
            elif value is not None:
                row.numbers[name] = value
        found[team] = row
    problems.raise_if_any(MetricsError)
    return found


def _readers(policy: Policy) -> dict[str, tuple[str | None, Callable[[str], Decimal | None]]]:
    """Each column the file needs: a KPI's (code, its unit's reader), or a volume's (None, a count reader)."""
    readers: dict[str, tuple[str | None, Callable[[str], Decimal | None]]] = {}
    for code, kpi in policy.kpis.items():
        readers[kpi.column] = (code, _kpi(UNIT_PARSERS[kpi.unit], kpi.missing == "exclude"))
    for kpi in policy.kpis.values():
        for column in (kpi.min_volume.column if kpi.min_volume else None, kpi.weight_column):
            if column is not None and column not in readers:
                readers[column] = (None, _volume)
    return readers


def _kpi(parse: Callable[[str], Decimal], exclude_missing: bool) -> Callable[[str], Decimal | None]:
    def read(text: str) -> Decimal | None:
        if is_missing(text):
            if exclude_missing:
                return None
            raise CellError("a value (the KPI needs one, unless the policy says missing: exclude)")
        return parse(text)

    return read


def _volume(text: str) -> Decimal:
    if is_missing(text):
        raise CellError("a number (the cell is empty)")
    value = parse_plain(text)
    if value < 0:
        raise CellError("a number of at least 0")
    return value
