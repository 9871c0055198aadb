"""Paying a whole metrics file straight into a CSV file, for large runs: cells in, text out.

`cspay compute --format csv` runs here. Each row's cells are looked up in tables of texts already read
(the reader's parsing) and scored (the engine's KPI plans); Engine.settle works out the pay, and the row
is written as text, with no AgentRow or Payslip made for it. A row that is not plain -- a text not seen
before, a bad cell, an unusual id -- goes the general way (RowParser.parse, Engine.payslip, export's CSV
row), which also fills the tables for the rows after it. Both ways write the same bytes and totals;
tests/test_bulk.py holds them to it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import ROUND_DOWN, Decimal, DecimalException
from itertools import repeat
from typing import IO, TYPE_CHECKING, Any

from cspay.engine.columnar import Batch, Columnar, Pay
from cspay.engine.compiled import Engine, Fixed, too_large
from cspay.engine.types import ZERO, Line, Summary
from cspay.errors import PayError
from cspay.inputs.columns import ColumnReader
from cspay.inputs.metrics import MetricsReader, Numbered
from cspay.outputs.export import CsvOut, CsvRows
from cspay.outputs.text import INERT_PREFIXES, SCORE_PLACES, inert, score_text

if TYPE_CHECKING:
    from cspay.ledger.batch_rows import BatchRows
    from cspay.ledger.packing import PayslipWriter

BATCH_ROWS = 512  # rows paid together, column by column
MAX_LINE_SETS = 4096  # sets of base pay and allowance lines remembered
MAX_TEXTS = 20_000  # (name, role, team) cells remembered
_MISSING = object()
# A column of text cells that csv.writer writes as they are: no quote, comma or line break inside, no
# leading character that inert() would neutralise. Checked on the column joined by commas, a substring at a
# time (each a scan in C, where one pattern would try every position).
_INSIDE = ('"', "\r", "\n")
_AFTER_COMMA = tuple("," + mark for mark in INERT_PREFIXES)


def _plain(column: list[str]) -> bool:
    text = ",".join(column)
    if text.count(",") != len(column) - 1 or text.startswith(INERT_PREFIXES):
        return False
    return not any(map(text.__contains__, _INSIDE)) and not any(map(text.__contains__, _AFTER_COMMA))


def pay_to_csv(
    reader: MetricsReader,
    handle: IO[str],
    summary: Summary,
    progress: Callable[[], None] | None = None,
    recorder: PayslipWriter | None = None,
) -> None:
    """Every agent's payslip as a CSV row, totals added to `summary`, and each written to the ledger by
    `recorder` when the run is recorded; MetricsError at the end for bad rows."""
    run = _BulkRun(reader, handle, summary)
    if recorder is not None:  # the ledger is loaded only for a run that is recorded
        from cspay.ledger.batch_rows import BatchRows

        run.keep = BatchRows(recorder, run.engine)
        run.column_reader.keep_scored = True  # the ledger stores each KPI result
    for first, rows in reader.batches(BATCH_ROWS):
        if first is None:
            run.row_by_row(rows)  # type: ignore[arg-type]
        elif not run.columns(first, rows):  # type: ignore[arg-type]
            run.row_by_row(zip(range(first, first + len(rows)), rows, strict=True))  # type: ignore[arg-type]
        if progress is not None:
            progress()
    run.close()
    reader.finish()


class _BulkRun:
    """One metrics file being paid into CSV, and the tables of what its rows had in common."""

    def __init__(self, reader: MetricsReader, handle: IO[str], summary: Summary) -> None:
        self.reader, self.parser, self.summary = reader, reader.parser, summary
        self.engine = Engine(reader.parser.policy)
        self.csv = CsvRows(self.engine.policy)
        self.out = CsvOut(handle, self.csv.header())
        self.column_reader = ColumnReader(self.parser, self.engine)
        self.kpi_cells = self.column_reader.kpi_cells
        self.who: dict[tuple[str, str, str], str | None] = {}  # (name, role, team) -> their cells as text
        self.line_sets: dict[int, tuple[Fixed, str, list[int]]] = {}  # id -> (set, its cells, agents paid)
        grades = self.engine.grades
        self.grade_cells = [self._cells_of(grade.grade, grade.action or "") for grade in grades]
        self.grade_names = [(grade.grade, grade.action) for grade in grades]
        self.has_floor = "floor" in self.csv.position
        plain = ColumnReader.suits(self.parser) and None not in self.grade_cells
        self.columnar = Columnar(self.engine) if plain else None
        self.pay_texts: dict[Pay, str] = {}  # what follows the grade, as CSV text
        self.fixed_texts: dict[int, tuple[Fixed, str]] = {}  # id -> (base and allowance lines, their text)
        # Per adjustment, each amount as text (a rounded amount prints the same whatever its input).
        self.amount_texts: list[dict[Decimal, str]] = [{} for _ in self.engine.adjustment_plans]
        self.keep: BatchRows | None = None  # what records each payslip in the ledger, when the run is recorded

    def columns(self, first: int, rows: list[list[str]]) -> bool:
        """Pay a batch of rows column by column, when every row is plain; False (and nothing done) if not."""
        if self.columnar is None:
            return False
        batch = self.column_reader.read(rows)
        if batch is None or not self.columnar.pay(batch):
            return False
        text = self._batch_text(batch)
        if text is None:
            return False
        self.column_reader.register(batch, first)
        self.out.text(text)
        if self.keep is not None:
            self.keep.columns(batch)
        self.columnar.tally(batch, self.summary)
        return True

    def _batch_text(self, batch: Batch) -> str | None:
        """The batch's CSV lines; None when a text cell needs quotes or care (the rows then go row by row)."""
        identity = [batch.ids, batch.names, batch.roles, batch.teams]
        if not all(map(_plain, identity)):
            return None
        columns = [
            *identity,
            list(map(str, map(Decimal.quantize, batch.scores, repeat(SCORE_PLACES), repeat(ROUND_DOWN)))),
            list(map(self.grade_cells.__getitem__, batch.indexes)),
            self._pay_cells(batch.pays),
        ]
        for amounts, texts in zip(batch.amounts, self.amount_texts, strict=True):
            for amount in set(amounts).difference(texts):
                texts[amount] = str(amount)  # rounded amounts: a few hundred, whatever the agents
            columns.append(list(map(texts.__getitem__, amounts)))
        if self.has_floor:
            floors = [self.csv.zero] * batch.size
            for i, line in batch.floors.items():
                floors[i] = str(line.amount)
            columns.append(floors)
        columns.append(list(map(str, batch.gross)))
        return "\n".join(map(",".join, zip(*columns, strict=True))) + "\n"

    def _pay_cells(self, batch_pays: list[Pay]) -> list[str]:
        """Base pay, allowances and bonus as CSV text: remembered per pay, or, when each row has its own
        (`basis: score`) or the table is full, made from the text of the base and allowance lines."""
        pays = self.pay_texts
        try:
            return list(map(pays.__getitem__, batch_pays))
        except KeyError:
            pass
        if not self.engine._by_score and len(pays) < MAX_TEXTS:
            for pay in set(batch_pays).difference(pays):
                pays[pay] = f"{self.line_set_cells(pay.fixed)},{pay.bonus_line.amount}"
            return list(map(pays.__getitem__, batch_pays))
        fixed = self.fixed_texts
        for pay in batch_pays:
            if id(pay.fixed) not in fixed or fixed[id(pay.fixed)][0] is not pay.fixed:
                if len(fixed) >= MAX_LINE_SETS:
                    fixed.clear()
                fixed[id(pay.fixed)] = (pay.fixed, self.line_set_cells(pay.fixed) + ",")
        return [fixed[id(pay.fixed)][1] + str(pay.bonus) for pay in batch_pays]

    def row_by_row(self, rows: Iterable[Numbered]) -> None:
        """Read, pay and write rows one at a time."""
        accept, settle, general, write = self.parser.accept, self.engine.settle, self.general, self.write
        width, number_cells = self.parser.width, self.parser.number_cells
        kpi_texts = [(index, texts) for index, _, _, texts, _ in self.kpi_cells]
        # A KPI by group scores its value (read well before) on the curve its `by` cell picks; policies without
        # one keep the plain lookup.
        grouped = [(index, texts, at, column.cache, plan) for index, column, plan, texts, at in self.kpi_cells]
        by_group = any(at is not None for _, _, at, _, _ in grouped)
        for line, cells in rows:
            if cells is None:
                self.reader.unreadable(line)
                continue
            if len(cells) == width:
                try:
                    if by_group:
                        scored = [
                            texts[cells[index]]
                            if at is None
                            else plan.curve_of(cells[at].strip()).scored(read[cells[index]])
                            for index, texts, at, read, plan in grouped
                        ]
                    else:
                        scored = [texts[cells[index]] for index, texts in kpi_texts]
                    numbers = {name: cache[cells[index]] for name, index, cache in number_cells}
                except KeyError:
                    pass
                else:
                    identity = accept(line, cells)
                    if identity is not None:
                        if identity:
                            try:
                                settled = settle(identity[1], scored, numbers)
                                write(identity, settled)
                            except DecimalException:
                                raise PayError(too_large(self.reader.path, line, identity[0])) from None
                            if self.keep is not None:
                                self.keep.settled(identity, scored, numbers, settled)
                        continue
            general(line, cells)

    def write(self, identity: tuple[str, str, str, str], settled: tuple[Any, ...]) -> None:
        """One plain row's CSV line, and its share of the totals (what Summary.add would add)."""
        agent_id, role, name, team = identity
        (_, _, score, index, _, _, _, _, fixed, bonus_line, adjustments, floor_line, gross) = settled
        who = self.who.get((name, role, team), _MISSING)
        if who is _MISSING:
            who = self.who_cells(name, role, team)
        line_set = self.line_sets.get(id(fixed))
        if line_set is None or line_set[0] is not fixed:
            line_set = self._line_set(fixed)
        id_cell = agent_id if agent_id.isalnum() else self.csv.cell(agent_id)
        grade = self.grade_cells[index] if index is not None else ","
        if id_cell is None or who is None or grade is None:  # a cell csv.writer must quote
            self.out.cells(
                self._cells(
                    identity, score, index, [*fixed[0], bonus_line, *adjustments, *([floor_line] if floor_line else [])]
                )
            )
        else:
            score_text = "" if score is None else str(score.quantize(SCORE_PLACES, ROUND_DOWN))
            amounts = [line_set[1], str(bonus_line.amount), *[str(line.amount) for line in adjustments]]
            if self.has_floor:
                amounts.append(self.csv.zero if floor_line is None else str(floor_line.amount))
            self.out.text(f"{id_cell},{who},{score_text},{grade},{','.join(amounts)},{gross}\n")
        self._tally(line_set, bonus_line, adjustments, floor_line, gross, index)

    def _tally(
        self,
        line_set: tuple[Fixed, str, list[int]],
        bonus_line: Line,
        adjustments: list[Line],
        floor_line: Line | None,
        gross: Decimal,
        index: int | None,
    ) -> None:
        summary, totals = self.summary, self.summary.lines
        summary.headcount += 1
        summary.gross += gross
        summary.bonus += bonus_line.amount
        line_set[2][0] += 1  # base pay and allowances: counted per line set, added up in `close`
        totals["bonus"] = totals.get("bonus", ZERO) + bonus_line.amount
        for line in adjustments:
            totals[line.code] = totals.get(line.code, ZERO) + line.amount
        if floor_line is not None:
            totals["floor"] = totals.get("floor", ZERO) + floor_line.amount
        grade, action = self.grade_names[index] if index is not None else ("-", None)
        summary.grades[grade] = summary.grades.get(grade, 0) + 1
        if action:
            summary.actions[action] = summary.actions.get(action, 0) + 1

    def _line_set(self, fixed: Fixed) -> tuple[Fixed, str, list[int]]:
        """A set of base pay and allowance lines met for the first time: its cells, and a count."""
        for line in fixed[0]:  # the codes in the order Summary.add would first meet them
            self.summary.lines.setdefault(line.code, ZERO)
        if len(self.line_sets) >= MAX_LINE_SETS:  # the engine's table is full: do not hold every set made
            self._add_line_sets()
        line_set = self.line_sets[id(fixed)] = (fixed, self.line_set_cells(fixed), [0])
        return line_set

    def line_set_cells(self, fixed: Fixed) -> str:
        """The base pay and allowance columns of a line set, as CSV text."""
        return ",".join(self.csv.amounts(fixed[0])[: self.csv.position["bonus"]])

    def _add_line_sets(self) -> None:
        totals = self.summary.lines
        for fixed, _, count in self.line_sets.values():
            for line in fixed[0]:
                totals[line.code] += line.amount * count[0]  # exact: a whole number of the same amount
        self.line_sets.clear()

    def who_cells(self, name: str, role: str, team: str) -> str | None:
        """An agent's name, role and team as CSV text (remembered), or None when one needs quotes."""
        who = self._cells_of(name, role, team)
        if len(self.who) < MAX_TEXTS:
            self.who[name, role, team] = who
        return who

    def _cells_of(self, *texts: str) -> str | None:
        """Text cells joined, or None when one needs quotes."""
        cells = [self.csv.cell(text) for text in texts]
        return None if None in cells else ",".join(cells)  # type: ignore[arg-type]

    def _cells(
        self, identity: tuple[str, str, str, str], score: Decimal | None, index: int | None, lines: list[Line]
    ) -> list[Any]:
        """A row with a cell to quote, as cells for csv.writer."""
        agent_id, role, name, team = identity
        grade, action = self.grade_names[index] if index is not None else ("", None)
        return [
            *(inert(text) for text in (agent_id, name, role, team)),
            score_text(score),
            inert(grade),
            inert(action or ""),
            *self.csv.amounts(lines),
        ]

    def general(self, line: int, cells: list[str]) -> None:
        """A row that is not plain: read, paid and written the general way; then remember its texts."""
        row = self.parser.parse(line, cells)
        if row is None:
            return
        slip = self.engine.payslip(row)
        self.summary.add(slip)
        if self.keep is not None:
            self.keep.payslip(slip)
        text = self.csv.text(slip)
        if text is None:
            self.out.cells(self.csv.cells(slip))
        else:
            self.out.text(text)
        self.column_reader.remember(cells)

    def close(self) -> None:
        self.out.close()
        if self.keep is not None:
            self.keep.flush()
        self._add_line_sets()
        if self.summary.headcount:  # as Summary.add would: a run paid this way pays one currency (fast_reader)
            self.summary.currency = self.engine.currency
