"""Recording a run in the ledger: the period's next version, its inputs, and a correction's differences."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
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
    """Write the run as its period's next version, a draft, in one transaction; `disputes` are the accepted
    disputes the run settles. The payslips are read here: a view that shows them too uses `recording`."""
    with recording(run, ledger, correction=correction, who=who, disputes=disputes) as recorded:
        for _ in run.payslips:
            pass
    return recorded()


@contextmanager
def recording(
    run: PayRun, ledger: Path, *, correction: bool = False, who: Who | None = None, disputes: Sequence[int] = ()
) -> Iterator[Callable[[], Recorded]]:
    """Record the run as a view reads its payslips: inside, `run.payslips` streams them into the ledger's
    transaction a batch at a time (or the batch CSV path pays into `run.recorder`); on leaving, the
    transaction commits and the function yielded gives what was recorded. An error inside records nothing,
    and so does a view that left payslips unread (a run's payslips are recorded all or not at all)."""
    period = run.period
    if period is None:
        raise UsageProblem("needs --period, e.g. --period 2026-11", "--record")
    if correction and not isinstance(run.payslips, list):
        raise TypeError("a correction is set against the version it corrects: pay(source, ledger=path)")
    if run.ledger is None:
        raise TypeError("record a run that read the ledger: pay(source, ledger=path)")
    entry = Recording(
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
        run.withholding_method,
        run.source.opening,
    )
    found: list[Recorded] = []
    with Ledger(ledger, create=True) as book:
        replaced = book.run_state(period.label)
        with book.recording(entry, who or Who.now()) as writer:
            held = run.payslips
            if isinstance(held, list):
                run.recorder = None
                yield lambda: found[0]
                writer.write(held)
            else:  # the view reads them through the writer, or pays the batch way into it (run.recorder)
                streamed = run.payslips = writer.stream(held)
                run.recorder = writer
                yield lambda: found[0]
                streamed.close()  # a payslip the view left unread is not written: the count check refuses it
        written = book.recorded_run(period.label)
        differences = book.differences_of(written.id) if correction else []
        settled = [item for item in (book.dispute(number) for number in dict.fromkeys(disputes)) if item is not None]
    found.append(Recorded(written, differences, replaced, settled))
