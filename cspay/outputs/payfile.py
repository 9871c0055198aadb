"""A recorded run written as another system's file, by a payment profile: one row per agent, or journal
entries by group and line that balance. Every agent is checked for what the profile needs (a roster row,
each roster cell it reads, text its encoding can write, widths, places); the file is written to a
temporary file as it is checked, so on any problem nothing appears. The totals are held to the run's.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import IO, Any, cast

from cspay.engine.settlement import per_agent
from cspay.engine.types import Line
from cspay.errors import ExportError, MetricsError, Problems
from cspay.inputs.tables import locate, read_csv
from cspay.ledger.controls import RunState
from cspay.ledger.recorded import RecordedSlip
from cspay.outputs.profile import AMOUNT_FIELDS, FieldColumn, LinesColumn, Profile, RosterColumn, TextColumn
from cspay.periods import parse_period

ZERO = Decimal(0)


@dataclass(frozen=True)
class Roster:
    """The roster cells a profile reads, by agent id: (the row's line in the file, {column: cell})."""

    path: str
    rows: dict[str, tuple[int, dict[str, str]]]


def read_roster(path: Path, profile: Profile) -> Roster:
    """The roster's rows by agent id, with the columns the profile reads; a missing column or an id given
    twice is an error naming the file and rows."""
    file = read_csv(path)
    columns = locate(file, profile.roster_columns())
    assert profile.roster is not None
    id_column = columns[profile.roster.id]
    rows: dict[str, tuple[int, dict[str, str]]] = {}
    problems = Problems()
    for line, cells in file.records:
        cells = cells + [""] * (len(file.header) - len(cells))
        agent_id = cells[id_column].strip()
        if agent_id in rows:
            problems.add(
                f"{path}: row {line}: agent {agent_id!r} is also on row {rows[agent_id][0]}; expected one row each"
            )
            continue
        rows[agent_id] = (line, {name: cells[index].strip() for name, index in columns.items()})
    problems.raise_if_any(MetricsError)
    return Roster(str(path), rows)


@dataclass
class Written:
    """What was written: rows (agents or entries), the run's headcount and gross as exported, the totals of
    the journal's sides, and the file's SHA-256."""

    rows: int = 0
    headcount: int = 0
    gross: Decimal = ZERO
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    digest: Any = field(default_factory=hashlib.sha256)

    @property
    def sha256(self) -> str:
        return str(self.digest.hexdigest())


class Writer:
    """Rows encoded as the profile says, hashed as written; a cell the encoding cannot write is a problem."""

    def __init__(self, handle: IO[bytes], profile: Profile, problems: Problems, written: Written) -> None:
        self.handle, self.profile, self.problems, self.written = handle, profile, problems, written
        self.buffer = io.StringIO()
        self.csv = csv.writer(
            self.buffer,
            delimiter=profile.delimiter,
            lineterminator="\r\n" if profile.line_ending == "crlf" else "\n",
            quoting=csv.QUOTE_ALL if profile.quote == "all" else csv.QUOTE_MINIMAL,
        )

    def row(self, cells: list[str], where: str) -> None:
        self.buffer.seek(0)
        self.buffer.truncate()
        self.csv.writerow(cells)
        try:
            data = self.buffer.getvalue().encode(self.profile.encoding)
        except UnicodeEncodeError:
            for header, cell in zip(self.headers(), cells, strict=False):
                try:
                    cell.encode(self.profile.encoding)
                except UnicodeEncodeError:
                    self.problems.add(f"{where}, column {header!r}: {cell[:40]!r} cannot be written in "
                                      f"{self.profile.encoding} ({self.profile.where('encoding')})")  # fmt: skip
            return
        if not self.problems:  # once a problem is found, the rest is only checked
            self.handle.write(data)
            self.written.digest.update(data)

    def headers(self) -> list[str]:
        return [column.header for column in self.profile.columns]


def amount_text(amount: Decimal, profile: Profile) -> str | None:
    """An amount with the profile's places and decimal separator; None when it would need more places."""
    exact = amount.quantize(_quantum(profile.decimals))
    if exact != amount:
        return None
    text = format(exact, "f")
    return text.replace(".", profile.decimal_separator) if profile.decimal_separator != "." else text


@cache
def _quantum(decimals: int) -> Decimal:
    return Decimal(1).scaleb(-decimals)


class _Plan:
    """A rows profile's columns worked out once: each one's width, and which line columns take a line code
    (found the first time the code is met), so that a row costs lookups, not pattern matching."""

    def __init__(self, profile: Profile) -> None:
        self.columns = profile.columns
        self.widths = [
            column.width if isinstance(column, FieldColumn | RosterColumn) else None for column in self.columns
        ]
        self.lines = [index for index, column in enumerate(self.columns) if isinstance(column, LinesColumn)]
        self.taking: dict[str, tuple[int, ...]] = {}

    def columns_of(self, code: str) -> tuple[int, ...]:
        """The line columns that take a line code."""
        found = self.taking.get(code)
        if found is None:
            columns = self.columns
            found = self.taking[code] = tuple(i for i in self.lines if cast(LinesColumn, columns[i]).takes(code))
        return found

    def sums(self, lines: list[Line]) -> dict[int, Decimal]:
        """Each line column's amount: the sum of the lines it takes."""
        sums = dict.fromkeys(self.lines, ZERO)
        for line in lines:
            for index in self.columns_of(line.code):
                sums[index] += line.amount
        return sums


def write_payment_file(
    handle: IO[bytes],
    profile: Profile,
    state: RunState,
    payslips: Iterable[tuple[RecordedSlip, list[Line]]],
    roster: Roster | None,
) -> Written:
    """The run's payment file by the profile; ExportError listing every problem (up to 50) otherwise."""
    problems, written = Problems(), Written()
    writer = Writer(handle, profile, problems, written)
    if profile.header:
        writer.row(writer.headers(), f"{profile.path}: the header")
    checked = _checked(payslips, profile, roster, problems, written)
    if profile.layout == "journal":
        _journal(writer, profile, state, checked)
    else:
        _rows(writer, profile, state, checked)
    _hold_to_the_run(state, written, problems)
    problems.raise_if_any(ExportError)
    return written


def _checked(
    payslips: Iterable[tuple[RecordedSlip, list[Line]]],
    profile: Profile,
    roster: Roster | None,
    problems: Problems,
    written: Written,
) -> Iterator[tuple[RecordedSlip, list[Line], dict[str, str]]]:
    """Each payslip with its roster cells; an agent missing from the roster, an empty cell the profile
    needs, or lines that do not add up to gross is a problem. The headcount and gross are counted."""
    needed = [column for column in profile.columns if isinstance(column, RosterColumn) and column.required]
    net = next(
        (column for column in profile.columns if isinstance(column, FieldColumn) and column.field == "net"), None
    )
    if profile.journal is not None and profile.journal.group.roster is not None:
        needed.append(RosterColumn(header=profile.journal.group.roster, roster=profile.journal.group.roster))
    for slip, lines in payslips:
        written.headcount += 1
        written.gross += slip.gross
        if sum((line.amount for line in lines), ZERO) != slip.gross:
            problems.add(f"agent {slip.agent_id}: the recorded lines do not add up to the recorded gross {slip.gross}")
        if net is not None and slip.net is None:
            problems.add(f"agent {slip.agent_id}: the run deducted nothing, so it has no net pay; the profile's "
                         f"net column ({_at(profile, net)}) needs a run of a policy with deductions")  # fmt: skip
        cells: dict[str, str] = {}
        if roster is not None:
            found = roster.rows.get(slip.agent_id)
            if found is None:
                problems.add(f"{roster.path}: no row for agent {slip.agent_id}, whom the run pays; the profile "
                             f"needs {', '.join(profile.roster_columns()[1:])}")  # fmt: skip
            else:
                line, cells = found
                for column in needed:
                    if not cells.get(column.roster):
                        problems.add(f"{roster.path}: row {line}, column {column.roster!r}: empty for agent "
                                     f"{slip.agent_id}; the profile needs it ({_at(profile, column)})")  # fmt: skip
        yield slip, lines, cells


def _at(profile: Profile, column: Any) -> str:
    for index, candidate in enumerate(profile.columns):
        if candidate is column:
            return profile.where("columns", index)
    return profile.where("journal", "group")


def _common(state: RunState) -> dict[str, str]:
    run = state.run
    period = parse_period(run.period)
    return {
        "period": run.period,
        "period_start": period.first.isoformat(),
        "period_end": period.last.isoformat(),
        "currency": run.currency,
        "version": str(run.version),
    }


def _rows(
    writer: Writer,
    profile: Profile,
    state: RunState,
    checked: Iterator[tuple[RecordedSlip, list[Line], dict[str, str]]],
) -> None:
    """One row per agent; the line columns must add up to gross (unless the profile says they need not)."""
    common, problems, plan = _common(state), writer.problems, _Plan(profile)
    totals = [ZERO] * len(profile.columns)
    for slip, lines, cells in checked:
        where = f"agent {slip.agent_id}"
        sums, row = plan.sums(lines), []
        for index, column in enumerate(plan.columns):
            value = sums[index] if index in sums else _value(column, slip, cells, common)
            if isinstance(value, Decimal):
                totals[index] += value
                text = amount_text(value, profile)
                if text is None:
                    problems.add(f"{where}, column {column.header!r}: {value} needs more than {profile.decimals} "
                                 f"decimals ({profile.where('decimals')})")  # fmt: skip
                    text = ""
            else:
                text = value
            width = plan.widths[index]
            if width is not None and len(text) > width:
                problems.add(f"{where}, column {column.header!r}: {text[:40]!r} is longer than its width {width} "
                             f"({_at(profile, column)})")  # fmt: skip
            row.append(text)
        writer.row(row, where)
        writer.written.rows += 1
    if plan.lines and profile.lines_add_up:
        for code, taking in plan.taking.items():
            if len(taking) != 1:
                headers = [repr(plan.columns[index].header) for index in taking]
                counted = f"in {' and '.join(headers)}" if headers else "in no column"
                problems.add(
                    f"{profile.where('columns')}: columns: the line {code} is counted {counted}; each line the run "
                    f"pays goes in exactly one column, so that they add up to gross (or set lines_add_up: false)"
                )
    if profile.totals is not None:
        _totals_row(writer, profile, totals)


def _value(column: Any, slip: RecordedSlip, cells: dict[str, str], common: dict[str, str]) -> str | Decimal:
    """A column's value from the payslip, the roster or the profile (line columns are summed by the plan)."""
    if isinstance(column, TextColumn):
        return column.text
    if isinstance(column, RosterColumn):
        return cells.get(column.roster, "")
    assert isinstance(column, FieldColumn)
    name = column.field
    if name == "gross":
        return slip.gross
    if name == "net":
        return slip.net if slip.net is not None else ZERO  # a run without deductions is refused in _checked
    if name == "score":
        return "" if slip.score is None else str(slip.score)
    if name in common:
        return common[name]
    value = getattr(slip, name)
    return "" if value is None else str(value)


def _totals_row(writer: Writer, profile: Profile, totals: list[Decimal]) -> None:
    assert profile.totals is not None
    row = []
    for index, column in enumerate(profile.columns):
        amount = isinstance(column, LinesColumn) or (isinstance(column, FieldColumn) and column.field in AMOUNT_FIELDS)
        row.append(amount_text(totals[index], profile) or "" if amount else "")
    row[0] = profile.totals.label
    writer.row(row, f"{profile.where('totals')}: the totals row")


def _journal(
    writer: Writer,
    profile: Profile,
    state: RunState,
    checked: Iterator[tuple[RecordedSlip, list[Line], dict[str, str]]],
) -> None:
    """Entries summed by group and line code: a debit of each line's account (a credit when the sum is
    negative), then the payable account credited with the group's total. Debits equal credits."""
    journal, problems = profile.journal, writer.problems
    assert journal is not None
    sums: dict[str, dict[str, Decimal]] = {}
    labels: dict[str, set[str]] = {}
    for slip, lines, cells in checked:
        group = (
            cells.get(journal.group.roster, "") if journal.group.roster else getattr(slip, journal.group.field or "")
        )
        by_code = sums.setdefault(group, {})
        for line in lines:
            by_code[line.code] = by_code.get(line.code, ZERO) + line.amount
            labels.setdefault(line.code, set()).add(line.label)
    codes = list(labels)
    for code in codes:
        if journal.account_of(code) is None:
            problems.add(f"{profile.where('journal', 'accounts')}: journal.accounts: no account for the line {code}; "
                         f"add it, or a pattern such as {code.split('.')[0]}.*")  # fmt: skip
    if problems:
        return
    common = _common(state)
    totals = [ZERO] * len(profile.columns)
    for group in sorted(sums):
        by_code = sums[group]
        for code in (code for code in codes if by_code.get(code)):
            label = next(iter(labels[code])) if len(labels[code]) == 1 and not per_agent(code) else code
            entry = {"group": group, "account": journal.account_of(code) or "", "line": code, "label": label}
            _entry(writer, profile, entry, by_code[code], common, totals)
        owed = sum(by_code.values(), ZERO)
        if owed:
            entry = {"group": group, "account": journal.payable.account, "line": "", "label": journal.payable.label}
            _entry(writer, profile, entry, -owed, common, totals)
    if profile.totals is not None:
        _totals_row(writer, profile, totals)


def _entry(
    writer: Writer,
    profile: Profile,
    entry: dict[str, str],
    amount: Decimal,
    common: dict[str, str],
    totals: list[Decimal],
) -> None:
    """One journal entry: `amount` is signed, a debit when positive."""
    written = writer.written
    debit, credit = (amount, ZERO) if amount > 0 else (ZERO, -amount)
    written.debit += debit
    written.credit += credit
    values: dict[str, str | Decimal] = {**common, **entry, "debit": debit, "credit": credit, "amount": amount}
    values["description"] = f"{common['period']} {entry['label']}"
    row = []
    for index, column in enumerate(profile.columns):
        value: str | Decimal = column.text if isinstance(column, TextColumn) else values[getattr(column, "field", "")]
        if isinstance(value, Decimal):
            totals[index] += value
            text = amount_text(value, profile)
            if text is None:
                writer.problems.add(f"entry {entry['group']} {entry['line']}: {value} needs more than "
                                    f"{profile.decimals} decimals ({profile.where('decimals')})")  # fmt: skip
                text = ""
            value = text
        row.append(value)
    writer.row(row, f"entry {entry['group']} {entry['line'] or entry['account']}")
    written.rows += 1


def _hold_to_the_run(state: RunState, written: Written, problems: Problems) -> None:
    """The payslips read add up to the run's recorded headcount and gross, and a journal balances: a file
    that does not match its run to the cent is never written."""
    run = state.run
    if (written.headcount, written.gross) != (run.headcount, run.gross):
        problems.add(
            f"{run.period} version {run.version}: its payslips add up to {written.headcount} agents and "
            f"{written.gross}, but the run records {run.headcount} and {run.gross}; the ledger is damaged"
        )
    if written.debit != written.credit:
        problems.add(f"the journal's debits {written.debit} and credits {written.credit} differ")
