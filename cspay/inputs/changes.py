"""A changes file: the days within a period on which agents held another role or team than their metrics
row says, one row per agent per stretch of days:

    agent_id,from,to,role,team
    A018,2026-11-16,,L2,
    A031,2026-11-10,2026-11-20,,South

`from` and `to` are the first and last day (an empty `to`: to the end of the period); an empty role or team
keeps the metrics row's. Rows outside the period are left out; one agent's rows may not overlap. An id is
matched as a person reads it (cspay.cells.id_key): `a018` and `Ａ018` are agent A018.
"""

from __future__ import annotations

import itertools
from datetime import date
from pathlib import Path

from cspay.cells import id_key
from cspay.engine.spans import Change
from cspay.errors import MetricsError, Problems
from cspay.inputs.tables import locate, read_csv, width_problem
from cspay.periods import Period, read_date_cell
from cspay.policy.model import Policy


def read_changes(path: Path, policy: Policy, period: Period) -> dict[str, list[Change]]:
    """Each agent's changes that fall in the period, in date order, by the id as first written; every bad cell
    reported at once."""
    agents = policy.agents
    file = read_csv(path)
    wanted = {"id": agents.id, "from": agents.from_, "to": agents.to, "role": agents.role}
    if agents.team is not None:
        wanted["team"] = agents.team
    columns = locate(file, list(wanted.values()))
    index = {key: columns[name] for key, name in wanted.items()}
    problems = Problems()
    found: dict[str, list[Change]] = {}
    spelled: dict[str, str] = {}  # each agent's id as first written, by what a person reads it as
    for line, cells in file.records:
        if problem := width_problem(file, line, cells):
            problems.add(problem)
            continue
        cell = {key: cells[at].strip() for key, at in index.items()}
        change = _change(file.path, line, cell, wanted, policy, problems)
        if change is not None and change.first <= period.last and (change.last is None or change.last >= period.first):
            found.setdefault(spelled.setdefault(id_key(cell["id"]), cell["id"]), []).append(change)
    for agent, changes in found.items():
        changes.sort(key=lambda change: change.first)
        for before, after in itertools.pairwise(changes):
            if before.last is None or after.first <= before.last:
                problems.add(
                    f"{file.path}: row {after.line}: agent {agent!r} from {after.first} overlaps row {before.line} "
                    f"({before.first} to {before.last or 'the end of the period'}); expected one row per stretch "
                    f"of days"
                )
    problems.raise_if_any(MetricsError)
    return found


def _change(
    path: Path, line: int, cell: dict[str, str], wanted: dict[str, str], policy: Policy, problems: Problems
) -> Change | None:
    """One row read, or None with its problems recorded."""
    where = f"{path}: row {line}"
    ok = True
    if not cell["id"]:
        problems.add(f'{where}, column "{wanted["id"]}": got "", expected an agent id')
        ok = False
    days: dict[str, date | None] = {}
    for key in ("from", "to"):
        text = cell[key]
        if key == "to" and not text:
            days[key] = None
            continue
        try:
            days[key] = read_date_cell(text)
        except ValueError as error:
            problems.add(f'{where}, column "{wanted[key]}": got "{text}", expected {error}')
            ok = False
    role = cell["role"]
    if role and role not in policy.roles:
        problems.add(f'{where}, column "{wanted["role"]}": unknown role "{role}", expected one of '
                     f"{', '.join(policy.roles)} (or nothing, to keep the metrics row's)")  # fmt: skip
        ok = False
    first, last = days.get("from"), days.get("to")
    if ok and first is not None and last is not None and last < first:
        problems.add(f'{where}, column "{wanted["to"]}": got "{cell["to"]}", expected a day on or after {first}')
        ok = False
    if not ok or first is None:
        return None
    return Change(first, last, role, cell.get("team", ""), line)
