"""Paying from a raw per-call export: each month of the period derived, joined to its roster and read
like a monthly metrics file, then combined by the policy's rules as a period's monthly files are.

So a quarter paid from the export pays exactly what it pays from the three monthly files `cspay metrics`
derives from it: the policy's `aggregate` and `combine` say how months combine, whatever the input.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from cspay.engine.period import period_policy
from cspay.engine.spans import Change, Spans
from cspay.engine.types import AgentRow
from cspay.errors import MetricsError, UsageProblem
from cspay.inputs.combine import Month, combine, split_month
from cspay.inputs.exports import derive, months_of
from cspay.inputs.files import input_file
from cspay.inputs.roster import agent_rows, check_sources, export_notes, join_roster, read_rosters
from cspay.inputs.source import Source
from cspay.periods import Period
from cspay.policy.model import Policy


def open_export(
    policy: Policy,
    export: Path,
    period: Period | None,
    rosters: Sequence[Path],
    *,
    changes: Mapping[str, Sequence[Change]] | None = None,
    spans: Spans | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> Source:
    """The rows a run pays from a raw export and its roster(s) over the period: errors name the export's
    or the roster's file, row and column."""
    if policy.metrics is None:
        raise UsageProblem(
            "needs a policy with a metrics: section, which derives agent metrics from a raw export", "--roster"
        )
    if not rosters:
        raise UsageProblem(
            "the policy derives its metrics from a raw export; give the roster of the agents' roles and worked days",
            "--roster",
        )
    if period is None:
        raise UsageProblem(
            f"the policy derives its metrics from a raw export; give the period to pay, like {_example(policy)}",
            "--period",
        )
    files = [input_file("export", export), *(input_file("roster", path) for path in rosters)]
    derived = derive(policy.metrics, export, period, encoding=encoding, delimiter=delimiter)
    if derived.rows_outside == derived.rows_read:  # a wrong period, not a month nobody worked
        raise MetricsError(
            f"{derived.source}: none of its {derived.rows_read:,} rows is dated in {period.label} "
            f"({period.first} to {period.last}); check --period"
        )
    months = months_of(period)
    found = read_rosters(rosters, policy, period, months)
    for each in {id(each): each for each in found.months.values()}.values():
        check_sources(policy, each, derived.metrics)
    joined = [join_roster(table, found.months.get(table.period.label)) for table in derived.months]
    notes = export_notes(derived, joined, found)
    if len(months) == 1:
        roster = found.months.get(period.label)
        if roster is None:
            raise MetricsError(
                f"{', '.join(found.files)}: no roster row is for {period.label}; expected the agents of the month paid"
            )
        month_rows: Iterable[AgentRow] = agent_rows(policy, joined[0], roster.source)
        if changes or (spans is not None and len(spans) > 1):
            month_rows = split_month(month_rows, policy, period, changes or {}, spans)
        return Source(policy, policy, month_rows, period, files, notes)
    read = []
    for month, table in zip(joined, derived.months, strict=True):
        dated = found.months.get(table.period.label)
        rows = [] if dated is None else list(agent_rows(policy, month, dated.source))
        read.append(Month(dated.source if dated else str(export), rows, table.period))
    combined, combine_notes = combine(policy, [month for month in read if month.rows], changes, spans)
    return Source(policy, period_policy(policy), combined, period, files, notes + combine_notes)


def _example(policy: Policy) -> str:
    return {"month": "2021-01", "quarter": "2021-Q1"}.get(policy.period, "2021")
