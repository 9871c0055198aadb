"""Resolving a command's inputs in one place: one metrics file, a period's monthly files or a folder of
them, or a raw export with its roster(s); every command that pays reads its inputs here."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path

from cspay.cells import id_key
from cspay.engine.period import period_policy
from cspay.engine.spans import Change, Spans
from cspay.engine.types import AgentRow
from cspay.errors import MetricsError, UsageProblem
from cspay.i18n import Note
from cspay.inputs.changes import read_changes
from cspay.inputs.combine import split_month
from cspay.inputs.files import input_file
from cspay.inputs.joined import open_joined
from cspay.inputs.months import metric_files, open_period
from cspay.inputs.opening import read_opening
from cspay.inputs.raw import open_export
from cspay.inputs.source import Source, check_period
from cspay.inputs.sql_engine import EngineSettings
from cspay.inputs.team_metrics import read_team_metrics
from cspay.periods import EXAMPLES, Period, parse_period
from cspay.policy.model import Policy
from cspay.policy.packs import combine_packs
from cspay.policy.timeline import Version, timeline_of


def open_inputs(
    policy: Policy,
    paths: Sequence[str | Path],
    period: Period | str | None = None,
    *,
    rosters: Sequence[str | Path] = (),
    opening: str | Path | None = None,
    changes: str | Path | None = None,
    team_metrics: str | Path | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    derived: str | Path | None = None,
    engine: EngineSettings | None = None,
) -> Source:
    """The rows the policy pays from these files for the period.

    A policy with a `metrics:` section reads one raw export with its roster(s), or instead of the export
    the file of its `derived` metrics made elsewhere (`cspay metrics --sql` run in a warehouse); other
    policies read one metrics file for a month (with its roster's columns, when given one), or a quarter's
    or year's monthly files (or a folder of them). `engine` bounds the embedded engine that reads an
    export. A changes file splits agents' periods where their role or team changed; team metrics give a
    policy whose `teams.score` is team_metrics its teams' figures. A dated policy pays each part of the
    period by the values in force. `opening` names the opening balances of a policy that withholds income
    tax cumulatively. UsageProblem (exit 2) for a combination the policy cannot pay.
    """
    files, roster_files = [Path(path) for path in paths], [Path(path) for path in rosters]
    period = check_period(policy, parse_period(period) if isinstance(period, str) else period)
    versions = _versions(policy, period, changes)
    effective = versions[-1].policy  # the policy as in force at the period's end; earlier parts keep theirs
    found = {} if changes is None or period is None else read_changes(Path(changes), effective, period)
    spans = _spans(versions)
    if derived is not None or effective.metrics is not None:
        if derived is not None:
            if effective.metrics is None:
                raise UsageProblem(f"needs a policy with a metrics: section; {policy.path} has none", "--derived")
            if files:
                raise UsageProblem(
                    "gives the derived metrics in place of the raw export: leave METRICS out", "--derived"
                )
            export = Path(derived)
        elif len(files) != 1:
            raise UsageProblem(
                f"the policy {policy.path} derives its metrics from one raw export; got {len(files)} files", "METRICS"
            )
        else:
            export = files[0]
        source = open_export(
            effective,
            export,
            period,
            roster_files,
            changes=found,
            spans=spans,
            encoding=encoding,
            delimiter=delimiter,
            derived=derived is not None,
            engine=engine,
        )
    elif rosters:
        source = open_joined(
            effective,
            metric_files(files, effective),
            period,
            roster_files,
            changes=found,
            spans=spans,
            encoding=encoding,
            delimiter=delimiter,
        )
    else:
        months = metric_files(files, effective)
        source = open_period(
            effective, months, period, changes=found, spans=spans, encoding=encoding, delimiter=delimiter
        )
    if spans:
        source.role_versions = [period_policy(version.policy).roles for version in versions]
        source.notes.append(_versions_note(policy, versions))
    if changes is not None:
        source.files.append(input_file("roster", Path(changes)))
        source.changes_file = str(changes)
        if found:
            source.notes.append(_changes_note(Path(changes), found, period))
            source.rows = _matching(source.rows, found, source.unmatched_changes)
    if opening is not None:
        with_opening(source, Path(opening))
    return _with_team_metrics(source, team_metrics)


def _spans(versions: list[Version]) -> Spans | None:
    """The days of each version in force over the period, and for each role which versions pay it alike."""
    if len(versions) < 2:
        return None
    days = tuple((version.first, version.last or date.max) for version in versions)
    alike = {}
    for role in versions[-1].policy.roles:
        amounts = [version.policy.roles[role] for version in versions]
        alike[role] = tuple(amounts.index(amount) for amount in amounts)
    return Spans(days, alike)


def _versions(policy: Policy, period: Period | None, changes: str | Path | None) -> list[Version]:
    """The versions of the policy in force over the period; a dated policy, or a changes file, needs one."""
    if period is None and (policy.versions or changes is not None):
        why = "its values change on dates" if policy.versions else "a changes file dates its rows"
        raise UsageProblem(
            f"the policy {policy.path}: {why}; give the period paid, like {EXAMPLES[policy.period]}", "--period"
        )
    if period is None:
        return policy.in_force(date.min, date.max)
    try:
        return policy.in_force(period.first, period.last)
    except ValueError as error:
        raise UsageProblem(f"{period.label}: {error}", "--period") from None


def _with_team_metrics(source: Source, path: str | Path | None) -> Source:
    """The source with its teams' figures, when the policy's teams are scored on team metrics."""
    teams = source.policy.teams
    wanted = teams is not None and teams.score == "team_metrics" and source.policy.pays_teams
    if wanted and path is None:
        raise UsageProblem(
            f"the policy {source.policy.path} scores teams on team metrics (teams.score: team_metrics); give the "
            f"file of them",
            "--team-metrics",
        )
    if path is not None and not wanted:
        raise UsageProblem(
            f"the policy {source.policy.path} does not score teams on team metrics (teams.score: team_metrics)",
            "--team-metrics",
        )
    if path is not None:
        source.team_rows = read_team_metrics(Path(path), source.policy)
        source.team_source = str(path)
        source.files.append(input_file("metrics", Path(path)))
    return source


def _versions_note(policy: Policy, versions: list[Version]) -> Note:
    """Which of the policy's dated values change within the period, and on which days."""
    changed = [
        f"{day}: " + ", ".join(f"{key} {old} → {new}" for key, old, new in items)
        for day, items in timeline_of(policy.versions, policy.timelines)
        if versions[0].first < day <= versions[-1].first
    ]
    return Note("note.values_change", {"changes": "; ".join(changed)})


def _matching(
    rows: Iterable[AgentRow], changes: Mapping[str, Sequence[Change]], unmatched: list[str]
) -> Iterator[AgentRow]:
    """The rows as they stream; after the last, the agents the changes name who had no row go in
    `unmatched`, so the run says their changes paid nothing rather than passing over them."""
    seen = set()
    for row in rows:
        seen.add(id_key(row.agent_id))
        yield row
    unmatched.extend(agent for agent in changes if id_key(agent) not in seen)


def _changes_note(path: Path, found: dict[str, list[Change]], period: Period | None) -> Note:
    agents = list(found)
    shown = ", ".join(agents[:5]) + (f" … ({len(agents)})" if len(agents) > 5 else "")
    label = period.label if period is not None else ""
    return Note("note.changes", {"file": str(path), "period": label, "agents": shown})


def rows_source(policy: Policy, rows: Iterable[AgentRow], period: Period | None = None) -> Source:
    """Rows already read (a notebook's, a test case's) as a run's source, paid by the period's rules and, for
    a policy whose values change on dates, by those in force in the period: a month's rows are paid in parts
    when its role amounts change within it; a quarter's or year's rows cannot be (their months are gone),
    so UsageProblem (open their files with open_inputs)."""
    versions = _versions(policy, period, None)
    effective = versions[-1].policy
    spans = _spans(versions)
    if spans is None:
        return Source(effective, period_policy(effective), rows, period, [])
    assert period is not None  # several versions are in force only over a period
    if period.kind != "month":
        raise UsageProblem(
            f"the policy {policy.path}: its role amounts change within {period.label}; pay it from its monthly "
            f"files (open_inputs), which pay each month by the amounts in force",
            "--period",
        )
    source = Source(effective, effective, split_month(rows, effective, period, {}, spans), period, [])
    source.role_versions = [version.policy.roles for version in versions]
    return source


def with_opening(source: Source, path: Path) -> None:
    """Give a source the opening balances of a policy that withholds income tax cumulatively: the year to
    date of a month of the same year before the one paid."""
    policy, period = source.applied, source.period
    deductions = policy.deductions
    tax = combine_packs(deductions.loaded).income_tax if deductions is not None else None
    if tax is None or tax[1].method != "cumulative" or policy.period != "month":
        raise UsageProblem(
            f"opening balances are the year to date of income tax withheld cumulatively; the policy {policy.path} "
            f"withholds none that way",
            "--opening",
        )
    balances = read_opening(path, policy.agents.id)
    through = balances.through
    if period is not None and not (through.first.year == period.first.year and through.first < period.first):
        raise MetricsError(
            f"{path}: runs through {through.label}; expected a month of {period.first.year} before {period.label}, "
            f"the month paid"
        )
    source.opening = balances
    source.files.append(input_file("opening", path))
