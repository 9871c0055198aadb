"""`cspay compute`: the month-end job, in every output format, with the ledger when asked."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cspay.cli.common import (
    ChangesOption,
    DelimiterOption,
    EncodingOption,
    Format,
    InputsArgument,
    LangOption,
    LogFormat,
    PeriodOption,
    PolicyArgument,
    RosterOption,
    TeamMetricsOption,
    app,
    console,
    ledger_read,
    open_source,
    print_notes,
    reports_errors,
    words_for,
)

if TYPE_CHECKING:
    from cspay.i18n import Words
    from cspay.run.pay import PayRun
    from cspay.run.record import Recorded

DEFAULT_LEDGER = "cspay.db"


@app.command()
@reports_errors
def compute(
    policy: PolicyArgument,
    metrics: InputsArgument,
    format: Annotated[Format, typer.Option("--format", "-f", help="table, csv, json or xlsx.")] = Format.table,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing output file.")] = False,
    encoding: EncodingOption = None,
    delimiter: DelimiterOption = None,
    lang: LangOption = None,
    period: PeriodOption = None,
    roster: RosterOption = None,
    changes: ChangesOption = None,
    team_metrics: TeamMetricsOption = None,
    record: Annotated[
        bool,
        typer.Option("--record", help="Record the run in the ledger as a new version of the period (needs --period)."),
    ] = False,
    ledger: Annotated[
        Path | None,
        typer.Option("--ledger", envvar="CSPAY_LEDGER", help="The ledger file (default with --record: cspay.db here)."),
    ] = None,
    correction: Annotated[
        bool,
        typer.Option(
            "--correction", help="Record a closed period's corrected run; the differences are paid in the next period."
        ),
    ] = False,
    quiet: Annotated[
        bool,
        typer.Option("--quiet", "-q", help="Print nothing on success (data asked for on stdout is still written)."),
    ] = False,
    log_format: Annotated[
        LogFormat, typer.Option("--log-format", help="text, or json: one summary line on stderr for logs.")
    ] = LogFormat.text,
    bom: Annotated[
        bool,
        typer.Option(
            "--bom",
            help="Start the CSV with a UTF-8 byte-order mark, so Excel (Chinese Windows too) opens it as UTF-8.",
        ),
    ] = False,
) -> None:
    """Compute every agent's payslip for the month (or the quarter or year of a quarterly or annual policy).

    Example: cspay compute policies/standard.yaml examples/standard-2026-11.csv

    Example: cspay compute policies/standard.yaml examples/standard-2026-11.csv --format xlsx --output pay.xlsx
    """
    from cspay.ledger.book import check_ledger_path
    from cspay.outputs.files import atomic_output, check_target
    from cspay.policy.loader import load_policy
    from cspay.run.locks import locked
    from cspay.run.pay import pay
    from cspay.run.record import record as record_run

    started = time.monotonic()
    _check_options(format, output, bom, record, correction, period)
    ledger = ledger or (Path(DEFAULT_LEDGER) if record else None)
    target = check_target(output, force)
    if record and ledger is not None:
        check_ledger_path(ledger)  # before the lock file is made beside it
    with locked([ledger if record else None, target]):
        loaded = load_policy(policy)
        words = words_for(lang, loaded)
        source = open_source(
            loaded, metrics, period, roster, encoding, delimiter, changes=changes, team_metrics=team_metrics
        )
        print_notes(source, words, quiet)
        run = pay(source, ledger=ledger_read(ledger, source.period is not None, created=record))
        recorded = None
        with _progress(run, words) as advance:
            if format is Format.table:
                if not quiet:
                    _print_period_heading(run, words)
                    _print_run(run, words, advance)
                else:
                    run.payslips = list(run.payslips)
                if record and ledger is not None:
                    recorded = record_run(run, ledger, correction=correction)
            else:
                with atomic_output(target, force=force, binary=format is Format.xlsx) as handle:
                    _write(handle, format, run, words, bom, advance)
                    if record and ledger is not None:  # recorded before the file is renamed into place
                        recorded = record_run(run, ledger, correction=correction)
    _report(run, words, policy, target, recorded, quiet, log_format is LogFormat.json, started)


def _check_options(
    format: Format, output: Path | None, bom: bool, record: bool, correction: bool, period: str | None
) -> None:
    """Usage errors (exit 2) among compute's options, before any file is read."""
    from cspay.outputs.files import is_stdout

    if format is Format.table and output is not None:
        raise typer.BadParameter("--output needs --format csv, json or xlsx", param_hint="--output")
    if bom and format is not Format.csv:
        raise typer.BadParameter("--bom applies to --format csv", param_hint="--bom")
    if format is Format.xlsx and is_stdout(output):
        raise typer.BadParameter(
            "--format xlsx needs --output FILE; a workbook is not shown in a terminal", param_hint="--output"
        )
    if record and period is None:
        raise typer.BadParameter("needs --period, e.g. --period 2026-11", param_hint="--record")
    if correction and not record:
        raise typer.BadParameter("needs --record: a correction is recorded in the ledger", param_hint="--correction")


def _write(handle: Any, format: Format, run: PayRun, words: Words, bom: bool, advance: Any) -> None:
    """The run as CSV, JSON or a workbook, payslip by payslip (CSV: in batches when the run allows)."""
    from cspay.outputs.runs import write_run_csv, write_run_json
    from cspay.outputs.terminal_progress import advancing

    if format is Format.csv:
        handle.write("\ufeff" if bom else "")
        write_run_csv(handle, run, advance)
        return
    run.payslips = advancing(run.payslips, advance)
    if format is Format.xlsx:
        from cspay.outputs.workbook import write_run_workbook

        write_run_workbook(handle, run, words)
    else:
        write_run_json(handle, run)


@contextmanager
def _progress(run: PayRun, words: Words) -> Iterator[Any]:
    """A progress bar for one month's file read as it streams, when a person watches stderr."""
    reader = run.source.reader
    if reader is None:
        yield None
        return
    from cspay.outputs.terminal_progress import progress_bar

    with progress_bar(reader, words) as advance:
        yield advance


def _print_period_heading(run: PayRun, words: Words) -> None:
    """Which period a quarterly or annual run pays, from which files; monthly runs print none."""
    policy = run.policy
    if policy.period == "month":
        return
    label = run.period.label if run.period else words(f"period.{policy.period}")
    files = [item.path for item in run.inputs if item.kind == "metrics"]
    if files:
        typer.echo(words("period.heading", period=label, count=len(files), files=", ".join(files)))
        return
    export = next(item.path for item in run.inputs if item.kind == "export")
    rosters = ", ".join(item.path for item in run.inputs if item.kind == "roster")
    typer.echo(words("period.heading_export", period=label, export=export, rosters=rosters))


def _print_run(run: PayRun, words: Words, advance: Any) -> None:
    from cspay.outputs.terminal import payslip_table, summary_table, teams_tables
    from cspay.outputs.terminal_progress import advancing

    screen = console()
    run.payslips = list(advancing(run.payslips, advance))
    screen.print(payslip_table(run.applied, run.payslips, words, run.triggered))
    screen.print(summary_table(run.policy, run.summary, words))
    if run.engine.teams is not None:
        for table in teams_tables(run.applied, run.engine.teams, words):
            screen.print(table)


def _report(
    run: PayRun,
    words: Words,
    policy_path: Path,
    output: Path | None,
    recorded: Recorded | None,
    quiet: bool,
    log_json: bool,
    started: float,
) -> None:
    """Tell what the run did: sentences on stderr, one JSON line with --log-format json, or nothing."""
    if log_json:
        record = _log_record(run, policy_path, output, recorded, started)
        typer.echo(json.dumps(record, ensure_ascii=False), err=True)
        return
    if quiet:
        return
    policy, summary, money = run.policy, run.summary, words.money
    if policy.actions and run.triggered is None:
        typer.echo(words("compute.not_evaluated", actions=", ".join(policy.actions)), err=True)
    for item in run.still_pending:
        typer.echo(
            words(
                "compute.still_pending",
                agent=item.agent_id,
                period=item.period,
                amount=money(item.amount, policy.currency),
            ),
            err=True,
        )
    if output is not None:
        typer.echo(
            words("compute.wrote", count=summary.headcount, path=output, gross=money(summary.gross, policy.currency)),
            err=True,
        )
    if recorded is not None:
        typer.echo(
            words("compute.recorded", period=recorded.run.period, version=recorded.run.version, ledger=run.ledger),
            err=True,
        )
        if recorded.run.kind == "correction":
            from decimal import Decimal

            differences = recorded.differences
            agents = len({item.agent_id for item in differences})
            total = sum((item.amount for item in differences), Decimal(0))
            typer.echo(
                words("compute.corrected", count=len(differences), agents=agents, total=money(total, policy.currency)),
                err=True,
            )


def _log_record(
    run: PayRun, policy_path: Path, output: Path | None, recorded: Recorded | None, started: float
) -> dict[str, Any]:
    policy, summary = run.policy, run.summary
    counts: dict[str, int] = {}
    for actions in (run.triggered or {}).values():
        for action in actions:
            counts[action] = counts.get(action, 0) + 1
    return {
        "event": "compute",
        "period": run.period.label if run.period else None,
        "policy": policy.policy,
        "policy_version": policy.version,
        "currency": policy.currency,
        "headcount": summary.headcount,
        "gross": str(summary.gross),
        "bonus": str(summary.bonus),
        "outputs": [str(output)] if output else [],
        "inputs": {
            "policy": {"path": str(policy_path), "sha256": policy.sha256},
            "files": [{"kind": item.kind, "path": item.path, "sha256": item.sha256} for item in run.inputs],
        },
        "ledger": str(run.ledger) if run.ledger else None,
        "recorded": None
        if recorded is None
        else {"period": recorded.run.period, "version": recorded.run.version, "kind": recorded.run.kind},
        "triggered_actions": None if run.triggered is None else counts,
        "corrections_still_pending": len(run.still_pending),
        "differences_recorded": 0 if recorded is None else len(recorded.differences),
        "duration_seconds": round(time.monotonic() - started, 3),
    }
