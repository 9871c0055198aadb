"""The payslip and statements commands: each agent's pay explained, on screen or as HTML pages."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cspay.cli.common import (
    ChangesOption,
    DelimiterOption,
    DerivedOption,
    EncodingOption,
    Inputs,
    InputsArgument,
    LangOption,
    LedgerOption,
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
    open_source,
    print_notes,
    reports_errors,
    words_for,
)

if TYPE_CHECKING:
    from cspay.engine.explain import Explanation
    from cspay.engine.types import Payslip
    from cspay.i18n import Words
    from cspay.inputs.seen import AskedIds
    from cspay.inputs.source import Source
    from cspay.run.pay import Chosen, PayRun

OneInput = Annotated[
    Path | None,
    typer.Argument(
        metavar="METRICS",
        help="One month of agent metrics (CSV); for a quarterly or annual policy, the folder of "
        "its monthly files; for a policy with a metrics: section, the raw export (left out with --derived).",
    ),
]


class PayslipFormat(StrEnum):
    text = "text"
    json = "json"


@app.command()
@reports_errors
def payslip(
    policy: PolicyArgument,
    metrics: OneInput = None,
    agent_ids: Annotated[list[str] | None, typer.Argument(help="Agent ids, as in the metrics file.")] = None,
    all_agents: Annotated[bool, typer.Option("--all", help="Every agent in the metrics file.")] = False,
    format: Annotated[PayslipFormat, typer.Option("--format", "-f", help="text or json.")] = PayslipFormat.text,
    period: PeriodOption = None,
    roster: RosterOption = None,
    opening: OpeningOption = None,
    changes: ChangesOption = None,
    team_metrics: TeamMetricsOption = None,
    ledger: LedgerOption = None,
    lang: LangOption = None,
    encoding: EncodingOption = None,
    delimiter: DelimiterOption = None,
    derived: DerivedOption = None,
    memory_limit: MemoryOption = "1GB",
    threads: ThreadsOption = 2,
) -> None:
    """Explain agents' payslips: every number on them, and what would raise the bonus.

    Example: cspay payslip policies/standard.yaml examples/standard-2026-11.csv A001
    """
    from cspay.engine.explain import explain
    from cspay.outputs.terminal_payslip import payslip_panel
    from cspay.outputs.view import payslip_view
    from cspay.run.pay import pay, pay_agents

    if derived is not None and metrics is not None:  # no METRICS with --derived: the first argument is an agent
        agent_ids, metrics = [str(metrics), *(agent_ids or [])], None
    if all_agents == bool(agent_ids):
        raise typer.BadParameter("give one or more agent ids, or --all (not both)", param_hint="AGENT_IDS")
    files = [text for text in agent_ids or [] if Path(text).is_file()]
    if files:  # a period's monthly files named one by one, as compute takes them
        raise typer.BadParameter(
            f"{', '.join(files)}: a file, not an agent id; payslip reads one metrics file, or one folder "
            "holding a period's monthly files (put them in a folder and give the folder)",
            param_hint="AGENT_IDS",
        )
    inputs = Inputs(
        [metrics] if metrics else None,
        period,
        roster,
        encoding,
        delimiter,
        derived,
        memory_limit,
        threads,
        opening,
        changes,
        team_metrics,
    )
    source, words, ledger_path = _source(policy, inputs, ledger, lang)
    named = metrics if metrics is not None else derived
    if all_agents:
        run = pay(source, ledger=ledger_path)
        chosen = list(run.payslips)
    else:
        run, chosen = _choose(pay_agents(source, agent_ids or [], ledger=ledger_path), named)
    pricing = run.pricing()
    explanations = [explain(slip, pricing) for slip in chosen]
    if format is PayslipFormat.json:
        typer.echo(json.dumps(_payslips_data(run, explanations), ensure_ascii=False, indent=1))
        return
    screen = console()
    for explanation in explanations:
        disputes = run.disputes.get(explanation.agent_id, [])
        screen.print(payslip_panel(payslip_view(run.applied, explanation, words, disputes), words))


@app.command()
@reports_errors
def statements(
    policy: PolicyArgument,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the pages (created if missing).")],
    metrics: InputsArgument = None,
    force: Annotated[bool, typer.Option("--force", help="Replace statements already in the folder.")] = False,
    period: PeriodOption = None,
    roster: RosterOption = None,
    opening: OpeningOption = None,
    changes: ChangesOption = None,
    team_metrics: TeamMetricsOption = None,
    ledger: LedgerOption = None,
    lang: LangOption = None,
    encoding: EncodingOption = None,
    delimiter: DelimiterOption = None,
    derived: DerivedOption = None,
    memory_limit: MemoryOption = "1GB",
    threads: ThreadsOption = 2,
) -> None:
    """Write one self-contained, printable HTML statement per agent, and an index.html listing them.

    Example: cspay statements policies/standard.yaml examples/standard-2026-11.csv --out statements
    """
    from cspay.outputs.files import check_folder, write_folder
    from cspay.outputs.statements import INDEX, Totals, pages

    inputs = Inputs(
        metrics, period, roster, encoding, delimiter, derived, memory_limit, threads, opening, changes, team_metrics
    )
    run, words = _run(policy, inputs, ledger, lang)
    # Every run writes index.html: a folder that has one needs --force before any page is made. Other
    # pages that would be replaced are found as the pages are made, and then nothing is written.
    check_folder(out, [INDEX], force)
    totals = Totals()
    write_folder(out, pages(run, run.payslips, words, totals), force)
    typer.echo(
        words("statements.wrote", count=totals.count, folder=out, gross=words.moneys(totals.grosses)),
        err=True,
    )


def _run(policy: Path, inputs: Inputs, ledger: Path | None, lang: str | None) -> tuple[PayRun, Words]:
    """The run these options name, as compute pays it, and the words of the language asked for."""
    from cspay.run.pay import pay

    source, words, ledger_path = _source(policy, inputs, ledger, lang)
    return pay(source, ledger=ledger_path), words


def _source(policy: Path, inputs: Inputs, ledger: Path | None, lang: str | None) -> tuple[Source, Words, Path | None]:
    """The inputs these options name, resolved as compute resolves them, the words of the language asked
    for, and the ledger the run reads (if any)."""
    from cspay.policy.loader import load_policy

    loaded = load_policy(policy)
    words = words_for(lang, loaded)
    source = open_source(loaded, inputs)
    print_notes(source, words)
    return source, words, ledger_read(ledger, source.period is not None)


def _payslips_data(run: PayRun, explanations: list[Explanation]) -> dict[str, Any]:
    from cspay import __version__
    from cspay.engine.explain import explanation_data
    from cspay.outputs.runs import provenance

    policy = run.policy
    return {
        "policy": policy.policy,
        "policy_version": policy.version,
        "policy_sha256": policy.sha256,
        "cspay_version": __version__,
        "currency": policy.currency,
        **({"currencies": policy.paid_currencies} if len(policy.paid_currencies) > 1 else {}),
        **provenance(run),
        "payslips": [explanation_data(explanation) for explanation in explanations],
    }


def _choose(chosen: Chosen, metrics: Path | None) -> tuple[PayRun, list[Payslip]]:
    """The run and the asked agents' payslips; an unknown id names the close ones."""
    from cspay.errors import MetricsError

    asked = chosen.asked
    unknown = asked.missing()
    if unknown:
        raise MetricsError([_unknown(agent_id, asked, metrics) for agent_id in unknown])
    return chosen.run, chosen.payslips


def _unknown(agent_id: str, asked: AskedIds, metrics: Path | None) -> str:
    close = asked.close_to(agent_id)
    if close:
        return f"{metrics}: no agent with id {agent_id!r}; close ids: {', '.join(close)}"
    return f"{metrics}: no agent with id {agent_id!r}; expected one of the {asked.count} ids in the file"
