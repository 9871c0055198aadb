"""Resolving a command's inputs in one place: one metrics file, a period's monthly files or a folder of
them, or a raw export with its roster(s); every command that pays reads its inputs here."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from cspay.engine.period import period_policy
from cspay.engine.types import AgentRow
from cspay.errors import UsageProblem
from cspay.inputs.months import metric_files, open_period
from cspay.inputs.raw import open_export
from cspay.inputs.source import Source, check_period
from cspay.inputs.sql_engine import EngineSettings
from cspay.periods import Period, parse_period
from cspay.policy.model import Policy


def open_inputs(
    policy: Policy,
    paths: Sequence[str | Path],
    period: Period | str | None = None,
    *,
    rosters: Sequence[str | Path] = (),
    encoding: str | None = None,
    delimiter: str | None = None,
    derived: str | Path | None = None,
    engine: EngineSettings | None = None,
) -> Source:
    """The rows the policy pays from these files for the period.

    A policy with a `metrics:` section reads one raw export with its roster(s), or instead of the export
    the file of its `derived` metrics made elsewhere (`cspay metrics --sql` run in a warehouse); other
    policies read one metrics file for a month, or a quarter's or year's monthly files (or a folder of
    them). `engine` bounds the embedded engine that reads an export. UsageProblem (exit 2) for a
    combination the policy cannot pay.
    """
    files, roster_files = [Path(path) for path in paths], [Path(path) for path in rosters]
    period = check_period(policy, parse_period(period) if isinstance(period, str) else period)
    if derived is not None:
        if policy.metrics is None:
            raise UsageProblem(f"needs a policy with a metrics: section; {policy.path} has none", "--derived")
        if files:
            raise UsageProblem("gives the derived metrics in place of the raw export: leave METRICS out", "--derived")
        return open_export(policy, Path(derived), period, roster_files, encoding=encoding, delimiter=delimiter,
                           derived=True, engine=engine)  # fmt: skip
    if policy.metrics is not None or rosters:
        if len(files) != 1:
            raise UsageProblem(
                f"the policy {policy.path} derives its metrics from one raw export; got {len(files)} files", "METRICS"
            )
        return open_export(policy, files[0], period, roster_files, encoding=encoding, delimiter=delimiter,
                           engine=engine)  # fmt: skip
    return open_period(policy, metric_files(files, policy), period, encoding=encoding, delimiter=delimiter)


def rows_source(policy: Policy, rows: Iterable[AgentRow], period: Period | None = None) -> Source:
    """Rows already read (a notebook's, a test case's) as a run's source, paid by the period's rules."""
    return Source(policy, period_policy(policy), rows, period, [])
