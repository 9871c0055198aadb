"""One agent's payslip explained: every number on it traced to a rule of the policy and a metrics cell.

The explanation is plain data (frozen dataclasses of Decimals and codes), in no language: the payslip
panel, the HTML statements and `--format json` all render the same explanation.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any, cast

from cspay.engine.currency import Engines
from cspay.engine.curves import CurvePoint, curve_points, position
from cspay.engine.moves import Moves, Pricing, what_moves
from cspay.engine.rules import adjustment_amount, capped
from cspay.engine.types import ZERO, AgentRow, GateHit, Payslip
from cspay.policy.model import Forfeit, Gate, Kpi, KpiSubject, Multiply, Policy


@dataclass(frozen=True)
class LeftOut:
    """Why a KPI did not count: `too_few` (min_volume not met) or `no_value` (empty cell allowed)."""

    kind: str
    column: str | None = None
    count: Decimal | None = None
    at_least: Decimal | None = None


@dataclass(frozen=True)
class KpiExplained:
    """One KPI: the value as read, where it sits on its curve, score, weight and contribution."""

    code: str
    label: str
    unit: str
    value: Decimal | None
    position: str
    band_from: Decimal | None
    score: Decimal | None
    weight: Decimal
    contribution: Decimal | None
    left_out: LeftOut | None
    curve: str
    higher_is_better: bool
    points: tuple[CurvePoint, ...]
    # A KPI by group: the column, the agent's cell in it, and the group whose own curve applied (None: the
    # KPI's own score, for a value with no curve of its own or an empty cell). All None for other KPIs.
    by: str | None = None
    group: str | None = None
    curve_group: str | None = None


@dataclass(frozen=True)
class AdjustmentExplained:
    """How an adjustment line was made: units from the column, times the amount per unit, limited."""

    column: str
    value: Decimal
    over: Decimal | None
    units: Decimal
    per_unit: Decimal
    limit: Decimal | None
    limited: bool


@dataclass(frozen=True)
class LineExplained:
    """A payslip line, with the full amount before proration or the adjustment it comes from."""

    code: str
    label: str
    amount: Decimal
    full_amount: Decimal | None
    prorated: bool
    adjustment: AdjustmentExplained | None = None


@dataclass(frozen=True)
class GateExplained:
    """A gate that fired: on which value, which condition, its reason and what it did to the bonus."""

    index: int
    subject: str
    subject_label: str
    value: Decimal
    condition: str
    limit: Decimal
    forfeit: bool
    multiply: Decimal | None
    reason: str | None
    bonus_before: Decimal
    bonus_after: Decimal


@dataclass(frozen=True)
class BonusExplained:
    """From target bonus to the bonus line: basis, grade, gates, cap, proration."""

    basis: str
    target_bonus: Decimal
    score: Decimal | None
    weights_counted: Decimal
    grade: str | None
    grade_min_score: Decimal | None
    multiplier: Decimal | None
    action: str | None
    by_basis: Decimal
    gates: tuple[GateExplained, ...]
    after_gates: Decimal
    cap: Decimal | None
    cap_amount: Decimal | None
    capped: bool
    before_proration: Decimal
    paid: Decimal
    budget_factor: Decimal | None = None  # under a bonus budget: the factor every bonus was scaled by
    before_budget: Decimal | None = None  # the bonus line before the budget scaled it


@dataclass(frozen=True)
class ProrationExplained:
    column: str
    worked_days: Decimal
    full: Decimal
    factor: Decimal
    applies_to: tuple[str, ...]


@dataclass(frozen=True)
class FloorExplained:
    minimum: Decimal
    lines_total: Decimal
    top_up: Decimal


@dataclass(frozen=True)
class Explanation:
    """Everything on one agent's payslip and what would change it."""

    agent_id: str
    name: str
    role: str
    role_label: str
    team: str
    row: int
    currency: str
    proration: ProrationExplained | None
    lines: tuple[LineExplained, ...]
    gross: Decimal
    kpis: tuple[KpiExplained, ...]
    bonus: BonusExplained
    floor: FloorExplained | None
    moves: Moves


def explain(slip: Payslip, pricing: Pricing) -> Explanation:
    """The explanation of one payslip of a run, priced as the run pays (pricing.engine is the policy as the
    run applied it; in the payslip's currency)."""
    pricing = pricing.of(slip)
    policy = pricing.engine.policy
    row = row_of(slip)
    role = policy.roles[row.role]
    proration = _proration(policy, row, slip)
    return Explanation(
        slip.agent_id,
        slip.name,
        slip.role,
        role.label or slip.role,
        slip.team,
        slip.row,
        slip.currency or policy.currency,
        proration,
        _lines(policy, row, slip),
        slip.gross,
        _kpis(policy, row, slip),
        _bonus(policy, row, slip, pricing),
        _floor(policy, slip),
        what_moves(pricing, row),
    )


def explain_row(policy: Policy, row: AgentRow) -> Explanation:
    """The explanation of one agent row paid on its own (no budget, no ledger), in its agent's currency."""
    engines = Engines(policy)
    pricing = Pricing(engines.default, None, engines if engines.several else None)
    return explain(pricing.of(engines.payslip(row)).payslip(row), pricing)


def row_of(slip: Payslip) -> AgentRow:
    """The agent row a payslip was paid from: its identity, each KPI's value and the plain columns."""
    return AgentRow(
        slip.row,
        slip.agent_id,
        slip.role,
        slip.name,
        slip.team,
        {result.code: result.value for result in slip.kpis},
        slip.numbers,
        groups=slip.groups,
    )


def _kpis(policy: Policy, row: AgentRow, slip: Payslip) -> tuple[KpiExplained, ...]:
    explained = []
    for result in slip.kpis:
        kpi = policy.kpis[result.code]
        curve = kpi.curve(result.curve_group)  # the curve that scored the value
        kind, band_from = position(curve, result.value)
        explained.append(
            KpiExplained(
                result.code,
                result.label,
                kpi.unit,
                result.value,
                kind,
                band_from,
                result.score,
                result.weight,
                result.contribution,
                _left_out(kpi, result.value, result.left_out, row),
                "bands" if curve.bands else "linear",
                curve.higher_is_better,
                curve_points(curve),
                kpi.by,
                None if kpi.by is None else row.groups.get(kpi.by, ""),
                result.curve_group,
            )
        )
    return tuple(explained)


def _left_out(kpi: Kpi, value: Decimal | None, reason: str | None, row: AgentRow) -> LeftOut | None:
    if reason is None:
        return None
    if value is None or kpi.min_volume is None:
        return LeftOut("no_value")
    volume = kpi.min_volume
    return LeftOut("too_few", volume.column, row.numbers[volume.column], volume.at_least)


def _lines(policy: Policy, row: AgentRow, slip: Payslip) -> tuple[LineExplained, ...]:
    role = policy.roles[row.role]
    applies = set(policy.proration.applies_to) if policy.proration else set()
    full = {"base_pay": (role.base_pay, "base_pay"), "bonus": (_capped_bonus(policy, slip), "bonus")}
    full |= {f"allowance.{name}": (amount, "allowances") for name, amount in role.allowances.items()}
    explained = []
    for line in slip.lines:
        if line.code in full:
            amount, kind = full[line.code]
            prorated = kind in applies and slip.proration != 1
            explained.append(LineExplained(line.code, line.label, line.amount, amount, prorated))
        elif line.code.removeprefix("adjustment.") in policy.adjustments and line.code.startswith("adjustment."):
            adjustment = _adjustment(policy, row, line.code.removeprefix("adjustment."))
            explained.append(LineExplained(line.code, line.label, line.amount, None, False, adjustment))
        else:
            explained.append(LineExplained(line.code, line.label, line.amount, None, False))
    return tuple(explained)


def _adjustment(policy: Policy, row: AgentRow, name: str) -> AdjustmentExplained:
    rule = policy.adjustments[name]
    value = row.numbers[rule.column]
    worked = adjustment_amount(rule, value)
    return AdjustmentExplained(rule.column, value, rule.over, worked.units, rule.per_unit, rule.limit, worked.limited)


def _after_gates(slip: Payslip) -> Decimal:
    return slip.gates[-1].bonus_after if slip.gates else slip.bonus_before_gates


def _capped_bonus(policy: Policy, slip: Payslip) -> Decimal:
    cap = policy.bonus.cap
    return capped(_after_gates(slip), None if cap is None else cap * slip.target_bonus)[0]


def _bonus(policy: Policy, row: AgentRow, slip: Payslip, pricing: Pricing) -> BonusExplained:
    grade = next((g for g in policy.grades if g.grade == slip.grade), None)
    cap = policy.bonus.cap
    weights = sum((k.weight for k in slip.kpis if k.left_out is None), ZERO)
    return BonusExplained(
        policy.bonus.basis,
        slip.target_bonus,
        slip.score,
        weights,
        slip.grade,
        grade.min_score if grade else None,
        slip.multiplier,
        slip.action,
        slip.bonus_before_gates,
        tuple(_gate(policy, hit, row) for hit in slip.gates),
        _after_gates(slip),
        cap,
        None if cap is None else cap * slip.target_bonus,
        slip.capped,
        _capped_bonus(policy, slip),
        slip.amount("bonus"),
        slip.budget_factor,
        None if slip.budget_factor is None else pricing.engine.payslip(row).amount("bonus"),
    )


def _gate(policy: Policy, hit: GateHit, row: AgentRow) -> GateExplained:
    gate: Gate = policy.gates[hit.index]
    condition, limit, subject = gate.condition.name, gate.condition.limit, gate.subject
    if isinstance(subject, KpiSubject):
        value, label = row.kpis[subject.kpi], policy.kpis[subject.kpi].label or subject.kpi
    else:
        value, label = row.numbers[subject.column], subject.column
    assert value is not None  # the gate held on this value
    return GateExplained(
        hit.index,
        gate.subject_name,
        label,
        value,
        condition,
        limit,
        isinstance(gate.then, Forfeit),
        gate.then.multiply if isinstance(gate.then, Multiply) else None,
        gate.reason,
        hit.bonus_before,
        hit.bonus_after,
    )


def _proration(policy: Policy, row: AgentRow, slip: Payslip) -> ProrationExplained | None:
    rule = policy.proration
    if rule is None:
        return None
    return ProrationExplained(rule.column, row.numbers[rule.column], rule.full, slip.proration, tuple(rule.applies_to))


def _floor(policy: Policy, slip: Payslip) -> FloorExplained | None:
    if policy.floor is None:
        return None
    top_up = slip.amount("floor")
    return FloorExplained(policy.floor.gross, slip.gross - top_up, top_up)


GROUP_KEYS = ("by", "group", "curve_group")


def explanation_data(explanation: Explanation) -> dict[str, Any]:
    """The explanation as JSON-ready data: amounts, scores and values as decimal strings. A KPI by group
    says which group's curve applied (`by`, `group`, `curve_group`); other KPIs leave those keys out."""
    data = cast(dict[str, Any], _plain(asdict(explanation)))
    for kpi in data["kpis"]:
        if kpi["by"] is None:
            for key in GROUP_KEYS:
                del kpi[key]
    return data


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value
