"""The payslip and statements commands: each agent's pay explained, on screen or as HTML pages."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cspay.cli.common import (
    DelimiterOption,
    EncodingOption,
    InputsArgument,
    LangOption,
    LedgerOption,
    PeriodOption,
    PolicyArgument,
    RosterOption,
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
    from cspay.run.pay import PayRun

OneInput = Annotated[
    Path,
    typer.Argument(
        metavar="METRICS",
        help="One month of agent metrics (CSV); for a quarterly or annual policy, the folder of "
        "its monthly files; for a policy with a metrics: section, the raw export.",
    ),
]


class PayslipFormat(StrEnum):
    text = "text"
    json = "json"


@app.command()
@reports_errors
def payslip(
    policy: PolicyArgument,
    metrics: OneInput,
    agent_ids: Annotated[list[str] | None, typer.Argument(help="Agent ids, as in the metrics file.")] = None,
    all_agents: Annotated[bool, typer.Option("--all", help="Every agent in the metrics file.")] = False,
    format: Annotated[PayslipFormat, typer.Option("--format", "-f", help="text or json.")] = PayslipFormat.text,
    period: PeriodOption = None,
    roster: RosterOption = None,
    ledger: LedgerOption = None,
    lang: LangOption = None,
    encoding: EncodingOption = None,
    delimiter: DelimiterOption = None,
) -> None:
    """Explain agents' payslips: every number on them, and what would raise the bonus.

    Example: cspay payslip policies/standard.yaml examples/standard-2026-11.csv A001
    """
    from cspay.engine.explain import explain
    from cspay.outputs.terminal_payslip import payslip_panel
    from cspay.outputs.view import payslip_view

    if all_agents == bool(agent_ids):
        raise typer.BadParameter("give one or more agent ids, or --all (not both)", param_hint="AGENT_IDS")
    run, words = _run(policy, [metrics], period, roster, ledger, lang, encoding, delimiter)
    chosen = list(run.payslips) if all_agents else _choose(run.payslips, agent_ids or [], metrics)
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
    metrics: InputsArgument,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the pages (created if missing).")],
    force: Annotated[bool, typer.Option("--force", help="Replace statements already in the folder.")] = False,
    period: PeriodOption = None,
    roster: RosterOption = None,
    ledger: LedgerOption = None,
    lang: LangOption = None,
    encoding: EncodingOption = None,
    delimiter: DelimiterOption = None,
) -> None:
    """Write one self-contained, printable HTML statement per agent, and an index.html listing them.

    Example: cspay statements policies/standard.yaml examples/standard-2026-11.csv --out statements
    """
    from cspay.outputs.files import check_folder, write_folder
    from cspay.outputs.statements import INDEX, Totals, file_names, pages

    run, words = _run(policy, metrics, period, roster, ledger, lang, encoding, delimiter)
    payslips = list(run.payslips)
    names = file_names(slip.agent_id for slip in payslips)
    check_folder(out, [*names, INDEX], force)
    totals = Totals()
    write_folder(out, pages(run, payslips, names, words, totals), force)
    typer.echo(
        words("statements.wrote", count=totals.count, folder=out, gross=words.moneys(totals.grosses)),
        err=True,
    )


def _run(
    policy: Path,
    metrics: list[Path],
    period: str | None,
    roster: list[Path] | None,
    ledger: Path | None,
    lang: str | None,
    encoding: str | None,
    delimiter: str | None,
) -> tuple[PayRun, Words]:
    """The run these options name, as compute pays it, and the words of the language asked for."""
    from cspay.policy.loader import load_policy
    from cspay.run.pay import pay

    loaded = load_policy(policy)
    words = words_for(lang, loaded)
    source = open_source(loaded, metrics, period, roster, encoding, delimiter)
    print_notes(source, words)
    return pay(source, ledger=ledger_read(ledger, source.period is not None)), words


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


def _choose(payslips: Iterable[Payslip], agent_ids: list[str], metrics: Path) -> list[Payslip]:
    """The payslips of the agents asked for, in the order asked; an unknown id names the close ones."""
    from cspay.errors import MetricsError

    by_id = {slip.agent_id: slip for slip in payslips}
    unknown = [agent_id for agent_id in dict.fromkeys(agent_ids) if agent_id not in by_id]
    if unknown:
        raise MetricsError([_unknown(agent_id, list(by_id), metrics) for agent_id in unknown])
    return [by_id[agent_id] for agent_id in dict.fromkeys(agent_ids)]


def _unknown(agent_id: str, known: list[str], metrics: Path) -> str:
    close = close_ids(agent_id, known)
    if close:
        return f"{metrics}: no agent with id {agent_id!r}; close ids: {', '.join(close)}"
    return f"{metrics}: no agent with id {agent_id!r}; expected one of the {len(known)} ids in the file"


def close_ids(wanted: str, known: list[str], limit: int = 5) -> list[str]:
    """The ids most like `wanted` (case aside), the likest first, ties in file order."""
    folded = wanted.casefold()
    scored = []
    for index, agent_id in enumerate(known):
        likeness = difflib.SequenceMatcher(None, folded, agent_id.casefold()).ratio()
        if likeness >= 0.6:
            scored.append((-likeness, index, agent_id))
    return [agent_id for _, _, agent_id in sorted(scored)[:limit]]
