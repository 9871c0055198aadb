"""Resolving a command's inputs in one place: one metrics file, a period's monthly files or a folder of
them, or a raw export with its roster(s); every command that pays reads its inputs here."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from cspay.engine.period import period_policy
from cspay.engine.types import AgentRow
from cspay.errors import MetricsError, UsageProblem
from cspay.inputs.files import input_file
from cspay.inputs.joined import open_joined
from cspay.inputs.months import metric_files, open_period
from cspay.inputs.opening import read_opening
from cspay.inputs.raw import open_export
from cspay.inputs.source import Source, check_period
from cspay.periods import Period, parse_period
from cspay.policy.model import Policy
from cspay.policy.packs import combine_packs


def open_inputs(
    policy: Policy,
    paths: Sequence[str | Path],
    period: Period | str | None = None,
    *,
    rosters: Sequence[str | Path] = (),
    opening: str | Path | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> Source:
    """The rows the policy pays from these files for the period.

    A policy with a `metrics:` section reads one raw export with its roster(s); other policies read one
    metrics file for a month (with its roster's columns, when given one), or a quarter's or year's monthly
    files (or a folder of them). `opening` names the opening balances of a policy that withholds income tax
    cumulatively. UsageProblem (exit 2) for a combination the policy cannot pay.
    """
    files, roster_files = [Path(path) for path in paths], [Path(path) for path in rosters]
    period = check_period(policy, parse_period(period) if isinstance(period, str) else period)
    if policy.metrics is not None:
        if len(files) != 1:
            raise UsageProblem(
                f"the policy {policy.path} derives its metrics from one raw export; got {len(files)} files", "METRICS"
            )
        source = open_export(policy, files[0], period, roster_files, encoding=encoding, delimiter=delimiter)
    elif rosters:
        source = open_joined(
            policy, metric_files(files, policy), period, roster_files, encoding=encoding, delimiter=delimiter
        )
    else:
        source = open_period(policy, metric_files(files, policy), period, encoding=encoding, delimiter=delimiter)
    if opening is not None:
        with_opening(source, Path(opening))
    return source


def rows_source(policy: Policy, rows: Iterable[AgentRow], period: Period | None = None) -> Source:
    """Rows already read (a notebook's, a test case's) as a run's source, paid by the period's rules."""
    return Source(policy, period_policy(policy), rows, period, [])


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
