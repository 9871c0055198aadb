"""Paying a batch of agents column by column, with every amount the engine's Decimal.

Each step runs over a whole column in C (map, zip, sum, Counter) instead of row by row in Python. Only
batches whose every row is plain come this way -- each cell read well, each KPI with a value, each id plain,
each role known (cspay.inputs.columns reads them); the others are paid row by row. What is remembered
across batches (the pay of each role, grade, gates and days; each adjustment's line per value) is bounded:
once a table is full, what a batch needs beyond it is worked out for that batch alone.
The steps are those of Engine.settle, in the same order on the same Decimals; what follows the score
(gates, cap, proration, base pay and bonus lines) is Engine.pay_lines itself, remembered per (role,
grade, gates held, days) -- or, under `basis: score`, called for each row, since its bonus is the row's own.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from decimal import Decimal, DecimalException
from functools import partial
from itertools import compress, repeat
from operator import add, attrgetter, getitem, lt, mul, sub
from typing import Any, TypeVar, cast

from cspay.engine.compiled import Engine, Fixed
from cspay.engine.plans import MEMO_LIMIT, Scored
from cspay.engine.rules import grade_index, score_of, too_few
from cspay.engine.types import ZERO, GateHit, KpiResult, Line, Summary

MAX_PAYS = 50_000  # (role, grade, gates, days) combinations remembered
_AMOUNT = attrgetter("amount")
_SUBTOTAL, _BONUS = attrgetter("subtotal"), attrgetter("bonus")


# What Engine.pay_lines gives: gate hits, capped, proration, base pay and allowance lines, the bonus line.
Paid = tuple[tuple[GateHit, ...], bool, Decimal, Fixed, Line]
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def _remembered(table: dict[K, V], keys: set[K], make: Callable[[K], V], limit: int) -> dict[K, V]:
    """`table` with what `keys` need added while it has room (`make` may add to it itself); once it is full,
    a table of what this batch needs alone, so that memory stays bounded and the batch stays columnar."""
    for key in keys.difference(table):
        value = make(key)
        if len(table) < limit:
            table[key] = value
        elif key not in table:
            found = {key: table[key] for key in keys.intersection(table)}
            return found | {key: make(key) for key in keys.difference(found)}
    return table


class Pay:
    """What follows the score for one (role, grade, gates held, worked days): the same for every agent --
    the lines, and what a payslip shows of how the bonus was made (the bonus before gates, the gate hits,
    whether the cap cut it, the proration)."""

    __slots__ = ("before", "bonus", "bonus_line", "capped", "codes", "fixed", "hits", "proration", "role", "subtotal")

    def __init__(self, role: str, before: Decimal, paid: Paid) -> None:
        """`paid` is what Engine.pay_lines gives for the role and the bonus `before` gates."""
        self.role, self.before = role, before
        self.hits, self.capped, self.proration, fixed, bonus_line = paid
        self.fixed, self.bonus_line, self.bonus = fixed, bonus_line, bonus_line.amount
        self.subtotal = fixed[1] + bonus_line.amount  # as Engine.settle adds them
        self.codes = [line.code for line in fixed[0]] + ["bonus"]


class Batch:
    """One batch's columns (identity, each KPI's weight × score, the values of KPIs a gate reads, each plain
    column's numbers) and what paying it gave (grade indexes, scores, pays, adjustment lines and amounts,
    floor lines, gross)."""

    __slots__ = (
        "adjustments",
        "amounts",
        "floors",
        "gross",
        "groups",
        "ids",
        "indexes",
        "kpi_values",
        "masks",
        "names",
        "numbers",
        "pays",
        "roles",
        "scored",
        "scores",
        "size",
        "teams",
        "weighted",
    )

    def __init__(
        self,
        size: int,
        ids: list[str],
        roles: list[str],
        names: list[str],
        teams: list[str],
        weighted: list[list[Decimal]],
        kpi_values: dict[int, list[Decimal]],
        numbers: dict[str, list[Decimal]],
    ) -> None:
        self.size, self.ids, self.roles, self.names, self.teams = size, ids, roles, names, teams
        self.weighted, self.kpi_values, self.numbers = weighted, kpi_values, numbers
        self.indexes: list[int] = []
        self.scores: list[Decimal] = []
        self.pays: list[Pay] = []
        self.gross: list[Decimal] = []
        self.adjustments: list[list[Line]] = []
        self.amounts: list[list[Decimal]] = []  # each adjustment's amounts
        self.floors: dict[int, Line] = {}
        self.masks: list[int] | None = None  # each row's KPIs counted (bits), when some row left one out
        # Each KPI's scored value per row, when the batch is recorded (the ledger stores each KPI result) or
        # written whole (JSON): a Scored per row, or a ScoredColumn for a column whose values rarely repeat;
        # then also each `by` column's cells, stripped, for a KPI by group's results.
        self.scored: list[Sequence[Scored | KpiResult]] | None = None
        self.groups: dict[str, list[str]] = {}


class Columnar:
    """The column-by-column way of paying, and what it remembers across batches."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        grades = engine.grades
        self.grade_names = [grade.grade for grade in grades]
        self.actions = [grade.action for grade in grades]
        self.pays: dict[tuple[Any, ...], Pay] = {}
        floor = engine.policy.floor
        self.floor = None if floor is None else floor.gross

    def pay(self, batch: Batch) -> bool:
        """Score, grade and pay the batch; False when a row must go row by row after all (no KPI counted, or
        a Decimal error: row by row, the row at fault is named)."""
        try:
            indexes = self._grades(batch)
            if indexes is None:
                return False
            batch.indexes = indexes
            return self._pays(batch) and self._lines(batch)
        except DecimalException:
            return False

    def _grades(self, batch: Batch) -> list[int] | None:
        """Each row's grade: Σ(weight × score) / Σ(weight) over the KPIs counted, as Engine.settle does."""
        engine, size = self.engine, batch.size
        weighted, masks = [ZERO] * size, None
        for (bit, column, least), products in zip(engine._kpi_rules, batch.weighted, strict=True):
            if column is not None:
                left_out = list(map(too_few, batch.numbers[column], repeat(least)))
                if True in left_out:  # adding 0 instead of skipping changes neither value nor digits
                    products = list(map(getitem, zip(products, repeat(ZERO)), left_out))
                    masks = list(
                        map(sub, masks or [2 ** len(engine.kpi_plans) - 1] * size, map(mul, left_out, repeat(bit)))
                    )
            weighted = list(map(add, weighted, products))
        full = 2 ** len(engine.kpi_plans) - 1
        for mask in {full} if masks is None else set(masks):
            if mask not in engine._total_weights:
                engine._total_weight(mask)
        totals = engine._total_weights
        weights = [totals[full]] * size if masks is None else list(map(totals.__getitem__, masks))
        if not all(weights):
            return None
        batch.masks = masks
        scores = batch.scores = cast(list[Decimal], list(map(score_of, weighted, weights)))  # every weight > 0
        return list(map(grade_index, repeat(engine.ascending), scores))

    def _pays(self, batch: Batch) -> bool:
        """What follows the score, per (role, grade, gates held, worked days)."""
        engine, numbers = self.engine, batch.numbers
        holds = self.holds(batch)
        worked = [numbers[engine._worked_column]] if engine._worked_column is not None else []
        if engine._by_score:  # target × score: hardly two agents share a bonus, so each row is its own pay
            bonuses = list(map(mul, map(engine.targets.__getitem__, batch.roles), batch.scores))  # as Engine.settle
            gates = zip(*holds, strict=True) if holds else repeat(())
            days = worked[0] if worked else repeat(None)
            batch.pays = list(map(self._score_pay, batch.roles, bonuses, gates, days))
            return True
        keys = list(zip(batch.roles, batch.indexes, *holds, *worked, strict=True))
        try:
            batch.pays = list(map(self.pays.__getitem__, keys))
        except KeyError:
            batch.pays = list(map(_remembered(self.pays, set(keys), self._new_pay, MAX_PAYS).__getitem__, keys))
        return True

    def holds(self, batch: Batch) -> list[list[bool]]:
        """Per gate, in policy order, whether it holds for each row of the batch."""
        numbers, kpi_values = batch.numbers, batch.kpi_values
        return [
            list(map(test, numbers[column] if column is not None else kpi_values[kpi_index], repeat(limit)))
            for kpi_index, column, test, limit in self.engine._gate_rules
        ]

    def _score_pay(self, role: str, bonus: Decimal, holds: tuple[bool, ...], worked: Decimal | None) -> Pay:
        return Pay(role, bonus, self.engine.pay_lines(role, bonus, holds, worked))

    def _new_pay(self, key: tuple[Any, ...]) -> Pay:
        engine = self.engine
        role, index, gates = key[0], key[1], len(engine.gate_plans)
        worked = key[2 + gates] if engine._worked_column is not None else None
        bonus = engine._grade_bonus[role][index]
        return Pay(role, bonus, engine.pay_lines(role, bonus, key[2 : 2 + gates], worked))

    def _lines(self, batch: Batch) -> bool:
        """The adjustment lines, gross, and the floor's top-up where gross falls short."""
        engine, gross = self.engine, list(map(_SUBTOTAL, batch.pays))
        for column, lines, plan in engine._adjustment_rules:
            values = batch.numbers[column]
            try:
                found = list(map(lines.__getitem__, values))
            except KeyError:
                table = _remembered(lines, set(values), partial(plan.line, round_=engine.round), MEMO_LIMIT)
                found = list(map(table.__getitem__, values))
            amounts = list(map(_AMOUNT, found))
            batch.adjustments.append(found)
            batch.amounts.append(amounts)
            gross = list(map(add, gross, amounts))
        if self.floor is not None:
            top_up = engine.top_up
            for i in compress(range(batch.size), map(lt, gross, repeat(self.floor))):  # only where it may apply
                line = top_up(gross[i])
                if line is not None:
                    batch.floors[i] = line
                    gross[i] += line.amount
        batch.gross = gross
        return True

    def tally(self, batch: Batch, summary: Summary) -> None:
        """Add the paid batch to the totals as Summary.add would, payslip by payslip."""
        summary.headcount += batch.size
        summary.gross = sum(batch.gross, summary.gross)
        summary.bonus = sum(map(_BONUS, batch.pays), summary.bonus)
        self._codes_in_order(batch, summary)
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

    def _codes_in_order(self, batch: Batch, summary: Summary) -> None:
        """Put the batch's line codes into the totals in the order Summary.add would first meet them."""
        totals = summary.lines
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
