"""The rows a run pays: one month's file as it streams, or a quarter's or year's monthly files,
checked and combined (cspay/combine.py) into one row per agent.

The policy's role amounts are monthly, so the engine, unchanged, is given the policy with each role
amount and proration's `full` times the months in the period; lines the policy does not pay in the
run (`pays`) are then left off the payslips.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from cspay.engine.pay import PayRun, iter_payslips, pay_run
from cspay.engine.types import Payslip
from cspay.errors import MetricsError, Problems
from cspay.i18n import Note
from cspay.inputs.combine import Month, combine
from cspay.inputs.metrics import AgentRow, MetricsReader
from cspay.periods import EXAMPLES, MONTHS_IN, Period, period_of, read_month_cell
from cspay.policy.model import Policy, Role
from cspay.policy.values import Share


class UsageProblem(ValueError):
    """The command asks for what the policy cannot do (a usage error); `option` names the argument."""

    def __init__(self, message: str, option: str) -> None:
        super().__init__(message)
        self.option = option


def check_period(policy: Policy, period: Period | None) -> Period | None:
    """The period named by --period, which must be the kind of period the policy pays for."""
    if period is None:
        return None
    if period.kind != policy.period:
        raise UsageProblem(f"{period.label} is a {period.kind}, but the policy {policy.path} has period: "
                           f"{policy.period}; expected a {policy.period} like {EXAMPLES[policy.period]}",
                           "--period")
    return period


def metric_files(paths: Iterable[Path], policy: Policy) -> list[Path]:
    """The monthly files to read: each path given, a folder standing for its *.csv files by name."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix.lower() == ".csv" and p.is_file())
            if not found:
                raise UsageProblem(f"{path}: the folder holds no *.csv files", "METRICS")
            files += found
        else:
            files.append(path)
    seen: dict[Path, Path] = {}
    for path in files:
        if seen.setdefault(path.resolve(), path) is not path:
            raise UsageProblem(f"{path}: given twice; expected each month's file once", "METRICS")
    months = MONTHS_IN[policy.period]
    if months == 1 and len(files) > 1:
        raise UsageProblem(f"the policy {policy.path} has period: month and reads one metrics file, got "
                           f"{len(files)}; to pay a quarter from its months, use a policy with period: quarter",
                           "METRICS")
    if len(files) > months:
        raise UsageProblem(f"a {policy.period} has {months} months, got {len(files)} metrics files: "
                           f"{', '.join(map(str, files))}", "METRICS")
    return files


def read_months(files: list[Path], policy: Policy, *, encoding: str | None = None,
                delimiter: str | None = None) -> list[Month]:
    """Every file's rows; the problems of all the files are reported together."""
    problems: list[str] = []
    months: list[Month] = []
    for path in files:
        try:
            months.append(Month(str(path), list(MetricsReader(path, policy, encoding=encoding,
                                                               delimiter=delimiter))))
        except MetricsError as error:
            problems += error.lines()
    if problems:
        raise MetricsError(problems)
    return months


def check_distinct_files(files: list[Path]) -> None:
    """Refuse two files with the same bytes: one month copied as another pays it twice."""
    seen: dict[str, Path] = {}
    for path in files:
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            continue  # the metrics reader reports an unreadable file
        if digest in seen:
            raise MetricsError(f"{path}: has the same content as {seen[digest]}; expected one file per month")
        seen[digest] = path


class MonthCheck:
    """Checks one file's period column: each row names a month in the period asked for, all the same."""

    def __init__(self, path: str, column: str, period: Period | None, problems: Problems) -> None:
        self.path, self.column, self.period, self.problems = path, column, period, problems
        self.month: Period | None = None
        self._first_line = 0

    def check(self, row: AgentRow) -> None:
        where = f'{self.path}: row {row.line}, column "{self.column}": got "{row.period}", expected'
        try:
            month = read_month_cell(row.period)
        except ValueError as error:
            self.problems.add(f"{where} {error}")
            return
        if self.period is not None and month.first not in self.period:
            self.problems.add(f"{where} {_within(self.period)} (--period)")
        elif self.month is None:
            self.month, self._first_line = month, row.line
        elif month != self.month:
            self.problems.add(f"{where} {self.month.label} like row {self._first_line}; a file holds one month")


def _within(period: Period) -> str:
    if period.kind == "month":
        return f"a date in {period.label}"
    return f"a month in {period.label} ({period.first:%Y-%m} to {period.last:%Y-%m})"


def checked_rows(rows: Iterable[AgentRow], check: MonthCheck) -> Iterator[AgentRow]:
    """The rows as they stream, each checked; the reader's problems and the check's are raised together."""
    try:
        for row in rows:
            check.check(row)
            yield row
    except MetricsError as error:
        raise MetricsError(error.lines() + check.problems.messages, hidden=check.problems.hidden) from None
    check.problems.raise_if_any(MetricsError)


def place_months(months: list[Month], policy: Policy, period: Period | None) -> Period | None:
    """Check each file holds one month of the period, each month once; order the files by month.

    Returns the period: the one asked for, else the one that holds the earliest month.
    """
    column = policy.agents.period
    if column is None:
        return period
    problems = Problems()
    for month in months:
        check = MonthCheck(month.path, column, period, problems)
        for row in month.rows:
            check.check(row)
        month.month = check.month
    problems.raise_if_any(MetricsError)
    dated = sorted((m for m in months if m.month is not None), key=lambda m: m.month.first)  # type: ignore[union-attr]
    period = period or (period_of(dated[0].month.first, policy.period) if dated else None)
    for before, month in zip([None, *dated], dated, strict=False):
        if before is not None and before.month == month.month:
            problems.add(f"{month.path}: holds {month.month.label}, like {before.path}; expected one file per month")
        elif period is not None and month.month.first not in period:
            problems.add(f"{month.path}: holds {month.month.label}, outside {period.label} of {dated[0].path}; "
                         f"the files of a {policy.period} must fall in one {policy.period}")
    problems.raise_if_any(MetricsError)
    months.sort(key=lambda m: m.month.first if m.month else date.min)
    return period


# ---- the policy over a period, and what its payslips pay ----------------------------------------


def period_policy(policy: Policy) -> Policy:
    """The policy as the engine applies it to a whole period: monthly role amounts and proration's
    `full` times the months in the period (a share-of-base target bonus follows the base)."""
    months = MONTHS_IN[policy.period]
    if months == 1:
        return policy
    roles = {name: _role_over(role, Decimal(months)) for name, role in policy.roles.items()}
    update: dict[str, object] = {"roles": roles}
    if policy.proration is not None:
        update["proration"] = policy.proration.model_copy(update={"full": policy.proration.full * months})
    return policy.model_copy(update=update)


def _role_over(role: Role, months: Decimal) -> Role:
    target = role.target_bonus if isinstance(role.target_bonus, Share) else role.target_bonus * months
    allowances = {name: amount * months for name, amount in role.allowances.items()}
    return role.model_copy(update={"base_pay": role.base_pay * months, "target_bonus": target,
                                   "allowances": allowances})


def paid_only(slip: Payslip, policy: Policy) -> Payslip:
    """The payslip without the lines the policy does not pay in this run (e.g. base pay in a quarter)."""
    slip.lines = [line for line in slip.lines if policy.pays_line(line.code)]
    return slip


@dataclass
class PeriodInput:
    """What a run pays: the policy as applied to its period, the agent rows, and notes for the analyst."""

    policy: Policy
    rows: Iterable[AgentRow]
    period: Period | None
    files: list[str]
    notes: list[Note] = field(default_factory=list)


def open_period(policy: Policy, files: list[Path], period: Period | None = None, *,
                encoding: str | None = None, delimiter: str | None = None) -> PeriodInput:
    """A month's rows as they stream, or a quarter's or year's months read, checked and combined."""
    column = policy.agents.period
    if policy.period == "month":
        rows: Iterable[AgentRow] = MetricsReader(files[0], policy, encoding=encoding, delimiter=delimiter)
        if column is not None:
            rows = checked_rows(rows, MonthCheck(str(files[0]), column, period, Problems()))
        return PeriodInput(policy, rows, period, [str(files[0])])
    check_distinct_files(files)
    months = read_months(files, policy, encoding=encoding, delimiter=delimiter)
    period = place_months(months, policy, period)
    rows, notes = combine(policy, months)
    if len(months) < MONTHS_IN[policy.period]:
        notes.insert(0, Note("note.fewer_months", {"files": len(months), "months": MONTHS_IN[policy.period]}))
    return PeriodInput(period_policy(policy), rows, period, [month.path for month in months], notes)


def period_payslips(source: PeriodInput) -> Iterator[Payslip]:
    """Each agent's payslip for the period, with only the lines the policy pays."""
    for slip in iter_payslips(source.policy, source.rows):
        yield paid_only(slip, source.policy)


def compute_period(source: PeriodInput) -> PayRun:
    """Every payslip of the period and the totals, in the order of the rows."""
    return pay_run(source.policy, list(period_payslips(source)))


def open_export(policy: Policy, events: Path, period: Period | None, roster: Path | None, *,
                encoding: str | None = None, delimiter: str | None = None) -> PeriodInput:
    """The rows a run pays from a raw per-call export: its metrics for the period, joined to the roster
    and read like an agent-level metrics file (errors name the roster's rows)."""
    from cspay.inputs.exports import agent_rows, check_sources, derive, export_notes, join_roster, read_roster

    if policy.metrics is None:
        raise UsageProblem("needs a policy with a metrics: section, which derives agent metrics from a raw "
                           "export", "--roster")
    if roster is None:
        raise UsageProblem("the policy derives its metrics from a raw export; give the roster of the agents' "
                           "roles and worked days", "--roster")
    if period is None:
        raise UsageProblem("the policy derives its metrics from a raw export; give the period to pay, like "
                           "2021-01", "--period")
    table = derive(policy.metrics, events, period, encoding=encoding, delimiter=delimiter)
    if table.rows_outside == table.rows_read:  # a wrong period, not a month nobody worked
        raise MetricsError(f"{table.source}: none of its {table.rows_read:,} rows is dated in {period.label} "
                           f"({period.first} to {period.last}); check --period")
    agents = read_roster(roster, policy.agents.id)
    check_sources(policy, agents, table)
    joined = join_roster(table, agents)
    rows = agent_rows(policy, joined, agents.source)
    return PeriodInput(policy, rows, period, [str(events)], export_notes(table, joined, roster))
