"""How a recorded payslip is stored: one row per payslip, its lines and KPI results named by number.

A run's payslips share most of their lines (every L1 agent has the same base pay) and KPI results (every
agent with CSAT 93.2 scores alike), so each distinct line and KPI result is stored once per run, in
`run_lines` and `run_kpis`, and a payslip row lists the numbers of its own, in order, as text: `0 1 2 5`.
Amounts stay exact decimal text, as the engine made them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Generator, Iterable
from decimal import Decimal

from cspay.engine.types import KpiResult, Line, Payslip

MAX_REMEMBERED = 10_000  # objects whose numbers are remembered by identity; forgotten all at once when full

LineKey = tuple[str, str, str]  # code, label, amount as text
KpiKey = tuple[str, str, str | None, str | None, str, str | None, str | None, str | None, str | None]


def stored_text(value: Decimal | None) -> str | None:
    """A number as the ledger keeps it: its exact decimal text (NULL for none)."""
    return None if value is None else str(value)


class RunParts:
    """The distinct lines and KPI results of one run being written, each numbered in order of first use.

    The engine hands out the same Line and KpiResult objects to many agents, so a part is looked up by the
    object first (cheap) and by its value only when the object is new; either way equal parts get one
    number. Parts numbered since the last `flush` are written by it.
    """

    def __init__(self, db: sqlite3.Connection, run_id: int, start: int = 0) -> None:
        self.db, self.run_id = db, run_id
        self.lines: dict[LineKey, str] = {}
        self._count = start  # the next number (lines and KPI results share the numbers; a run's start at 0)
        self.kpis: dict[KpiKey, str] = {}
        # id(part) -> its number, for the parts in `_alive`: while a part is held there, no other object can
        # have its id, so an id found is that very part.
        self.numbers: dict[int, str] = {}
        self._alive: list[object] = []
        self._new_lines: list[tuple[int, int, str, str, str]] = []
        self._new_kpis: list[tuple[int, int, *KpiKey]] = []

    def line_numbers(self, lines: Iterable[Line]) -> str:
        """The numbers of a payslip's lines, in its order."""
        return " ".join([self.line_number(line) for line in lines])

    def kpi_numbers(self, kpis: Iterable[KpiResult]) -> str:
        """The numbers of a payslip's KPI results, in policy order."""
        return " ".join([self.kpi_number(kpi) for kpi in kpis])

    def line_number(self, line: Line) -> str:
        """The number of one line."""
        return self.numbers.get(id(line)) or self._line(line)

    def kpi_number(self, kpi: KpiResult) -> str:
        """The number of one KPI result. One left out for its volume is made for its agent alone, so it is
        found by value and not remembered by identity."""
        return self.numbers.get(id(kpi)) or self._kpi(kpi, remember=kpi.volume is None)

    def column_numbers(self, lines: list[Line]) -> list[str]:
        """The number of each line of a column (one line per agent)."""
        found = list(map(self.numbers.get, map(id, lines)))
        if None in found:
            found = [number or self._line(line) for number, line in zip(found, lines, strict=True)]
        return found  # type: ignore[return-value]

    def _line(self, line: Line) -> str:
        key = (line.code, line.label, str(line.amount))
        number = self.lines.get(key)
        if number is None:
            if len(self.lines) >= MAX_REMEMBERED:  # bound the memory: a part met again is numbered again
                self.lines.clear()
            number = self.lines[key] = str(self._count)
            self._count += 1
            self._new_lines.append((self.run_id, int(number), *key))
        self._remember(line, number)
        return number

    def kpi_numbers_of(self, keys: Iterable[KpiKey]) -> list[str]:
        """The number of each KPI result given as it is stored (a column's results, made without a KpiResult
        each: see BatchRows)."""
        kpis = self.kpis
        return [kpis.get(key) or self._new_kpi(key) for key in keys]

    def _kpi(self, kpi: KpiResult, *, remember: bool = True) -> str:
        key = (
            kpi.code,
            kpi.label,
            stored_text(kpi.value),
            stored_text(kpi.score),
            str(kpi.weight),
            stored_text(kpi.contribution),
            kpi.left_out,
            kpi.by,
            kpi.curve_group,
        )
        number = self.kpis.get(key) or self._new_kpi(key)
        if remember:
            self._remember(kpi, number)
        return number

    def _new_kpi(self, key: KpiKey) -> str:
        if len(self.kpis) >= MAX_REMEMBERED:
            self.kpis.clear()
        number = self.kpis[key] = str(self._count)
        self._count += 1
        self._new_kpis.append((self.run_id, int(number), *key))
        return number

    def _remember(self, part: object, number: str) -> None:
        if len(self.numbers) >= MAX_REMEMBERED:  # a run whose parts rarely repeat: bound the memory
            self.numbers.clear()
            self._alive.clear()
        self.numbers[id(part)] = number
        self._alive.append(part)

    def flush(self) -> None:
        """Write the parts numbered since the last flush."""
        if self._new_lines:
            self.db.executemany(
                "INSERT INTO run_lines (run_id, number, code, label, amount) VALUES (?, ?, ?, ?, ?)", self._new_lines
            )
            self._new_lines = []
        if self._new_kpis:
            self.db.executemany(
                "INSERT INTO run_kpis (run_id, number, code, label, value, score, weight, contribution, left_out, "
                "by_column, curve_group) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                self._new_kpis,
            )
            self._new_kpis = []


class StoredParts:
    """The lines and KPI results of one recorded run, by number, read back."""

    def __init__(self, db: sqlite3.Connection, run_id: int) -> None:
        self.lines = {
            str(number): Line(code, label, Decimal(amount))
            for number, code, label, amount in db.execute(
                "SELECT number, code, label, amount FROM run_lines WHERE run_id = ?", (run_id,)
            )
        }
        self._kpi_rows: dict[str, tuple[str, ...]] | None = None
        self._db, self._run_id = db, run_id

    def lines_of(self, numbers: str) -> list[Line]:
        """A payslip's lines from its stored numbers."""
        lines = self.lines
        return [lines[number] for number in numbers.split()]

    def kpi_codes(self, numbers: str) -> list[str]:
        """The codes of a payslip's KPI results from their stored numbers."""
        if self._kpi_rows is None:
            self._kpi_rows = {
                str(number): (code,)
                for number, code in self._db.execute(
                    "SELECT number, code FROM run_kpis WHERE run_id = ?", (self._run_id,)
                )
            }
        rows = self._kpi_rows
        return [rows[number][0] for number in numbers.split()]


BATCH_PAYSLIPS = 2000  # payslips written per INSERT batch
# A payslip as stored: agent_id, name, role, team, score, grade, action, gross, currency, the numbers of its
# lines, KPI results, deductions and employer contributions.
StoredRow = tuple[str, str, str, str, str | None, str | None, str | None, str, str | None, str, str, str, str]


class PayslipWriter:
    """Writes a run's payslips into an open transaction, a batch at a time, as they are read."""

    def __init__(
        self,
        db: sqlite3.Connection,
        run_id: int,
        triggered: dict[str, list[str]] | None,
        wanted: set[str],
    ) -> None:
        self.db, self.run_id = db, run_id
        self.triggered = {} if triggered is None else triggered  # a streamed run fills it as payslips pass
        self.parts = RunParts(db, run_id)
        self.wanted = wanted  # agents whose presence in the run is asked about (the disputes it settles)
        self.found: set[str] = set()  # those of them the run pays
        self._batch: list[Payslip] = []
        self.written = 0  # payslips written

    def write(self, payslips: Iterable[Payslip]) -> None:
        """Write every payslip."""
        for _ in self.stream(payslips):
            pass

    def stream(self, payslips: Iterable[Payslip]) -> Generator[Payslip]:
        """Each payslip, as it comes; every batch is written once all its payslips have passed, the last
        one by `finish`."""
        batch = self._batch
        for slip in payslips:
            yield slip
            batch.append(slip)
            if len(batch) == BATCH_PAYSLIPS:
                self.write_batch(batch)
                batch.clear()

    def finish(self) -> None:
        """Write the payslips still waiting for their batch to fill."""
        self.write_batch(self._batch)
        self._batch.clear()

    def write_batch(self, slips: list[Payslip]) -> None:
        """Write some payslips, with the withholding figures of those that have them."""
        first = self.write_rows(list(map(self.stored_row, slips)))
        withheld = [(first + i, slip) for i, slip in enumerate(slips) if slip.withholding is not None]
        if withheld:
            write_withholding(self.db, withheld)

    def stored_row(self, slip: Payslip) -> StoredRow:
        """A payslip as it is stored, its parts numbered."""
        parts = self.parts
        return (
            slip.agent_id,
            slip.name,
            slip.role,
            slip.team,
            stored_text(slip.score),
            slip.grade,
            slip.action,
            str(slip.gross),
            slip.currency or None,
            parts.line_numbers(slip.lines),
            parts.kpi_numbers(slip.kpis),
            parts.line_numbers(slip.deductions),
            parts.line_numbers(slip.employer),
        )

    def write_rows(self, rows: list[StoredRow]) -> int:
        """Write payslips as stored (their parts numbered by `parts`), and the actions they trigger; the id
        of the first (the others follow it)."""
        if not rows:
            return 0
        # SQLite numbers a new row max(id) + 1, so the batch's ids run on from `first`.
        first = self.db.execute("SELECT coalesce(max(id), 0) + 1 FROM payslips").fetchone()[0]
        self.db.executemany(
            f"INSERT INTO payslips (run_id, agent_id, name, role, team, score, grade, action, gross, currency, "
            f"line_numbers, kpi_numbers, deduction_numbers, employer_numbers) "
            f"VALUES ({int(self.run_id)}, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        self.parts.flush()
        self.written += len(rows)
        if self.triggered:
            self.db.executemany(
                "INSERT INTO triggered_actions (payslip_id, action) VALUES (?, ?)",
                [(first + i, action) for i, row in enumerate(rows) for action in self.triggered.get(row[0], [])],
            )
        if self.wanted:
            self.found.update(self.wanted.intersection(row[0] for row in rows))
        return int(first)


def write_withholding(db: sqlite3.Connection, withheld: list[tuple[int, Payslip]]) -> None:
    """The month's figures of each payslip's withholding, by payslip id (its deductions and employer
    contributions are numbered with its lines: StoredRow)."""
    db.executemany(
        "INSERT INTO withholding (payslip_id, year, method, income, contributions, special, other, withheld, "
        "net, months, taxable, due) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [_withholding_row(payslip_id, slip) for payslip_id, slip in withheld],
    )


def _withholding_row(payslip_id: int, slip: Payslip) -> tuple[object, ...]:
    worked = slip.withholding
    assert worked is not None
    month, tax = worked.this_month(slip.gross), worked.tax
    return (
        payslip_id,
        worked.year,
        worked.method,
        str(month.income),
        str(month.contributions),
        str(month.special),
        str(month.other),
        str(month.withheld),
        str(slip.net),
        None if tax is None else tax.months,
        None if tax is None else str(tax.taxable),
        None if tax is None else str(tax.due),
    )
