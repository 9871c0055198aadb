"""Recording a run in the ledger: the period's next version, its inputs, and a correction's differences."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cspay.engine.settlement import Difference
from cspay.errors import UsageProblem
from cspay.ledger.book import Ledger, Recording
from cspay.ledger.controls import Dispute, RunState
from cspay.ledger.reads import RunRow, Who
from cspay.run.pay import PayRun


@dataclass(frozen=True)
class Recorded:
    """The version a run was recorded as, the differences a correction recorded, the version it replaced
    and the disputes it settled."""

    run: RunRow
    differences: list[Difference]
    replaced: RunState | None = None  # the version it supersedes, as it stood
    disputes: list[Dispute] = field(default_factory=list)  # the disputes it settled


def record(
    run: PayRun, ledger: Path, *, correction: bool = False, who: Who | None = None, disputes: Sequence[int] = ()
) -> Recorded:
    """Write the run as its period's next version, a draft, in one transaction (the payslips must be a list,
    as a run that read the ledger holds them); `disputes` are the accepted disputes the run settles."""
    period = run.period
    if period is None:
        raise UsageProblem("needs --period, e.g. --period 2026-11", "--record")
    if not isinstance(run.payslips, list):
        raise TypeError("record a run that read the ledger: pay(source, ledger=path)")
    recording = Recording(
        period.label,
        period.first.isoformat(),
        period.last.isoformat(),
        run.policy,
        [(item.kind, item.path, item.sha256) for item in run.inputs],
        run.payslips,
        run.summary,
        correction,
        run.settles,
        run.triggered,
        [item.id for item in run.one_offs],
        list(disputes),
    )
    with Ledger(ledger, create=True) as book:
        replaced = book.run_state(period.label)
        recorded = book.record(recording, who or Who.now())
        found = book.differences_of(recorded.id) if correction else []
        settled = [item for item in (book.dispute(number) for number in dict.fromkeys(disputes)) if item is not None]
    return Recorded(recorded, found, replaced, settled)
