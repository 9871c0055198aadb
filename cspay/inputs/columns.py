"""Reading a batch of metrics rows column by column, for the engine's columnar way of paying.

Each cell is looked up in the tables of texts the row parser has already read well (and, for a KPI, the
score the engine gave that text), a whole column at a time. A text met for the first time is read and
scored with the batch: while the tables have room it is kept for the rows after it; once they are full
(a bound on memory, on files whose values rarely repeat), the batch's column is read and scored on its own,
a column of plain numbers at once, and the batch stays columnar. A KPI with targets by group (`by`) is
scored on the curve each row's group picks, its (curve, value text) pairs kept as other KPIs' texts
are. A batch comes back only when every row is plain -- each cell read well, an id that needs no care, a
known role -- so it pays exactly as RowParser.parse and Engine.payslip would; any other batch is left to
them, row by row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from itertools import repeat
from operator import attrgetter, mul
from typing import Any, cast

from cspay.cells import CellError, any_missing, id_key, plain_column
from cspay.engine.columnar import Batch
from cspay.engine.compiled import Engine
from cspay.engine.plans import Curve, KpiPlan, Scored
from cspay.engine.types import KpiResult
from cspay.inputs.fold import MonthColumns
from cspay.inputs.rows import TOTAL_MARKERS, RowParser
from cspay.inputs.seen import UNKNOWN_ROW, HashedIds

# Per KPI, in policy order: its cell's index, how the cell is read, its plan, texts scored so far (on its own
# curve), and for a KPI by group the index of its `by` cell.
KpiCell = tuple[int, Any, KpiPlan, dict[str, Scored | KpiResult], int | None]
Column = Sequence[str]
# Per KPI: each row's weighted score; by KPI index, the values a gate reads; per KPI, each row's scored value
# (when kept).
KpiColumns = tuple[list[list[Decimal]], dict[int, list[Decimal]], list[Sequence[Scored | KpiResult]]]
Identity = tuple[list[str], list[str], list[str], list[str]]  # ids, roles, names, teams
# Texts kept per column for the batches after: plenty where values repeat (a few hundred each); where they do
# not, keeping more would cost memory and save nothing.
TEXTS_LIMIT = 4096
_MISSING = object()
_WEIGHTED, _VALUE = attrgetter("weighted"), attrgetter("value")


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
                self.kpi_cells.append((index, column, plan, {}, None if plan.by is None else groups[plan.by]))
        # Per KPI by group, the curves its `by` cells pick and the values scored on each.
        self.group_texts = [GroupTexts() for _ in self.kpi_cells]
        self.number_columns = [column for _, column in parser.columns if column.kpi is None]
        # The KPIs a gate reads: their values travel with the batch.
        self.gated = {kpi_index for kpi_index, column, _, _ in engine._gate_rules if column is None}
        self.keep_scored = False  # whether each KPI's scored values travel with the batch (a recorded run)

    def read(self, rows: list[list[str]]) -> Batch | None:
        """The batch's values, column by column; None when a row is not plain."""
        columns = _split(self.parser, rows)
        if columns is None:
            return None
        kpis = self._kpis(columns)
        numbers = self._numbers(columns)
        if kpis is None or numbers is None:
            return None
        identity = plain_identity(self.parser, columns)
        if identity is None:
            return None
        batch = Batch(len(rows), *identity, kpis[0], kpis[1], numbers)
        if self.keep_scored:
            batch.scored = kpis[2]
            batch.groups = {name: list(map(str.strip, columns[i])) for name, i in self.parser.group_cells}
        return batch

    def _kpis(self, columns: Sequence[Column]) -> KpiColumns | None:
        """Each KPI's weighted score per row, the values of the KPIs a gate reads, and (when kept) each KPI's
        scored values; None when a cell is bad or has no value (row by row, the one at fault is named or
        left out)."""
        weighted: list[list[Decimal]] = []
        values: dict[int, list[Decimal]] = {}
        kept: list[Sequence[Scored | KpiResult]] = []
        for kpi_index, (index, column, plan, texts, at) in enumerate(self.kpi_cells):
            cells = columns[index]
            if at is not None:
                grouped = _by_group(cells, columns[at], column, plan, self.group_texts[kpi_index], self.keep_scored)
                if grouped is None:
                    return None
                weighted.append(grouped[0])
                if kpi_index in self.gated:
                    values[kpi_index] = grouped[1]
                if self.keep_scored and grouped[2] is not None:  # made whenever kept
                    kept.append(grouped[2])
                continue
            try:
                entries = list(map(texts.__getitem__, cells))
            except KeyError:
                found = self._learn_kpi(cells, column, plan, texts)
                if found is None:
                    return None
                weighted.append(found[0])
                if kpi_index in self.gated:
                    values[kpi_index] = found[1]
                if self.keep_scored and found[2] is not None:  # made whenever kept
                    kept.append(found[2])
                continue
            try:
                weighted.append(list(map(_WEIGHTED, entries)))
            except AttributeError:  # a KPI without a value
                return None
            if kpi_index in self.gated:
                values[kpi_index] = list(map(_VALUE, entries))
            if self.keep_scored:
                kept.append(entries)
        return weighted, values, kept

    def _learn_kpi(
        self, cells: Column, column: Any, plan: KpiPlan, texts: dict[str, Scored | KpiResult]
    ) -> tuple[list[Decimal], list[Decimal], Sequence[Scored | KpiResult] | None] | None:
        """A KPI column with texts not met before: kept while the table has room, else read and scored here
        (each row's weighted score and value, and its scored entry when the table gave one or they are kept)."""
        fresh = list(set(cells).difference(texts)) if len(texts) < TEXTS_LIMIT else cells
        if len(texts) + len(fresh) <= TEXTS_LIMIT:
            read = _values(fresh, column.unit, column.value)
            if read is None:
                return None
            texts.update(zip(fresh, map(plan.scored, read), strict=True))
            try:
                entries = list(map(texts.__getitem__, cells))
                return list(map(_WEIGHTED, entries)), list(map(_VALUE, entries)), entries
            except AttributeError:  # a KPI without a value
                return None
        found = _values(cells, column.unit, column.value)
        if found is None or any_missing(found):
            return None
        values = cast(list[Decimal], found)
        if self.keep_scored:  # scored once, as columns the JSON writer and the ledger read whole
            scored = plan.own.scored_column(values)
            return scored.weighted, values, scored
        return plan.own.weighted(values), values, None

    def _numbers(self, columns: Sequence[Column]) -> dict[str, list[Decimal]] | None:
        """Each plain column's numbers; texts not met before are kept while the reader's table has room."""
        numbers = {}
        for (name, index, _), column in zip(self.parser.number_cells, self.number_columns, strict=True):
            found = _read_column(columns[index], column)
            if found is None:
                return None
            numbers[name] = cast(list[Decimal], found)  # a plain column's reader never gives None
        return numbers

    def register(self, batch: Batch, first: int) -> None:
        """Count the batch's rows and record its ids (a repeat is reported, as RowParser.parse would)."""
        register(self.parser, batch.ids, first)

    def remember(self, cells: list[str]) -> None:
        """After a row paid the general way: score its KPI texts that read well, for the rows after it."""
        for index, column, plan, texts, at in self.kpi_cells:
            value = column.cache.get(cells[index], _MISSING)
            if value is not _MISSING and at is None:  # read well (the reader keeps only good texts, and not too many)
                texts[cells[index]] = plan.scored(value)


class GroupTexts:
    """A KPI by group's tables: the curve each `by` cell's text picks, and each (curve, value text) scored.
    Agents of groups on one curve share its entries. Kept while there is room; past it, what a batch needs
    is worked out for that batch alone."""

    __slots__ = ("curves", "scored")

    def __init__(self) -> None:
        self.curves: dict[str, Curve] = {}
        self.scored: dict[tuple[Curve, str], Scored | KpiResult] = {}


def _by_group(
    cells: Column, groups: Column, column: Any, plan: KpiPlan, known: GroupTexts, keep: bool
) -> tuple[list[Decimal], list[Decimal], list[Scored | KpiResult] | None] | None:
    """A KPI by group: each value scored on the curve its row's `by` cell picks (weighted scores, values and,
    when `keep` or at no cost, the scored entries); pairs not met before are read and scored with the batch.
    None when a cell is bad or has no value."""
    try:
        curves = list(map(known.curves.__getitem__, groups))
    except KeyError:
        picked = {text: plan.curve_of(text.strip()) for text in set(groups).difference(known.curves)}
        if len(known.curves) + len(picked) <= TEXTS_LIMIT:
            known.curves.update(picked)
        curves = [picked[text] if text in picked else known.curves[text] for text in groups]
    pairs = list(zip(curves, cells, strict=True))
    table = known.scored
    try:
        entries = list(map(table.__getitem__, pairs))
    except KeyError:
        fresh = list(set(pairs).difference(table))
        if len(table) + len(fresh) <= TEXTS_LIMIT:
            texts = list({text for _, text in fresh})
            read = _values(texts, column.unit, column.value)
            if read is None or any_missing(read):
                return None
            value_of = dict(zip(texts, read, strict=True))
            table.update({pair: pair[0].scored(value_of[pair[1]]) for pair in fresh})
            entries = list(map(table.__getitem__, pairs))
        else:  # full (values that rarely repeat): the batch's column read and scored on its own
            found = _values(cells, column.unit, column.value)
            if found is None or any_missing(found):
                return None
            values = cast(list[Decimal], found)
            if not keep:  # as Scored's weighted, without making one per row
                return list(map(mul, repeat(plan.weight), map(Curve.points, curves, values))), values, None
            entries = list(map(Curve.scored, curves, values))
    return list(map(_WEIGHTED, entries)), list(map(_VALUE, entries)), entries


def _texts(columns: list[tuple[str, ...]], index: int | None, size: int) -> list[str]:
    return [""] * size if index is None else list(map(str.strip, columns[index]))


def _values(cells: Column, unit: str, read: Callable[[str], Decimal | None]) -> list[Decimal | None] | None:
    """Cells' values, plain numbers all at once (cells.plain_column), else one by one as the parser reads
    them; None when a cell is bad (row by row, the parser names it)."""
    values: list[Decimal | None] | None = plain_column(unit, cells)  # type: ignore[assignment]
    if values is None:
        try:
            values = list(map(read, cells))
        except CellError:
            return None
    return values


def _split(parser: RowParser, rows: list[list[str]]) -> list[tuple[str, ...]] | None:
    """The rows' cells as columns, when every row has the header's width."""
    if len(rows[0]) != parser.width or len(set(map(len, rows))) != 1:
        return None
    return list(zip(*rows, strict=True))


def plain_identity(parser: RowParser, columns: list[tuple[str, ...]]) -> Identity | None:
    """The rows' ids, roles, names and teams, stripped, when each is as RowParser.accept takes it without
    care: an id in plain ASCII and not a total's, a known role, no control character anywhere (else the
    careful way says which and where)."""
    ids = list(map(str.strip, columns[parser.id_at]))
    roles = list(map(str.strip, columns[parser.role_at]))
    size = len(ids)
    names, teams = _texts(columns, parser.name_at, size), _texts(columns, parser.team_at, size)
    if not (
        all(ids)
        and all(map(str.isascii, ids))
        and parser.known_roles.issuperset(roles)
        and TOTAL_MARKERS.isdisjoint(map(str.casefold, ids))
        and "".join(ids).isprintable()
        and "".join(names).isprintable()
        and "".join(teams).isprintable()
        and all("".join(columns[i]).isprintable() for _, i in parser.group_cells)
    ):
        return None
    return ids, roles, names, teams


def id_keys(ids: list[str]) -> list[str]:
    """Plain ids as cspay.cells.id_key reads them (lower case, when no space needs care)."""
    return list(map(str.lower, ids)) if " " not in "".join(ids) else list(map(id_key, ids))


def register(parser: RowParser, ids: list[str], first: int) -> list[str]:
    """Count a batch's rows and record their plain ids (a repeat is reported, as RowParser.parse would);
    the ids as cspay.cells.id_key reads them."""
    keys = id_keys(ids)
    for position in parser.ids.add_all(keys):  # type: ignore[union-attr]
        parser._repeats(ids[position], first + position, UNKNOWN_ROW)
    parser.rows_read += len(ids)
    return keys


def month_columns(parser: RowParser, rows: list[list[str]], first: int) -> MonthColumns | None:
    """A batch of a month's rows (the first on line `first`) as the fold takes them (cspay.inputs.fold),
    each cell read as RowParser.parse reads it, and its ids recorded; None (and nothing recorded) when a
    row is not plain, which RowParser.parse then reads, reporting what is wrong."""
    if parser.currency_at is not None or not ColumnReader.suits(parser):
        return None
    columns = _split(parser, rows)
    if columns is None:
        return None
    identity = plain_identity(parser, columns)
    if identity is None:
        return None
    kpis: dict[str, list[Decimal | None]] = {}
    numbers: dict[str, list[Decimal]] = {}
    for index, column in parser.columns:
        values = _read_column(columns[index], column)
        if values is None:
            return None
        if column.kpi is None:
            numbers[column.name] = values  # type: ignore[assignment]  # a plain column's reader never gives None
        else:
            kpis[column.kpi] = values
    ids, roles, names, teams = identity
    size = len(ids)
    periods = _texts(columns, parser.period_at, size)
    groups = _groups(parser, columns, size)
    keys = register(parser, ids, first)
    lines = range(first, first + size)
    return MonthColumns(lines, ids, keys, roles, names, teams, parser.path, periods, groups, [""] * size, kpis, numbers)


def _groups(parser: RowParser, columns: list[tuple[str, ...]], size: int) -> list[dict[str, str]]:
    """Each row's group columns (shift, site ...) by name, stripped, as RowParser.parse gives them."""
    if not parser.group_cells:
        return [{} for _ in range(size)]
    names = [name for name, _ in parser.group_cells]
    texts = [list(map(str.strip, columns[i])) for _, i in parser.group_cells]
    return [dict(zip(names, cells, strict=True)) for cells in zip(*texts, strict=True)]


def _read_column(cells: Column, column: Any) -> list[Decimal | None] | None:
    """A column's values as the parser reads each cell: its texts kept while the parser's table has room,
    else the batch's column read on its own; None when a cell is bad."""
    cache = column.cache
    try:
        return list(map(cache.__getitem__, cells))
    except KeyError:
        pass
    fresh = set(cells).difference(cache)
    if len(cache) + len(fresh) <= TEXTS_LIMIT:
        try:
            for text in fresh:
                column.value(text)
        except CellError:
            return None
        return list(map(cache.__getitem__, cells))
    return _values(cells, column.unit, column.value)
