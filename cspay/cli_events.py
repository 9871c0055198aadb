"""`cspay metrics`, and the raw-export path of `cspay compute`: agent metrics derived from per-call exports."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from .cli import Format, _console, _words, app, delimiter_option, period_option, reports_errors

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
    from .audit import figures_data, figures_table, write_figures_csv, write_figures_json
    from .events import check_sources, derive, join_roster, read_roster
    from .export import atomic_output, check_target
    from .loader import load_policy

    when = period_option(period)
    if format is Format.table and output is not None:
        raise typer.BadParameter("--output needs --format csv or json", param_hint="--output")
    delimiter = delimiter_option(delimiter)
    check_target(output, force)
    loaded = load_policy(policy)
    words = _words(lang, loaded)
    table = derive(_spec(loaded), events, when, encoding=encoding, delimiter=delimiter)
    joined = None
    if roster is not None:
        agents = read_roster(roster, loaded.agents.id)
        check_sources(loaded, agents, table)
        joined = join_roster(table, agents, strict=False)
    if format is Format.table:
        _console().print(figures_table(table, words))
    else:
        with atomic_output(output, force=force) as handle:
            if format is Format.csv:
                write_figures_csv(handle, table)
            else:
                write_figures_json(handle, figures_data(loaded, table, joined, str(roster) if roster else None))
    _notes(table, joined, roster, words)
    if output is not None:
        typer.echo(words("metrics.wrote", count=len(table.agents), path=output), err=True)


def export_rows(policy: Any, events: Path, period: Any, roster: Path | None, words: Any, *,
                encoding: str | None, delimiter: str | None) -> Iterator[Any]:  # fmt: skip
    """The agent rows `compute` pays: the export's metrics for the period joined to the roster."""
    from .errors import MetricsError
    from .events import agent_rows, check_sources, derive, join_roster, read_roster

    if policy.metrics is None:
        raise typer.BadParameter("needs a policy with a metrics: section, which derives agent metrics "
                                 "from a raw export", param_hint="--roster")  # fmt: skip
    if roster is None:
        raise typer.BadParameter("the policy derives its metrics from a raw export; give the roster of "
                                 "the agents' roles and worked days", param_hint="--roster")  # fmt: skip
    if period is None:
        raise typer.BadParameter("the policy derives its metrics from a raw export; give the period to "
                                 "pay, like 2021-01", param_hint="--period")  # fmt: skip
    table = derive(policy.metrics, events, period, encoding=encoding, delimiter=delimiter)
    if table.rows_outside == table.rows_read:  # a wrong period, not a month nobody worked
        raise MetricsError(f"{table.source}: none of its {table.rows_read:,} rows is dated in {period.label} "
                           f"({period.first} to {period.last}); check --period")  # fmt: skip
    agents = read_roster(roster, policy.agents.id)
    check_sources(policy, agents, table)
    joined = join_roster(table, agents)
    _notes(table, joined, roster, words)
    return agent_rows(policy, joined, agents.source)


def _spec(policy: Any) -> Any:
    from .errors import PolicyError

    if policy.metrics is None:
        raise PolicyError(f"{policy.path}: the policy has no metrics: section, so there is nothing to derive; "
                          f"add one that names the export's columns and each metric")  # fmt: skip
    return policy.metrics


def _notes(table: Any, joined: Any, roster: Path | None, words: Any) -> None:
    """What the analyst should know besides the figures: rows left out, agents on one side only."""
    inside = table.rows_read - table.rows_outside
    notes = [words("metrics.rows", source=table.source, read=f"{table.rows_read:,}", inside=f"{inside:,}",
                   outside=f"{table.rows_outside:,}", period=table.period.label)]  # fmt: skip
    if joined is not None and joined.not_in_roster:
        notes.append(words("metrics.not_in_roster", roster=roster, agents=", ".join(joined.not_in_roster)))
    if joined is not None and joined.without_rows:
        notes.append(words("metrics.without_rows", period=table.period.label, agents=", ".join(joined.without_rows)))
    for note in notes:
        typer.echo(note, err=True)
