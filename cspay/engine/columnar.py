"""Paying a batch of plain rows column by column, as pandas does, with every amount the engine's Decimal.

Each step runs over a whole column in C (map, zip, sum, Counter) instead of row by row in Python. Only
batches whose every row is plain come this way -- each cell a text already read well, each KPI with a
value, each id plain, each role known; cspay.bulk pays the others row by row. The steps are those of
Engine.settle, in the same order on the same Decimals; what follows the score (gates, cap, proration,
base pay and bonus lines) is Engine.pay_lines itself, remembered per (role, grade, gates held, days).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from decimal import ROUND_DOWN, Decimal, DecimalException
from itertools import compress, repeat
from operator import add, attrgetter, getitem, lt, mul, sub, truediv
from typing import TYPE_CHECKING, Any

from cspay.cells import CellError
from cspay.engine.types import FLOOR_LABEL, ZERO, Line
from cspay.inputs.rows import TOTAL_MARKERS
from cspay.inputs.seen import UNKNOWN_ROW, HashedIds
from cspay.outputs.export import SCORE_PLACES

if TYPE_CHECKING:
    from cspay.engine.compiled import Fixed
    from cspay.outputs.fast_csv import _BulkRun

MAX_PAYS = 50_000  # (role, grade, gates, days) combinations remembered
_WEIGHTED, _VALUE, _AMOUNT = attrgetter("weighted"), attrgetter("value"), attrgetter("amount")
_SUBTOTAL, _TEXT, _BONUS = attrgetter("subtotal"), attrgetter("text"), attrgetter("bonus")


# A column of text cells that csv.writer writes as they are: no quote, comma or line break inside, no
# leading = + - @ tab or CR that export.inert would neutralise. Checked on the column joined by commas.
_NEEDS_CARE = re.compile(r'["\r\n]|(?:^|,)[=+\-@\t]')


def _plain(column: list[str]) -> bool:
    text = ",".join(column)
    return text.count(",") == len(column) - 1 and not _NEEDS_CARE.search(text)


class _Pay:
    """What follows the score for one (role, grade, gates held, worked days): the same for every agent."""

    __slots__ = ("bonus", "bonus_line", "codes", "fixed", "subtotal", "text")

    def __init__(self, fixed: Fixed, bonus_line: Line, text: str) -> None:
        self.fixed, self.bonus_line, self.bonus = fixed, bonus_line, bonus_line.amount
        self.subtotal = fixed[1] + bonus_line.amount  # as Engine.settle adds them
        self.codes = [line.code for line in fixed[0]] + ["bonus"]
        self.text = text


class _Batch:
    """One batch's columns and what paying it gave."""

    __slots__ = ("adjustments", "amounts", "floors", "gross", "ids", "indexes", "names", "numbers", "pays",
                 "roles", "scored", "scores", "size", "teams", "text")

    def __init__(self, size: int) -> None:
        self.size = size
        self.adjustments: list[list[Line]] = []
        self.amounts: list[list[Decimal]] = []  # each adjustment's amounts
        self.floors: dict[int, Line] = {}


class Columnar:
    """The column-by-column way of a bulk run, and what it remembers across batches."""

    @staticmethod
    def suits(run: _BulkRun) -> bool:
        """Whether a run's policy and reader can be paid column by column (else always row by row)."""
        return (not run.engine._by_score and None not in run.grade_cells
                and isinstance(run.parser.ids, HashedIds))

    def __init__(self, run: _BulkRun) -> None:
        self.run, self.parser, self.engine = run, run.parser, run.engine
        self.number_columns = [column for _, column in self.parser.columns if column.kpi is None]
        grades = self.engine.grades
        self.ascending = sorted(grade.min_score for grade in grades)
        self.grade_names = [grade.grade for grade in grades]
        self.actions = [grade.action for grade in grades]
        self.pays: dict[tuple[Any, ...], _Pay] = {}
        # Per adjustment, each amount as text (a rounded amount prints the same whatever its input).
        self.amount_texts: list[dict[Decimal, str]] = [{} for _ in self.engine.adjustment_plans]
        floor = self.engine.policy.floor
        self.floor = None if floor is None else (floor.gross, floor.label or FLOOR_LABEL)

    def read(self, rows: list[list[str]]) -> _Batch | None:
        """The batch's values, column by column; None when a row is not plain."""
        parser = self.parser
        if len(rows[0]) != parser.width or len(set(map(len, rows))) != 1:
            return None
        columns = list(zip(*rows, strict=True))
        try:
            scored = self._lookups(columns)
        except KeyError:
            if not self._learn(columns):
                return None
            scored = self._lookups(columns)
        batch = _Batch(len(rows))
        batch.scored, batch.numbers = scored
        batch.ids = ids = list(map(str.strip, columns[parser.id_at]))
        batch.roles = roles = list(map(str.strip, columns[parser.role_at]))
        if not (all(ids) and all(map(str.isascii, ids)) and parser.known_roles.issuperset(roles)
                and TOTAL_MARKERS.isdisjoint(map(str.casefold, ids))):
            return None
        batch.names = self._texts(columns, parser.name_at, batch.size)
        batch.teams = self._texts(columns, parser.team_at, batch.size)
        return batch

    @staticmethod
    def _texts(columns: list[tuple[str, ...]], index: int | None, size: int) -> list[str]:
        return [""] * size if index is None else list(map(str.strip, columns[index]))

    def _lookups(self, columns: list[tuple[str, ...]]) -> tuple[list[list[Any]], dict[str, list[Decimal]]]:
        scored = [list(map(texts.__getitem__, columns[index])) for index, _, _, texts in self.run.kpi_cells]
        numbers = {name: list(map(cache.__getitem__, columns[index]))
                   for name, index, cache in self.parser.number_cells}
        return scored, numbers

    def _learn(self, columns: list[tuple[str, ...]]) -> bool:
        """Read and score the texts not met before; False when one is bad or the tables are full."""
        for index, column, plan, texts in self.run.kpi_cells:
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

    def pay(self, batch: _Batch) -> bool:
        """Score, grade, pay and write the batch; False when a row must go row by row after all."""
        indexes = self._grades(batch)
        if indexes is None:
            return False
        batch.indexes = indexes
        return self._pays(batch) and self._lines(batch) and self._text(batch)

    def pay_or_not(self, batch: _Batch) -> bool:
        """`pay`, but False on a Decimal error: row by row, the row at fault is then named."""
        try:
            return self.pay(batch)
        except DecimalException:
            return False

    def _grades(self, batch: _Batch) -> list[int] | None:
        """Each row's grade: Σ(weight × score) / Σ(weight) over the KPIs counted, as Engine.settle does."""
        engine, size = self.engine, batch.size
        weighted, masks = [ZERO] * size, None
        for (bit, column, least), entries in zip(engine._kpi_rules, batch.scored, strict=True):
            try:
                products = list(map(_WEIGHTED, entries))
            except AttributeError:  # a KPI without a value
                return None
            if column is not None:
                left_out = list(map(lt, batch.numbers[column], repeat(least)))
                if True in left_out:  # adding 0 instead of skipping changes neither value nor digits
                    products = list(map(getitem, zip(products, repeat(ZERO)), left_out))
                    masks = list(map(sub, masks or [2 ** len(engine.kpi_plans) - 1] * size,
                                     map(mul, left_out, repeat(bit))))
            weighted = list(map(add, weighted, products))
        full = 2 ** len(engine.kpi_plans) - 1
        for mask in {full} if masks is None else set(masks):
            if mask not in engine._total_weights:
                engine._total_weight(mask)
        totals = engine._total_weights
        weights = repeat(totals[full], size) if masks is None else map(totals.__getitem__, masks)
        weights = list(weights)
        if not all(weights):
            return None
        scores = batch.scores = list(map(truediv, weighted, weights))
        return list(map(sub, repeat(len(self.ascending)), map(bisect_right, repeat(self.ascending), scores)))

    def _pays(self, batch: _Batch) -> bool:
        """What follows the score, per (role, grade, gates held, worked days)."""
        engine, numbers = self.engine, batch.numbers
        holds = []
        for kpi_index, column, test, limit in engine._gate_rules:
            values = numbers[column] if column is not None else list(map(_VALUE, batch.scored[kpi_index]))
            holds.append(list(map(test, values, repeat(limit))))
        worked = [numbers[engine._worked_column]] if engine._worked_column is not None else []
        keys = list(zip(batch.roles, batch.indexes, *holds, *worked, strict=True))
        try:
            batch.pays = list(map(self.pays.__getitem__, keys))
        except KeyError:
            for key in set(keys).difference(self.pays):
                if len(self.pays) >= MAX_PAYS:
                    return False
                self.pays[key] = self._new_pay(key)
            batch.pays = list(map(self.pays.__getitem__, keys))
        return True

    def _new_pay(self, key: tuple[Any, ...]) -> _Pay:
        engine = self.engine
        role, index, gates = key[0], key[1], len(engine.gate_plans)
        worked = key[2 + gates] if engine._worked_column is not None else None
        _, _, _, fixed, bonus_line = engine.pay_lines(role, engine._grade_bonus[role][index], key[2:2 + gates],
                                                      worked)
        return _Pay(fixed, bonus_line, f"{self.run.line_set_cells(fixed)},{bonus_line.amount}")

    def _lines(self, batch: _Batch) -> bool:
        """The adjustment lines, gross, and the floor's top-up where gross falls short."""
        engine, gross = self.engine, list(map(_SUBTOTAL, batch.pays))
        for column, lines, plan in engine._adjustment_rules:
            values = batch.numbers[column]
            for value in set(values).difference(lines):
                plan.line(value, engine.round)
                if value not in lines:  # the table is full
                    return False
            found = list(map(lines.__getitem__, values))
            amounts = list(map(_AMOUNT, found))
            batch.adjustments.append(found)
            batch.amounts.append(amounts)
            gross = list(map(add, gross, amounts))
        if self.floor is not None:
            floor, label = self.floor
            for i in compress(range(batch.size), map(lt, gross, repeat(floor))):
                line = batch.floors[i] = Line("floor", label, floor - gross[i])
                gross[i] += line.amount
        batch.gross = gross
        return True

    def _text(self, batch: _Batch) -> bool:
        """The batch's CSV lines; False when a text cell needs quotes or care (the rows then go row by row)."""
        run, size = self.run, batch.size
        identity = [batch.ids, batch.names, batch.roles, batch.teams]
        if not all(map(_plain, identity)):
            return False
        columns = [*identity, list(map(str, map(Decimal.quantize, batch.scores, repeat(SCORE_PLACES),
                                                 repeat(ROUND_DOWN)))),
                   list(map(run.grade_cells.__getitem__, batch.indexes)), list(map(_TEXT, batch.pays))]
        for amounts, texts in zip(batch.amounts, self.amount_texts, strict=True):
            for amount in set(amounts).difference(texts):
                texts[amount] = str(amount)  # rounded amounts: a few hundred, whatever the agents
            columns.append(list(map(texts.__getitem__, amounts)))
        if run.has_floor:
            floors = [run.csv.zero] * size
            for i, line in batch.floors.items():
                floors[i] = str(line.amount)
            columns.append(floors)
        columns.append(list(map(str, batch.gross)))
        batch.text = "\n".join(map(",".join, zip(*columns, strict=True))) + "\n"
        return True

    def commit(self, batch: _Batch, first: int) -> None:
        """Record the ids, write the lines, and add the batch to the totals as Summary.add would."""
        parser, summary = self.parser, self.run.summary
        for position in parser.ids.add_all(batch.ids):  # type: ignore[union-attr]
            parser._repeats(batch.ids[position], first + position, UNKNOWN_ROW)
        parser.rows_read += batch.size
        self.run.out.text(batch.text)
        summary.headcount += batch.size
        summary.gross = sum(batch.gross, summary.gross)
        summary.bonus = sum(map(_BONUS, batch.pays), summary.bonus)
        self._codes_in_order(batch)
        totals = summary.lines
        for pay, count in Counter(batch.pays).items():
            for line in (*pay.fixed[0], pay.bonus_line):
                totals[line.code] += line.amount * count  # exact: a whole number of the same amount
        for found, amounts in zip(batch.adjustments, batch.amounts, strict=True):
            totals[found[0].code] = sum(amounts, totals[found[0].code])
        if batch.floors:
            totals["floor"] = sum(map(_AMOUNT, batch.floors.values()), totals["floor"])
        for name, count in Counter(map(self.grade_names.__getitem__, batch.indexes)).items():
            summary.grades[name] = summary.grades.get(name, 0) + count
        for action, count in Counter(map(self.actions.__getitem__, batch.indexes)).items():
            if action:
                summary.actions[action] = summary.actions.get(action, 0) + count

    def _codes_in_order(self, batch: _Batch) -> None:
        """Put the batch's line codes into the totals in the order Summary.add would first meet them."""
        totals = self.run.summary.lines
        adjusted = [found[0].code for found in batch.adjustments]
        needed = {code for pay in set(batch.pays) for code in pay.codes} | set(adjusted)
        if batch.floors:
            needed.add("floor")
        if needed.issubset(totals):
            return
        for i, pay in enumerate(batch.pays):
            for code in [*pay.codes, *adjusted, *(["floor"] if i in batch.floors else [])]:
                totals.setdefault(code, ZERO)
            if needed.issubset(totals):
                return
