"""Paying a whole metrics file a batch at a time, for large runs: cells in, a writer's text out.

`cspay compute --format csv` and `--format json` run here. Each row's cells are looked up in tables of texts
already read (the reader's parsing) and scored (the engine's KPI plans); a batch whose rows are all plain is
paid column by column (cspay.engine.columnar), another row by row through Engine.settle, with no AgentRow
or Payslip made for a plain row. A row that is not plain -- a text not seen before, a bad cell, an unusual
id -- goes the general way (RowParser.parse, Engine.payslip), which also fills the tables for the rows after
it. A writer (CSV: cspay.outputs.fast_csv, JSON: cspay.outputs.fast_json) turns each of the three into the
bytes the general path writes; tests/test_bulk.py holds them to it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal, DecimalException
from typing import TYPE_CHECKING, Any, Protocol

from cspay.engine.columnar import Batch, Columnar
from cspay.engine.compiled import Engine, Fixed, Settled, too_large
from cspay.engine.plans import Scored
from cspay.engine.types import ZERO, KpiResult, Payslip, Summary
from cspay.errors import PayError
from cspay.inputs.columns import ColumnReader
from cspay.inputs.metrics import MetricsReader, Numbered

if TYPE_CHECKING:
    from cspay.ledger.batch_rows import BatchRows
    from cspay.ledger.packing import PayslipWriter

BATCH_ROWS = 512  # rows paid together, column by column
MAX_LINE_SETS = 4096  # sets of base pay and allowance lines counted apart before they are added up
Identity = tuple[str, str, str, str]  # id, role, name, team


class RowWriter(Protocol):
    """What writes the rows a batch run pays, in order, each the way it was paid."""

    suits_columns: bool  # whether batches may be paid column by column at all
    keeps_scored: bool  # whether a batch paid by column must bring each KPI's scored values

    def columns(self, batch: Batch, first: int) -> bool:
        """Write a batch paid column by column (its first row on line `first`); False, with nothing written,
        when a row must go row by row after all."""

    def settled(
        self,
        line: int,
        cells: list[str],
        identity: Identity,
        scored: Sequence[Scored | KpiResult],
        numbers: dict[str, Decimal],
        paid: Settled,
    ) -> None:
        """Write one plain row paid by Engine.settle."""

    def payslip(self, slip: Payslip) -> None:
        """Write one row paid the general way."""

    def close(self) -> None:
        """Write what is still held."""


class Nowhere:
    """A writer that writes nothing: the run is paid (and recorded, when it is) for its totals alone."""

    suits_columns = True
    keeps_scored = False

    def columns(self, batch: Batch, first: int) -> bool:
        return True

    def settled(self, *_: Any) -> None:
        pass

    def payslip(self, slip: Payslip) -> None:
        pass

    def close(self) -> None:
        pass


def pay_in_batches(
    reader: MetricsReader,
    writer_of: Callable[[Engine], RowWriter],
    summary: Summary,
    progress: Callable[[], None] | None = None,
    recorder: PayslipWriter | None = None,
) -> None:
    """Every agent's payslip written by the writer `writer_of` makes for the engine, totals added to
    `summary`, and each written to the ledger by `recorder` when the run is recorded; MetricsError at the
    end for bad rows."""
    run = BatchRun(reader, summary, writer_of)
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


class BatchRun:
    """One metrics file being paid in batches, and the tables of what its rows had in common."""

    def __init__(self, reader: MetricsReader, summary: Summary, writer_of: Callable[[Engine], RowWriter]) -> None:
        self.reader, self.parser, self.summary = reader, reader.parser, summary
        self.engine = Engine(reader.parser.policy)
        self.writer = writer_of(self.engine)
        self.column_reader = ColumnReader(self.parser, self.engine)
        self.column_reader.keep_scored = self.writer.keeps_scored
        self.kpi_cells = self.column_reader.kpi_cells
        self.line_sets: dict[int, tuple[Fixed, list[int]]] = {}  # id -> (set, agents paid)
        self.grade_names = [(grade.grade, grade.action) for grade in self.engine.grades]
        plain = ColumnReader.suits(self.parser) and self.writer.suits_columns
        self.columnar = Columnar(self.engine) if plain else None
        self.keep: BatchRows | None = None  # what records each payslip in the ledger, when the run is recorded

    def columns(self, first: int, rows: list[list[str]]) -> bool:
        """Pay a batch of rows column by column, when every row is plain; False (and nothing done) if not."""
        if self.columnar is None:
            return False
        batch = self.column_reader.read(rows)
        if batch is None or not self.columnar.pay(batch):
            return False
        if not self.writer.columns(batch, first):
            return False
        self.column_reader.register(batch, first)
        if self.keep is not None:
            self.keep.columns(batch)
        self.columnar.tally(batch, self.summary)
        return True

    def row_by_row(self, rows: Iterable[Numbered]) -> None:
        """Read, pay and write rows one at a time."""
        accept, settle, general, write = self.parser.accept, self.engine.settle, self.general, self.writer.settled
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
                                write(line, cells, identity, scored, numbers, settled)
                            except DecimalException:
                                raise PayError(too_large(self.reader.path, line, identity[0])) from None
                            self._tally(settled)
                            if self.keep is not None:
                                self.keep.settled(identity, scored, numbers, settled)
                        continue
            general(line, cells)

    def _tally(self, paid: Settled) -> None:
        """One plain row's share of the totals (what Summary.add would add)."""
        index, fixed, bonus_line, floor_line, gross = paid.grade_at, paid.fixed, paid.bonus_line, paid.floor, paid.gross
        summary, totals = self.summary, self.summary.lines
        line_set = self.line_sets.get(id(fixed))
        if line_set is None or line_set[0] is not fixed:
            line_set = self._line_set(fixed)
        summary.headcount += 1
        summary.gross += gross
        summary.bonus += bonus_line.amount
        line_set[1][0] += 1  # base pay and allowances: counted per line set, added up in `close`
        totals["bonus"] = totals.get("bonus", ZERO) + bonus_line.amount
        for line in paid.adjustments:
            totals[line.code] = totals.get(line.code, ZERO) + line.amount
        if floor_line is not None:
            totals["floor"] = totals.get("floor", ZERO) + floor_line.amount
        grade, action = self.grade_names[index] if index is not None else ("-", None)
        summary.grades[grade] = summary.grades.get(grade, 0) + 1
        if action:
            summary.actions[action] = summary.actions.get(action, 0) + 1

    def _line_set(self, fixed: Fixed) -> tuple[Fixed, list[int]]:
        """A set of base pay and allowance lines met for the first time, and its count."""
        for line in fixed[0]:  # the codes in the order Summary.add would first meet them
            self.summary.lines.setdefault(line.code, ZERO)
        if len(self.line_sets) >= MAX_LINE_SETS:  # the engine's table is full: do not hold every set made
            self._add_line_sets()
        line_set = self.line_sets[id(fixed)] = (fixed, [0])
        return line_set

    def _add_line_sets(self) -> None:
        totals = self.summary.lines
        for fixed, count in self.line_sets.values():
            for line in fixed[0]:
                totals[line.code] += line.amount * count[0]  # exact: a whole number of the same amount
        self.line_sets.clear()

    def general(self, line: int, cells: list[str]) -> None:
        """A row that is not plain: read, paid and written the general way; then remember its texts."""
        row = self.parser.parse(line, cells)
        if row is None:
            return
        slip = self.engine.payslip(row)
        self.summary.add(slip)
        if self.keep is not None:
            self.keep.payslip(slip)
        self.writer.payslip(slip)
        self.column_reader.remember(cells)

    def close(self) -> None:
        self.writer.close()
        if self.keep is not None:
            self.keep.flush()
        self._add_line_sets()
        if self.summary.headcount:  # as Summary.add would: a run paid this way pays one currency (fast_reader)
            self.summary.currency = self.engine.currency
