"""Commands for before a new policy reaches agents: `compare` (what it costs, who gains or loses) and
`test` (does it still pay what its owners agreed on)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any

import typer

from cspay.cli.common import (
    ChangesOption,
    DelimiterOption,
    DerivedOption,
    EncodingOption,
    Inputs,
    InputsArgument,
    LangOption,
    ListFormat,
    MemoryOption,
    PeriodOption,
    RosterOption,
    TeamMetricsOption,
    ThreadsOption,
    app,
    console,
    delimiter_option,
    period_option,
    reports_errors,
    words_for,
)

if TYPE_CHECKING:  # csv and decimal load with the commands that use them: `cspay --help` needs neither
    from decimal import Decimal


def _limit(value: str | None, option: str) -> Decimal | None:
    from cspay.rollout.compare import parse_limit

    if value is None:
        return None
    try:
        return parse_limit(value)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint=option) from None


@app.command("compare")
@reports_errors
def compare_command(
    old: Annotated[Path, typer.Argument(help="Today's pay policy (YAML).")],
    new: Annotated[Path, typer.Argument(help="The proposed pay policy (YAML).")],
    metrics: InputsArgument = None,
    format: Annotated[
        ListFormat, typer.Option("--format", "-f", help="table, or csv / json for the per-agent table.")
    ] = ListFormat.table,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing output file.")] = False,
    max_increase: Annotated[
        str | None,
        typer.Option(
            "--max-increase", metavar="PERCENT", help="Exit 1 when total gross rises more than this, e.g. 3%."
        ),
    ] = None,
    max_decrease: Annotated[
        str | None,
        typer.Option(
            "--max-decrease", metavar="PERCENT", help="Exit 1 when total gross falls more than this, e.g. 3%."
        ),
    ] = None,
    period: PeriodOption = None,
    roster: RosterOption = None,
    changes: ChangesOption = None,
    team_metrics: TeamMetricsOption = None,
    encoding: EncodingOption = None,
    delimiter: DelimiterOption = None,
    lang: LangOption = None,
    derived: DerivedOption = None,
    memory_limit: MemoryOption = "1GB",
    threads: ThreadsOption = 2,
) -> None:
    """Run two policies on the same inputs: the cost, per role and team, who gains and who loses.

    Monthly policies compare each metrics file as its own month; quarterly and annual ones the period's
    files together; policies with a metrics: section the raw export with --roster and --period.

    Example: cspay compare policies/standard.yaml policies/standard-2027.yaml examples/standard-2026-11.csv
    """
    from cspay.outputs.files import atomic_output, check_target
    from cspay.policy.loader import load_policy
    from cspay.rollout.compare import compare, limit_problems

    limits = _limit(max_increase, "--max-increase"), _limit(max_decrease, "--max-decrease")
    delimiter = delimiter_option(delimiter)
    if format is ListFormat.table and output is not None:
        raise typer.BadParameter("--output needs --format csv or json", param_hint="--output")
    target = check_target(output, force)
    old_policy, new_policy = load_policy(old), load_policy(new)
    words = words_for(lang, new_policy if new_policy.locale or not old_policy.locale else old_policy)
    inputs = Inputs(metrics, period, roster, encoding, delimiter, derived, memory_limit, threads)
    if not metrics and derived is None:
        raise typer.BadParameter("give the metrics file(s), or --derived FILE", param_hint="METRICS...")
    comparison = compare(
        old_policy,
        new_policy,
        metrics or [],
        period_option(period),
        rosters=roster or (),
        changes_file=changes,
        team_metrics=team_metrics,
        encoding=encoding,
        delimiter=delimiter,
        derived=derived,
        engine=inputs.engine(),
    )
    if format is ListFormat.table:
        screen = console()
        from cspay.rollout.terminal_compare import comparison_tables

        for table in comparison_tables(comparison, words):
            screen.print(table)
    else:
        with atomic_output(target, force=force) as handle:
            _write(handle, comparison, format)
        if target is not None:
            typer.echo(words("compare.wrote", count=len(comparison.changes), path=target), err=True)
    problems = [  # each currency's move on its own: a limit never weighs yen against yuan
        problem for total in comparison.totals() for problem in limit_problems(total, new_policy.currency, *limits)
    ]
    for problem in problems:
        typer.echo(f"Error: {problem}", err=True)
    if problems:
        raise typer.Exit(1)


def _write(handle: IO[str], comparison: Any, format: ListFormat) -> None:
    from cspay.outputs.text import inert
    from cspay.rollout.compare import agent_columns, agent_rows, comparison_data

    if format is ListFormat.json:
        handle.write(json.dumps(comparison_data(comparison), ensure_ascii=False, indent=1) + "\n")
        return
    text = {"month", "agent_id", "name", "role", "team", "old_grade", "new_grade"}
    import csv

    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(agent_columns(comparison))
    for row in agent_rows(comparison):
        writer.writerow([inert(value or "") if key in text else value for key, value in row.items()])


@app.command("test")
@reports_errors
def test_command(
    cases: Annotated[list[Path], typer.Argument(help="Case files (YAML), or folders of *.cases.yaml files.")],
    update: Annotated[
        bool,
        typer.Option(
            "--update", help="Rewrite the expected values that differ with the actual ones, keeping comments and order."
        ),
    ] = False,
    lang: Annotated[str | None, typer.Option("--lang", help="Language of cspay's own words: en or zh.")] = None,
) -> None:
    """Run policy test cases: each case's row through the metrics parser and the engine, checked against
    the pay it expects. Exit 1 when any case fails.

    Example: cspay test policies/cases/
    """
    from cspay.rollout.cases import run_cases, update_expected

    files = run_cases(cases)
    words = words_for(lang)
    failed = _print_cases(files, words, update)
    if update:
        for case_file in files:
            count = update_expected(case_file)
            if count:
                typer.echo(words("test.rewrote", count=count, path=case_file.path))
    errors = _case_summary(files, failed, words, update)
    for line in errors:
        typer.echo(f"Error: {line}", err=True)
    if errors or (failed and not update):
        raise typer.Exit(1)


def _print_cases(files: list[Any], words: Any, update: bool) -> int:
    """The table of cases, then the values that differ; the number of cases that failed."""
    from cspay.rollout.terminal_cases import failures_table, results_table

    results = [result for case_file in files for result in case_file.results]
    failed = sum(result.error is None and not result.passed for result in results)
    screen = console()
    if results:
        screen.print(results_table(files, words, updated=update))
    if failed:
        screen.print(failures_table(files, words))
    return failed


def _case_summary(files: list[Any], failed: int, words: Any, update: bool) -> list[str]:
    """Print how many cases passed, failed or could not run; the problems to report as errors."""
    results = [result for case_file in files for result in case_file.results]
    broken = [result.error for result in results if result.error is not None]
    unreadable = [case_file for case_file in files if case_file.errors]
    summary = "test.summary_updated" if update else "test.summary"
    typer.echo(words(summary, passed=sum(r.passed for r in results), failed=failed, errors=len(broken)))
    if unreadable:
        typer.echo(words("test.unreadable", count=len(unreadable)))
    return [line for case_file in unreadable for line in case_file.errors] + broken
