"""Commands over the ledger: runs, history, close, reopen, actions."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cspay.cli.common import (
    ByOption,
    ListFormat,
    add_row,
    app,
    console,
    period_option,
    reports_errors,
    who_is,
    words_for,
    writing,
)

if TYPE_CHECKING:  # csv and decimal load with the commands that use them: `cspay --help` needs neither
    from decimal import Decimal

    from cspay.i18n import Words

LedgerOption = Annotated[
    Path, typer.Option("--ledger", envvar="CSPAY_LEDGER", help="The ledger file (default: cspay.db here).")
]
LangOption = Annotated[str, typer.Option("--lang", help="Language of cspay's own words: en or zh.")]
TRENDS = {"up": "▲", "down": "▼", "same": "="}
STEP_OF = {"close": "closed", "reopen": "reopened"}  # a close or reopen as the step of the run it locked


FormatOption = Annotated[ListFormat, typer.Option("--format", "-f", help="table, csv or json.")]


def _open(path: Path) -> Any:
    """The ledger, opened read-only: listing never creates, migrates or changes it."""
    from cspay.ledger.book import Ledger

    return Ledger(path, read_only=True)


def emit(records: list[dict[str, Any]], format: ListFormat, table: Any) -> None:
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
    """A record's value as a CSV cell: an amount or count as the number it is; text made inert (no formula)
    with its control characters escaped."""
    from cspay.outputs.text import text_cell

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else text_cell(value) if isinstance(value, str) else value


@app.command()
@reports_errors
def runs(
    ledger: LedgerOption = Path("cspay.db"),
    period: Annotated[str | None, typer.Option("--period", help="Only this period's versions.")] = None,
    format: FormatOption = ListFormat.table,
    lang: LangOption = "en",
) -> None:
    """List the recorded runs: every version of every period, its state (draft, approved, closed,
    superseded) and its steps: who recorded, approved, exported, closed it, and when.

    Example: cspay runs --ledger payroll.db --format csv
    """
    words = words_for(lang)
    label = period_option(period).label if period else None
    with _open(ledger) as book:
        states, closes = book.run_states(label), [c for c in book.closes() if label in (None, c["period"])]
        stale = {state.run.id: book.stale(state.run) for state in states if state.state in ("draft", "approved")}
    records = [_run_record(state, steps=format is ListFormat.json) for state in states]
    if not any(len(state.run.totals) > 1 for state in states):  # one currency throughout: as it was
        records = [{key: value for key, value in record.items() if key != "currencies"} for record in records]
    if not records and format is ListFormat.table:
        typer.echo(words("runs.none", ledger=ledger))
        return
    emit(records, format, lambda: _runs_table(records, words, ledger))
    if format is not ListFormat.table:
        return
    screen = console()
    screen.print(_steps_table(states, words))
    mirrored = {(s.run.period, step.action, step.at, step.user) for s in states for step in s.steps}
    older = [c for c in closes if (c["period"], STEP_OF[c["action"]], c["at"], c["user"]) not in mirrored]
    if older:  # closes from before the ledger kept steps
        screen.print(_closes_table(older, words))
    for state in states:
        for why, number in stale.get(state.run.id, []):
            typer.echo(
                words(f"runs.stale.{why}", period=state.run.period, version=state.run.version, id=number), err=True
            )


def _run_record(state: Any, *, steps: bool = False) -> dict[str, Any]:
    run = state.run
    record = {  # the columns runs had before the controls, then theirs: scripts reading by position keep working
        "period": run.period,
        "version": run.version,
        "kind": run.kind,
        "superseded": run.superseded,
        "recorded_at": run.recorded_at,
        "recorded_by": run.recorded_by,
        "host": run.host,
        "headcount": run.headcount,
        "gross": None if run.gross is None else str(run.gross),
        "bonus": None if run.bonus is None else str(run.bonus),
        "currency": run.currency,
        # Each currency's totals: a run paid in several has no one gross.
        "currencies": _totals(run.totals),
        "policy": run.policy,
        "policy_version": run.policy_version,
        "state": state.state,
        "recorded_as": state.recorded.name,
        "four_eyes": state.four_eyes,
    }
    if steps:
        record["steps"] = [
            {"action": s.action, "at": s.at, "user": s.user, "host": s.host, "name": s.name, "note": s.note}
            for s in state.steps
        ]
    return record


def _totals(totals: Any) -> dict[str, dict[str, Any]] | None:
    """A run's totals per currency, None for a run recorded before they were kept."""
    found = {
        code: {"headcount": count, "gross": str(gross), "bonus": str(bonus)} for code, count, gross, bonus in totals
    }
    return found or None


def _runs_table(records: list[dict[str, Any]], words: Any, ledger: Path) -> Any:
    from decimal import Decimal

    from rich.table import Table

    from cspay.outputs.text import number

    table = Table(title=words("runs.title", ledger=ledger), title_justify="left")
    for key in ("period", "version", "kind", "state", "when", "who", "headcount", "gross"):
        right = key in ("version", "headcount", "gross")
        table.add_column(words(f"runs.{key}"), justify="right" if right else "left", no_wrap=True)
    for r in records:
        add_row(
            table,
            r["period"],
            str(r["version"]),
            words(f"runs.kind.{r['kind']}"),
            words(f"runs.state.{r['state']}"),
            r["recorded_at"],
            f"{r['recorded_as']} ({r['recorded_by']}@{r['host']})"
            if r["recorded_as"]
            else f"{r['recorded_by']}@{r['host']}",
            str(r["headcount"]),
            "; ".join(f"{number(Decimal(gross))} {code}" for code, gross in _grosses(r).items()),
        )
    return table


def _grosses(record: dict[str, Any]) -> dict[str, str]:
    """A run's total gross in each currency it paid."""
    if record.get("currencies"):
        return {code: totals["gross"] for code, totals in record["currencies"].items()}
    return {record["currency"]: record["gross"]}


def _steps_table(states: list[Any], words: Any) -> Any:
    from rich.table import Table

    table = Table(title=words("steps.title"), title_justify="left")
    for key in ("runs.period", "runs.version", "steps.step", "steps.when", "steps.who", "steps.note"):
        table.add_column(words(key), justify="right" if key == "runs.version" else "left", no_wrap=key != "steps.note")
    for state in states:
        for step in state.steps:
            add_row(
                table,
                state.run.period,
                str(state.run.version),
                words(f"steps.{step.action}"),
                step.at,
                step.who,
                step.note or "",
            )
    return table


def _closes_table(closes: list[dict[str, Any]], words: Any) -> Any:
    from rich.table import Table

    table = Table(title=words("closes.title"), title_justify="left")
    for key in ("runs.period", "closes.action", "runs.when", "runs.who", "closes.reason"):
        table.add_column(words(key), no_wrap=key != "closes.reason")
    for c in closes:
        add_row(
            table, c["period"], words(f"closes.{c['action']}"), c["at"], f"{c['user']}@{c['host']}", c["reason"] or ""
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
    records: list[dict[str, Any]] = []
    before: tuple[Decimal, str] | None = None
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
                "other_corrections": {code: str(amount) for code, amount in standing.other_corrections} or None,
                "trend": _trend(before, standing.gross, standing.currency),
                **({} if standing.net is None else {"net": str(standing.net)}),
            }
        )
        before = standing.gross, standing.currency
    emit(records, format, lambda: _history_table(records, words, agent_id))


def _trend(before: tuple[Decimal, str] | None, now: Decimal, currency: str) -> str | None:
    """Gross against the previous recorded period: up, down or same (None for the first, and after a change
    of currency: amounts of two currencies are not compared)."""
    if before is None or before[1] != currency:
        return None
    return "up" if now > before[0] else "down" if now < before[0] else "same"


def _history_table(records: list[dict[str, Any]], words: Any, agent_id: str) -> Any:
    from decimal import Decimal

    from rich.table import Table

    from cspay.outputs.text import number, score_text

    currencies = ", ".join(dict.fromkeys(r["currency"] for r in records))  # what the amounts below are in
    table = Table(title=words("history.title_in", agent=agent_id, currencies=currencies), title_justify="left")
    table.add_column(words("runs.period"), no_wrap=True)
    net = any("net" in r for r in records)
    for key in ("grade", "score", "bonus", "gross", *(["net"] if net else [])):
        table.add_column(words(f"col.{key}"), justify="left" if key == "grade" else "right", no_wrap=True)
    table.add_column(words("history.trend"), justify="center", no_wrap=True)
    corrected = any(Decimal(r["correction"]) or r["other_corrections"] for r in records)
    several = len({r["currency"] for r in records}) > 1  # amounts then name their currency
    if corrected:
        table.add_column(words("history.correction"), justify="right", no_wrap=True)
    for r in records:
        score = score_text(Decimal(r["score"])) if r["score"] else "-"
        change = [_correction(r, words)] if corrected else []
        add_row(
            table,
            r["period"],
            r["grade"] or "-",
            score,
            number(Decimal(r["bonus"])) + (f" {r['currency']}" if several else ""),
            number(Decimal(r["gross"])) + (f" {r['currency']}" if several else ""),
            *(
                [number(Decimal(r["net"])) + (f" {r['currency']}" if several else "") if "net" in r else "-"]
                if net
                else []
            ),
            TRENDS.get(r["trend"] or "", ""),
            *change,
        )
    return table


def _correction(record: dict[str, Any], words: Words) -> str:
    """A period's corrections: +900.00 (paid in 2026-12), or pending."""
    from decimal import Decimal

    from cspay.outputs.text import number

    amount = Decimal(record["correction"])
    others = [f"{'+' if Decimal(value) > 0 else ''}{number(Decimal(value))} {code}"
              for code, value in (record["other_corrections"] or {}).items()]  # fmt: skip
    if not amount:
        return "; ".join(others)
    shown = ("+" if amount > 0 else "") + number(amount)
    if not record["corrected_in"]:
        return "; ".join([words("history.pending", amount=shown), *others])
    return "; ".join([words("history.corrected", amount=shown, where=", ".join(record["corrected_in"])), *others])


@app.command("close")
@reports_errors
def close_period(
    period: Annotated[str, typer.Argument(help="The period to lock: 2026-11, 2026-Q4 or 2026.")],
    by: ByOption = None,
    ledger: LedgerOption = Path("cspay.db"),
    lang: LangOption = "en",
) -> None:
    """Close a recorded period whose run is approved: later --record runs for it are refused until it is reopened.

    Example: cspay close 2026-11 --ledger payroll.db
    """
    words = words_for(lang)
    label, who = _period_argument(period), who_is(by)

    with writing(ledger) as book:
        book.close_period(label, who)
    typer.echo(words("close.done", period=label, ledger=ledger, user=who.user, host=who.host, at=who.at))


@app.command()
@reports_errors
def reopen(
    period: Annotated[str, typer.Argument(help="The closed period to reopen.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it is reopened; kept in the ledger.")],
    by: ByOption = None,
    ledger: LedgerOption = Path("cspay.db"),
    lang: LangOption = "en",
) -> None:
    """Reopen a closed period, recording who did it, when and why.

    Example: cspay reopen 2026-11 --reason "CSAT survey export was incomplete"
    """
    from cspay.cli.common import text_of

    why = text_of(reason, "--reason", "CSAT export was incomplete")
    words = words_for(lang)
    label, who = _period_argument(period), who_is(by)
    with writing(ledger) as book:
        book.reopen_period(label, why, who)
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
    emit(records, format, lambda: _actions_table(records, words, label))


def _actions_table(records: list[dict[str, Any]], words: Any, period: str) -> Any:
    from rich.table import Table

    table = Table(title=words("actions.title", period=period), title_justify="left")
    for key in ("col.agent", "col.name", "col.team", "col.grade", "actions.action"):
        table.add_column(words(key), no_wrap=key in ("col.agent", "col.grade"))
    for r in records:
        add_row(table, r["agent_id"], r["name"], r["team"], r["grade"] or "-", r["action"])
    return table
