"""The report of an export's bad cells and rows: each named by file, row and column, in file order.

The engine only learns that a period's cells include bad ones; this walks the records once more, as they
stream, and says which, exactly as cspay has always said it. Each distinct text is read once per column.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from cspay.errors import Problems
from cspay.inputs.export_cells import CellError, agent_id, date_parser, optional, shown
from cspay.inputs.export_files import Record
from cspay.periods import Period
from cspay.policy.metrics_spec import MetricsSpec


class _Cells:
    """A column's reader with the reading of each text it has met, good or bad."""

    def __init__(self, column: str, read: Callable[[str], Any]) -> None:
        self.column, self.read, self.seen = column, read, dict[str, Any]()

    def __call__(self, text: str) -> Any:
        if text not in self.seen:
            try:
                self.seen[text] = self.read(text)
            except CellError as error:
                self.seen[text] = CellError(error.expected)
        return self.seen[text]


def problems_of(source: str, spec: MetricsSpec, period: Period, records: Iterable[Record],
                columns: dict[str, int], width: int | None) -> Problems:  # fmt: skip
    """Every problem of the records dated in the period (and every unreadable date), up to the usual count.

    `columns` gives each column's index in a record; `width` is the header's, for CSV records. Cells of
    rows outside the period are not checked: they cannot change the figures.
    """
    problems = Problems()
    source_spec = spec.source
    day = _Cells(source_spec.date.column, date_parser(source_spec.date.format))
    agent = _Cells(source_spec.agent, agent_id)
    kinds = [_Cells(column, optional(kind)) for column, kind in spec.column_kinds().items()]

    def check(line: int, cells: list[str], reader: _Cells) -> bool:
        text = cells[columns[reader.column]]
        value = reader(text)
        if isinstance(value, CellError):
            problems.add(
                f'{source}: row {line}, column "{reader.column}": got "{shown(text)}", expected {value.expected}'
            )
            return False
        return True

    for line, cells in records:
        if width is not None and (len(cells) < width or any(cell.strip() for cell in cells[width:])):
            problems.add(f"{source}: row {line}: has {len(cells)} cells, expected {width} like the header")
            continue
        if not check(line, cells, day):
            continue
        dated: date = day(cells[columns[day.column]])
        if dated not in period:
            continue
        for reader in [agent, *kinds]:
            check(line, cells, reader)
    return problems
