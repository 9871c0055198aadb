"""`cspay compute`: the month-end job, in every output format, with the ledger when asked."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cspay.cli.common import (
    ByOption,
    ChangesOption,
    DelimiterOption,
    DerivedOption,
    EncodingOption,
    Format,
    Inputs,
    InputsArgument,
    LangOption,
    LogFormat,
    MemoryOption,
    OpeningOption,
    PeriodOption,
    PolicyArgument,
    RosterOption,
    TeamMetricsOption,
    ThreadsOption,
    app,
    console,
    ledger_read,
    log_format_option,
    open_source,
    print_notes,
    reports_errors,
    who_is,
    words_for,
)

if TYPE_CHECKING:
    from cspay.i18n import Words
    from cspay.run.pay import PayRun
    from cspay.run.record import Recorded

DEFAULT_LEDGER = "cspay.db"
DRAWN_ROWS = 1000  # payslips drawn as a table at most; past them, a plain table written as they come


@app.command()
@reports_errors
def compute(
    policy: PolicyArgument,
    metrics: InputsArgument = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="table, csv, json or xlsx.")] = Format.table,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing output file.")] = False,
    encoding: EncodingOption = None,
    delimiter: DelimiterOption = None,
    lang: LangOption = None,
    period: PeriodOption = None,
    roster: RosterOption = None,
    opening: OpeningOption = None,
    changes: ChangesOption = None,
    team_metrics: TeamMetricsOption = None,
    derived: DerivedOption = None,
    memory_limit: MemoryOption = "1GB",
    threads: ThreadsOption = 2,
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
        LogFormat,
        typer.Option(
            "--log-format",
            callback=log_format_option,
            is_eager=True,
            help="text, or json: every line on stderr a JSON object (notes, errors, one summary line) for logs.",
        ),
    ] = LogFormat.text,
    bom: Annotated[
        bool,
        typer.Option(
            "--bom",
            help="Start the CSV with a UTF-8 byte-order mark, so Excel (Chinese Windows too) opens it as UTF-8.",
        ),
    ] = False,
    consolidate_to: Annotated[
        str | None,
        typer.Option(
            "--consolidate-to",
            metavar="CURRENCY",
            help="Also show the totals converted into this currency (with --rates, --period); pay is not converted.",
        ),
    ] = None,
    rates: Annotated[
        Path | None,
        typer.Option("--rates", help="Rates for --consolidate-to (CSV: date,from,to,rate); the latest in the period."),
    ] = None,
    by: ByOption = None,
    dispute: Annotated[
        list[int] | None,
        typer.Option(
            "--dispute", help="An accepted dispute this recorded run settles (with corrected metrics); repeatable."
        ),
    ] = None,
) -> None:
    """Compute every agent's payslip for the month (or the quarter or year of a quarterly or annual policy).

    Example: cspay compute policies/standard.yaml examples/standard-2026-11.csv

    Example: cspay compute policies/standard.yaml examples/standard-2026-11.csv --format xlsx --output pay.xlsx
    """
    from cspay.outputs.files import atomic_output, check_target
    from cspay.policy.loader import load_policy
    from cspay.run.locks import locked
    from cspay.run.pay import pay

    started = time.monotonic()
    _check_options(format, output, bom, record, correction, period)
    _check_consolidation(consolidate_to, rates, period, format)
    if dispute and not record:
        raise typer.BadParameter("needs --record: a dispute is settled by a recorded run", param_hint="--dispute")
    who = who_is(by) if record else None
    ledger = ledger or (Path(DEFAULT_LEDGER) if record else None)
    target = check_target(output, force)
    if record and ledger is not None:
        from cspay.ledger.book import check_ledger_path

        check_ledger_path(ledger)  # before the lock file is made beside it
    with locked([ledger if record else None, target]):
        loaded = load_policy(policy)
        words = words_for(lang, loaded)
        converting = _rates(loaded, consolidate_to, rates, period)
        inputs = Inputs(
            metrics, period, roster, encoding, delimiter, derived, memory_limit, threads, opening, changes, team_metrics
        )
        source = open_source(loaded, inputs)
        print_notes(source, words, quiet)
        if record and ledger is not None and ledger.exists():
            _check_ledger(ledger)
        if dispute and ledger is not None and source.period is not None:
            _check_disputes(ledger, source.period.label, dispute)
        run = pay(source, ledger=ledger_read(ledger, source.period is not None, created=record), stream=not correction)
        run.rates = converting
        keep = _recorder(record, ledger, correction=correction, who=who, disputes=dispute or [])
        with _progress(run, words, shown=not quiet) as advance:
            if format is Format.table:
                with keep(run) as recorded:
                    if not quiet:
                        _print_period_heading(run, words)
                        _print_run(run, words, advance)
                    else:
                        from cspay.outputs.runs import pay_run_quietly

                        pay_run_quietly(run)  # for the totals (and the record), shown nowhere
            else:
                binary = format is Format.xlsx
                # The ledger commits on leaving `keep`, before the file is renamed into place.
                with atomic_output(target, force=force, binary=binary) as handle, keep(run) as recorded:
                    _write(handle, format, run, words, bom, advance, record)
    _report(run, words, policy, target, recorded(), quiet, log_format is LogFormat.json, started)


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


def _check_consolidation(currency: str | None, rates: Path | None, period: str | None, format: Format) -> None:
    """Usage errors (exit 2) of a consolidated view, before any file is read."""
    from cspay.currencies import CurrencyProblem, minor_unit

    if (currency is None) != (rates is None):
        option = "--rates" if currency is not None else "--consolidate-to"
        raise typer.BadParameter("--consolidate-to and --rates go together", param_hint=option)
    if currency is None:
        return
    try:
        minor_unit(currency)
    except CurrencyProblem as problem:
        raise typer.BadParameter(str(problem), param_hint="--consolidate-to") from None
    if period is None:
        raise typer.BadParameter("needs --period: the rates used are those dated in it", param_hint="--consolidate-to")
    if format is Format.csv:
        raise typer.BadParameter(
            "a CSV holds payslips, not totals; use --format table, json or xlsx", param_hint="--consolidate-to"
        )


def _rates(policy: Any, currency: str | None, path: Path | None, period: str | None) -> Any:
    """The rate of each currency the policy pays into `currency` for the period, read and checked before pay."""
    if currency is None or path is None or period is None:
        return None
    from cspay.cli.common import period_option
    from cspay.inputs.rates import rates_for, read_rates
    from cspay.run.pay import Rates

    chosen = rates_for(path, read_rates(path), policy.paid_currencies, currency, period_option(period))
    return Rates(currency, str(path), chosen)


def _recorder(record: bool, ledger: Path | None, **options: Any) -> Callable[[PayRun], Any]:
    """What records a run in the ledger with compute's options as a view reads it: a context whose value
    gives what was recorded (None when the run is not recorded; the ledger is loaded only when it is)."""
    if not record or ledger is None:
        return lambda run: nullcontext(lambda: None)
    from cspay.run.record import recording

    return lambda run: recording(run, ledger, **options)


def _check_ledger(ledger: Path) -> None:
    """The ledger a run will be recorded in, checked whole and brought to this cspay's schema under the run's
    lock, before the run reads it (read-only) and long before it records."""
    from cspay.ledger.book import Ledger

    Ledger(ledger).close()


def _check_disputes(ledger: Path, period: str, disputes: list[int]) -> None:
    """The disputes a record will settle must be accepted ones of its period: refused before any pay is made."""
    from cspay.ledger.book import Ledger

    with Ledger(ledger, read_only=True) as book:
        book.disputes_to_settle(period, disputes, None)


def _write(
    handle: Any, format: Format, run: PayRun, words: Words, bom: bool, advance: Any, recording: bool = False
) -> None:
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

        write_run_workbook(handle, run, words, recording=recording)
    else:
        write_run_json(handle, run, advance)


@contextmanager
def _progress(run: PayRun, words: Words, *, shown: bool) -> Iterator[Any]:
    """A progress bar for one month's file read as it streams, when a person watches stderr (never with
    --quiet)."""
    reader = run.source.reader
    if reader is None or not shown:
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
    export = next(item for item in run.inputs if item.kind in ("export", "derived"))
    rosters = ", ".join(item.path for item in run.inputs if item.kind == "roster")
    typer.echo(words(f"period.heading_{export.kind}", period=label, export=export.path, rosters=rosters))


def _print_run(run: PayRun, words: Words, advance: Any) -> None:
    """The payslips as a drawn table, or, past DRAWN_ROWS, as a plain table written as they come (laying
    out a drawn table holds every row and costs far more than paying them); then the summary."""
    from cspay.outputs.terminal import payslip_table, summary_table, teams_tables, write_plain_table
    from cspay.outputs.terminal_progress import advancing

    screen = console()
    if _table_in_batches(run, words):
        _print_batches(run, words, advance, screen)
        return
    payslips = iter(advancing(run.payslips, advance))
    first = list(itertools.islice(payslips, DRAWN_ROWS + 1))
    if len(first) <= DRAWN_ROWS:
        run.payslips = first
        screen.print(payslip_table(run.applied, first, words, run.triggered, net=run.withholder is not None))
    else:
        write_plain_table(
            screen.file, run.applied, words, first, payslips, run.triggered, net=run.withholder is not None
        )
        plain = words("table.plain", rows=DRAWN_ROWS, csv="csv", xlsx="xlsx")  # option values, not words
        screen.print(plain, soft_wrap=True)
    screen.print(summary_table(run.policy, run.summary, words, run.consolidated()))
    if run.engine.teams is not None:
        for table in teams_tables(run.applied, run.engine.teams, words):
            screen.print(table)


def _table_in_batches(run: PayRun, words: Words) -> bool:
    """Whether the table can be paid the batch way: a run streamed from one plain monthly file whose table
    shows nothing of the run's own (no triggered actions, no net pay, no teams)."""
    if run.fast_reader is None or run.triggered is not None or run.engine.teams is not None:
        return False
    from cspay.outputs.terminal_batches import table_suits

    return table_suits(run.applied, words)


def _print_batches(run: PayRun, words: Words, advance: Any, screen: Any) -> None:
    """The table paid the batch way, drawn or plain as _print_run lays it out; then the summary."""
    from cspay.outputs.terminal import summary_table
    from cspay.outputs.terminal_batches import pay_to_table

    reader = run.fast_reader
    assert reader is not None  # _table_in_batches
    table = pay_to_table(
        reader, screen.file, run.applied, words, run.summary, drawn=DRAWN_ROWS, progress=advance, recorder=run.recorder
    )
    if table is not None:
        screen.print(table)
    else:
        screen.print(words("table.plain", rows=DRAWN_ROWS, csv="csv", xlsx="xlsx"), soft_wrap=True)
    screen.print(summary_table(run.policy, run.summary, words, run.consolidated()))


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
    paid_in = {slip.agent_id: slip.currency for slip in run.payslips} if run.still_pending else {}
    _report_ledger_lines(run, words)
    for item in run.still_pending:
        currency = item.currency or policy.currency
        key = "compute.still_pending" if item.agent_id not in paid_in else "compute.still_pending_currency"
        typer.echo(
            words(
                key,
                agent=item.agent_id,
                period=item.period,
                amount=money(item.amount, currency),
                currency=paid_in.get(item.agent_id, ""),
            ),
            err=True,
        )
    if output is not None:
        typer.echo(
            words("compute.wrote", count=summary.headcount, path=output, gross=_grosses(summary, words)),
            err=True,
        )
    if recorded is not None:
        _report_recorded(run, recorded, words)
        if recorded.run.kind == "correction":
            from decimal import Decimal

            differences = recorded.differences
            agents = len({item.agent_id for item in differences})
            totals: dict[str, Decimal] = {}
            for difference in differences:  # each currency's apart: a correction never nets two
                currency = difference.currency or policy.currency
                totals[currency] = totals.get(currency, Decimal(0)) + difference.amount
            typer.echo(
                words("compute.corrected", count=len(differences), agents=agents, total=words.moneys(totals)),
                err=True,
            )


def _grosses(summary: Any, words: Words) -> str:
    """The run's total gross in each currency it paid, never added up."""
    return words.moneys({currency: totals.gross for currency, totals in summary.by_currency().items()})


def _report_ledger_lines(run: PayRun, words: Words) -> None:
    """What the ledger holds for this run but the run could not pay: corrections not approved yet, and
    one-off adjustments of agents not in the run."""
    from decimal import Decimal

    policy, money = run.policy, words.money
    waiting: dict[str, list[Any]] = {}
    for item in run.unapproved:
        waiting.setdefault(item.period, []).append(item)
    for period, items in waiting.items():
        total = sum((item.amount for item in items), Decimal(0))
        agents = len({item.agent_id for item in items})
        typer.echo(
            words("compute.unapproved", period=period, agents=agents, amount=money(total, policy.currency)), err=True
        )
    unmatched = run.source.unmatched_changes
    if unmatched:
        shown = ", ".join(unmatched[:10]) + (f" … ({len(unmatched)})" if len(unmatched) > 10 else "")
        file = run.source.changes_file
        typer.echo(words("compute.changes_unmatched", file=file, count=len(unmatched), agents=shown), err=True)
    for one_off in run.one_offs_unpaid:
        typer.echo(
            words(
                "compute.one_off_unpaid",
                id=one_off.id,
                agent=one_off.agent_id,
                amount=money(one_off.amount, policy.currency),
            ),
            err=True,
        )


def _report_recorded(run: PayRun, recorded: Recorded, words: Words) -> None:
    """The version recorded, a draft until approved; the approved version it replaces; the disputes it settles."""
    version = recorded.run
    typer.echo(words("compute.recorded", period=version.period, version=version.version, ledger=run.ledger), err=True)
    replaced = recorded.replaced
    if version.kind == "pay" and replaced is not None and replaced.approved and replaced.state == "approved":
        typer.echo(
            words("compute.replaces_approved", version=replaced.run.version, who=replaced.approved.who), err=True
        )
    for dispute in recorded.disputes:
        typer.echo(words("compute.settles", id=dispute.id, agent=dispute.agent_id), err=True)


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
        **_log_money(summary, net=run.withholder is not None),
        "outputs": [str(output)] if output else [],
        "inputs": {
            "policy": {"path": str(policy_path), "sha256": policy.sha256},
            "files": [{"kind": item.kind, "path": item.path, "sha256": item.sha256} for item in run.inputs],
        },
        "ledger": str(run.ledger) if run.ledger else None,
        "recorded": None
        if recorded is None
        else {
            "period": recorded.run.period,
            "version": recorded.run.version,
            "kind": recorded.run.kind,
            "state": "draft",
            "disputes_settled": [item.id for item in recorded.disputes],
        },
        "triggered_actions": None if run.triggered is None else counts,
        "corrections_still_pending": len(run.still_pending),
        "corrections_not_approved": len(run.unapproved),
        "one_offs_paid": len(run.one_offs),
        "one_offs_unpaid": len(run.one_offs_unpaid),
        "changes_unmatched": run.source.unmatched_changes,
        "differences_recorded": 0 if recorded is None else len(recorded.differences),
        "duration_seconds": round(time.monotonic() - started, 3),
    }


def _log_money(summary: Any, *, net: bool) -> dict[str, Any]:
    """gross and bonus (and, with deductions, net and the employer's cost) of a run paid in one currency; per
    currency (and no one gross) when it paid several."""
    from cspay.engine.types import Summaries

    def money(totals: Any) -> dict[str, str]:
        found = {"gross": str(totals.gross), "bonus": str(totals.bonus)}
        if net:
            found |= {"net": str(totals.net), "employer_cost": str(totals.employer_cost)}
        return found

    if not isinstance(summary, Summaries):
        return money(summary)
    return {
        "gross": None,
        "bonus": None,
        **({"net": None, "employer_cost": None} if net else {}),
        "currencies": {
            code: {"headcount": totals.headcount, **money(totals)} for code, totals in summary.by_currency().items()
        },
    }
