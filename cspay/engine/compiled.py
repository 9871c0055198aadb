"""The engine: a policy compiled once into tables (cspay.plans) and applied to each agent, exactly.

Engine.settle holds the pay rules once for both ways of paying: Engine.payslip for one agent row (the
library, JSON, the table) and cspay.bulk / cspay.columnar for `compute --format csv`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, DecimalException
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from cspay.engine.computed import Computed
from cspay.engine.parts import Parted
from cspay.engine.plans import MEMO_LIMIT, AdjustmentPlan, GatePlan, KpiPlan, Scored
from cspay.engine.rounding import Rounder
from cspay.engine.rules import basis_bonus, capped, grade_index, proration_factor, score_of, too_few, top_up
from cspay.engine.types import (
    BASE_PAY_LABEL,
    BONUS_LABEL,
    FLOOR_LABEL,
    ONE,
    ZERO,
    AgentRow,
    GateHit,
    KpiResult,
    Line,
    Payslip,
)
from cspay.errors import PayError
from cspay.policy.model import Grade, Policy, Role

if TYPE_CHECKING:
    from cspay.engine.teams import TeamBook

Fixed = tuple[tuple[Line, ...], Decimal]  # a role's base pay and allowance lines at one proration, and their sum
_NO_LINES: dict[Any, Any] = {}


class Settled(NamedTuple):
    """One agent's pay as Engine.settle works it out, before any Payslip is made."""

    mask: int  # the KPIs counted, a bit each
    total_weight: Decimal  # their total weight
    score: Decimal | None
    grade_at: int | None  # the grade's index, in the policy's order
    bonus: Decimal  # before gates
    hits: tuple[GateHit, ...]
    capped: bool
    proration: Decimal
    fixed: Fixed  # base pay and allowance lines, and their sum
    bonus_line: Line
    adjustments: list[Line]
    floor: Line | None  # the floor's top-up
    gross: Decimal


class Engine:
    """A policy compiled once into plain functions and tables, then applied to each agent row."""

    def __init__(self, policy: Policy, role_versions: Sequence[Mapping[str, Role]] = ()) -> None:
        """`role_versions` are the roles as the policy's dated values set them in each stretch of the period
        (a part of a payslip names the one in force); without them, the policy's roles hold throughout."""
        self.policy = policy
        self.role_versions = list(role_versions) or [policy.roles]
        self.teams: TeamBook | None = None  # the team results a policy that pays on them needs, set by the run
        self._parted: Parted | None = None
        self._team_pay = policy.pays_teams  # every payslip is then paid by parts, its bonus on team results
        self.grades: list[Grade] = policy.grades_high_to_low()
        self.targets = {name: role.target_bonus_amount() for name, role in policy.roles.items()}
        self.step = policy.rounding.step
        self.mode = policy.rounding.mode
        self.round = Rounder(self.step, self.mode)  # rounds a payslip line by the policy's rule
        self.currency = policy.currency  # every amount it pays is in this currency (cspay.engine.currency)
        self.kpi_plans = [KpiPlan(code, kpi, 1 << i) for i, (code, kpi) in enumerate(policy.kpis.items())]
        codes = list(policy.kpis)
        self.gate_plans = [
            GatePlan(i, gate, codes.index(gate.kpi) if gate.kpi is not None else None)
            for i, gate in enumerate(policy.gates)
        ]
        for plan in self.gate_plans if policy.bonus.basis == "score" else ():
            plan.remember = 0  # the bonuses a gate cuts are all different
        self.adjustment_plans = [AdjustmentPlan(name, a) for name, a in policy.adjustments.items()]
        self._total_weights: dict[int, Decimal] = {}
        self.ascending = sorted(grade.min_score for grade in self.grades)
        self._by_score = policy.bonus.basis == "score"
        # A bonus by score is target × score: hardly two agents share one, so none is remembered.
        self._bonus_memo = 0 if self._by_score else MEMO_LIMIT
        # A grade's bonus by role, worked out once (basis_bonus for the grade basis).
        self._grade_bonus = {
            name: [basis_bonus(False, target, ZERO, grade.multiplier) for grade in self.grades]
            for name, target in self.targets.items()
        }
        cap = policy.bonus.cap
        self._caps = {name: None if cap is None else cap * target for name, target in self.targets.items()}
        # A KPI is counted when it has a value and its min_volume column (if any) is reached.
        proration = policy.proration
        self._worked_column = proration.column if proration else None
        self._full = proration.full if proration else ONE
        self._applies = frozenset(proration.applies_to) if proration else frozenset()
        self._fixed_by_worked = bool(self._applies & {"base_pay", "allowances"})
        self._bonus_by_worked = "bonus" in self._applies
        self._fixed_lines: dict[str, dict[Decimal | None, Fixed]] = {name: {} for name in policy.roles}
        self._bonus_lines: dict[Decimal, dict[Decimal | None, Line]] = {}
        self._minimum = policy.floor.gross if policy.floor else None
        self._floor_label = (policy.floor.label if policy.floor else None) or FLOOR_LABEL
        # (bit, min_volume column or None, its minimum) per KPI; (KPI's index or -1, column or None, test,
        # limit) per gate.
        self._kpi_rules = [(plan.bit, plan.volume_column, plan.volume_min or ZERO) for plan in self.kpi_plans]
        self._gate_rules = [
            (
                -1 if plan.kpi_index is None else plan.kpi_index,
                plan.column if plan.kpi_index is None else None,
                plan.test,
                plan.limit,
            )
            for plan in self.gate_plans
        ]
        self._adjustment_rules = [(plan.column, plan.lines, plan) for plan in self.adjustment_plans]

    def payslip(self, row: AgentRow) -> Payslip:
        """The payslip of one agent row; PayError if an amount would need more than Decimal's 28 digits."""
        try:
            return self._payslip(row)
        except DecimalException:
            raise PayError(too_large(row.source, row.line, row.agent_id)) from None

    @property
    def parted(self) -> Parted:
        """The way of paying a row in parts (cspay.engine.parts), made when first needed."""
        if self._parted is None:
            self._parted = Parted(self)
        return self._parted

    def _payslip(self, row: AgentRow) -> Payslip:
        scored = self.scored(row.kpis, row.groups)
        if row.parts or self._team_pay:
            return self.parted.payslip(row, scored)
        paid = self.settle(row.role, scored, row.numbers)
        grade = None if paid.grade_at is None else self.grades[paid.grade_at]
        slip = Computed(
            row.agent_id,
            row.name,
            row.role,
            row.team,
            row.line,
            (),
            paid.score,
            grade.grade if grade else None,
            grade.multiplier if grade else None,
            grade.action if grade else None,
            self.targets[row.role],
            paid.bonus,
            paid.hits,
            paid.capped,
            paid.proration,
            payslip_lines(paid),
            None,
            row.numbers,
            row.groups,
            self.currency,
        )
        slip._pending = (self.kpi_plans, scored, paid.mask, paid.total_weight, row.numbers)
        return slip

    def scored(
        self, values: Mapping[str, Decimal | None], groups: Mapping[str, str] | None = None
    ) -> list[Scored | KpiResult]:
        """Each KPI's value scored on its curve (or the KPI without a value), in policy order; a KPI by group
        on the curve of the group `groups` (the row's text columns) names, its own without them."""
        scored: list[Scored | KpiResult] = []
        for plan in self.kpi_plans:
            value = values.get(plan.code)
            curve = plan.own if plan.by is None or groups is None else plan.curve(groups)
            entry: Scored | KpiResult | None = curve.memo.get(value)  # type: ignore[arg-type]
            if entry is None or (entry.value is not value and str(entry.value) != str(value)):
                entry = curve.scored(value)
            scored.append(entry)
        return scored

    def settle(self, role: str, scored: list[Scored | KpiResult], numbers: dict[str, Decimal]) -> Settled:
        """One agent's pay from its scored KPIs (KpiPlan.scored, in policy order) and plain numbers."""
        mask, total_weight, score = self.score(scored, numbers)
        index = None
        bonus = ZERO
        if score is not None:
            index = grade_index(self.ascending, score)
            bonus = self.targets[role] * score if self._by_score else self._grade_bonus[role][index]
        holds = self.holds(scored, numbers)
        worked = numbers[self._worked_column] if self._worked_column is not None else None
        hits, was_capped, proration, fixed, bonus_line = self.pay_lines(role, bonus, holds, worked)
        gross = fixed[1] + bonus_line.amount
        adjustments = []
        for column, lines, plan in self._adjustment_rules:
            value = numbers[column]
            line = lines.get(value) or plan.line(value, self.round)
            adjustments.append(line)
            gross += line.amount
        floor_line = self.top_up(gross)
        if floor_line is not None:
            gross += floor_line.amount
        return Settled(
            mask,
            total_weight,
            score,
            index,
            bonus,
            hits,
            was_capped,
            proration,
            fixed,
            bonus_line,
            adjustments,
            floor_line,
            gross,
        )

    def score(self, scored: list[Scored | KpiResult], numbers: Mapping[str, Decimal]) -> tuple[int, Decimal, Any]:
        """(mask of the KPIs counted, their total weight, the score or None): Σ(weight × KPI score) / Σ(weight)
        over the KPIs that have a value and reach their min_volume."""
        # Written for speed (it runs once per agent): tuples of rules unpacked in loops, tables read inline.
        mask, weighted = 0, ZERO
        for (bit, column, least), entry in zip(self._kpi_rules, scored, strict=True):
            if entry.__class__ is Scored and (column is None or not too_few(numbers[column], least)):
                mask |= bit  # counted: it has a value, and min_volume (if any) is reached
                weighted += entry.weighted
        total_weight = self._total_weights.get(mask)
        if total_weight is None:
            total_weight = self._total_weight(mask)
        return mask, total_weight, score_of(weighted, total_weight)

    def holds(self, scored: list[Scored | KpiResult], numbers: Mapping[str, Decimal]) -> list[bool]:
        """Whether each gate holds, in policy order; a KPI's gate reads its value even when left out."""
        holds = []
        for kpi_index, column, test, limit in self._gate_rules:
            value = scored[kpi_index].value if column is None else numbers[column]
            holds.append(value is not None and test(value, limit))
        return holds

    def top_up(self, gross: Decimal) -> Line | None:
        """The floor line that brings `gross` up to the policy's floor; None when there is no need."""
        amount = top_up(self._minimum, gross)
        return None if amount is None else Line("floor", self._floor_label, amount)

    def pay_lines(
        self, role: str, bonus: Decimal, holds: Iterable[bool], worked: Decimal | None
    ) -> tuple[tuple[GateHit, ...], bool, Decimal, Fixed, Line]:
        """From the bonus by grade or score, which gates hold and the worked days: the gate hits (in
        order), whether the cap cut the bonus, the proration, base pay and allowance lines, the bonus line."""
        gated, hits = bonus, cast(tuple[GateHit, ...], ())
        for plan, held in zip(self.gate_plans, holds, strict=True):
            if held:
                hit = plan.hits.get(gated)
                if hit is None or hit.bonus_before is not gated:
                    hit = plan.hit(gated)
                hits += (hit,)
                gated = hit.bonus_after
        final, was_capped = capped(gated, self._caps[role])
        proration = proration_factor(worked, self._full)
        key = worked if self._fixed_by_worked else None
        fixed = self._fixed_lines[role].get(key) or self._fixed(role, proration, key)
        key = worked if self._bonus_by_worked else None
        bonus_line = self._bonus_lines.get(final, _NO_LINES).get(key) or self._bonus_line(final, proration, key)
        return hits, was_capped, proration, fixed, bonus_line

    def _total_weight(self, mask: int) -> Decimal:
        """Σ(weight) over the KPIs counted (those whose bit is in the mask)."""
        total = sum((plan.weight for plan in self.kpi_plans if plan.bit & mask), ZERO)
        self._total_weights[mask] = total
        return total

    def _fixed(self, role_name: str, proration: Decimal, key: Decimal | None) -> Fixed:
        """Base pay and allowances of a role at one proration, and their sum."""
        role, applies = self.policy.roles[role_name], self._applies

        def prorated(kind: str, amount: Decimal) -> Decimal:
            return self.round(amount * proration if kind in applies else amount)

        lines = (
            Line("base_pay", BASE_PAY_LABEL, prorated("base_pay", role.base_pay)),
            *(
                Line(f"allowance.{name}", name, prorated("allowances", amount))
                for name, amount in role.allowances.items()
            ),
        )
        fixed = lines, sum((line.amount for line in lines), ZERO)
        table = self._fixed_lines[role_name]
        if len(table) < MEMO_LIMIT:
            table[key] = fixed
        return fixed

    def _bonus_line(self, bonus: Decimal, proration: Decimal, key: Decimal | None) -> Line:
        """The rounded bonus line; `key` is the worked days when the bonus is prorated, else None."""
        table = self._bonus_lines.get(bonus)
        line = table.get(key) if table is not None else None
        if line is None:
            line = Line("bonus", BONUS_LABEL, self.round(bonus * proration if key is not None else bonus))
            if table is None and len(self._bonus_lines) < self._bonus_memo:
                table = self._bonus_lines[bonus] = {}
            if table is not None and len(table) < MEMO_LIMIT:
                table[key] = line
        return line


def payslip_lines(paid: Settled) -> list[Line]:
    """A payslip's lines, in payslip order, from what Engine.settle gives: base pay and allowances, the
    bonus, the adjustments, and the floor's top-up when there is one."""
    floor = [paid.floor] if paid.floor is not None else []
    return [*paid.fixed[0], paid.bonus_line, *paid.adjustments, *floor]


def too_large(source: str, line: int, agent_id: str) -> str:
    """The message for an agent whose pay would need more digits than Decimal keeps exact."""
    where = f"{source}: " if source else ""
    return (
        f"{where}row {line}: agent {agent_id!r}: an amount would need more than 28 digits to stay exact; "
        f"check this row's numbers and the policy's"
    )
