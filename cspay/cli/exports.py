"""`cspay metrics`, and the raw-export path of `cspay compute`: agent metrics derived from per-call exports."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from cspay.cli.common import (
    Inputs,
    ListFormat,
    MemoryOption,
    ThreadsOption,
    app,
    console,
    delimiter_option,
    period_option,
    reports_errors,
    settled,
    words_for,
)

PERIOD_HELP = "The period: a month like 2021-01, a quarter like 2021-Q1, or a year like 2021."


class Dialect(StrEnum):
    duckdb = "duckdb"
    spark = "spark"
    trino = "trino"
    bigquery = "bigquery"
    postgres = "postgres"


@app.command("metrics")
@reports_errors
def metrics(
    policy: Annotated[Path, typer.Argument(help="The pay policy (YAML), with a metrics: section.")],
    events: Annotated[
        Path | None,
        typer.Argument(help="The raw export: one row per call, chat or ticket (CSV or Parquet); none with --sql."),
    ] = None,
    period: Annotated[str, typer.Option(help=PERIOD_HELP)] = ...,  # type: ignore[assignment]  # required
    roster: Annotated[
        list[Path] | None,
        typer.Option(
            help="The roster (CSV): agents missing from it, or from "
            "the export, are reported; once per month, or once "
            "with a period column."
        ),
    ] = None,
    format: Annotated[ListFormat, typer.Option("--format", "-f", help="table, csv or json.")] = ListFormat.table,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing output file.")] = False,
    encoding: Annotated[str | None, typer.Option(help="Force the export's encoding (utf-8, gb18030 …).")] = None,
    delimiter: Annotated[str | None, typer.Option(help="Force the export's delimiter (default: detected).")] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="Language of cspay's own words: en or zh.")] = None,
    sql: Annotated[
        bool,
        typer.Option(
            "--sql",
            help="Print the SQL query that derives the metrics in a warehouse instead; its result is what "
            "`compute --derived` reads.",
        ),
    ] = False,
    dialect: Annotated[Dialect, typer.Option(help="The SQL dialect for --sql.")] = Dialect.duckdb,
    table: Annotated[str, typer.Option(help="The warehouse table holding the raw export, for --sql.")] = "export",
    memory_limit: MemoryOption = "1GB",
    threads: ThreadsOption = 2,
) -> None:
    """Derive each agent's metrics for a period from a raw export, with every numerator and denominator.

    Example: cspay metrics examples/pwc/policy.yaml examples/pwc/pwc-call-center-2021q1.csv --period 2021-01

    Example: cspay metrics examples/pwc/policy.yaml --sql --dialect spark --period 2021-01 --table calls
    """
    from cspay.inputs.exports import derive
    from cspay.inputs.files import check_regular
    from cspay.inputs.roster import check_sources, export_notes, join_roster, read_rosters
    from cspay.outputs.audit import figures_data, write_figures_csv, write_figures_json
    from cspay.outputs.files import atomic_output, check_target
    from cspay.outputs.terminal import figures_table
    from cspay.periods import months_of
    from cspay.policy.loader import load_policy

    when = period_option(period)
    if sql:
        _check_sql_options(events, format, roster)
    if format is ListFormat.table and output is not None and not sql:
        raise typer.BadParameter("--output needs --format csv or json", param_hint="--output")
    delimiter = delimiter_option(delimiter)
    target = check_target(output, force)
    loaded = load_policy(policy)
    words = words_for(lang, loaded)
    if sql:
        _print_sql(loaded, when, table, dialect, output, force)
        return
    if events is None:
        raise typer.BadParameter("give the raw export, or --sql to print the query instead", param_hint="EVENTS")
    check_regular("export", events, "EVENTS")
    engine = Inputs(None, memory_limit=memory_limit, threads=threads).engine()
    derived = derive(_spec(loaded), events, when, encoding=encoding, delimiter=delimiter, engine=engine)
    settled()
    rosters, joined = None, []
    if roster:
        rosters = read_rosters(roster, loaded, derived.period, months_of(derived.period))
        for found in {id(item): item for item in rosters.months.values()}.values():
            check_sources(loaded, found, derived.metrics)
        joined = [join_roster(table, rosters.months.get(table.period.label), strict=False) for table in derived.months]
    if format is ListFormat.table:
        console().print(figures_table(derived, words))
    else:
        with atomic_output(target, force=force) as handle:
            if format is ListFormat.csv:
                write_figures_csv(handle, derived)
            else:
                write_figures_json(handle, figures_data(loaded, derived, joined, rosters))
    for note in export_notes(derived, joined, rosters):
        typer.echo(words(note.key, **note.values), err=True)
    if target is not None:
        count = sum(len(table.agents) for table in derived.months)
        typer.echo(words("metrics.wrote", count=count, path=target), err=True)


def _check_sql_options(events: Path | None, format: ListFormat, roster: list[Path] | None) -> None:
    """--sql reads no export: refuse what only applies to one (exit 2)."""
    if events is not None:
        raise typer.BadParameter("--sql prints the query and reads no export; leave EVENTS out", param_hint="EVENTS")
    if format is not ListFormat.table:
        raise typer.BadParameter("--sql prints SQL; --format applies to the derived metrics", param_hint="--format")
    if roster:
        raise typer.BadParameter("--sql prints the query and reads no roster", param_hint="--roster")


def _print_sql(policy: Any, period: Any, table: str, dialect: Dialect, output: Path | None, force: bool) -> None:
    """The warehouse query for the policy's metrics over the period, on stdout or written to --output."""
    from cspay import __version__
    from cspay.inputs.sql_query import warehouse_sql
    from cspay.outputs.files import atomic_output

    query = warehouse_sql(_spec(policy), period, table, dialect.value)
    heading = (f"-- The metrics of {policy.policy} {policy.version} ({policy.path}) for {period.label}, "
               f"from the table {table}, by cspay {__version__}.\n"
               f"-- Save the result as CSV or Parquet and pay from it: cspay compute POLICY --derived FILE "
               f"--roster ROSTER --period {period.label}\n")  # fmt: skip
    with atomic_output(output, force=force) as handle:
        handle.write(heading + query + ";\n")


def _spec(policy: Any) -> Any:
    from cspay.errors import PolicyError

    if policy.metrics is None:
        raise PolicyError(f"{policy.path}: the policy has no metrics: section, so there is nothing to derive; "
                          f"add one that names the export's columns and each metric")  # fmt: skip
    return policy.metrics
