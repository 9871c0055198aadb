"""Reading a batch of metrics rows column by column, for the engine's columnar way of paying.

Each cell is looked up in the tables of texts the row parser has already read well (and, for a KPI, the
score the engine gave that text), a whole column at a time. A batch comes back only when every row is
plain -- each cell a text read well before, an id that needs no care, a known role -- so it pays exactly
as RowParser.parse and Engine.payslip would; any other batch is left to them, row by row.
"""

from __future__ import annotations

from decimal import Decimal
from operator import getitem
from typing import Any

from cspay.cells import CellError, id_key
from cspay.engine.columnar import Batch
from cspay.engine.compiled import Engine
from cspay.engine.plans import Curve, KpiPlan, Scored
from cspay.engine.types import KpiResult
from cspay.inputs.rows import TOTAL_MARKERS, RowParser
from cspay.inputs.seen import UNKNOWN_ROW, HashedIds

_MISSING = object()
GROUPED_TEXTS = 20_000  # `by` cell texts remembered per KPI by group; beyond, rows go the general way
GROUPED_SCORES = 60_000  # texts scored on a KPI by group's curves, all together; beyond, likewise


class CurveTexts:
    """A KPI by group's texts scored so far: a table per curve, each text scored on every curve at once (so
    a text met in one group is known in all), and the table each `by` cell's text picks."""

    __slots__ = ("curves", "own", "plan", "scored", "tables")

    def __init__(self, plan: KpiPlan) -> None:
        self.plan = plan
        self.curves: dict[Curve, dict[str, Scored | KpiResult]] = {curve: {} for curve in plan.curves.values()}
        self.own: dict[str, Scored | KpiResult] = self.curves[plan.own]  # every table has the same texts
        self.tables: dict[str, dict[str, Scored | KpiResult]] = {}  # a `by` cell's text -> its curve's texts
        self.scored = 0

    def knows(self, cell: str) -> bool:
        """Learn which curve's table a `by` cell's text picks; False when the table of such texts is full."""
        if cell not in self.tables:
            if len(self.tables) >= GROUPED_TEXTS:
                return False
            self.tables[cell] = self.curves[self.plan.curve_of(cell.strip())]
        return True

    def add(self, text: str, value: Decimal | None) -> bool:
        """Score a value's text on every curve; False when the tables are full."""
        if self.scored >= GROUPED_SCORES:
            return False
        for curve, table in self.curves.items():
            table[text] = curve.scored(value)
        self.scored += len(self.curves)
        return True


# Per KPI, in policy order: its cell's index, how the cell is read, its plan, the texts scored so far (on its
# own curve), and for a KPI by group the index of its `by` cell and its texts by curve.
KpiCell = tuple[int, Any, KpiPlan, dict[str, Scored | KpiResult], int | None, CurveTexts | None]


class ColumnReader:
    """A metrics file's rows read a batch at a time, column by column."""

    @staticmethod
    def suits(parser: RowParser) -> bool:
        """Whether a parser's rows can be read by column: its ids are checked for repeats a batch at a time."""
        return isinstance(parser.ids, HashedIds)

    def __init__(self, parser: RowParser, engine: Engine) -> None:
        self.parser = parser
        plans = {plan.code: plan for plan in engine.kpi_plans}
        groups = dict(parser.group_cells)
        self.kpi_cells: list[KpiCell] = []
        for index, column in parser.columns:
            if column.kpi:
                plan = plans[column.kpi]
                at = None if plan.by is None else groups[plan.by]
                self.kpi_cells.append((index, column, plan, {}, at, None if at is None else CurveTexts(plan)))
        self.number_columns = [column for _, column in parser.columns if column.kpi is None]

    def read(self, rows: list[list[str]]) -> Batch | None:
        """The batch's values, column by column; None when a row is not plain."""
        parser = self.parser
        if len(rows[0]) != parser.width or len(set(map(len, rows))) != 1:
            return None
        columns = list(zip(*rows, strict=True))
        try:
            scored, numbers = self._lookups(columns)
        except KeyError:
            if not self._learn(columns):
                return None
            scored, numbers = self._lookups(columns)
        ids = list(map(str.strip, columns[parser.id_at]))
        roles = list(map(str.strip, columns[parser.role_at]))
        size = len(rows)
        names, teams = _texts(columns, parser.name_at, size), _texts(columns, parser.team_at, size)
        if not (
            all(ids)
            and all(map(str.isascii, ids))
            and parser.known_roles.issuperset(roles)
            and TOTAL_MARKERS.isdisjoint(map(str.casefold, ids))
            # No control character anywhere (else the careful way says which and where).
            and "".join(ids).isprintable()
            and "".join(names).isprintable()
            and "".join(teams).isprintable()
            and all("".join(columns[i]).isprintable() for _, i in parser.group_cells)
        ):
            return None
        return Batch(size, ids, roles, names, teams, scored, numbers)

    def _lookups(
        self, columns: list[tuple[str, ...]]
    ) -> tuple[list[list[Scored | KpiResult]], dict[str, list[Decimal]]]:
        scored = [
            list(map(texts.__getitem__, columns[index]))
            if by_group is None
            else list(map(getitem, map(by_group.tables.__getitem__, columns[at]), columns[index]))  # type: ignore[index]
            for index, _, _, texts, at, by_group in self.kpi_cells
        ]
        numbers = {
            name: list(map(cache.__getitem__, columns[index])) for name, index, cache in self.parser.number_cells
        }
        return scored, numbers

    def _learn(self, columns: list[tuple[str, ...]]) -> bool:
        """Read and score the texts not met before; False when one is bad or the tables are full."""
        for index, column, plan, texts, at, by_group in self.kpi_cells:
            if by_group is not None:
                if not _learn_by_group(by_group, column, columns[at], columns[index]):  # type: ignore[index]
                    return False
                continue
            for text in set(columns[index]).difference(texts):
                try:
                    value = column.value(text)
                except CellError:
                    return False
                if text not in column.cache:
                    return False
                texts[text] = plan.scored(value)
        for (_, index, cache), column in zip(self.parser.number_cells, self.number_columns, strict=True):
            for text in set(columns[index]).difference(cache):
                try:
                    column.value(text)
                except CellError:
                    return False
                if text not in cache:
                    return False
        return True

    def register(self, batch: Batch, first: int) -> None:
        """Count the batch's rows and record its ids (a repeat is reported, as RowParser.parse would)."""
        parser = self.parser
        keys = list(map(str.lower, batch.ids)) if " " not in "".join(batch.ids) else list(map(id_key, batch.ids))
        for position in parser.ids.add_all(keys):  # type: ignore[union-attr]
            parser._repeats(batch.ids[position], first + position, UNKNOWN_ROW)
        parser.rows_read += batch.size

    def remember(self, cells: list[str]) -> None:
        """After a row paid the general way: score its KPI texts that read well, for the rows after it."""
        for index, column, plan, texts, at, by_group in self.kpi_cells:
            value = column.cache.get(cells[index], _MISSING)
            if value is _MISSING:  # not read well (the reader keeps only good texts, and not too many)
                continue
            if by_group is None:
                texts[cells[index]] = plan.scored(value)
            elif by_group.knows(cells[at]) and cells[index] not in by_group.own:  # type: ignore[index]
                by_group.add(cells[index], value)


def _learn_by_group(by_group: CurveTexts, column: Any, cells: tuple[str, ...], texts: tuple[str, ...]) -> bool:
    """Learn a batch's new `by` cell texts, and read and score its new value texts on every curve."""
    for cell in set(cells).difference(by_group.tables):
        if not by_group.knows(cell):
            return False
    for text in set(texts).difference(by_group.own):
        try:
            value = column.value(text)
        except CellError:
            return False
        if text not in column.cache or not by_group.add(text, value):
            return False
    return True


def _texts(columns: list[tuple[str, ...]], index: int | None, size: int) -> list[str]:
    return [""] * size if index is None else list(map(str.strip, columns[index]))
