"""`cspay review`: is the plan fair, and is it working -- what a run did to each group of agents, or what
the recorded periods of the ledger did over time."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from cspay.cli.common import (
    ChangesOption,
    DelimiterOption,
    EncodingOption,
    LangOption,
    PeriodOption,
    PolicyArgument,
    RosterOption,
    TeamMetricsOption,
    app,
    console,
    ledger_read,
    period_option,
    print_notes,
    reports_errors,
    words_for,
)


class ReviewFormat(StrEnum):
    table = "table"
    json = "json"


ByOption = Annotated[
    str | None,
    typer.Option(
        "--by",
        metavar="COLUMNS",
        help="Agent columns to group by, comma-separated: role, team, shift, site … (default: the policy's "
        "review.by, else role and team).",
    ),
]
MinGroupOption = Annotated[
    int | None,
    typer.Option("--min-group", min=2, help="Groups smaller than this are too small to judge (default 10)."),
]


def columns_option(text: str | None) -> list[str] | None:
    """--by as a list of column names; exit 2 for an empty name."""
    if text is None:
        return None
    names = [name.strip() for name in text.split(",")]
    if not all(names):
        raise typer.BadParameter(f"expected column names separated by commas, got {text!r}", param_hint="--by")
    return names


@app.command("review")
@reports_errors
def review_command(
    policy: PolicyArgument,
    metrics: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="METRICS...",
            help="The inputs of the run to review, as compute takes them; none with --from/--to (the ledger).",
        ),
    ] = None,
    by: ByOption = None,
    min_group: MinGroupOption = None,
    period: PeriodOption = None,
    roster: RosterOption = None,
    changes: ChangesOption = None,
    team_metrics: TeamMetricsOption = None,
    ledger: Annotated[
        Path | None,
        typer.Option(
            "--ledger", envvar="CSPAY_LEDGER", help="The ledger: of the run's period with --period, or of --from/--to."
        ),
    ] = None,
    first: Annotated[str | None, typer.Option("--from", help="First recorded period to review (the ledger).")] = None,
    last: Annotated[str | None, typer.Option("--to", help="Last recorded period to review (the ledger).")] = None,
    format: Annotated[ReviewFormat, typer.Option("--format", "-f", help="table or json.")] = ReviewFormat.table,
    html: Annotated[Path | None, typer.Option("--html", help="Also write a self-contained HTML report here.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing --html file.")] = False,
    lang: LangOption = None,
    encoding: EncodingOption = None,
    delimiter: DelimiterOption = None,
) -> None:
    """Review what a pay run did to each group of agents: grades, bonus against target, gates, KPIs, tests
    of whether grading depends on the group, and the pay-design pitfalls measured; or, from the ledger
    (--from/--to), the trends, grade moves and the effect of actions over recorded periods.

    Example: cspay review policies/standard.yaml examples/standard-2026-11.csv --by team
    """
    from cspay.outputs.files import check_target
    from cspay.policy.loader import load_policy

    check_target(html, force)
    loaded = load_policy(policy)
    words = words_for(lang, loaded)
    columns = columns_option(by)
    if first is not None or last is not None:
        if metrics:
            raise typer.BadParameter(
                "give METRICS (one run) or --from/--to (the ledger), not both", param_hint="--from"
            )
        _history(loaded, ledger, first, last, columns, min_group, format, html, force, words)
        return
    if not metrics:
        raise typer.BadParameter("give the run's METRICS, or --from and --to with --ledger", param_hint="METRICS")
    _one_run(
        loaded,
        metrics,
        period,
        roster,
        ledger,
        columns,
        min_group,
        encoding,
        delimiter,
        format,
        html,
        force,
        words,
        changes=changes,
        team_metrics=team_metrics,
    )


def _one_run(
    policy: Any,
    metrics: list[Path],
    period: str | None,
    roster: list[Path] | None,
    ledger: Path | None,
    columns: list[str] | None,
    min_group: int | None,
    encoding: str | None,
    delimiter: str | None,
    format: ReviewFormat,
    html: Path | None,
    force: bool,
    words: Any,
    *,
    changes: Path | None = None,
    team_metrics: Path | None = None,
) -> None:
    from cspay.cli.common import delimiter_option
    from cspay.outputs.runs import provenance
    from cspay.rollout.review import review_inputs
    from cspay.rollout.review_data import review_data
    from cspay.rollout.review_findings import findings

    chosen = period_option(period)
    run, result = review_inputs(
        policy,
        metrics,
        chosen,
        by=columns,
        min_group=min_group,
        rosters=roster or (),
        changes=changes,
        team_metrics=team_metrics,
        ledger=ledger_read(ledger, chosen is not None),
        encoding=encoding,
        delimiter=delimiter_option(delimiter),
    )
    print_notes(run.source, words)
    found = findings(result, words)
    context = {"policy": policy.policy, "policy_version": policy.version, "policy_sha256": policy.sha256}
    context |= provenance(run)
    if html is not None:
        from cspay.rollout.review_html import write_review_html

        write_review_html(html, result, found, words, context, force=force)
    if format is ReviewFormat.json:
        typer.echo(json.dumps(review_data(result, found, words, context), ensure_ascii=False, indent=1))
        return
    from cspay.rollout.terminal_review import review_screen

    title = words(
        "review.title",
        title=policy.title or policy.policy,
        version=policy.version,
        count=len(result.agents),
        period=context.get("period") or ", ".join(item["name"] for item in context.get("inputs", [])),
    )
    screen = console()
    for part in review_screen(result, found, words, title):
        screen.print(part)


def _history(
    policy: Any,
    ledger: Path | None,
    first: str | None,
    last: str | None,
    columns: list[str] | None,
    min_group: int | None,
    format: ReviewFormat,
    html: Path | None,
    force: bool,
    words: Any,
) -> None:
    """The recorded periods from --from to --to, reviewed."""
    from cspay.ledger.book import Ledger
    from cspay.rollout.review_history import history_data, read_history

    if ledger is None or first is None or last is None:
        raise typer.BadParameter("a review over time needs --ledger, --from and --to", param_hint="--from")
    start, end = period_option(first, "--from"), period_option(last, "--to")
    if end.last < start.first:
        raise typer.BadParameter(f"--to {last} is before --from {first}", param_hint="--to")
    Ledger(ledger, read_only=True).close()  # an error naming the file when there is no ledger there
    history = read_history(policy, ledger, start, end, columns or ["role", "team"])
    title = words(
        "review.history.title",
        title=policy.title or policy.policy,
        version=policy.version,
        periods=len(history.periods),
        first=history.periods[0],
        last=history.periods[-1],
    )
    if html is not None:
        from cspay.rollout.review_html import write_history_html

        write_history_html(html, policy, history, words, title, force=force)
    if format is ReviewFormat.json:
        typer.echo(json.dumps(history_data(history, words), ensure_ascii=False, indent=1))
        return
    from cspay.rollout.terminal_history import history_screen

    screen = console()
    screen.print(title)
    for part in history_screen(policy, history, words):
        screen.print(part)


@app.command("calibrate")
@reports_errors
def calibrate_command(
    policy: PolicyArgument,
    history: Annotated[
        list[Path],
        typer.Argument(
            metavar="HISTORY...",
            help="Metrics the policy was paid from: monthly files (each a month), a period's files, or a raw export.",
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="The calibrated policy file to write.")],
    points: Annotated[
        str, typer.Option("--points", help="Share of agents reaching threshold, target and stretch, in %.")
    ] = "90,50,10",
    grades: Annotated[
        str | None,
        typer.Option("--grades", metavar="GRADE:%,…", help="Grade cut-offs for this distribution, e.g. S:5,A:30,…"),
    ] = None,
    budget: Annotated[
        str | None, typer.Option("--budget", metavar="AMOUNT", help="Scale target bonuses to this bonus per run.")
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            metavar="COLUMN",
            help="Also propose a curve per group of this column (queue, shift …) for each KPI.",
        ),
    ] = None,
    min_agents: Annotated[
        int, typer.Option("--min-agents", min=2, help="Fewest agent values a percentile may come from.")
    ] = 30,
    format: Annotated[ReviewFormat, typer.Option("--format", "-f", help="table or json.")] = ReviewFormat.table,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing --out file.")] = False,
    period: PeriodOption = None,
    roster: RosterOption = None,
    lang: LangOption = None,
    encoding: EncodingOption = None,
    delimiter: DelimiterOption = None,
) -> None:
    """Propose curve points, grade cut-offs and target bonuses from the metrics actually seen, write them
    into a copy of the policy (comments and layout kept) that passes validate-policy --strict, and show
    compare of the old policy against the new on the same history. With --by, each linear KPI also gets a
    curve per group of that column, from the values of the group's agents.

    Example: cspay calibrate policies/standard.yaml examples/standard-2026-1[0-2].csv --out calibrated.yaml

    Example: cspay calibrate policies/standard.yaml examples/queues-2026-1[0-2].csv --by queue --out queues.yaml
    """
    from decimal import Decimal, InvalidOperation

    from cspay.cli.common import delimiter_option
    from cspay.outputs.files import check_target
    from cspay.policy.loader import load_policy
    from cspay.rollout.calibrate import calibrate, parse_grades, parse_points

    check_target(out, force)
    loaded = load_policy(policy)
    words = words_for(lang, loaded)
    try:
        chosen_points = parse_points(points)
        shares = None if grades is None else parse_grades(grades, loaded)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--grades" if "GRADE" in str(error) else "--points") from None
    amount = None
    if budget is not None:
        try:
            amount = Decimal(budget.replace(",", ""))
        except InvalidOperation:
            raise typer.BadParameter(f"expected an amount like 80000, got {budget!r}", param_hint="--budget") from None
    chosen_period = period_option(period)
    rosters, separator = roster or [], delimiter_option(delimiter)
    result = calibrate(
        loaded,
        history,
        chosen_period,
        points=chosen_points,
        grades=shares,
        budget=amount,
        by=by,
        min_agents=min_agents,
        rosters=rosters,
        encoding=encoding,
        delimiter=separator,
    )
    new_policy = _write_calibrated(loaded, result, out, force)
    from cspay.rollout.compare import compare

    comparison = compare(
        loaded, new_policy, history, chosen_period, rosters=rosters, encoding=encoding, delimiter=separator
    )
    if format is ReviewFormat.json:
        from cspay.rollout.calibrate import calibration_groups, proposal_data
        from cspay.rollout.compare import comparison_data

        data = {
            "policy": loaded.path,
            "out": str(out),
            "proposals": [proposal_data(item) for item in result.proposals],
            "kept": result.kept,
            **({} if by is None else calibration_groups(result)),
            "comparison": comparison_data(comparison),
        }
        typer.echo(json.dumps(data, ensure_ascii=False, indent=1))
        return
    from cspay.rollout.terminal_calibrate import calibration_table, group_lines
    from cspay.rollout.terminal_compare import comparison_tables

    screen = console()
    screen.print(calibration_table(result, words))
    for code in result.kept:
        screen.print(words("calibrate.kept", kpi=code))
    for line in group_lines(result, words):
        screen.print(line)
    screen.print(words("calibrate.wrote", path=out))
    for table in comparison_tables(comparison, words):
        screen.print(table)


def _write_calibrated(old: Any, calibration: Any, out: Path, force: bool) -> Any:
    """Write the calibrated file atomically, but only once it loads and passes validate-policy --strict."""
    from cspay.errors import PolicyError
    from cspay.outputs.files import atomic_output
    from cspay.policy.loader import load_policy
    from cspay.rollout.calibrate import calibrated_text
    from cspay.rollout.lint import lint, warnings_of

    with atomic_output(out, force=force) as handle:
        handle.write(calibrated_text(old, calibration))
        handle.flush()
        try:
            checked = load_policy(handle.name)
        except PolicyError as error:
            raise PolicyError([line.replace(handle.name, str(out)) for line in error.lines()]) from None
        warnings = [str(found).replace(handle.name, str(out)) for found in warnings_of(lint(checked))]
        if warnings:
            raise PolicyError(
                [*warnings, f"{out}: the calibrated policy does not pass validate-policy --strict; nothing was written"]
            )
    return load_policy(out)
