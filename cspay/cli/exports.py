"""`cspay metrics`, and the raw-export path of `cspay compute`: agent metrics derived from per-call exports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from cspay.cli.common import Format, app, console, delimiter_option, period_option, reports_errors, words_for

PERIOD_HELP = "The period: a month like 2021-01, a quarter like 2021-Q1, or a year like 2021."


@app.command("metrics")
@reports_errors
def metrics(
    policy: Annotated[Path, typer.Argument(help="The pay policy (YAML), with a metrics: section.")],
    events: Annotated[Path, typer.Argument(help="The raw export: one row per call, chat or ticket (CSV).")],
    period: Annotated[str, typer.Option(help=PERIOD_HELP)],
    roster: Annotated[Path | None, typer.Option(help="The roster (CSV): agents missing from it, or "
                                                     "from the export, are reported.")] = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="table, csv or json.")] = Format.table,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing output file.")] = False,
    encoding: Annotated[str | None, typer.Option(help="Force the export's encoding (utf-8, gb18030 …).")] = None,
    delimiter: Annotated[str | None, typer.Option(help="Force the export's delimiter (default: detected).")] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="Language of cspay's own words: en or zh.")] = None,
) -> None:
    """Derive each agent's metrics for a period from a raw export, with every numerator and denominator.

    Example: cspay metrics examples/pwc/policy.yaml ../shared/data/pwc-call-center-2021q1.csv --period 2021-01
    """
    from cspay.inputs.exports import check_sources, derive, join_roster, read_roster
    from cspay.outputs.audit import figures_data, figures_table, write_figures_csv, write_figures_json
    from cspay.outputs.export import atomic_output, check_target
    from cspay.policy.loader import load_policy

    when = period_option(period)
    if format is Format.table and output is not None:
        raise typer.BadParameter("--output needs --format csv or json", param_hint="--output")
    delimiter = delimiter_option(delimiter)
    check_target(output, force)
    loaded = load_policy(policy)
    words = words_for(lang, loaded)
    table = derive(_spec(loaded), events, when, encoding=encoding, delimiter=delimiter)
    joined = None
    if roster is not None:
        agents = read_roster(roster, loaded.agents.id)
        check_sources(loaded, agents, table)
        joined = join_roster(table, agents, strict=False)
    if format is Format.table:
        console().print(figures_table(table, words))
    else:
        with atomic_output(output, force=force) as handle:
            if format is Format.csv:
                write_figures_csv(handle, table)
            else:
                write_figures_json(handle, figures_data(loaded, table, joined, str(roster) if roster else None))
    _notes(table, joined, roster, words)
    if output is not None:
        typer.echo(words("metrics.wrote", count=len(table.agents), path=output), err=True)


def _spec(policy: Any) -> Any:
    from cspay.errors import PolicyError

    if policy.metrics is None:
        raise PolicyError(f"{policy.path}: the policy has no metrics: section, so there is nothing to derive; "
                          f"add one that names the export's columns and each metric")  # fmt: skip
    return policy.metrics


def _notes(table: Any, joined: Any, roster: Path | None, words: Any) -> None:
    """Rows left out and agents on one side only, on stderr (the figures go to stdout or the file)."""
    from cspay.inputs.exports import export_notes

    for note in export_notes(table, joined, roster):
        typer.echo(words(note.key, **note.values), err=True)
