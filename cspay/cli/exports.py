"""`cspay metrics`, and the raw-export path of `cspay compute`: agent metrics derived from per-call exports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from cspay.cli.common import ListFormat, app, console, delimiter_option, period_option, reports_errors, words_for

PERIOD_HELP = "The period: a month like 2021-01, a quarter like 2021-Q1, or a year like 2021."


@app.command("metrics")
@reports_errors
def metrics(
    policy: Annotated[Path, typer.Argument(help="The pay policy (YAML), with a metrics: section.")],
    events: Annotated[Path, typer.Argument(help="The raw export: one row per call, chat or ticket (CSV).")],
    period: Annotated[str, typer.Option(help=PERIOD_HELP)],
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
) -> None:
    """Derive each agent's metrics for a period from a raw export, with every numerator and denominator.

    Example: cspay metrics examples/pwc/policy.yaml examples/pwc/pwc-call-center-2021q1.csv --period 2021-01
    """
    from cspay.inputs.exports import derive, months_of
    from cspay.inputs.roster import check_sources, export_notes, join_roster, read_rosters
    from cspay.outputs.audit import figures_data, write_figures_csv, write_figures_json
    from cspay.outputs.files import atomic_output, check_target
    from cspay.outputs.terminal import figures_table
    from cspay.policy.loader import load_policy

    when = period_option(period)
    if format is ListFormat.table and output is not None:
        raise typer.BadParameter("--output needs --format csv or json", param_hint="--output")
    delimiter = delimiter_option(delimiter)
    target = check_target(output, force)
    loaded = load_policy(policy)
    words = words_for(lang, loaded)
    derived = derive(_spec(loaded), events, when, encoding=encoding, delimiter=delimiter)
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


def _spec(policy: Any) -> Any:
    from cspay.errors import PolicyError

    if policy.metrics is None:
        raise PolicyError(f"{policy.path}: the policy has no metrics: section, so there is nothing to derive; "
                          f"add one that names the export's columns and each metric")  # fmt: skip
    return policy.metrics
