"""The pay run: one function from a policy's inputs for a period (and the ledger, when it takes part) to
every payslip, the totals, the notes and the provenance. Every view renders a run; none pays on its own.

A run streams its payslips when it can (no budget, no ledger): read `payslips` once, and the summary is
complete after the last one. A budget needs every bonus before it can pay any, and the ledger's
corrections and true-ups are settled on the whole run, so those runs hold their payslips in a list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cspay.cells import id_key
from cspay.engine.budget import apply_budget
from cspay.engine.compiled import Engine
from cspay.engine.consolidate import Consolidation, Rate, consolidate
from cspay.engine.currency import Engines
from cspay.engine.moves import Pricing
from cspay.engine.period import paid_only
from cspay.engine.rules import one_off_problem, run_line_codes
from cspay.engine.settlement import OneOffPay, Pending, add_corrections, add_one_offs, add_true_ups, extra_codes
from cspay.engine.statutory import Withholder
from cspay.engine.teams import team_book
from cspay.engine.triggers import periods_needed, triggered
from cspay.engine.types import AgentRow, Payslip, Summary
from cspay.errors import PayError, UsageProblem
from cspay.i18n import Note
from cspay.inputs.files import InputFile
from cspay.inputs.metrics import MetricsReader
from cspay.inputs.resolve import rows_source
from cspay.inputs.seen import AskedIds
from cspay.inputs.source import Source
from cspay.periods import Period, earlier
from cspay.policy.model import MONTHLY_PAY, Policy
from cspay.run.withholding import withholder

if TYPE_CHECKING:  # the ledger loads with the runs that read it: the month-end job without one never does
    from cspay.ledger.book import Ledger
    from cspay.ledger.controls import Dispute, OneOff, RunState
    from cspay.ledger.packing import PayslipWriter


@dataclass(frozen=True)
class Rates:
    """What a consolidated view converts with: into `currency`, each other currency's rate for the period,
    from the rates file `source`."""

    currency: str
    source: str
    rates: dict[str, Rate]


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
    engines: Engines | None = None  # the engine of each currency paid, for a policy that pays several
    rates: Rates | None = None  # the rates of a consolidated view, when one is asked for
    unapproved: list[Pending] = field(default_factory=list)  # differences of correction runs not approved yet
    one_offs: list[OneOffPay] = field(default_factory=list)  # the approved one-off adjustments this run pays
    one_offs_unpaid: list[OneOffPay] = field(default_factory=list)  # those of agents not in this run
    one_off_rows: list[OneOff] = field(default_factory=list)  # the approved ones as the ledger has them
    disputes: dict[str, list[Dispute]] = field(default_factory=dict)  # by agent: of this period, or paid here
    versions: list[RunState] = field(default_factory=list)  # the period's recorded versions, their states
    recorder: PayslipWriter | None = None  # what records the payslips as a view reads them, if anything
    withholder: Withholder | None = None  # the deductions from gross to net, under a policy with `deductions:`

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

    def deduction_codes(self) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """The deductions (taken from gross) and employer contributions the run's payslips show, in order,
        with their labels; both empty for a run without deductions."""
        return self.withholder.codes() if self.withholder is not None else ([], [])

    @property
    def withholding_method(self) -> str | None:
        """How the run withholds income tax (cumulative, monthly, one_time; `none` for contributions only),
        None for a run without deductions."""
        if self.withholder is None:
            return None
        tax = self.withholder.rules.tax
        return tax.method if tax is not None else "none"

    @property
    def fast_reader(self) -> MetricsReader | None:
        """The monthly file the run streams from untouched -- no budget, nothing from the ledger, every line
        paid -- which a view may pay in batches (cspay.outputs.batch_run) instead of reading `payslips`: the
        same rules, the same amounts, a fraction of the time. A run that reads the ledger streams only when
        nothing recorded changes a payslip; the actions its rules trigger are found payslip by payslip."""
        policy = self.applied
        reader = self.source.plain_reader
        plain = (
            isinstance(self.payslips, Iterator)
            and (self.ledger is None or not policy.actions)
            and self.withholder is None
            and policy.budget is None
            and not policy.pays_teams
            and policy.period == "month"
            and set(policy.paid_lines) == set(MONTHLY_PAY)
            and policy.agents.currency is None  # an agent's currency cell is read and checked row by row
            and len(policy.paid_currencies) == 1
        )
        return reader if plain else None

    @property
    def folded_rows(self) -> list[AgentRow] | None:
        """A quarter's or year's rows, one per agent folded from its months, when the run pays them
        untouched -- no budget, nothing from the ledger, one currency -- which a view may pay in batches
        (cspay.outputs.fast_period) instead of reading `payslips`, to the same amounts."""
        policy, rows = self.applied, self.source.rows
        if not isinstance(rows, list):
            return None
        plain = (
            isinstance(self.payslips, Iterator)
            and self.ledger is None
            and not self.extra_codes
            and self.withholder is None
            and policy.budget is None
            and not policy.pays_teams
            and policy.period != "month"
            and policy.agents.currency is None
            and len(policy.paid_currencies) == 1
        )
        return rows if plain else None

    def consolidated(self) -> Consolidation | None:
        """The run's totals converted into one currency at the period's rates, when a view asked for it
        (complete once the payslips are read); None otherwise."""
        if self.rates is None:
            return None
        return consolidate(self.summary.by_currency(), self.rates.currency, self.rates.rates, self.rates.source)

    def pricing(self) -> Pricing:
        """How this run pays a row, for explaining its payslips: its engine and the budget's factor."""
        budget = self.summary.budget
        return Pricing(self.engine, None if budget is None else budget.factor, self.engines)

    def annotate(self) -> Callable[[Payslip], dict[str, Any]] | None:
        """What the run adds to each payslip's data, when the policy has action rules: the actions the
        agent's recorded grades trigger (null when the rules were not evaluated)."""
        if not self.applied.actions:
            return None
        found = self.triggered
        return lambda slip: {"triggered_actions": None if found is None else found.get(slip.agent_id, [])}


def pay(source: Source, *, ledger: Path | None = None, stream: bool = False, deductions: bool = True) -> PayRun:
    """The run of a source's rows: payslips by the period's rules, the bonus budget, and, with a ledger
    and a known period, the true-ups and pending corrections it records and the actions agents' recorded
    grades trigger. A ledger file that does not exist yet has recorded nothing. Under a policy with
    `deductions:`, each payslip then goes from gross to net (`deductions=False`: gross only, for views
    that compare gross pay).

    With `stream`, a run that reads the ledger streams its payslips when nothing the ledger holds changes
    them (no true-up, no approved correction or one-off to pay): only what its action rules need is held.

    UsageProblem when the policy needs what was not given (a true-up needs the ledger and the period;
    cumulative withholding, what the year's earlier months withheld).
    """
    policy = source.applied
    if policy.true_up and (ledger is None or source.period is None):
        raise UsageProblem(
            "the policy pays a true-up against the bonuses already recorded; give --period and --ledger (or --record)",
            "--ledger",
        )
    engines = Engines(policy, source.role_versions)
    engine, several = engines.default, engines if engines.several else None
    rows = source.rows
    if policy.pays_teams:  # a team's result needs all its members: a first pass over the period's rows
        rows = list(rows)
        # Scores are not money: the book scores on the whole policy, whose roles every currency's engine has.
        scoring = Engine(policy, source.role_versions) if engines.several else engine
        engines.teams = team_book(scoring, rows, source.team_rows, source.team_source or "the team metrics")
    reads = ledger is not None and source.period is not None
    withhold = withholder(source, ledger if reads else None) if deductions else None
    if not reads and policy.budget is None:
        summary = engines.summary()
        slips = _payslips(engines, rows)
        if withhold is not None:  # gross is final once the engine made the payslip: every part, the team part
            slips = map(withhold.withhold, slips)
        return PayRun(source, engine, _counted(slips, summary), summary, engines=several, withholder=withhold)
    recorded = _read_ledger(ledger, source.period, policy) if reads and ledger is not None else None
    if stream and recorded is not None and policy.budget is None and not _changes_payslips(policy, recorded):
        return _streamed(source, engines, recorded, rows, withhold)
    payslips = list(_payslips(engines, rows))
    budget = None
    if policy.budget is not None:  # the pool depends on the whole month, so it is a second pass
        budget = apply_budget(policy, payslips, engine)  # a policy with a budget pays one currency
        payslips = budget.payslips
    summary = engines.summary()
    summary.budget = budget
    run = PayRun(source, engine, payslips, summary, ledger if reads else None, engines=several, withholder=withhold)
    if recorded is not None and ledger is not None:
        _settle(run, payslips, recorded, ledger)
    for slip in payslips:  # gross is final once true-ups, one-off adjustments and corrections are lines
        if withhold is not None:
            withhold.withhold(slip)
        run.summary.add(slip)
    return run


def _changes_payslips(policy: Policy, recorded: _Recorded) -> bool:
    """Whether what the ledger holds changes a payslip of the run: a true-up, a correction or a one-off."""
    return bool(policy.true_up or recorded.pending or recorded.one_offs)


def _streamed(
    source: Source, engines: Engines, recorded: _Recorded, rows: Iterable[AgentRow], withhold: Withholder | None
) -> PayRun:
    """A run that reads the ledger but pays as a plain one: its payslips stream (each from gross to net under
    a policy with deductions), and the actions each agent's grades trigger are found as each payslip passes."""
    summary = engines.summary()
    payslips = _payslips(engines, rows)
    if withhold is not None:
        payslips = map(withhold.withhold, payslips)
    several = engines if engines.several else None
    run = PayRun(source, engines.default, payslips, summary, engines=several, withholder=withhold)
    run.ledger = recorded.ledger
    run.unapproved, run.one_off_rows, run.versions = recorded.unapproved, recorded.one_offs, recorded.versions
    _add_disputes(run, recorded)
    if run.applied.actions:
        run.triggered = {}
        payslips = _triggering(payslips, run.triggered, run.applied, recorded)
    run.payslips = _counted(payslips, summary)
    return run


def _triggering(
    payslips: Iterator[Payslip], found: dict[str, list[str]], policy: Policy, recorded: _Recorded
) -> Iterator[Payslip]:
    """Each payslip, once the actions its agent's grades trigger are in `found` (kept only when some are)."""
    grades, before = recorded.grades, list(recorded.grades)
    for slip in payslips:
        actions = triggered(policy, [slip.grade, *(grades[label].get(slip.agent_id) for label in before)])
        if actions:
            found[slip.agent_id] = actions
        yield slip


def pay_agents(source: Source, agent_ids: Sequence[str], *, ledger: Path | None = None) -> Chosen:
    """The run's payslips of the agents asked for (ids compared as cspay.cells.id_key compares them).

    When each row is paid on its own -- a month's file (not joined to a roster), no budget, no ledger read,
    no team results -- only the asked agents' rows are parsed and paid, and every other row's id is read and
    recorded, so that a repeated id is an error as in the whole run. Otherwise the whole run is paid as it
    streams, and only the asked payslips are kept. Either way each id of the file is offered for close ids.
    """
    asked = AskedIds(agent_ids)
    reader = source.plain_reader
    if reader is not None and _alone(source.applied, ledger is not None and source.period is not None):
        run = pay(replace(source, rows=reader.rows_of(asked)), ledger=ledger)
        kept = list(run.payslips)
    else:
        run = pay(source, ledger=ledger)
        kept = []
        for slip in run.payslips:
            key = id_key(slip.agent_id)
            asked.offer_all([slip.agent_id], [key])
            if asked.wants(key):
                kept.append(slip)
    by_key = {id_key(slip.agent_id): slip for slip in kept}
    return Chosen(run, [by_key[key] for key in asked.asked if key in by_key], asked)


@dataclass
class Chosen:
    """The run, the payslips of the agents asked for in the order asked, and what the ids asked found."""

    run: PayRun
    payslips: list[Payslip]
    asked: AskedIds


def _alone(policy: Policy, reads_ledger: bool) -> bool:
    """Whether a row's pay depends on its row alone: no budget shares a pool, no ledger adds to it, no
    months are combined, and no team's result counts its members."""
    return policy.budget is None and not reads_ledger and policy.period == "month" and not policy.pays_teams


def compute(policy: Policy, rows: Iterable[AgentRow], period: Period | None = None) -> PayRun:
    """Every payslip of rows already read, and the totals: the run with its payslips in a list."""
    run = pay(rows_source(policy, rows, period))
    run.payslips = list(run.payslips)
    return run


def _payslips(engines: Engines, rows: Iterable[AgentRow]) -> Iterator[Payslip]:
    """Each row's payslip, in its agent's currency, with only the lines the period pays."""
    policy = engines.policy
    every_line = set(policy.paid_lines) == set(MONTHLY_PAY)
    for row in rows:
        slip = engines.payslip(row)
        yield slip if every_line else paid_only(slip, policy)


def _counted(payslips: Iterable[Payslip], summary: Summary) -> Iterator[Payslip]:
    for slip in payslips:
        summary.add(slip)
        yield slip


@dataclass
class _Recorded:
    """What the ledger holds for a run: pending corrections (approved, and waiting for approval), the bonus
    paid within the period, earlier grades, approved one-off adjustments, disputes and the period's versions."""

    pending: list[Pending] = field(default_factory=list)
    unapproved: list[Pending] = field(default_factory=list)
    paid: dict[str, dict[str, Decimal]] = field(default_factory=dict)  # by agent and currency
    grades: dict[str, dict[str, str | None]] = field(default_factory=dict)
    one_offs: list[OneOff] = field(default_factory=list)
    disputes: list[Dispute] = field(default_factory=list)
    versions: list[RunState] = field(default_factory=list)
    ledger: Path | None = None  # the ledger read


def _read_ledger(ledger: Path, period: Period | None, policy: Policy) -> _Recorded:
    """One read of the ledger for a run of `period` (a ledger about to be created has recorded nothing);
    the grades are those of the earlier periods the policy's action rules look back on."""
    from cspay.ledger.book import Ledger

    assert period is not None
    before = earlier(period, periods_needed(policy) - 1)
    found = _Recorded(grades={label: {} for label in before}, ledger=ledger)
    if not ledger.exists():
        return found
    first, last = period.first.isoformat(), period.last.isoformat()
    with Ledger(ledger, read_only=True) as book:
        found.pending, found.unapproved = _payable(book, book.pending(period.label, first))
        found.paid = book.paid_in(period.label, first, last) if policy.true_up else {}
        found.grades = book.grades(before) if before else found.grades
        found.one_offs = book.one_offs(period.label, states=("approved",))
        found.versions = book.run_states(period.label)
        settled = [book.dispute(number) for number in _disputes_paid(found.pending)]
        found.disputes = book.disputes(period.label) + [item for item in settled if item is not None]
    return found


def _settle(run: PayRun, payslips: list[Payslip], recorded: _Recorded, ledger: Path) -> None:
    """Pay the true-up, the approved pending corrections of earlier periods and the period's approved one-off
    adjustments as the ledger has them, and find the actions each agent's grades trigger, counting this run
    as the latest period."""
    policy = run.applied
    before = list(recorded.grades)
    run.unapproved, run.one_off_rows, run.versions = recorded.unapproved, recorded.one_offs, recorded.versions
    if policy.true_up:
        add_true_ups(payslips, _paid_alike(payslips, recorded.paid, ledger), policy.claw_back)
    to_pay = _one_offs_to_pay(policy, recorded.one_offs, ledger)
    run.one_offs = add_one_offs(policy, payslips, to_pay)
    run.one_offs_unpaid = [item for item in to_pay if item not in run.one_offs]
    settled = add_corrections(payslips, recorded.pending)
    run.settles = [item.id for item in settled]
    run.still_pending = [item for item in recorded.pending if item not in settled]
    run.extra_codes = extra_codes((code for code, _ in run_line_codes(policy)), payslips)
    _add_disputes(run, recorded)
    if policy.actions:
        grades = recorded.grades
        run.triggered = {
            slip.agent_id: triggered(policy, [slip.grade, *(grades[label].get(slip.agent_id) for label in before)])
            for slip in payslips
        }


def _add_disputes(run: PayRun, recorded: _Recorded) -> None:
    for dispute in {item.id: item for item in recorded.disputes}.values():
        run.disputes.setdefault(dispute.agent_id, []).append(dispute)


def _paid_alike(payslips: list[Payslip], paid: dict[str, dict[str, Decimal]], ledger: Path) -> dict[str, Decimal]:
    """Each agent's bonus already paid within the period, in the currency the period pays them in; a bonus
    paid in another currency is an error, since a true-up would net two currencies."""
    found: dict[str, Decimal] = {}
    problems = []
    for slip in payslips:
        amounts = paid.get(slip.agent_id, {})
        others = [code for code in amounts if code != slip.currency]
        if others:
            problems.append(
                f"{ledger}: agent {slip.agent_id!r}: the months recorded in this period paid bonuses in "
                f"{', '.join(others)} and the period pays {slip.currency}; a true-up never nets two currencies"
            )
        found[slip.agent_id] = amounts.get(slip.currency, Decimal(0))
    if problems:
        raise PayError(problems)
    return found


def _payable(book: Ledger, pending: list[Pending]) -> tuple[list[Pending], list[Pending]]:
    """Pending differences whose correction run is approved (each with the disputes that run settled for
    the agent), and those still waiting for the approval."""
    ids = [item.id for item in pending]
    approved = book.approved_or_before_approvals(ids)
    disputes = book.disputes_settled_by(ids)
    payable = [replace(item, disputes=disputes.get(item.id, ())) for item in pending if item.id in approved]
    return payable, [item for item in pending if item.id not in approved]


def _disputes_paid(pending: list[Pending]) -> list[int]:
    return list(dict.fromkeys(number for item in pending for number in item.disputes))


def _one_offs_to_pay(policy: Policy, one_offs: list[OneOff], ledger: Path) -> list[OneOffPay]:
    """The approved one-off adjustments, each checked against the paying policy's limits and four-eyes rule;
    one that breaks them stops the run, since paying it would break the policy and leaving it out would
    pay less than the ledger says."""
    from cspay.ledger.control_book import ControlError
    from cspay.ledger.controls import same_person
    from cspay.ledger.reads import Who

    problems = []
    for item in one_offs:
        where = f"{ledger}: adjustment {item.id} ({item.agent_id}, {item.period})"
        problem = one_off_problem(policy, item.code, item.amount)
        approved = item.last("approved")
        if problem is None and policy.approval.four_eyes and approved is not None:
            approver = Who(approved.user, approved.host, approved.at, approved.name)
            same = same_person(item.added, approver, "the adjustment")
            if same is not None:
                problem = f"the policy asks for four eyes (approval.four_eyes), but {same} and approved it"
        if problem is not None:
            problems.append(f"{where}: {problem}; void it (`cspay adjust void {item.id}`) and add it again")
    if problems:
        raise ControlError(problems)
    return [OneOffPay(item.id, item.agent_id, item.code, item.reason, item.amount) for item in one_offs]
