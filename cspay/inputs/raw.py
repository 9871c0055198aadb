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
from cspay.inputs.collector import collector_paused
from cspay.inputs.combine import Month, combine, split_month
from cspay.inputs.derived_file import read_derived
from cspay.inputs.exports import Derived, derive
from cspay.inputs.files import InputFile, input_file
from cspay.inputs.roster import agent_rows, check_sources, export_notes, join_roster, read_metrics, read_rosters
from cspay.inputs.source import Source
from cspay.inputs.sql_engine import EngineSettings
from cspay.periods import Period, months_of
from cspay.policy.metrics_spec import MetricsSpec
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
    derived: bool = False,
    engine: EngineSettings | None = None,
) -> Source:
    """The rows a run pays from a raw export (or, with `derived`, a file of its derived metrics made
    elsewhere) and its roster(s) over the period: errors name the file's or the roster's row and column.
    `changes` and `spans` split an agent's period where a role, team or policy value changed within it."""
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
    files = [input_file("derived" if derived else "export", export), *(input_file("roster", path) for path in rosters)]
    split = Split(changes or {}, spans)
    with collector_paused():
        return _source(policy, policy.metrics, export, period, rosters, files, encoding, delimiter, derived, engine,
                       split)  # fmt: skip


class Split:
    """Where agents' periods are split: their changes of role or team, and the policy's dated values."""

    def __init__(self, changes: Mapping[str, Sequence[Change]], spans: Spans | None) -> None:
        self.changes, self.spans = changes, spans

    def __bool__(self) -> bool:
        return bool(self.changes) or (self.spans is not None and len(self.spans) > 1)


def _source(policy: Policy, spec: MetricsSpec, export: Path, period: Period, rosters: Sequence[Path],
            files: list[InputFile], encoding: str | None, delimiter: str | None, derived: bool,
            engine: EngineSettings | None, split: Split) -> Source:  # fmt: skip
    """The export's (or derived file's) figures joined to the rosters month by month, as the run's source."""
    figures = _figures(spec, export, period, encoding, delimiter, derived, engine)
    months = months_of(period)
    found = read_rosters(rosters, policy, period, months)
    for each in {id(each): each for each in found.months.values()}.values():
        check_sources(policy, each, figures.metrics)
    wanted = read_metrics(policy, figures.metrics)
    joined = [join_roster(table, found.months.get(table.period.label), read=wanted) for table in figures.months]
    notes = export_notes(figures, joined, found)
    if len(months) == 1:
        roster = found.months.get(period.label)
        if roster is None:
            raise MetricsError(
                f"{', '.join(found.files)}: no roster row is for {period.label}; expected the agents of the month paid"
            )
        month_rows: Iterable[AgentRow] = agent_rows(policy, joined[0], roster.source)
        if split:
            month_rows = split_month(month_rows, policy, period, split.changes, split.spans)
        return Source(policy, policy, month_rows, period, files, notes)
    read = []
    for month, table in zip(joined, figures.months, strict=True):
        dated = found.months.get(table.period.label)
        rows = [] if dated is None else list(agent_rows(policy, month, dated.source))
        read.append(Month(dated.source if dated else str(export), rows, table.period))
    combined, combine_notes = combine(policy, [month for month in read if month.rows], split.changes, split.spans)
    return Source(policy, period_policy(policy), combined, period, files, notes + combine_notes)


def _figures(spec: MetricsSpec, path: Path, period: Period, encoding: str | None, delimiter: str | None,
             derived: bool, engine: EngineSettings | None) -> Derived:  # fmt: skip
    """The period's figures, derived from the export or read from a file of derived metrics; a period
    the file has nothing for is a mistake in --period, reported once, not per agent."""
    if derived:
        figures = read_derived(spec, path, period, encoding=encoding, delimiter=delimiter, engine=engine)
        if not any(table.agents for table in figures.months):
            raise MetricsError(f"{figures.source}: has no figures for {period.label}; check --period")
        return figures
    figures = derive(spec, path, period, encoding=encoding, delimiter=delimiter, engine=engine)
    if figures.rows_outside == figures.rows_read:
        raise MetricsError(
            f"{figures.source}: none of its {figures.rows_read:,} rows is dated in {period.label} "
            f"({period.first} to {period.last}); check --period"
        )
    return figures


def _example(policy: Policy) -> str:
    return {"month": "2021-01", "quarter": "2021-Q1"}.get(policy.period, "2021")
