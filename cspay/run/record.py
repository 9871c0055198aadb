"""Recording a run in the ledger: the period's next version, its inputs, and a correction's differences."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cspay.engine.settlement import Difference
from cspay.errors import UsageProblem
from cspay.ledger.book import Ledger, Recording
from cspay.ledger.reads import RunRow, Who
from cspay.run.pay import PayRun


@dataclass(frozen=True)
class Recorded:
    """The version a run was recorded as, and the differences a correction recorded."""

    run: RunRow
    differences: list[Difference]


def record(run: PayRun, ledger: Path, *, correction: bool = False, who: Who | None = None) -> Recorded:
    """Write the run as its period's next version, in one transaction (the payslips must be a list, as a
    run that read the ledger holds them)."""
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
        run.withholding_method,
        run.source.opening,
    )
    with Ledger(ledger, create=True) as book:
        recorded = book.record(recording, who or Who.now())
        found = book.differences_of(recorded.id) if correction else []
    return Recorded(recorded, found)
