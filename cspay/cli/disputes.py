"""Agents' disputes from the command line: open, resolve, list (counted by KPI or line and outcome)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cspay.cli.common import (
    ByOption,
    ListFormat,
    add_row,
    app,
    console,
    reports_errors,
    text_of,
    who_is,
    words_for,
    writing,
)
from cspay.cli.controls import book_of, period_label
from cspay.cli.ledger import FormatOption, LangOption, LedgerOption, emit

if TYPE_CHECKING:
    from decimal import Decimal

    from cspay.i18n import Words
    from cspay.ledger.controls import Dispute

dispute_app = typer.Typer(help="Agents' disputes of a KPI or a payslip line, and their outcome.", no_args_is_help=True)
app.add_typer(dispute_app, name="dispute")


@dispute_app.command("open")
@reports_errors
def dispute_open(
    period: Annotated[str, typer.Argument(help="The recorded period disputed: 2026-11.")],
    agent_id: Annotated[str, typer.Argument(metavar="AGENT", help="The agent who disputes.")],
    claim: Annotated[str, typer.Option("--claim", help="What the agent says is wrong, in their words.")],
    kpi: Annotated[str | None, typer.Option("--kpi", help="The KPI disputed (its code in the policy).")] = None,
    line: Annotated[str | None, typer.Option("--line", help="Or the payslip line disputed (its code).")] = None,
    by: ByOption = None,
    ledger: LedgerOption = Path("cspay.db"),
    lang: LangOption = "en",
) -> None:
    """Record an agent's dispute of one KPI or payslip line of a recorded period.

    Example: cspay dispute open 2026-11 A002 --kpi csat --claim "12 surveys were for another agent"
    """

    if (kpi is None) == (line is None):
        raise typer.BadParameter("give --kpi CODE or --line CODE (one of them)", param_hint="--kpi")
    subject = ("kpi", kpi) if kpi is not None else ("line", line or "")
    words, label, who = words_for(lang), period_label(period), who_is(by)
    said = text_of(claim, "--claim", "12 surveys were for another agent")
    with writing(ledger) as book:
        dispute = book.open_dispute(label, agent_id, subject, said, who)
    typer.echo(words("dispute.opened", id=dispute.id, agent=agent_id, period=label, code=dispute.code, ledger=ledger))


@dispute_app.command("resolve")
@reports_errors
def dispute_resolve(
    dispute_id: Annotated[int, typer.Argument(metavar="ID", help="The dispute's number.")],
    note: Annotated[str, typer.Option("--note", help="The decision, in words the agent will read.")],
    accept: Annotated[bool, typer.Option("--accept", help="The agent is right: a corrected run settles it.")] = False,
    reject: Annotated[bool, typer.Option("--reject", help="The figure stands.")] = False,
    by: ByOption = None,
    ledger: LedgerOption = Path("cspay.db"),
    lang: LangOption = "en",
) -> None:
    """Accept or reject an open dispute, with a note that says why.

    Example: cspay dispute resolve 1 --accept --note "The surveys were re-assigned in the CRM"
    """

    if accept == reject:
        raise typer.BadParameter("give --accept or --reject (one of them)", param_hint="--accept")
    words, who = words_for(lang), who_is(by)
    said = text_of(note, "--note", "The surveys were re-assigned in the CRM")
    with writing(ledger) as book:
        dispute = book.resolve_dispute(dispute_id, accept, said, who)
        closed = book.closed(dispute.period) is not None
    typer.echo(words(f"dispute.{dispute.state}", id=dispute.id, agent=dispute.agent_id, ledger=ledger))
    if accept:
        key = "dispute.settle_correction" if closed else "dispute.settle_again"
        typer.echo(words(key, id=dispute.id, period=dispute.period), err=True)


@dispute_app.command("list")
@reports_errors
def dispute_list(
    period: Annotated[str | None, typer.Option("--period", help="Only this period's disputes.")] = None,
    agent_id: Annotated[str | None, typer.Option("--agent", help="Only this agent's disputes.")] = None,
    often: Annotated[
        str,
        typer.Option("--often", help="A KPI or line disputed by this share of the agents paid, or more, is flagged."),
    ] = "5%",
    format: FormatOption = ListFormat.table,
    ledger: LedgerOption = Path("cspay.db"),
    lang: LangOption = "en",
) -> None:
    """List disputes and count them by KPI (or line) and outcome; flag a criterion disputed often.

    Example: cspay dispute list --period 2026-11
    """
    from cspay.ledger.disputes import by_subject

    words = words_for(lang)
    label = period_label(period) if period else None
    share = _share(often)
    with book_of(ledger) as book:
        disputes = book.disputes(label, agent_id)
        current = book.run_state(label) if label else None
    headcount = current.run.headcount if current is not None else None
    counts = by_subject(disputes, headcount, share)
    if format is not ListFormat.table:
        emit([_dispute_record(item) for item in disputes], format, lambda: None)
        return
    if not disputes:
        typer.echo(words("dispute.none", ledger=ledger))
        return
    screen = console()
    screen.print(_disputes_table(disputes, words))
    screen.print(_counts_table(counts, words, label))
    for count in counts:
        if count.often:
            typer.echo(words("dispute.often", code=count.code, count=count.agents, headcount=headcount,
                             share=_percent(count.share), period=label))  # fmt: skip


def _share(text: str) -> Decimal:
    from decimal import Decimal, InvalidOperation

    try:
        share = Decimal(text.strip().removesuffix("%")) / 100
    except InvalidOperation:
        share = Decimal(-1)
    if not text.strip().endswith("%") or not 0 < share <= 1:
        raise typer.BadParameter(f"expected a share like 5%, got {text!r}", param_hint="--often")
    return share


def _percent(share: Decimal | None) -> str:
    """A share as a percentage with one decimal, halves rounded up: 0.0625 is 6.3%."""
    from decimal import ROUND_HALF_UP, Decimal

    return "-" if share is None else f"{(share * 100).quantize(Decimal('0.1'), ROUND_HALF_UP)}%"


def _dispute_record(item: Dispute) -> dict[str, Any]:
    decision = item.decision
    settled = item.settled_in
    return {
        "id": item.id,
        "period": item.period,
        "agent_id": item.agent_id,
        "subject": item.subject,
        "code": item.code,
        "claim": item.claim,
        "state": item.state,
        "outcome": item.outcome,
        "opened_by": item.opened.who,
        "opened_at": item.opened.at,
        "decided_by": decision.who if decision else None,
        "decided_at": decision.at if decision else None,
        "note": decision.note if decision else None,
        "settled_by": None if settled is None else {"period": settled[0], "version": settled[1], "kind": settled[2]},
    }


def _disputes_table(disputes: list[Dispute], words: Words) -> Any:
    from rich.table import Table

    table = Table(title=words("dispute.title"), title_justify="left")
    for key in ("id", "period", "agent", "about", "claim", "state", "decision"):
        table.add_column(words(f"dispute.col.{key}"), justify="right" if key == "id" else "left",
                         no_wrap=key not in ("claim", "decision"))  # fmt: skip
    for item in disputes:
        decision = item.decision
        state = words(f"dispute.state.{item.state}")
        if item.settled_in is not None:
            state = words("dispute.settled_in", period=item.settled_in[0], version=item.settled_in[1])
        add_row(
            table,
            str(item.id),
            item.period,
            item.agent_id,
            f"{words(f'dispute.subject.{item.subject}')} {item.code}",
            item.claim,
            state,
            "" if decision is None else f"{decision.note} ({decision.who})",
        )
    return table


def _counts_table(counts: list[Any], words: Words, period: str | None) -> Any:
    from rich.table import Table

    title = words("dispute.counts_title", period=period) if period else words("dispute.counts_title_all")
    table = Table(title=title, title_justify="left")
    table.add_column(words("dispute.col.about"), no_wrap=True)
    for key in ("open", "accepted", "rejected", "agents", "share"):
        table.add_column(words(f"dispute.count.{key}"), justify="right", no_wrap=True)
    for count in counts:
        share = "-" if count.share is None else _percent(count.share)
        add_row(
            table,
            f"{words(f'dispute.subject.{count.subject}')} {count.code}",
            str(count.open),
            str(count.accepted),
            str(count.rejected),
            str(count.agents),
            share + (" !" if count.often else ""),
        )
    return table
