"""Paying a whole metrics file straight into the payslip table, for large runs: the batch run's table writer.

`cspay compute` (the table, its default) runs here when the run allows the batch way (PayRun.fast_reader)
and shows nothing of the run's own beyond the payslips (no triggered actions, no net pay). The rows are
paid by cspay.outputs.batch_run; this makes each row's cells as terminal.TableLayout makes a Payslip's, with
no Payslip made for a plain row, and lays them out as compute does: up to `drawn` rows, a drawn table; past
them, a plain table as wide as its first rows need, written as the rows come.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import ROUND_DOWN, Decimal
from itertools import repeat
from typing import IO, TYPE_CHECKING

from rich.table import Table

from cspay.engine.columnar import Batch, Pay
from cspay.engine.compiled import Engine, Settled, payslip_lines
from cspay.engine.plans import Scored
from cspay.engine.types import KpiResult, Line, Payslip, Summary
from cspay.i18n import Words
from cspay.inputs.metrics import MetricsReader
from cspay.outputs.batch_run import Identity, pay_in_batches
from cspay.outputs.terminal import LINE_GROUPS, PlainTable, TableLayout, drawn_table, table_title
from cspay.outputs.text import SCORE_PLACES
from cspay.policy.model import Policy

if TYPE_CHECKING:
    from cspay.ledger.packing import PayslipWriter

BATCH_GROUPS = {"base", "allowances", "bonus", "adjustments", "floor"}  # the columns a batch row can fill
_number = "{:,}".format  # as cspay.outputs.text.number writes an amount


def table_suits(policy: Policy, words: Words) -> bool:
    """Whether the batch way can fill the policy's table columns."""
    return BATCH_GROUPS.issuperset(TableLayout(policy, words, None, floor=True).groups)


def pay_to_table(
    reader: MetricsReader,
    out: IO[str],
    policy: Policy,
    words: Words,
    summary: Summary,
    *,
    drawn: int,
    progress: Callable[[], None] | None = None,
    recorder: PayslipWriter | None = None,
) -> Table | None:
    """Every agent's payslip as a row of the table: past `drawn` rows written plainly to `out` (None is
    returned), else the drawn table, for the caller to print. Totals are added to `summary`, each payslip
    written to the ledger by `recorder` when the run is recorded; MetricsError at the end for bad rows."""
    made: list[TableBatches] = []

    def writer(engine: Engine) -> TableBatches:
        made.append(TableBatches(engine, out, policy, words, drawn))
        return made[0]

    pay_in_batches(reader, writer, summary, progress, recorder)
    return made[0].drawn_table()


class TableBatches:
    """The table's rows of the payslips a batch run pays, and the cells its rows share."""

    suits_columns = True
    keeps_scored = False  # the table shows no KPI result

    def __init__(self, engine: Engine, out: IO[str], policy: Policy, words: Words, drawn: int) -> None:
        self.engine, self.out, self.policy, self.words, self.drawn = engine, out, policy, words, drawn
        self.layout = TableLayout(policy, words, None, floor=policy.floor is not None)  # the plain table's
        self.empty = self.layout.zeros[policy.currency]
        self.grades = [(grade.grade or "-") + (f" ({grade.action})" if grade.action else "") for grade in engine.grades]
        self.pay_cells: dict[Pay, list[str]] = {}  # base, allowances and bonus of a pay, as text
        self.first: list[list[str]] = []  # the rows before the table's widths are known
        self.topped_up = False  # whether a row held has a floor top-up (a drawn table then shows the column)
        self.plain: PlainTable | None = None

    def columns(self, batch: Batch, first: int) -> bool:
        """The batch's rows, column by column."""
        size, groups = batch.size, self.layout.groups
        scores = map(Decimal.quantize, batch.scores, repeat(SCORE_PLACES), repeat(ROUND_DOWN))
        columns: list[list[str]] = [batch.ids, batch.names, batch.roles, batch.teams, list(map(str, scores))]
        columns.append(list(map(self.grades.__getitem__, batch.indexes)))
        pays = list(map(self._pay_cells, batch.pays))
        for position, group in enumerate(groups):
            if group == "adjustments":
                adjusted = map(sum, zip(*batch.amounts, strict=True), repeat(self.empty)) if batch.amounts else None
                columns.append(list(map(_number, adjusted)) if adjusted else [_number(self.empty)] * size)
            elif group == "floor":
                floors = [self.empty] * size
                for i, line in batch.floors.items():
                    floors[i] += line.amount
                columns.append(list(map(_number, floors)))
            else:
                columns.append([cells[position] for cells in pays])
        columns.append(list(map(_number, batch.gross)))
        if self.plain is not None:
            self.plain.write_columns(columns)
        else:
            self.topped_up = self.topped_up or any(line.amount for line in batch.floors.values())
            self._hold([list(row) for row in zip(*columns, strict=True)])
        return True

    def _pay_cells(self, pay: Pay) -> list[str]:
        """A pay's base, allowances and bonus (then placeholders), remembered while there is room."""
        cells = self.pay_cells.get(pay)
        if cells is None:
            cells = self._amounts([*pay.fixed[0], pay.bonus_line])
            if len(self.pay_cells) < 4096:
                self.pay_cells[pay] = cells
        return cells

    def _amounts(self, lines: list[Line]) -> list[str]:
        """Each of the table's amount columns of these lines, added up as TableLayout adds them."""
        sums = dict.fromkeys(self.layout.groups, self.empty)
        for line in lines:
            group = LINE_GROUPS[line.code.split(".", 1)[0]]
            sums[group] += line.amount
        return [_number(sums[group]) for group in self.layout.groups]

    def settled(
        self,
        line: int,
        cells: list[str],
        identity: Identity,
        scored: Sequence[Scored | KpiResult],
        numbers: dict[str, Decimal],
        paid: Settled,
    ) -> None:
        """One plain row paid by Engine.settle."""
        agent_id, role, name, team = identity
        score, index, gross = paid.score, paid.grade_at, paid.gross
        score_cell = "-" if score is None else str(score.quantize(SCORE_PLACES, ROUND_DOWN))
        grade = "-" if index is None else self.grades[index]
        amounts = self._amounts(payslip_lines(paid))
        self._row(
            [agent_id, name, role, team, score_cell, grade, *amounts, _number(gross)],
            bool(paid.floor and paid.floor.amount),
        )

    def payslip(self, slip: Payslip) -> None:
        """A payslip paid the general way."""
        self._row(self.layout.cells(slip), bool(slip.amount("floor")))

    def _row(self, cells: list[str], topped_up: bool) -> None:
        if self.plain is not None:
            self.out.write(self.plain.line(cells) + "\n")
            return
        self.topped_up = self.topped_up or topped_up
        self._hold([cells])

    def _hold(self, rows: list[list[str]]) -> None:
        """Rows kept until more than `drawn` show the table is plain; then written with the widths of the first
        `drawn` + 1."""
        self.first += rows
        if len(self.first) > self.drawn:
            self.plain = PlainTable(
                self.out, table_title(self.policy, self.words), self.layout, self.first[: self.drawn + 1]
            )
            self.plain.write(self.first)
            self.first = []

    def close(self) -> None:
        pass

    def drawn_table(self) -> Table | None:
        """The drawn table of a run of at most `drawn` rows (its top-up column only when one has a top-up);
        None when the table was written plainly."""
        if self.plain is not None:
            return None
        layout = TableLayout(self.policy, self.words, None, floor=self.topped_up)
        rows = self.first
        if "floor" in self.layout.groups and not self.topped_up:
            at = 6 + self.layout.groups.index("floor")  # after id, name, role, team, score and grade
            rows = [[*cells[:at], *cells[at + 1 :]] for cells in rows]
        return drawn_table(self.policy, self.words, layout, rows)
