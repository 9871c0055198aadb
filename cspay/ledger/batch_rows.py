"""Payslips paid the batch way (cspay.outputs.batch_run) written to the ledger as stored rows, without a
Payslip made for each: the lines and KPI results are the engine's own objects, numbered once per run."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from itertools import repeat
from typing import Any

from cspay.engine.columnar import Batch, Pay
from cspay.engine.compiled import Engine, Settled, payslip_lines
from cspay.engine.plans import KpiPlan, Scored, ScoredColumn, contributions
from cspay.engine.types import KpiResult, Payslip
from cspay.ledger.packing import BATCH_PAYSLIPS, MAX_REMEMBERED, PayslipWriter, StoredRow, stored_text


class BatchRows:
    """Turns what the batch paths paid into stored payslip rows, and writes them a batch at a time."""

    def __init__(self, writer: PayslipWriter, engine: Engine) -> None:
        self.writer, self.engine, self.parts = writer, engine, writer.parts
        self.grades = [(grade.grade, grade.action) for grade in engine.grades]
        self.currency = engine.currency or None
        self.full = 2 ** len(engine.kpi_plans) - 1  # every KPI counted
        # By id, for the objects held in _alive (so that an id found is that object's): each Pay's base,
        # allowance and bonus line numbers, and per KPI each scored value's result number with every KPI counted.
        self.pay_numbers: dict[int, str] = {}
        self.kpi_numbers: list[dict[int, str]] = [{} for _ in engine.kpi_plans]
        self._alive: list[object] = []
        self.rows: list[StoredRow] = []

    def columns(self, batch: Batch) -> None:
        """The rows of a batch paid column by column."""
        grades = self.grades
        texts = [self._pays(batch.pays), *map(self.parts.column_numbers, batch.adjustments)]
        line_numbers = list(map(" ".join, zip(*texts, strict=True)))
        for i, line in batch.floors.items():  # the floor's top-up comes last
            line_numbers[i] += " " + self.parts.line_number(line)
        kpi_numbers = self._kpis(batch)
        names = [grades[index] for index in batch.indexes]
        self._add(
            zip(
                batch.ids,
                batch.names,
                batch.roles,
                batch.teams,
                map(str, batch.scores),
                (grade for grade, _ in names),
                (action for _, action in names),
                map(str, batch.gross),
                repeat(self.currency),
                line_numbers,
                kpi_numbers,
                repeat(""),  # the batch way pays no deductions
                repeat(""),
                strict=False,
            )
        )

    def settled(
        self, identity: tuple[str, str, str, str], scored: Sequence[Scored | KpiResult], numbers: dict[str, Decimal],
        paid: Settled,
    ) -> None:  # fmt: skip
        """The row of one agent paid by Engine.settle (identity is id, role, name, team)."""
        agent_id, role, name, team = identity
        mask, total, score, index = paid.mask, paid.total_weight, paid.score, paid.grade_at
        kpis = [
            plan.result(entry, mask, total, numbers) for plan, entry in zip(self.engine.kpi_plans, scored, strict=True)
        ]
        grade, action = self.grades[index] if index is not None else (None, None)
        self._add(
            [
                (
                    agent_id,
                    name,
                    role,
                    team,
                    None if score is None else str(score),
                    grade,
                    action,
                    str(paid.gross),
                    self.currency,
                    self.parts.line_numbers(payslip_lines(paid)),
                    self.parts.kpi_numbers(kpis),
                    "",  # the batch way pays no deductions
                    "",
                )
            ]
        )

    def payslip(self, slip: Payslip) -> None:
        """The row of a payslip paid the general way."""
        self._add([self.writer.stored_row(slip)])

    def flush(self) -> None:
        """Write the rows waiting for their batch to fill."""
        self.writer.write_rows(self.rows)
        self.rows = []

    def _add(self, rows: Any) -> None:
        self.rows.extend(rows)
        if len(self.rows) >= BATCH_PAYSLIPS:
            self.flush()

    def _pays(self, pays: list[Pay]) -> list[str]:
        """The numbers of each row's base pay, allowance and bonus lines, remembered per Pay."""
        remembered = self.pay_numbers
        found = list(map(remembered.get, map(id, pays)))
        if None in found:
            for i, pay in enumerate(pays):
                if found[i] is None:
                    found[i] = remembered.get(id(pay)) or self._new_pay(pay)
        return found  # type: ignore[return-value]

    def _new_pay(self, pay: Pay) -> str:
        self._bound()
        number = self.pay_numbers[id(pay)] = self.parts.line_numbers([*pay.fixed[0], pay.bonus_line])
        self._alive.append(pay)  # held, so that its id stays its own while remembered
        return number

    def _kpis(self, batch: Batch) -> list[str]:
        """Each row's KPI result numbers: remembered per scored value as counted with every KPI, then worked
        out again for the rows that left one out."""
        engine, full, masks, scored = self.engine, self.full, batch.masks, batch.scored
        assert scored is not None  # kept by the column reader of a recorded run
        total = engine._total_weights.get(full) or engine._total_weight(full)  # no row may count all
        columns = [
            self._kpi_column(plan, entries, total)
            if isinstance(entries, ScoredColumn)  # values that rarely repeat: no KpiResult made per row
            else self._kpi_entries(plan, entries, remembered, total)
            for plan, entries, remembered in zip(engine.kpi_plans, scored, self.kpi_numbers, strict=True)
        ]
        if masks is not None:
            totals = engine._total_weights
            for i, mask in enumerate(masks):
                if mask != full:
                    numbers = {name: values[i] for name, values in batch.numbers.items()}
                    for k, plan in enumerate(engine.kpi_plans):
                        result = plan.result(scored[k][i], mask, totals[mask], numbers)
                        columns[k][i] = self.parts.kpi_number(result)
        return list(map(" ".join, zip(*columns, strict=True)))

    def _kpi_entries(
        self, plan: KpiPlan, entries: Sequence[Scored | KpiResult], remembered: dict[int, str], total: Decimal
    ) -> list[str]:
        """The number of each row's result, every KPI counted, remembered per scored entry."""
        column = list(map(remembered.get, map(id, entries)))
        if None in column:
            for i, entry in enumerate(entries):
                if column[i] is None:
                    column[i] = remembered.get(id(entry)) or self._new_kpi(remembered, entry, plan, total)
        return column  # type: ignore[return-value]  # every None filled

    def _kpi_column(self, plan: KpiPlan, column: ScoredColumn, total: Decimal) -> list[str]:
        """The number of each row's result, every KPI counted, from the column's texts: the key RunParts
        stores for the KpiResult that KpiPlan.result would make."""
        keys = zip(
            repeat(plan.code),
            repeat(plan.label),
            map(str, column.values),
            map(str, column.points),
            repeat(str(plan.weight)),
            map(stored_text, contributions(column.weighted, total)),
            repeat(None),  # counted: nothing left out
            repeat(plan.by),
            repeat(column.curve.group),
        )
        return self.parts.kpi_numbers_of(keys)

    def _new_kpi(self, remembered: dict[int, str], entry: Scored | KpiResult, plan: KpiPlan, total: Decimal) -> str:
        self._bound()
        number = remembered[id(entry)] = self.parts.kpi_number(plan.result(entry, self.full, total, {}))
        self._alive.append(entry)
        return number

    def _bound(self) -> None:
        """Forget every remembered number at once when too many objects are held (values that rarely repeat)."""
        if len(self._alive) >= MAX_REMEMBERED:
            self._alive.clear()
            self.pay_numbers.clear()
            for remembered in self.kpi_numbers:
                remembered.clear()
