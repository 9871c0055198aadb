"""The payslip and statements commands: each agent's pay explained, on screen or as HTML pages."""

from __future__ import annotations

import difflib
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from cspay.cli.common import app, console, delimiter_option, reports_errors, words_for

Policy = Annotated[Path, typer.Argument(help="The pay policy (YAML).")]
Metrics = Annotated[Path, typer.Argument(help="One month of agent metrics (CSV).")]
Lang = Annotated[str | None, typer.Option("--lang", help="Language of cspay's own words: en or zh "
                                                      "(default: the policy's locale, else en).")]
Encoding = Annotated[str | None, typer.Option(help="Force the CSV encoding (utf-8, gb18030 …).")]
Delimiter = Annotated[str | None, typer.Option(help="Force the CSV delimiter (default: detected).")]


class PayslipFormat(StrEnum):
    text = "text"
    json = "json"


@app.command()
@reports_errors
def payslip(
    policy: Policy,
    metrics: Metrics,
    agent_ids: Annotated[list[str] | None, typer.Argument(help="Agent ids, as in the metrics file.")] = None,
    all_agents: Annotated[bool, typer.Option("--all", help="Every agent in the metrics file.")] = False,
    format: Annotated[PayslipFormat, typer.Option("--format", "-f", help="text or json.")] = PayslipFormat.text,
    lang: Lang = None,
    encoding: Encoding = None,
    delimiter: Delimiter = None,
) -> None:
    """Explain agents' payslips: every number on them, and what would raise the bonus.

    Example: cspay payslip policies/standard.yaml examples/standard-2026-11.csv A001
    """
    from cspay.engine.compiled import Engine
    from cspay.engine.explain import explain
    from cspay.outputs.terminal_payslip import payslip_panel
    from cspay.outputs.view import payslip_view

    if all_agents == bool(agent_ids):
        raise typer.BadParameter("give one or more agent ids, or --all (not both)", param_hint="AGENT_IDS")
    loaded, words, rows = _load(policy, metrics, lang, encoding, delimiter)
    chosen = rows if all_agents else _choose(rows, agent_ids or [], metrics)
    engine = Engine(loaded)
    explanations = [explain(loaded, row, engine=engine) for row in chosen]
    if format is PayslipFormat.json:
        typer.echo(json.dumps(_payslips_data(loaded, explanations), ensure_ascii=False, indent=1))
        return
    screen = console()
    for explanation in explanations:
        screen.print(payslip_panel(payslip_view(loaded, explanation, words), words))


@app.command()
@reports_errors
def statements(
    policy: Policy,
    metrics: Metrics,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the pages (created if missing).")],
    force: Annotated[bool, typer.Option("--force", help="Replace statements already in the folder.")] = False,
    lang: Lang = None,
    encoding: Encoding = None,
    delimiter: Delimiter = None,
) -> None:
    """Write one self-contained, printable HTML statement per agent, and an index.html listing them.

    Example: cspay statements policies/standard.yaml examples/standard-2026-11.csv --out statements
    """
    from cspay.outputs.statements import INDEX, Totals, check_folder, file_names, pages, write_folder

    loaded, words, rows = _load(policy, metrics, lang, encoding, delimiter)
    names = file_names(row.agent_id for row in rows)
    check_folder(out, [*names, INDEX], force)
    totals = Totals()
    write_folder(out, pages(loaded, rows, names, words, totals), force)
    typer.echo(words("statements.wrote", count=totals.count, folder=out,
                     gross=words.money(totals.gross, loaded.currency)), err=True)


def _payslips_data(policy: Any, explanations: list[Any]) -> dict[str, Any]:
    from cspay import __version__
    from cspay.engine.explain import explanation_data

    return {"policy": policy.policy, "policy_version": policy.version, "policy_sha256": policy.sha256,
            "cspay_version": __version__, "currency": policy.currency,
            "payslips": [explanation_data(explanation) for explanation in explanations]}


def _load(policy: Path, metrics: Path, lang: str | None, encoding: str | None,
          delimiter: str | None) -> tuple[Any, Any, list[Any]]:
    """The policy, the words of the language asked for, and every row of the metrics file."""
    from cspay.inputs.metrics import read_metrics
    from cspay.policy.loader import load_policy

    delimiter = delimiter_option(delimiter)
    loaded = load_policy(policy)
    words = words_for(lang, loaded)
    return loaded, words, read_metrics(metrics, loaded, encoding=encoding, delimiter=delimiter)


def _choose(rows: list[Any], agent_ids: list[str], metrics: Path) -> list[Any]:
    """The rows of the agents asked for, in the order asked; an unknown id names the close ones."""
    from cspay.errors import MetricsError

    by_id = {row.agent_id: row for row in rows}
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
