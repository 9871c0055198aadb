"""Commands over the ledger: runs, history, close, reopen, actions."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cspay.cli.common import ListFormat, app, console, period_option, reports_errors, words_for

if TYPE_CHECKING:  # csv and decimal load with the commands that use them: `cspay --help` needs neither
    from decimal import Decimal

    from cspay.i18n import Words

LedgerOption = Annotated[
    Path, typer.Option("--ledger", envvar="CSPAY_LEDGER", help="The ledger file (default: cspay.db here).")
]
LangOption = Annotated[str, typer.Option("--lang", help="Language of cspay's own words: en or zh.")]
TRENDS = {"up": "▲", "down": "▼", "same": "="}


FormatOption = Annotated[ListFormat, typer.Option("--format", "-f", help="table, csv or json.")]


def _open(path: Path) -> Any:
    from cspay.ledger.book import Ledger

    return Ledger(path)


def _emit(records: list[dict[str, Any]], format: ListFormat, table: Any) -> None:
    """Write records as CSV or JSON to stdout, or print the table for people."""
    if format is ListFormat.json:
        typer.echo(json.dumps(records, ensure_ascii=False, indent=1))
    elif format is ListFormat.csv:
        import csv

        writer = csv.writer(sys.stdout, lineterminator="\n")
        if records:  # no rows, no header: the columns come from the rows
            writer.writerow(list(records[0]))
        for record in records:
            writer.writerow([_cell(value) for value in record.values()])
    else:
        console().print(table())


def _cell(value: Any) -> Any:
    from cspay.outputs.export import inert

    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else inert(value) if isinstance(value, str) else value


@app.command()
@reports_errors
def runs(
    ledger: LedgerOption = Path("cspay.db"),
    period: Annotated[str | None, typer.Option("--period", help="Only this period's versions.")] = None,
    format: FormatOption = ListFormat.table,
    lang: LangOption = "en",
) -> None:
    """List the recorded runs: every version of every period, and which one counts.

    Example: cspay runs --ledger payroll.db --format csv
    """
    words = words_for(lang)
    label = period_option(period).label if period else None
    with _open(ledger) as book:
        found, closes = book.runs(label), [c for c in book.closes() if label in (None, c["period"])]
    records = [_run_record(run) for run in found]
    if not records and format is ListFormat.table:
        typer.echo(words("runs.none", ledger=ledger))
        return
    _emit(records, format, lambda: _runs_table(records, words, ledger))
    if closes and format is ListFormat.table:
        console().print(_closes_table(closes, words))


def _run_record(run: Any) -> dict[str, Any]:
    return {
        "period": run.period,
        "version": run.version,
        "kind": run.kind,
        "superseded": run.superseded,
        "recorded_at": run.recorded_at,
        "recorded_by": run.recorded_by,
        "host": run.host,
        "headcount": run.headcount,
        "gross": str(run.gross),
        "bonus": str(run.bonus),
        "currency": run.currency,
        "policy": run.policy,
        "policy_version": run.policy_version,
    }


def _runs_table(records: list[dict[str, Any]], words: Any, ledger: Path) -> Any:
    from decimal import Decimal

    from rich.table import Table

    from cspay.outputs.terminal import number

    table = Table(title=words("runs.title", ledger=ledger), title_justify="left")
    for key in ("period", "version", "kind", "superseded", "when", "who", "headcount", "gross"):
        right = key in ("version", "headcount", "gross")
        table.add_column(words(f"runs.{key}"), justify="right" if right else "left", no_wrap=True)
    for r in records:
        table.add_row(
            r["period"],
            str(r["version"]),
            words(f"runs.kind.{r['kind']}"),
            words("runs.yes" if r["superseded"] else "runs.no"),
            r["recorded_at"],
            f"{r['recorded_by']}@{r['host']}",
            str(r["headcount"]),
            f"{number(Decimal(r['gross']))} {r['currency']}",
        )
    return table


def _closes_table(closes: list[dict[str, Any]], words: Any) -> Any:
    from rich.table import Table

    table = Table(title=words("closes.title"), title_justify="left")
    for key in ("runs.period", "closes.action", "runs.when", "runs.who", "closes.reason"):
        table.add_column(words(key), no_wrap=key != "closes.reason")
    for c in closes:
        table.add_row(
            c["period"], words(f"closes.{c['action']}"), c["at"], f"{c['user']}@{c['host']}", c["reason"] or ""
        )
    return table


@app.command()
@reports_errors
def history(
    agent_id: Annotated[str, typer.Argument(help="The agent's id, as in the metrics file.")],
    ledger: LedgerOption = Path("cspay.db"),
    format: FormatOption = ListFormat.table,
    lang: LangOption = "en",
) -> None:
    """Show what an agent was paid each recorded period (gross, bonus, grade, score), what corrections of it
    changed and in which period they were paid, and the trend of gross pay.

    Example: cspay history A001 --format json
    """
    words = words_for(lang)
    with _open(ledger) as book:
        standings = book.history(agent_id)
    if not standings and format is ListFormat.table:
        typer.echo(words("history.none", agent=agent_id))
        return
    records, before = [], None
    for standing in standings:
        records.append(
            {
                "period": standing.period,
                "grade": standing.grade,
                "score": None if standing.score is None else str(standing.score),
                "bonus": str(standing.bonus),
                "gross": str(standing.gross),
                "correction": str(standing.correction),
                "corrected_in": list(standing.corrected_in),
                "currency": standing.currency,
                "trend": _trend(before, standing.gross),
                **({} if standing.net is None else {"net": str(standing.net)}),
            }
        )
        before = standing.gross
    _emit(records, format, lambda: _history_table(records, words, agent_id))


def _trend(before: Decimal | None, now: Decimal) -> str | None:
    """Gross against the previous recorded period: up, down or same (None for the first)."""
    if before is None:
        return None
    return "up" if now > before else "down" if now < before else "same"


def _history_table(records: list[dict[str, Any]], words: Any, agent_id: str) -> Any:
    from decimal import Decimal

    from rich.table import Table

    from cspay.outputs.export import score_text
    from cspay.outputs.terminal import number

    table = Table(title=words("history.title", agent=agent_id), title_justify="left")
    table.add_column(words("runs.period"), no_wrap=True)
    net = any("net" in r for r in records)
    for key in ("grade", "score", "bonus", "gross", *(["net"] if net else [])):
        table.add_column(words(f"col.{key}"), justify="left" if key == "grade" else "right", no_wrap=True)
    table.add_column(words("history.trend"), justify="center", no_wrap=True)
    corrected = any(Decimal(r["correction"]) for r in records)
    if corrected:
        table.add_column(words("history.correction"), justify="right", no_wrap=True)
    for r in records:
        score = score_text(Decimal(r["score"])) if r["score"] else "-"
        change = [_correction(r, words)] if corrected else []
        table.add_row(
            r["period"],
            r["grade"] or "-",
            score,
            number(Decimal(r["bonus"])),
            number(Decimal(r["gross"])),
            *([number(Decimal(r["net"])) if "net" in r else "-"] if net else []),
            TRENDS.get(r["trend"] or "", ""),
            *change,
        )
    return table


def _correction(record: dict[str, Any], words: Words) -> str:
    """A period's corrections: +900.00 (paid in 2026-12), or pending."""
    from decimal import Decimal

    from cspay.outputs.terminal import number

    amount = Decimal(record["correction"])
    if not amount:
        return ""
    shown = ("+" if amount > 0 else "") + number(amount)
    if not record["corrected_in"]:
        return words("history.pending", amount=shown)
    return words("history.corrected", amount=shown, where=", ".join(record["corrected_in"]))


@app.command("close")
@reports_errors
def close_period(
    period: Annotated[str, typer.Argument(help="The period to lock: 2026-11, 2026-Q4 or 2026.")],
    ledger: LedgerOption = Path("cspay.db"),
    lang: LangOption = "en",
) -> None:
    """Close a recorded period: later --record runs for it are refused until it is reopened.

    Example: cspay close 2026-11 --ledger payroll.db
    """
    from cspay.ledger.reads import Who

    words = words_for(lang)
    label, who = _period_argument(period), Who.now()
    with _open(ledger) as book:
        book.close_period(label, who)
    typer.echo(words("close.done", period=label, ledger=ledger, user=who.user, host=who.host, at=who.at))


@app.command()
@reports_errors
def reopen(
    period: Annotated[str, typer.Argument(help="The closed period to reopen.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it is reopened; kept in the ledger.")],
    ledger: LedgerOption = Path("cspay.db"),
    lang: LangOption = "en",
) -> None:
    """Reopen a closed period, recording who did it, when and why.

    Example: cspay reopen 2026-11 --reason "CSAT survey export was incomplete"
    """
    from cspay.ledger.reads import Who

    if not reason.strip():
        raise typer.BadParameter('expected a reason, e.g. --reason "CSAT export was incomplete"', param_hint="--reason")
    words = words_for(lang)
    label, who = _period_argument(period), Who.now()
    with _open(ledger) as book:
        book.reopen_period(label, reason.strip(), who)
    typer.echo(words("reopen.done", period=label, ledger=ledger, user=who.user, host=who.host, at=who.at))


def _period_argument(text: str) -> str:
    label: str = period_option(text, "PERIOD").label
    return label


@app.command()
@reports_errors
def actions(
    period: Annotated[str, typer.Argument(help="The recorded period: 2026-11, 2026-Q4 or 2026.")],
    ledger: LedgerOption = Path("cspay.db"),
    format: FormatOption = ListFormat.table,
    lang: LangOption = "en",
) -> None:
    """List the actions (promotion review, training plan …) the period's recorded run triggered.

    Example: cspay actions 2026-11 --format csv
    """
    words = words_for(lang)
    label = _period_argument(period)
    with _open(ledger) as book:
        records = book.triggered(label)
    if not records and format is ListFormat.table:
        typer.echo(words("actions.none", period=label))
        return
    _emit(records, format, lambda: _actions_table(records, words, label))


def _actions_table(records: list[dict[str, Any]], words: Any, period: str) -> Any:
    from rich.table import Table

    table = Table(title=words("actions.title", period=period), title_justify="left")
    for key in ("col.agent", "col.name", "col.team", "col.grade", "actions.action"):
        table.add_column(words(key), no_wrap=key in ("col.agent", "col.grade"))
    for r in records:
        table.add_row(r["agent_id"], r["name"], r["team"], r["grade"] or "-", r["action"])
    return table
