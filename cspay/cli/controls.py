"""The controls: approving a recorded run, and one-off adjustments (adjust …)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cspay.cli.common import (
    ByOption,
    ListFormat,
    add_row,
    app,
    period_option,
    reports_errors,
    text_of,
    who_is,
    words_for,
    writing,
)
from cspay.cli.ledger import FormatOption, LangOption, LedgerOption, emit

if TYPE_CHECKING:
    from decimal import Decimal

    from cspay.i18n import Words
    from cspay.ledger.controls import OneOff, Step

adjust_app = typer.Typer(
    help="One-off adjustments: a manual amount for one agent's pay in one period, with its reason.",
    no_args_is_help=True,
)
app.add_typer(adjust_app, name="adjust")


def book_of(path: Path) -> Any:
    """The ledger, opened read-only: listing never creates, migrates or changes it."""
    from cspay.ledger.book import Ledger

    return Ledger(path, read_only=True)


def period_label(text: str) -> str:
    label: str = period_option(text, "PERIOD").label
    return label


@app.command()
@reports_errors
def approve(
    period: Annotated[str, typer.Argument(help="The recorded period: 2026-11, 2026-Q4 or 2026.")],
    version: Annotated[
        int | None, typer.Option("--version", help="The version reviewed; refused unless it is the current one.")
    ] = None,
    by: ByOption = None,
    ledger: LedgerOption = Path("cspay.db"),
    lang: LangOption = "en",
) -> None:
    """Approve the current version of a recorded period: only an approved run is closed or exported for payment.

    Example: cspay approve 2026-11 --by "Zhou Min"
    """

    words, label, who = words_for(lang), period_label(period), who_is(by)
    with writing(ledger) as book:
        state = book.approve(label, who, version)
        still_open = [item for item in book.disputes(label) if item.state == "open"]
        waiting = book.one_offs(label, states=("pending",))
    run = state.run
    typer.echo(
        words(
            "approve.done",
            period=label,
            version=run.version,
            ledger=ledger,
            who=state.approved.who if state.approved else who.user,
            count=run.headcount,
            gross=words.moneys(run.grosses()),
        )
    )
    if still_open:
        typer.echo(words("approve.open_disputes", count=len(still_open), period=label), err=True)
    if waiting:
        numbers = ", ".join(str(item.id) for item in waiting)
        typer.echo(words("approve.pending_adjustments", numbers=numbers), err=True)


# ---- one-off adjustments ---------------------------------------------------------------------------


# A deduction's amount starts with "-": taken as the AMOUNT, not as an unknown option.
@adjust_app.command("add", context_settings={"ignore_unknown_options": True})
@reports_errors
def adjust_add(
    period: Annotated[str, typer.Argument(help="The period whose pay carries it: 2026-11.")],
    agent_id: Annotated[str, typer.Argument(metavar="AGENT", help="The agent's id.")],
    amount: Annotated[str, typer.Argument(help="The amount: 500, or -200 for a deduction.")],
    reason: Annotated[str, typer.Option("--reason", help="Why: shown on the payslip beside the amount.")],
    policy: Annotated[Path, typer.Option("--policy", help="The pay policy: its codes, limit and four-eyes rule.")],
    code: Annotated[
        str | None,
        typer.Option("--code", help="One of the policy's one_off_adjustments codes (default: its only one)."),
    ] = None,
    by: ByOption = None,
    ledger: LedgerOption = Path("cspay.db"),
    lang: LangOption = "en",
) -> None:
    """Add a one-off amount to an agent's pay in a period; it pays once approved.

    Example: cspay adjust add 2026-11 A002 500 --code retention_bonus --reason "Stayed through the peak" --policy p.yaml
    """
    from cspay.engine.rounding import round_to
    from cspay.engine.rules import one_off_problem
    from cspay.errors import PolicyError
    from cspay.policy.loader import load_policy

    words, label, who = words_for(lang), period_label(period), who_is(by)
    why = text_of(reason, "--reason", "Stayed through the peak season")
    value = _amount(amount)
    loaded = load_policy(policy)
    chosen = code or _only_code(loaded)
    problem = one_off_problem(loaded, chosen, value)
    if problem is not None:
        raise PolicyError(f"{policy}: {problem}")
    value = round_to(value, loaded.rounding.step, loaded.rounding.mode)  # a multiple already: the step's places
    with writing(ledger) as book:
        item = book.add_one_off(label, agent_id, chosen, value, why, (loaded.policy, loaded.approval.four_eyes), who)
    typer.echo(
        words(
            "adjust.added",
            id=item.id,
            ledger=ledger,
            agent=item.agent_id,
            period=label,
            code=item.code,
            amount=words.money(item.amount, loaded.currency),
            reason=item.reason,
        )
    )


def _amount(text: str) -> Decimal:
    from cspay.cells import CellError, parse_number

    try:
        return parse_number(text, "an amount")
    except CellError:
        raise typer.BadParameter(f"expected an amount like 500 or -200.50, got {text!r}", param_hint="AMOUNT") from None


def _only_code(policy: Any) -> str:
    from cspay.errors import PolicyError

    rules = policy.one_off_adjustments
    if rules is None:
        raise PolicyError(
            f"{policy.path}: the policy allows no one-off adjustments; add a one_off_adjustments section "
            f"with the codes allowed"
        )
    if len(rules.codes) > 1:
        raise typer.BadParameter(
            f"the policy has several codes; give one of {', '.join(rules.codes)}", param_hint="--code"
        )
    only: str = next(iter(rules.codes))
    return only


def _decide(one_off_id: int, action: str, note: str | None, by: str | None, ledger: Path, lang: str) -> None:

    words, who = words_for(lang), who_is(by)
    with writing(ledger) as book:
        item = book.decide_one_off(one_off_id, action, note, who)
        current = book.run_state(item.period)
        stale = current is not None and bool(book.stale(current.run))
    typer.echo(words(f"adjust.{item.state}", id=item.id, agent=item.agent_id, period=item.period, ledger=ledger))
    if current is not None and stale:
        typer.echo(words("adjust.record_again", period=item.period, version=current.run.version), err=True)


@adjust_app.command("approve")
@reports_errors
def adjust_approve(
    one_off_id: Annotated[int, typer.Argument(metavar="ID", help="The adjustment's number.")],
    note: Annotated[str | None, typer.Option("--note", help="A note kept with the approval.")] = None,
    by: ByOption = None,
    ledger: LedgerOption = Path("cspay.db"),
    lang: LangOption = "en",
) -> None:
    """Approve a pending one-off adjustment; under a four-eyes policy, not by who added it.

    Example: cspay adjust approve 1 --by "Zhou Min"
    """
    _decide(one_off_id, "approve", note.strip() if note else None, by, ledger, lang)


@adjust_app.command("reject")
@reports_errors
def adjust_reject(
    one_off_id: Annotated[int, typer.Argument(metavar="ID", help="The adjustment's number.")],
    note: Annotated[str, typer.Option("--note", help="Why it is rejected; kept in the ledger.")],
    by: ByOption = None,
    ledger: LedgerOption = Path("cspay.db"),
    lang: LangOption = "en",
) -> None:
    """Reject a pending one-off adjustment, saying why.

    Example: cspay adjust reject 1 --note "No retention scheme this quarter"
    """
    _decide(one_off_id, "reject", text_of(note, "--note", "No retention scheme this quarter"), by, ledger, lang)


@adjust_app.command("void")
@reports_errors
def adjust_void(
    one_off_id: Annotated[int, typer.Argument(metavar="ID", help="The adjustment's number.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it is voided; kept in the ledger.")],
    by: ByOption = None,
    ledger: LedgerOption = Path("cspay.db"),
    lang: LangOption = "en",
) -> None:
    """Void a pending or approved one-off adjustment of an open period (a run that pays it must be recorded again).

    Example: cspay adjust void 1 --reason "Entered for the wrong agent"
    """
    _decide(one_off_id, "void", text_of(reason, "--reason", "Entered for the wrong agent"), by, ledger, lang)


@adjust_app.command("list")
@reports_errors
def adjust_list(
    period: Annotated[str | None, typer.Option("--period", help="Only this period's adjustments.")] = None,
    agent_id: Annotated[str | None, typer.Option("--agent", help="Only this agent's adjustments.")] = None,
    format: FormatOption = ListFormat.table,
    ledger: LedgerOption = Path("cspay.db"),
    lang: LangOption = "en",
) -> None:
    """List the one-off adjustments: amount, reason, state, who added and who decided.

    Example: cspay adjust list --period 2026-11
    """
    words = words_for(lang)
    label = period_label(period) if period else None
    with book_of(ledger) as book:
        items = book.one_offs(label, agent_id)
    records = [_one_off_record(item) for item in items]
    if not records and format is ListFormat.table:
        typer.echo(words("adjust.none", ledger=ledger))
        return
    emit(records, format, lambda: _one_offs_table(items, words))


def _one_off_record(item: OneOff) -> dict[str, Any]:
    decided = next((step for step in reversed(item.steps) if step.action != "added"), None)
    return {
        "id": item.id,
        "period": item.period,
        "agent_id": item.agent_id,
        "code": item.code,
        "amount": str(item.amount),
        "reason": item.reason,
        "state": item.state,
        "added_by": item.added.who,
        "added_at": item.added.at,
        "decided_by": decided.who if decided else None,
        "decided_at": decided.at if decided else None,
        "note": decided.note if decided else None,
        "policy": item.policy,
        "four_eyes": item.four_eyes,
    }


def _one_offs_table(items: list[OneOff], words: Words) -> Any:
    from rich.table import Table

    from cspay.outputs.text import number

    table = Table(title=words("adjust.title"), title_justify="left")
    for key in ("id", "period", "agent", "code", "amount", "reason", "state", "added", "decided"):
        right = key in ("id", "amount")
        table.add_column(words(f"adjust.col.{key}"), justify="right" if right else "left", no_wrap=key != "reason")
    for item in items:
        decided = next((step for step in reversed(item.steps) if step.action != "added"), None)
        add_row(
            table,
            str(item.id),
            item.period,
            item.agent_id,
            item.code,
            number(item.amount),
            item.reason,
            words(f"adjust.state.{item.state}"),
            _step_text(item.added),
            _step_text(decided) + (f": {decided.note}" if decided and decided.note else ""),
        )
    return table


def _step_text(step: Step | None) -> str:
    return "" if step is None else f"{step.who} {step.at}"
