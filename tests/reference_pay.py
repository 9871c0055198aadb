"""The pay rules written plainly, one agent at a time, with nothing cached: the engine must agree exactly.

This is the engine as it was before it learned to reuse results across agents; tests compare the two
payslip by payslip, representation included (JSON prints `92.50` and `92.5` differently).
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from cspay.engine.curves import band_scorer, linear_scorer, position_text
from cspay.engine.rounding import round_to
from cspay.engine.types import BASE_PAY_LABEL, BONUS_LABEL, FLOOR_LABEL, GateHit, KpiResult, Line, Payslip
from cspay.inputs.metrics import AgentRow
from cspay.policy.model import Adjustment, Policy

ZERO = Decimal(0)
ONE = Decimal(1)


def reference_payslip(policy: Policy, row: AgentRow) -> Payslip:
    """The payslip of one agent row, computed from scratch."""
    kpis, score = _weighted_score([_kpi_result(policy, code, row) for code in policy.kpis])
    grade = None if score is None else next(g for g in policy.grades_high_to_low() if g.min_score <= score)
    target = policy.roles[row.role].target_bonus_amount()
    if score is None or grade is None:
        bonus = ZERO
    else:
        bonus = target * (score if policy.bonus.basis == "score" else grade.multiplier)
    gated, hits = bonus, []
    for index, gate in enumerate(policy.gates):
        value = row.kpis.get(gate.kpi) if gate.kpi else row.numbers[gate.column]
        if value is None or not gate.holds(value):
            continue
        after = gate.then.apply(gated)
        hits.append(GateHit(index, gate.describe(), gate.then.describe(), gate.reason or gate.describe(), gated, after))
        gated = after
    capped = gated
    if policy.bonus.cap is not None and gated > policy.bonus.cap * target:
        capped = policy.bonus.cap * target
    proration = ONE
    if policy.proration is not None:
        proration = min(row.numbers[policy.proration.column] / policy.proration.full, ONE)
    slip = Payslip(
        row.agent_id,
        row.name,
        row.role,
        row.team,
        row.line,
        kpis,
        score,
        grade.grade if grade else None,
        grade.multiplier if grade else None,
        grade.action if grade else None,
        target,
        bonus,
        tuple(hits),
        capped != gated,
        proration,
        currency=policy.currency,
    )
    slip.lines = _lines(policy, row, proration, capped)
    slip.numbers, slip.groups = row.numbers, row.groups
    return slip


def _kpi_result(policy: Policy, code: str, row: AgentRow) -> KpiResult:
    kpi = policy.kpis[code]
    label = kpi.label or code
    value = row.kpis.get(code)
    # A KPI by group scores on the curve of the row's group (a group not listed, or none, on its own score).
    group = None if kpi.by is None else kpi.curve_group(row.groups.get(kpi.by, ""))
    curve = kpi.score if group is None else kpi.groups[group]
    if value is None:
        return KpiResult(
            code,
            label,
            None,
            None,
            kpi.weight,
            None,
            "no value",
            "no value (the KPI allows a missing value)",
            by=kpi.by,
            curve_group=group,
        )
    scorer = band_scorer(curve) if curve.bands else linear_scorer(curve)
    points, where, start = scorer(value)
    position = position_text(where, start)
    volume = kpi.min_volume
    if volume is not None and row.numbers[volume.column] < volume.at_least:
        reason = f"{volume.column} {row.numbers[volume.column]} is below the minimum {volume.at_least}"
        return KpiResult(
            code, label, value, points, kpi.weight, None, position, reason, row.numbers[volume.column], kpi.by, group
        )
    return KpiResult(code, label, value, points, kpi.weight, None, position, by=kpi.by, curve_group=group)


def _weighted_score(kpis: list[KpiResult]) -> tuple[tuple[KpiResult, ...], Decimal | None]:
    total_weight = sum((k.weight for k in kpis if k.left_out is None), ZERO)
    if total_weight == 0:
        return tuple(kpis), None
    with_shares = tuple(
        replace(k, contribution=k.weight * k.score / total_weight) if k.left_out is None else k for k in kpis
    )
    score = sum((k.weight * k.score for k in kpis if k.left_out is None), ZERO) / total_weight
    return with_shares, score


def _lines(policy: Policy, row: AgentRow, proration: Decimal, bonus: Decimal) -> list[Line]:
    role = policy.roles[row.role]
    applies = set(policy.proration.applies_to) if policy.proration else set()
    step, mode = policy.rounding.step, policy.rounding.mode

    def prorated(kind: str, amount: Decimal) -> Decimal:
        return round_to(amount * proration if kind in applies else amount, step, mode)

    lines = [Line("base_pay", BASE_PAY_LABEL, prorated("base_pay", role.base_pay))]
    lines += [
        Line(f"allowance.{name}", name, prorated("allowances", amount)) for name, amount in role.allowances.items()
    ]
    lines.append(Line("bonus", BONUS_LABEL, prorated("bonus", bonus)))
    for name, adjustment in policy.adjustments.items():
        amount = _adjustment_amount(adjustment, row.numbers[adjustment.column])
        lines.append(Line(f"adjustment.{name}", adjustment.label or name, round_to(amount, step, mode)))
    if policy.floor is not None:
        gross = sum((line.amount for line in lines), ZERO)
        if gross < policy.floor.gross:
            lines.append(Line("floor", policy.floor.label or FLOOR_LABEL, policy.floor.gross - gross))
    return lines


def _adjustment_amount(adjustment: Adjustment, value: Decimal) -> Decimal:
    units = value if adjustment.over is None else max(value - adjustment.over, ZERO)
    amount = units * adjustment.per_unit
    if adjustment.limit is None:
        return amount
    return max(amount, adjustment.limit) if adjustment.limit < 0 else min(amount, adjustment.limit)
