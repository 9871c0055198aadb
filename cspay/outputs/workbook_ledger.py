"""The workbook's sheets from the ledger, for a run the ledger took part in: each recorded version of the
period with its state and every step (who recorded, approved, exported, closed it), and the one-off
adjustments the run pays with who added and approved them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cspay.i18n import Words
from cspay.outputs.sheets import Book, Listing

if TYPE_CHECKING:  # the ledger's types only: a run without a ledger never loads it
    from cspay.ledger.controls import OneOff, RunState


def write_versions(book: Book, words: Words, versions: list[RunState], recording: bool) -> None:
    """One row per step of each recorded version of the period, then, when the run is being recorded,
    the draft it becomes (its version is the next one: the ledger is locked for the record)."""
    columns = [
        (words(key), kind)
        for key, kind in (
            ("runs.period", "text"),
            ("runs.version", "count"),
            ("runs.kind", "text"),
            ("runs.state", "text"),
            ("steps.step", "text"),
            ("steps.when", "text"),
            ("steps.who", "text"),
            ("steps.note", "text"),
        )
    ]
    sheet = Listing(book, words("xlsx.sheet.runs"), columns)
    for state in versions:
        run = state.run
        head = [run.period, run.version, words(f"runs.kind.{run.kind}"), words(f"runs.state.{state.state}")]
        for step in state.steps:
            sheet.add([*head, words(f"steps.{step.action}"), step.at, step.who, step.note])
    if recording:
        period = versions[0].run.period if versions else None
        version = 1 + max((state.run.version for state in versions), default=0)
        sheet.add([period, version, None, words("runs.state.draft"), words("steps.recorded"), None, None,
                   words("xlsx.runs.this_run")])  # fmt: skip
    sheet.finish()


def write_one_offs(book: Book, words: Words, one_offs: list[OneOff]) -> None:
    """Each one-off adjustment the run pays: the agent, code, amount and reason, who added and who approved it."""
    columns = [
        (words("adjust.col.id"), "count"),
        (words("col.agent"), "text"),
        (words("adjust.col.code"), "text"),
        (words("adjust.col.amount"), "money"),
        (words("adjust.col.reason"), "text"),
        (words("adjust.col.added"), "text"),
        (words("xlsx.col.approved_by"), "text"),
    ]
    sheet = Listing(book, words("xlsx.sheet.one_offs"), columns)
    for item in one_offs:
        approved = item.last("approved")
        added = f"{item.added.who} {item.added.at}"
        sheet.add([item.id, item.agent_id, item.code, item.amount, item.reason, added,
                   f"{approved.who} {approved.at}" if approved else None])  # fmt: skip
    sheet.finish()
