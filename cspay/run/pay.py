"""The pay run: one function from a policy's inputs for a period (and the ledger, when it takes part) to
every payslip, the totals, the notes and the provenance. Every view renders a run; none pays on its own.

A run streams its payslips when it can (no budget, no ledger): read `payslips` once, and the summary is
complete after the last one. A budget needs every bonus before it can pay any, and the ledger's
corrections and true-ups are settled on the whole run, so those runs hold their payslips in a list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from cspay.engine.budget import apply_budget
from cspay.engine.compiled import Engine
from cspay.engine.moves import Pricing
from cspay.engine.period import paid_only
from cspay.engine.rules import run_line_codes
from cspay.engine.settlement import Pending, add_corrections, add_true_ups, extra_codes
from cspay.engine.teams import team_book
from cspay.engine.triggers import periods_needed, triggered
from cspay.engine.types import AgentRow, Payslip, Summary
from cspay.errors import UsageProblem
from cspay.i18n import Note
from cspay.inputs.files import InputFile
from cspay.inputs.metrics import MetricsReader
from cspay.inputs.resolve import rows_source
from cspay.inputs.source import Source
from cspay.ledger.book import Ledger
from cspay.periods import Period, earlier
from cspay.policy.model import MONTHLY_PAY, Policy


@dataclass
class PayRun:
    """Every agent's payslip for the period, the totals, and what the run was made from."""

    source: Source
    engine: Engine  # the policy as applied to the period, compiled: explanations reuse it
    payslips: Iterable[Payslip]
    summary: Summary
    ledger: Path | None = None  # the ledger whose corrections, true-ups and history the run took in
    extra_codes: list[str] = field(default_factory=list)  # lines the ledger added (corrections, true-ups)
    triggered: dict[str, list[str]] | None = None  # None: the policy's action rules were not evaluated
    settles: list[int] = field(default_factory=list)  # the pending corrections this run pays
    still_pending: list[Pending] = field(default_factory=list)  # those of agents not in this run

    @property
    def policy(self) -> Policy:
        """The policy as written (its labels, currency and provenance)."""
        return self.source.policy

    @property
    def applied(self) -> Policy:
        """The policy as the engine applies it to the period."""
        return self.source.applied

    @property
    def period(self) -> Period | None:
        return self.source.period

    @property
    def notes(self) -> list[Note]:
        return self.source.notes

    @property
    def inputs(self) -> list[InputFile]:
        return self.source.files

    def line_codes(self) -> list[tuple[str, str]]:
        """The lines the run's payslips show, in payslip order, with their labels."""
        return run_line_codes(self.applied, self.extra_codes)

    @property
    def fast_reader(self) -> MetricsReader | None:
        """The monthly file the run streams from untouched -- no budget, no ledger, every line paid -- which
        a view may pay in batches (cspay.outputs.fast_csv) instead of reading `payslips`: the same rules,
        the same amounts, a fraction of the time."""
        policy = self.applied
        plain = (
            isinstance(self.payslips, Iterator)
            and self.ledger is None
            and policy.budget is None
            and not policy.pays_teams
            and policy.period == "month"
            and set(policy.paid_lines) == set(MONTHLY_PAY)
        )
        return self.source.reader if plain else None

    def pricing(self) -> Pricing:
        """How this run pays a row, for explaining its payslips: its engine and the budget's factor."""
        budget = self.summary.budget
        return Pricing(self.engine, None if budget is None else budget.factor)

    def annotate(self) -> Callable[[Payslip], dict[str, Any]] | None:
        """What the run adds to each payslip's data, when the policy has action rules: the actions the
        agent's recorded grades trigger (null when the rules were not evaluated)."""
        if not self.applied.actions:
            return None
        found = self.triggered
        return lambda slip: {"triggered_actions": None if found is None else found.get(slip.agent_id, [])}


def pay(source: Source, *, ledger: Path | None = None) -> PayRun:
    """The run of a source's rows: payslips by the period's rules, the bonus budget, and, with a ledger
    and a known period, the true-ups and pending corrections it records and the actions agents' recorded
    grades trigger. A ledger file that does not exist yet has recorded nothing.

    UsageProblem when the policy needs what was not given (a true-up needs the ledger and the period).
    """
    policy = source.applied
    if policy.true_up and (ledger is None or source.period is None):
        raise UsageProblem(
            "the policy pays a true-up against the bonuses already recorded; give --period and --ledger (or --record)",
            "--ledger",
        )
    engine = Engine(policy, source.role_versions)
    rows = source.rows
    if policy.pays_teams:  # a team's result needs all its members: a first pass over the period's rows
        rows = list(rows)
        engine.teams = team_book(engine, rows, source.team_rows, source.team_source or "the team metrics")
    reads = ledger is not None and source.period is not None
    if not reads and policy.budget is None:
        summary = Summary()
        return PayRun(source, engine, _counted(_payslips(engine, rows), summary), summary)
    payslips = list(_payslips(engine, rows))
    budget = None
    if policy.budget is not None:  # the pool depends on the whole month, so it is a second pass
        budget = apply_budget(policy, payslips, engine)
        payslips = budget.payslips
    run = PayRun(source, engine, payslips, Summary(budget=budget), ledger if reads else None)
    if reads and ledger is not None:
        _settle(run, payslips, ledger)
    for slip in payslips:
        run.summary.add(slip)
    return run


def compute(policy: Policy, rows: Iterable[AgentRow], period: Period | None = None) -> PayRun:
    """Every payslip of rows already read, and the totals: the run with its payslips in a list."""
    run = pay(rows_source(policy, rows, period))
    run.payslips = list(run.payslips)
    return run


def _payslips(engine: Engine, rows: Iterable[AgentRow]) -> Iterator[Payslip]:
    """Each row's payslip, with only the lines the period pays."""
    policy = engine.policy
    every_line = set(policy.paid_lines) == set(MONTHLY_PAY)
    for row in rows:
        slip = engine.payslip(row)
        yield slip if every_line else paid_only(slip, policy)


def _counted(payslips: Iterator[Payslip], summary: Summary) -> Iterator[Payslip]:
    for slip in payslips:
        summary.add(slip)
        yield slip


def _settle(run: PayRun, payslips: list[Payslip], ledger: Path) -> None:
    """Pay the true-up and the pending corrections of earlier periods as the ledger has them, and find the
    actions each agent's grades trigger, counting this run as the latest period."""
    period, policy = run.period, run.applied
    assert period is not None
    first, last = period.first.isoformat(), period.last.isoformat()
    before = earlier(period, periods_needed(policy) - 1)
    pending: list[Pending] = []
    paid: dict[str, Decimal] = {}
    grades: dict[str, dict[str, str | None]] = {label: {} for label in before}
    if ledger.exists():  # a ledger about to be created has recorded nothing
        with Ledger(ledger) as book:
            pending = book.pending(period.label, first)
            paid = book.paid_within(period.label, first, last) if policy.true_up else {}
            grades = book.grades(before) if before else grades
    if policy.true_up:
        add_true_ups(payslips, paid, policy.claw_back)
    settled = add_corrections(payslips, pending)
    run.settles = [item.id for item in settled]
    run.still_pending = [item for item in pending if item not in settled]
    run.extra_codes = extra_codes((code for code, _ in run_line_codes(policy)), payslips)
    if policy.actions:
        run.triggered = {
            slip.agent_id: triggered(policy, [slip.grade, *(grades[label].get(slip.agent_id) for label in before)])
            for slip in payslips
        }
