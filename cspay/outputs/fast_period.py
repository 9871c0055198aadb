"""Paying a quarter's or year's rows (folded from its months) straight into CSV, column by column.

A row paid as one part, every KPI with a value, is paid with the other such rows of its batch by
cspay.engine.columnar (the same rules, in the same order, on the same Decimals). A row paid in parts joins
the batch when its lines before the adjustments are those of every agent with the same parts, grade,
gates held and days worked (basis: grade, every role paid on its own result): the first such agent is
paid the general way and its lines reused. Other rows are paid row by row (Engine.payslip). Only the
lines the period pays are written and added up: gross is the sum of the paid lines in payslip order, as
Payslip.gross adds them. Rows are written in their order, and the totals meet line codes, grades and
actions in that order too, so that both ways give the same bytes and totals; tests/test_fast_period.py
holds them to it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction
from itertools import islice, repeat
from operator import attrgetter, itemgetter, mul
from typing import IO, Any

from cspay.cells import any_missing
from cspay.engine.columnar import MAX_PAYS, Batch, Columnar, Pay
from cspay.engine.compiled import Engine
from cspay.engine.period import paid_only
from cspay.engine.plans import MEMO_LIMIT, Curve
from cspay.engine.types import ZERO, AgentRow, Line, Part, Payslip, Summary, is_bonus
from cspay.outputs.export import CsvOut, CsvRows
from cspay.outputs.fast_csv import BATCH_ROWS, plain_cells
from cspay.outputs.text import SCORE_PLACES
from cspay.policy.model import MONTHLY_PAY

# What a row's lines before the adjustments give: the head columns' text, their paid sum, the paid lines'
# codes and amounts, and the bonus among them.
Paid = tuple[str, Decimal, tuple[tuple[str, Decimal], ...], Decimal]
_KPIS, _NUMBERS, _GROUPS = attrgetter("kpis"), attrgetter("numbers"), attrgetter("groups")


def pay_rows_to_csv(
    rows: Iterable[AgentRow], engine: Engine, handle: IO[str], summary: Summary, progress: Callable[[], None] | None
) -> None:
    """Every row's payslip as a CSV row, with only the lines the period pays; totals added to `summary`."""
    run = _PeriodCsv(engine, handle, summary)
    rows = iter(rows)
    try:
        while chunk := list(islice(rows, BATCH_ROWS)):
            run.chunk(chunk)
            if progress is not None:
                progress()
    finally:  # rows already paid are written even when the next one fails, as the general way does
        run.out.close()
    if summary.headcount:  # as Summary.add would: a run paid this way pays one currency
        summary.currency = engine.currency


class _PeriodCsv:
    """A period's rows being paid into CSV, and the text of what they have in common."""

    def __init__(self, engine: Engine, handle: IO[str], summary: Summary) -> None:
        self.engine, self.summary, self.policy = engine, summary, engine.policy
        self.csv = CsvRows(self.policy)
        self.out = CsvOut(handle, self.csv.header())
        self.columnar = Columnar(engine)
        self.every_line = set(self.policy.paid_lines) == set(MONTHLY_PAY)
        pays = self.policy.pays_line
        self.adjusted = pays("adjustment") and bool(engine.adjustment_plans)
        # Base pay, allowances and bonus come before the adjustment columns (rules.line_codes); a quarter or
        # a year has no floor (a monthly minimum: policy.checks refuses one).
        assert self.policy.floor is None
        self.head = len(self.csv.codes) - (len(engine.adjustment_plans) if self.adjusted else 0)
        self.pays = pays
        grade_cells = [self.csv.cell(grade.grade) for grade in engine.grades]
        action_cells = [self.csv.cell(grade.action or "") for grade in engine.grades]
        # A grade or action that csv.writer would quote: its rows go row by row.
        self.plain_grades = None not in grade_cells and None not in action_cells
        self.grade_cells = [cell or "" for cell in grade_cells]
        self.action_cells = [cell or "" for cell in action_cells]
        self.grade_names = [grade.grade for grade in engine.grades]
        self.actions = [grade.action for grade in engine.grades]
        self.gated = {kpi_index for kpi_index, column, _, _ in engine._gate_rules if column is None}
        self.paid: dict[Pay, Paid] = {}
        self.amount_texts: dict[Decimal, str] = {}
        # Under basis: grade, with every role paid on its own result by the policy's grades, the lines of a
        # payslip in parts are those of every agent with the same parts, grade, gates held and days worked:
        # made once the general way (Engine.payslip), then reused.
        roles = self.policy.roles.values()
        self.parts_alike = (
            not engine._by_score
            and not self.policy.pays_teams
            and all(r.paid_on == "own" and r.grades is None for r in roles)
        )
        self.parted: dict[tuple[Any, ...], Paid] = {}
        # Paid on no team's result, a part's lines follow its version, role and share (and its place among
        # the parts), never its team or dates: parts alike but for the team share a number.
        self.shapes: dict[tuple[tuple[int, str, Fraction], ...], int] = {}
        self.shape_of: dict[int, tuple[tuple[Part, ...], int]] = {}
        self.unshaped = 0  # the last number given to parts not remembered (counting down from -1)

    def chunk(self, rows: list[AgentRow]) -> None:
        """Pay and write a chunk of rows in order: the plain ones column by column, the others row by row."""
        plain = [i for i, row in enumerate(rows) if self._columnar(row)]
        picked = [rows[i] for i in plain]
        batch = self._batch(picked) if plain else None
        paid = self._paid_rows(batch, picked) if batch is not None else None
        texts = self._texts(batch, paid) if batch is not None and paid is not None else None
        if batch is None or paid is None or texts is None:
            plain, paid = [], []
        at = dict(zip(plain, range(len(plain)), strict=True))
        self._walk(rows, at, batch, texts or [], paid)
        if batch is not None and texts is not None:
            self._add_up(batch, paid)

    def _columnar(self, row: AgentRow) -> bool:
        """Whether a row is paid with its batch: every KPI with a value, and paid as one part, or in parts
        alike for every agent with the same parts (the last one the row's own role and team)."""
        if any_missing(row.kpis.values()):
            return False
        parts = row.parts
        return not parts or (self.parts_alike and parts[-1].role == row.role and parts[-1].team == row.team)

    def _paid_rows(self, batch: Batch, rows: list[AgentRow]) -> list[Paid] | None:
        """What each row's lines before the adjustments put in the head columns and the totals; None when a
        row in parts must go row by row after all."""
        paid = list(map(self._paid, batch.pays))
        parted = [j for j, row in enumerate(rows) if row.parts]
        if not parted:
            return paid
        engine = self.engine
        holds = self.columnar.holds(batch)
        held = list(zip(*holds, strict=True)) if holds else [()] * batch.size
        worked = batch.numbers[engine._worked_column] if engine._worked_column is not None else [None] * batch.size
        for j in parted:
            key = (self._shape(rows[j].parts), batch.indexes[j], held[j], worked[j])
            found = self.parted.get(key)
            if found is None:
                found = self._parted_paid(rows[j], batch.indexes[j], batch.scores[j], list(held[j]))
                if found is None:
                    return None
                if len(self.parted) < MEMO_LIMIT:
                    self.parted[key] = found
            paid[j] = found
        return paid

    def _shape(self, parts: tuple[Part, ...]) -> int:
        """The number of the parts' versions, roles and shares in order. Agents alike share their parts'
        tuple (cspay.inputs.combine): known by it, without hashing each part's share; the tuple kept beside
        its number, so that a reused id is never mistaken for it."""
        known = self.shape_of.get(id(parts))
        if known is not None and known[0] is parts:
            return known[1]
        shape = tuple((part.version, part.role, part.share) for part in parts)
        number = self.shapes.get(shape)
        if number is None:
            number = len(self.shapes)
            if number >= MEMO_LIMIT:  # a number of its own, remembered nowhere
                self.unshaped -= 1
                return self.unshaped
            self.shapes[shape] = number
        if len(self.shape_of) < MEMO_LIMIT:
            self.shape_of[id(parts)] = (parts, number)
        return number

    def _parted_paid(self, row: AgentRow, index: int, score: Decimal, holds: list[bool]) -> Paid | None:
        """A row in parts: what the lines before the adjustments that its payslip would have (made by
        cspay.engine.parts on the batch's score and gates) put in the head columns and the totals; None
        when its payslip's grade would not be the batch's (row by row, then)."""
        lines, grade = self.engine.parted.lines_before_adjustments(row, score, holds)
        if grade is None or grade.grade != self.grade_names[index]:
            return None
        return self._paid_lines(lines)

    def _batch(self, rows: list[AgentRow]) -> Batch | None:
        """The rows' columns, paid; None when a row must go row by row after all (Columnar.pay)."""
        kpis = list(map(_KPIS, rows))
        weighted, values = [], {}
        for kpi_index, plan in enumerate(self.engine.kpi_plans):
            column: list[Decimal] = list(map(itemgetter(plan.code), kpis))
            if plan.by is None:
                weighted.append(plan.own.weighted(column))
            else:
                points = map(Curve.points, map(plan.curve, map(_GROUPS, rows)), column)
                weighted.append(list(map(mul, repeat(plan.weight), points)))  # as Scored's weighted
            if kpi_index in self.gated:
                values[kpi_index] = column
        numbers_of = list(map(_NUMBERS, rows))
        numbers = {name: list(map(itemgetter(name), numbers_of)) for name in numbers_of[0]}
        batch = Batch(
            len(rows),
            [row.agent_id for row in rows],
            [row.role for row in rows],
            [row.name for row in rows],
            [row.team for row in rows],
            weighted,
            values,
            numbers,
        )
        return batch if self.columnar.pay(batch) else None

    def _texts(self, batch: Batch, paid: list[Paid]) -> list[str] | None:
        """Each row's CSV line; None when a text cell needs quotes or care (the rows then go row by row)."""
        identity = [batch.ids, batch.names, batch.roles, batch.teams]
        if not (self.plain_grades and all(map(plain_cells, identity))):
            return None
        gross = list(map(itemgetter(1), paid))
        columns = [
            *identity,
            list(map(str, map(Decimal.quantize, batch.scores, repeat(SCORE_PLACES), repeat(ROUND_DOWN)))),
            list(map(self.grade_cells.__getitem__, batch.indexes)),
            list(map(self.action_cells.__getitem__, batch.indexes)),
            list(map(itemgetter(0), paid)),
        ]
        if self.adjusted:
            for amounts in batch.amounts:
                columns.append(self._amount_texts(amounts))
                gross = list(map(Decimal.__add__, gross, amounts))
        batch.gross = gross  # the paid lines' gross, which the totals add up
        columns.append(list(map(str, gross)))
        return list(map(",".join, zip(*columns, strict=True)))

    def _paid(self, pay: Pay) -> Paid:
        """What a pay puts in the head columns: their text, the sum of its paid lines from zero in payslip
        order, those lines' codes and amounts, and its paid bonus."""
        found = self.paid.get(pay)
        if found is None:
            found = self._paid_lines([*pay.fixed[0], pay.bonus_line])
            if len(self.paid) < MAX_PAYS:
                self.paid[pay] = found
        return found

    def _paid_lines(self, lines: list[Line]) -> Paid:
        """Lines before the adjustments as the head columns' text, the sum of the paid ones from zero in
        order (as Payslip.gross adds them), their codes and amounts, and the bonus among them."""
        kept = [line for line in lines if self.pays(line.code)]
        subtotal, bonus = ZERO, ZERO
        for line in kept:
            subtotal += line.amount
            if is_bonus(line.code):
                bonus += line.amount
        text = ",".join(self.csv.amounts(kept)[: self.head])
        return text, subtotal, tuple((line.code, line.amount) for line in kept), bonus

    def _amount_texts(self, amounts: list[Decimal]) -> list[str]:
        texts = self.amount_texts
        for amount in set(amounts).difference(texts):
            texts[amount] = str(amount)  # rounded amounts: a few hundred, whatever the agents
        return list(map(texts.__getitem__, amounts))

    def _walk(
        self, rows: list[AgentRow], at: dict[int, int], batch: Batch | None, texts: list[str], paid: list[Paid]
    ) -> None:
        """Write the chunk's rows in order; the general rows' payslips are added to the totals at their turn,
        and the plain rows' codes, grades and actions are met at theirs."""
        out, csv, summary = self.out, self.csv, self.summary
        meet = batch is not None and not self._known(batch, paid)
        pending: list[str] = []
        for i, row in enumerate(rows):
            j = at.get(i)
            if j is not None and batch is not None:
                pending.append(texts[j])
                if meet:
                    self._meet(batch, j, paid[j])
                continue
            slip = self._payslip(row)
            summary.add(slip)
            text = csv.text(slip)
            if text is None:
                if pending:
                    out.text("\n".join(pending) + "\n")
                    pending.clear()
                out.cells(csv.cells(slip))
            else:
                pending.append(text[:-1])
        if pending:
            out.text("\n".join(pending) + "\n")

    def _payslip(self, row: AgentRow) -> Payslip:
        slip = self.engine.payslip(row)
        return slip if self.every_line else paid_only(slip, self.policy)

    def _known(self, batch: Batch, paid: list[Paid]) -> bool:
        """Whether the totals already hold every line code, grade and action of the batch's rows."""
        summary = self.summary
        codes = {code for found in {id(found): found for found in paid}.values() for code, _ in found[2]}
        if self.adjusted:
            codes.update(found[0].code for found in batch.adjustments)
        indexes = set(batch.indexes)
        actions = {self.actions[index] for index in indexes} - {None}
        return (
            codes.issubset(summary.lines)
            and {self.grade_names[index] for index in indexes}.issubset(summary.grades)
            and actions.issubset(summary.actions)
        )

    def _meet(self, batch: Batch, j: int, paid: Paid) -> None:
        """Put a plain row's line codes, grade and action into the totals in the order Summary.add would
        first meet them."""
        summary = self.summary
        totals = summary.lines
        index = batch.indexes[j]
        summary.grades.setdefault(self.grade_names[index], 0)
        action = self.actions[index]
        if action:
            summary.actions.setdefault(action, 0)
        for code, _ in paid[2]:
            totals.setdefault(code, ZERO)
        if self.adjusted:
            for found in batch.adjustments:
                totals.setdefault(found[j].code, ZERO)

    def _add_up(self, batch: Batch, paid: list[Paid]) -> None:
        """Add the plain rows' amounts to the totals (their codes, grades and actions already met)."""
        summary, totals = self.summary, self.summary.lines
        summary.headcount += batch.size
        summary.gross = sum(batch.gross, summary.gross)
        alike = {id(found): found for found in paid}
        for key, count in Counter(map(id, paid)).items():
            _, _, lines, bonus = alike[key]
            summary.bonus += bonus * count  # exact: a whole number of the same amount
            for code, amount in lines:
                totals[code] += amount * count
        if self.adjusted:
            for found, amounts in zip(batch.adjustments, batch.amounts, strict=True):
                totals[found[0].code] = sum(amounts, totals[found[0].code])
        grades, actions = summary.grades, summary.actions
        for index, count in Counter(batch.indexes).items():
            grades[self.grade_names[index]] += count
            action = self.actions[index]
            if action:
                actions[action] += count
