"""What `compute` does around the engine when it runs as a job: the period, the ledger and the record."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import typer

from cspay.engine.pay import pay_run
from cspay.engine.rules import line_codes
from cspay.engine.settlement import Difference, Pending, add_corrections, add_true_ups, extra_codes
from cspay.engine.triggers import periods_needed, triggered
from cspay.engine.types import Payslip, Summary
from cspay.errors import CspayError, OutputError
from cspay.inputs.metrics import MetricsReader
from cspay.inputs.months import PeriodInput, period_payslips
from cspay.ledger.book import DEFAULT_LEDGER, Ledger, Recording, RunRow, Who, check_ledger_path
from cspay.outputs.export import file_sha256
from cspay.periods import Period, period_of
from cspay.policy.model import MONTHLY_PAY, Policy


class LockedError(CspayError):
    """Another cspay run holds the ledger or the output file; cron should simply try again later."""

    exit_code = 75  # EX_TEMPFAIL from sysexits.h: a temporary failure, worth retrying


def earlier(period: Period, count: int) -> list[str]:
    """The labels of the `count` periods of the same kind before this one, the latest first."""
    step, first = period.months, period.first
    months = [first.year * 12 + first.month - 1 - n * step for n in range(1, count + 1)]
    return [period_of(date(month // 12, month % 12 + 1, 1), period.kind).label for month in months]


@dataclass
class Options:
    """compute's options that concern the period and the ledger."""

    period: Period | None = None  # --period, already read
    record: bool = False
    ledger: Path | None = None
    correction: bool = False
    quiet: bool = False
    log_json: bool = False


@dataclass
class JobRun:
    """A run's payslips (streamed, or a list when the ledger needs them all) and its totals."""

    payslips: Iterable[Payslip]
    summary: Summary
    inputs: dict[str, str]
    recorded: RunRow | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    extra_codes: list[str] = field(default_factory=list)
    settles: list[int] = field(default_factory=list)
    still_pending: list[Pending] = field(default_factory=list)
    triggered: dict[str, list[str]] | None = None  # None: the policy's action rules were not evaluated
    differences: list[Difference] = field(default_factory=list)  # what a correction recorded

    def annotate(self, policy: Policy) -> Callable[[Payslip], dict[str, Any]] | None:
        """The triggered actions as a JSON field of each payslip (null: not evaluated), when the policy has rules."""
        if not policy.actions:
            return None
        triggered = self.triggered
        return lambda slip: {"triggered_actions": None if triggered is None else triggered.get(slip.agent_id, [])}


class Job:
    """One compute run: checks its options, reads and writes the ledger when asked."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.started = time.monotonic()
        self.period = options.period
        if options.record and self.period is None:
            raise typer.BadParameter("needs --period, e.g. --period 2026-11", param_hint="--record")
        if options.correction and not options.record:
            raise typer.BadParameter("needs --record: a correction is recorded in the ledger",
                                     param_hint="--correction")
        self.ledger_path = options.ledger or (Path(DEFAULT_LEDGER) if options.record else None)

    @property
    def reads_ledger(self) -> bool:
        """The ledger takes part when one is named (or recorded to) and the period is known."""
        return self.ledger_path is not None and self.period is not None

    def batch_reader(self, source: PeriodInput) -> MetricsReader | None:
        """The month's reader when the batch CSV path pays it exactly as the general path would: one
        monthly file read as it streams, no ledger to settle, no budget, every line paid."""
        policy = source.policy
        plain = (not self.reads_ledger and policy.budget is None and policy.period == "month"
                 and set(policy.paid_lines) == set(MONTHLY_PAY))
        return source.rows if plain and isinstance(source.rows, MetricsReader) else None

    def check_policy(self, policy: Policy) -> None:
        """A true-up needs the bonuses already recorded, so the ledger and the period must be known."""
        if policy.true_up and not self.reads_ledger:
            raise typer.BadParameter("the policy pays a true-up against the bonuses already recorded; give "
                                     "--period and --ledger (or --record)", param_hint="--ledger")

    def run(self, source: PeriodInput) -> JobRun:
        """Compute the payslips: streamed, or held in memory when the budget or the ledger needs them all."""
        policy = source.policy
        inputs = {path: file_sha256(Path(path)) for path in source.files}
        extra: dict[str, Any] = {"period": self.period.label} if self.period else {}
        extra["metrics_sha256"] = {Path(path).name: digest for path, digest in inputs.items()}
        if not self.reads_ledger and policy.budget is None:
            summary = Summary()
            return JobRun(_counted(period_payslips(source), summary), summary, inputs, extra=extra)
        paid = pay_run(policy, list(period_payslips(source)))
        run = JobRun(paid.payslips, paid.summary, inputs, extra=extra)
        if self.reads_ledger:
            self._settle(policy, run, paid.payslips)
            if policy.actions:
                run.triggered = self._triggered(policy, paid.payslips)
            run.summary = Summary(budget=paid.summary.budget)  # the totals again, with the settled lines
            for slip in paid.payslips:
                run.summary.add(slip)
            run.extra_codes = extra_codes((code for code, _ in line_codes(policy)), paid.payslips)
        return run

    def _settle(self, policy: Policy, run: JobRun, payslips: list[Payslip]) -> None:
        """Pay the true-up and the pending corrections of earlier periods, as the ledger has them."""
        period = self.period
        if period is None or self.ledger_path is None or (self.options.record and not self.ledger_path.exists()):
            return  # a ledger about to be created has nothing to settle
        with Ledger(self.ledger_path) as book:
            first, last = period.first.isoformat(), period.last.isoformat()
            pending = book.pending(period.label, first)
            paid = book.paid_within(period.label, first, last) if policy.true_up else {}
        if policy.true_up:
            add_true_ups(payslips, paid, policy.claw_back)
        settled = add_corrections(payslips, pending)
        run.settles = [item.id for item in settled]
        run.still_pending = [item for item in pending if item not in settled]

    def _triggered(self, policy: Policy, payslips: list[Payslip]) -> dict[str, list[str]]:
        """Each agent's triggered actions, counting this run as the latest period."""
        assert self.period is not None and self.ledger_path is not None
        before = earlier(self.period, periods_needed(policy) - 1)
        grades: dict[str, dict[str, str | None]] = {label: {} for label in before}
        if before and self.ledger_path.exists():
            with Ledger(self.ledger_path) as book:
                grades = book.grades(before)
        return {slip.agent_id: triggered(policy, [slip.grade, *(grades[label].get(slip.agent_id) for label in before)])
                for slip in payslips}

    @contextmanager
    def locked(self, output: Path | None) -> Iterator[None]:
        """Hold `<ledger>.lock` (when recording) and `<output>.lock` for the whole run; exit 75 if taken."""
        from filelock import FileLock, Timeout

        ledger = self.ledger_path if self.options.record else None
        if ledger is not None:
            check_ledger_path(ledger)  # before filelock creates a folder a typo names
        paths = [Path(f"{path}.lock") for path in (ledger, output) if path is not None]
        with ExitStack() as stack:
            for path in paths:
                try:
                    stack.enter_context(FileLock(path, timeout=0))
                except Timeout:
                    raise LockedError(f"{path}: already running: another cspay run holds this lock; "
                                      f"try again when it has finished") from None
                except OSError as error:
                    raise OutputError(f"{path}: cannot create the lock file ({error.strerror or error}); "
                                      f"expected a writable folder") from None
            yield

    def report(self, policy: Policy, run: JobRun, words: Any, policy_path: Path, output: Path | None) -> None:
        """Tell what the run did: sentences on stderr, one JSON line with --log-format json, or nothing."""
        if self.options.log_json:
            typer.echo(json.dumps(self._log_record(policy, run, policy_path, output), ensure_ascii=False), err=True)
            return
        if self.options.quiet:
            return
        summary, money = run.summary, words.money
        if policy.actions and run.triggered is None:
            typer.echo(words("compute.not_evaluated", actions=", ".join(policy.actions)), err=True)
        for item in run.still_pending:
            typer.echo(words("compute.still_pending", agent=item.agent_id, period=item.period,
                             amount=money(item.amount, policy.currency)), err=True)
        if output is not None:
            typer.echo(words("compute.wrote", count=summary.headcount, path=output,
                             gross=money(summary.gross, policy.currency)), err=True)
        if run.recorded is not None:
            typer.echo(words("compute.recorded", period=run.recorded.period, version=run.recorded.version,
                             ledger=self.ledger_path), err=True)
        if self.options.correction:
            agents = len({item.agent_id for item in run.differences})
            total = sum((item.amount for item in run.differences), Decimal(0))
            typer.echo(words("compute.corrected", count=len(run.differences), agents=agents,
                             total=money(total, policy.currency)), err=True)

    def _log_record(self, policy: Policy, run: JobRun, policy_path: Path, output: Path | None) -> dict[str, Any]:
        summary, recorded = run.summary, run.recorded
        counts: dict[str, int] = {}
        for actions in (run.triggered or {}).values():
            for action in actions:
                counts[action] = counts.get(action, 0) + 1
        return {
            "event": "compute", "period": self.period.label if self.period else None, "policy": policy.policy,
            "policy_version": policy.version, "currency": policy.currency, "headcount": summary.headcount,
            "gross": str(summary.gross), "bonus": str(summary.bonus), "outputs": [str(output)] if output else [],
            "inputs": {"policy": {"path": str(policy_path), "sha256": policy.sha256},
                       "metrics": [{"path": path, "sha256": digest} for path, digest in run.inputs.items()]},
            "ledger": str(self.ledger_path) if self.reads_ledger else None,
            "recorded": None if recorded is None else {"period": recorded.period, "version": recorded.version,
                                                       "kind": recorded.kind},
            "triggered_actions": None if run.triggered is None else counts,
            "corrections_still_pending": len(run.still_pending),
            "differences_recorded": len(run.differences),
            "duration_seconds": round(time.monotonic() - self.started, 3),
        }

    def commit(self, policy: Policy, run: JobRun) -> None:
        """Record the run as the period's next version (one transaction), when --record was given."""
        if not self.options.record or self.period is None or self.ledger_path is None:
            return
        recording = Recording(self.period.label, self.period.first.isoformat(), self.period.last.isoformat(),
                              policy, run.inputs,
                              list(run.payslips), run.summary, self.options.correction, run.settles,
                              run.triggered)
        with Ledger(self.ledger_path, create=True) as ledger:
            run.recorded = ledger.record(recording, Who.now())
            if self.options.correction:
                run.differences = ledger.differences_of(run.recorded.id)


def _counted(payslips: Iterator[Payslip], summary: Summary) -> Iterator[Payslip]:
    for slip in payslips:
        summary.add(slip)
        yield slip
