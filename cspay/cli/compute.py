"""`cspay compute`: the month-end job, in every output format, with the ledger when asked."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from cspay.cli.common import Format, LogFormat, app, console, delimiter_option, period_option, reports_errors, words_for


@app.command()
@reports_errors
def compute(
    policy: Annotated[Path, typer.Argument(help="The pay policy (YAML).")],
    metrics: Annotated[list[Path], typer.Argument(help="One month of agent metrics (CSV); for a quarterly or "
                                                       "annual policy, its monthly files or a folder of them.")],
    format: Annotated[Format, typer.Option("--format", "-f", help="table, csv, json or xlsx.")] = Format.table,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing output file.")] = False,
    encoding: Annotated[str | None, typer.Option(help="Force the CSV encoding (utf-8, gb18030 …).")] = None,
    delimiter: Annotated[str | None, typer.Option(help="Force the CSV delimiter (default: detected).")] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="Language of cspay's own words: en or zh "
                                                          "(default: the policy's locale, else en).")] = None,
    period: Annotated[str | None, typer.Option("--period", help="The period paid: 2026-11, 2026-Q4 or 2026; "
                                               "checked against the policy and any period column.")] = None,
    roster: Annotated[Path | None, typer.Option(help="Agents' roles, teams and worked days (CSV), when the "
                                                     "policy derives METRICS from a raw export.")] = None,
    record: Annotated[bool, typer.Option("--record", help="Record the run in the ledger as a new version "
                                                         "of the period (needs --period).")] = False,
    ledger: Annotated[Path | None, typer.Option("--ledger", envvar="CSPAY_LEDGER", help="The ledger file "
                                                "(default with --record: cspay.db here).")] = None,
    correction: Annotated[bool, typer.Option("--correction", help="Record a closed period's corrected run; the "
                                             "differences are paid in the next period.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on success (data asked for on "
                                                             "stdout is still written).")] = False,
    log_format: Annotated[LogFormat, typer.Option("--log-format", help="text, or json: one summary line on "
                                                                       "stderr for logs.")] = LogFormat.text,
    bom: Annotated[bool, typer.Option("--bom", help="Start the CSV with a UTF-8 byte-order mark, so Excel "
                                                    "(Chinese Windows too) opens it as UTF-8.")] = False,
) -> None:
    """Compute every agent's payslip for the month (or the quarter or year of a quarterly or annual policy).

    Example: cspay compute policies/standard.yaml examples/standard-2026-11.csv

    Example: cspay compute policies/standard.yaml examples/standard-2026-11.csv --format xlsx --output pay.xlsx
    """
    from cspay.outputs.export import atomic_output, check_target
    from cspay.outputs.fast_csv import pay_to_csv
    from cspay.outputs.terminal_progress import advancing
    from cspay.policy.loader import load_policy
    from cspay.run.job import Job, Options

    delimiter, asked = delimiter_option(delimiter), period_option(period)
    _check_output_options(format, output, bom)
    job = Job(Options(asked, record, ledger, correction, quiet, log_format is LogFormat.json))
    check_target(output, force)
    with job.locked(output):
        loaded = load_policy(policy)
        job.check_policy(loaded)
        words = words_for(lang, loaded)
        source = _period_input(loaded, metrics, asked, roster, encoding, delimiter, words, quiet)
        batch = job.batch_reader(source) if format is Format.csv else None
        with _progress(source, words) as advance:
            if advance is not None and batch is None:
                source.rows = advancing(source.rows, advance)
            run = job.run(source)
            if format is Format.table:
                payslips = list(run.payslips)
                job.commit(loaded, run)
                if not quiet:
                    _print_period_heading(loaded, source, words)
                    _print_run(loaded, payslips, run.summary, words, run.triggered)
            else:
                with atomic_output(output, force=force, binary=format is Format.xlsx) as handle:
                    if format is Format.csv and batch is not None:  # same bytes, a fraction of the time
                        handle.write("\ufeff" if bom else "")
                        pay_to_csv(batch, handle, run.summary, advance)
                    else:
                        _write_run(handle, format, loaded, run, words, source.files, bom)
                    job.commit(loaded, run)  # recorded before the file is renamed into place
    job.report(loaded, run, words, policy, output)


def _check_output_options(format: Format, output: Path | None, bom: bool) -> None:
    """Usage errors (exit 2) among compute's output options, before any file is read."""
    if format is Format.table and output is not None:
        raise typer.BadParameter("--output needs --format csv, json or xlsx", param_hint="--output")
    if bom and format is not Format.csv:
        raise typer.BadParameter("--bom applies to --format csv", param_hint="--bom")
    if format is Format.xlsx and output is None:
        raise typer.BadParameter("--format xlsx needs --output FILE; a workbook is not shown in a terminal",
                                 param_hint="--output")


def _write_run(handle: Any, format: Format, policy: Any, run: Any, words: Any, files: list[str],
               bom: bool) -> None:
    """The run's payslips as CSV, JSON or a workbook, payslip by payslip."""
    from cspay.outputs.export import write_csv, write_json

    if format is Format.csv:
        handle.write("\ufeff" if bom else "")
        write_csv(handle, policy, run.payslips, run.extra_codes)
    elif format is Format.xlsx:
        _write_xlsx(handle, policy, run, words, [Path(name) for name in files])
    else:
        write_json(handle, policy, run.payslips, run.summary, run.extra, run.annotate(policy))


@contextmanager
def _progress(source: Any, words: Any) -> Iterator[Any]:
    """A progress bar for one month's file read as it streams, when a person watches stderr."""
    from cspay.inputs.metrics import MetricsReader

    if not isinstance(source.rows, MetricsReader):
        yield None
        return
    from cspay.outputs.terminal_progress import progress_bar

    with progress_bar(source.rows, words) as advance:
        yield advance


def _period_input(policy: Any, metrics: list[Path], period: Any, roster: Path | None,
                  encoding: str | None, delimiter: str | None, words: Any, quiet: bool) -> Any:
    """The rows to pay: one month's file, a quarter's or year's monthly files combined, or the
    metrics a policy's `metrics:` section derives from a raw export joined to a roster."""
    from cspay.inputs.months import UsageProblem, check_period, metric_files, open_export, open_period

    try:
        asked = check_period(policy, period)
        files = metric_files(metrics, policy)
        if policy.metrics is not None or roster is not None:  # METRICS is a raw per-call export
            source = open_export(policy, files[0], asked, roster, encoding=encoding, delimiter=delimiter)
        else:
            source = open_period(policy, files, asked, encoding=encoding, delimiter=delimiter)
    except UsageProblem as problem:
        raise typer.BadParameter(str(problem), param_hint=problem.option) from None
    for note in [] if quiet else source.notes:
        typer.echo(words(note.key, **note.values), err=True)
    return source


def _print_period_heading(policy: Any, source: Any, words: Any) -> None:
    """Which period a quarterly or annual run pays, from which files; monthly runs print none."""
    if policy.period == "month":
        return
    label = source.period.label if source.period else words(f"period.{policy.period}")
    typer.echo(words("period.heading", period=label, count=len(source.files), files=", ".join(source.files)))


def _write_xlsx(handle: Any, policy: Any, run: Any, words: Any, metrics: list[Path]) -> None:
    from cspay.outputs.workbook import describe_inputs, write_workbook

    write_workbook(handle, policy, run.payslips, words, describe_inputs(metrics), run.extra_codes)


def _print_run(policy: Any, payslips: list[Any], summary: Any, words: Any, triggered: Any = None) -> None:
    from cspay.outputs.terminal import payslip_table, summary_table

    screen = console()
    screen.print(payslip_table(policy, payslips, words, triggered))
    screen.print(summary_table(policy, summary, words))
