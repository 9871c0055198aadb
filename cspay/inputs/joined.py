"""A month's metrics file with its roster: each agent's row gets the roster's columns the metrics file
lacks (a contribution base, special deductions …), found by agent id."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from cspay.cells import id_key
from cspay.engine.spans import Change, Spans
from cspay.engine.types import AgentRow
from cspay.errors import MetricsError, Problems, UsageProblem
from cspay.inputs.combine import split_month
from cspay.inputs.files import input_file
from cspay.inputs.metrics import Extra, MetricsReader, find_header
from cspay.inputs.months import MonthCheck, checked_rows
from cspay.inputs.roster import Roster, read_roster, read_rosters
from cspay.inputs.source import Source
from cspay.periods import Period
from cspay.policy.model import Policy


def open_joined(
    policy: Policy,
    files: Sequence[Path],
    period: Period | None,
    rosters: Sequence[Path],
    *,
    changes: Mapping[str, Sequence[Change]] | None = None,
    spans: Spans | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> Source:
    """One month's metrics rows, each with its agent's roster columns, as they stream; each agent's month
    split into parts by `changes` and the `spans` of the policy's role amounts."""
    if policy.period != "month" or len(files) != 1:
        raise UsageProblem(
            f"a roster adds columns to one month's metrics file; the policy {policy.path} pays a "
            f"{policy.period} from {len(files)} file(s): put the columns in the monthly files",
            "--roster",
        )
    roster = _month_roster(policy, rosters, period)
    lines = {id_key(agent): cells for agent, (_, cells) in roster.lines.items()}
    extra = Extra(roster.source, roster.header, lines)
    reader = MetricsReader(files[0], policy, encoding=encoding, delimiter=delimiter, extra=extra)
    rows: Iterable[AgentRow] = reader
    if policy.agents.period is not None and find_header(reader.header, policy.agents.period):
        rows = checked_rows(rows, MonthCheck(str(files[0]), policy.agents.period, period, Problems()))
    if period is not None and (changes or (spans is not None and len(spans) > 1)):
        rows = split_month(rows, policy, period, changes or {}, spans)
    provenance = [input_file("metrics", files[0]), *(input_file("roster", path) for path in rosters)]
    return Source(policy, policy, rows, period, provenance)


def _month_roster(policy: Policy, paths: Sequence[Path], period: Period | None) -> Roster:
    """The roster of the month paid: the rows of its month when the roster names months, else every row."""
    if period is not None:
        found = read_rosters(paths, policy, period, [period])
        roster = found.months.get(period.label)
        if roster is None:
            raise MetricsError(
                f"{', '.join(found.files)}: no roster row is for {period.label}; expected the agents of the month paid"
            )
        return roster
    if len(paths) > 1:
        raise UsageProblem("several rosters each name their month: give --period", "--period")
    roster = read_roster(paths[0], policy.agents.id)
    if policy.agents.period is not None and find_header(roster.header, policy.agents.period):
        raise UsageProblem(f"{paths[0]}: the roster names months in {policy.agents.period}: give --period", "--period")
    return roster
