"""Paying a whole metrics file straight into a CSV file, for large runs: the batch run's CSV writer.

`cspay compute --format csv` runs here. The rows are paid by cspay.outputs.batch_run; this writes each the
way csv.writer would write its payslip's row (export.CsvRows), from what was paid, with no Payslip made for
a plain row: a batch's columns joined, the text of what many rows share (a grade, a pay, an amount, an
agent's name, role and team) made once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import ROUND_DOWN, Decimal
from itertools import repeat
from typing import IO, TYPE_CHECKING, Any

from cspay.engine.columnar import Batch, Pay
from cspay.engine.compiled import Engine, Fixed, Settled, payslip_lines
from cspay.engine.plans import Scored
from cspay.engine.types import KpiResult, Line, Payslip, Summary
from cspay.inputs.metrics import MetricsReader
from cspay.outputs.batch_run import BATCH_ROWS, Identity, pay_in_batches
from cspay.outputs.export import CsvOut, CsvRows
from cspay.outputs.text import INERT_PREFIXES, SCORE_PLACES, inert, score_text

if TYPE_CHECKING:
    from cspay.ledger.packing import PayslipWriter

__all__ = ["BATCH_ROWS", "CsvBatches", "pay_to_csv"]

MAX_LINE_SETS = 4096  # texts of sets of base pay and allowance lines remembered
MAX_TEXTS = 20_000  # (name, role, team) cells and pays remembered
_MISSING = object()
# A column of text cells that csv.writer writes as they are: no quote, comma or line break inside, no
# leading character that inert() would neutralise. Checked on the column joined by commas, a substring at a
# time (each a scan in C, where one pattern would try every position).
_INSIDE = ('"', "\r", "\n")
_AFTER_COMMA = tuple("," + mark for mark in INERT_PREFIXES)


def plain_cells(column: list[str]) -> bool:
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
    pay_in_batches(reader, lambda engine: CsvBatches(engine, handle), summary, progress, recorder)


class CsvBatches:
    """The CSV text of the rows a batch run pays, and the texts its rows share."""

    keeps_scored = False  # a CSV row shows no KPI result

    def __init__(self, engine: Engine, handle: IO[str]) -> None:
        self.engine = engine
        self.csv = CsvRows(engine.policy)
        self.out = CsvOut(handle, self.csv.header())
        self.who: dict[tuple[str, str, str], str | None] = {}  # (name, role, team) -> their cells as text
        grades = engine.grades
        self.grade_cells = [self._cells_of(grade.grade, grade.action or "") for grade in grades]
        self.grade_names = [(grade.grade, grade.action) for grade in grades]
        self.has_floor = "floor" in self.csv.position
        self.suits_columns = None not in self.grade_cells
        self.pay_texts: dict[Pay, str] = {}  # what follows the grade, as CSV text
        self.fixed_texts: dict[int, tuple[Fixed, str]] = {}  # id -> (base and allowance lines, their text)
        # Per adjustment, each amount as text (a rounded amount prints the same whatever its input).
        self.amount_texts: list[dict[Decimal, str]] = [{} for _ in engine.adjustment_plans]

    def columns(self, batch: Batch, first: int) -> bool:
        """The batch's CSV lines; False when a text cell needs quotes or care (the rows then go row by row)."""
        identity = [batch.ids, batch.names, batch.roles, batch.teams]
        if not all(map(plain_cells, identity)):
            return False
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
        self.out.text("\n".join(map(",".join, zip(*columns, strict=True))) + "\n")
        return True

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
        return [self._fixed_text(pay.fixed) + "," + str(pay.bonus) for pay in batch_pays]

    def _fixed_text(self, fixed: Fixed) -> str:
        """A set of base pay and allowance lines as CSV text, remembered while there is room."""
        found = self.fixed_texts.get(id(fixed))
        if found is not None and found[0] is fixed:
            return found[1]
        if len(self.fixed_texts) >= MAX_LINE_SETS:
            self.fixed_texts.clear()
        text = self.line_set_cells(fixed)
        self.fixed_texts[id(fixed)] = (fixed, text)
        return text

    def settled(
        self,
        line: int,
        cells: list[str],
        identity: Identity,
        scored: Sequence[Scored | KpiResult],
        numbers: dict[str, Decimal],
        paid: Settled,
    ) -> None:
        """One plain row's CSV line."""
        agent_id, role, name, team = identity
        score, index, fixed, floor_line = paid.score, paid.grade_at, paid.fixed, paid.floor
        who = self.who.get((name, role, team), _MISSING)
        if who is _MISSING:
            who = self.who_cells(name, role, team)
        id_cell = agent_id if agent_id.isalnum() else self.csv.cell(agent_id)
        grade = self.grade_cells[index] if index is not None else ","
        if id_cell is None or who is None or grade is None:  # a cell csv.writer must quote
            self.out.cells(self._cells(identity, score, index, payslip_lines(paid)))
            return
        score_text = "" if score is None else str(score.quantize(SCORE_PLACES, ROUND_DOWN))
        amounts = [
            self._fixed_text(fixed),
            str(paid.bonus_line.amount),
            *[str(line.amount) for line in paid.adjustments],
        ]
        if self.has_floor:
            amounts.append(self.csv.zero if floor_line is None else str(floor_line.amount))
        self.out.text(f"{id_cell},{who},{score_text},{grade},{','.join(amounts)},{paid.gross}\n")

    def line_set_cells(self, fixed: Fixed) -> str:
        """The base pay and allowance columns of a line set, as CSV text."""
        return ",".join(self.csv.amounts(fixed[0])[: self.csv.position["bonus"]])

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

    def _cells(self, identity: Identity, score: Decimal | None, index: int | None, lines: list[Line]) -> list[Any]:
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

    def payslip(self, slip: Payslip) -> None:
        """A row paid the general way."""
        text = self.csv.text(slip)
        if text is None:
            self.out.cells(self.csv.cells(slip))
        else:
            self.out.text(text)

    def close(self) -> None:
        self.out.close()
