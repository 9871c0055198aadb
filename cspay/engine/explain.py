"""One agent's payslip explained: every number on it traced to a rule of the policy and a metrics cell.

The explanation is plain data (frozen dataclasses of Decimals and codes), in no language: the payslip
panel, the HTML statements and `--format json` all render the same explanation.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any, cast

from cspay.engine.compiled import Engine
from cspay.engine.currency import Engines
from cspay.engine.curves import CurvePoint, curve_points, position
from cspay.engine.explain_parts import (
    GroupExplained,
    PartExplained,
    PieceExplained,
    groups_explained,
    part_explained,
    piece_explained,
)
from cspay.engine.moves import Moves, MovesMemo, Pricing, what_moves
from cspay.engine.rules import adjustment_amount, capped
from cspay.engine.statutory import Withholding
from cspay.engine.types import ZERO, AgentRow, GateHit, KpiResult, Line, Payslip
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
    """A payslip line, with the full amount before proration or the adjustment it comes from; on a payslip
    paid in parts, the part it pays (an index into the explanation's parts)."""

    code: str
    label: str
    amount: Decimal
    full_amount: Decimal | None
    prorated: bool
    adjustment: AdjustmentExplained | None = None
    part: int | None = None


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
    parts: tuple[PartExplained, ...] = ()
    pieces: tuple[PieceExplained, ...] = ()
    groups: tuple[GroupExplained, ...] = ()  # the results the pieces were paid on, each once
    # From gross to net, under a policy with `deductions:`: once, on the whole period's gross, every part's.
    deductions: DeductionsExplained | None = None


@dataclass(frozen=True)
class DeductionsExplained:
    """The payslip's way from gross to net: its deduction and employer lines, net, and how they were worked
    out (the run's own figures: nothing is worked out again)."""

    lines: tuple[Line, ...]
    employer: tuple[Line, ...]
    net: Decimal
    withholding: Withholding


def explain(slip: Payslip, pricing: Pricing, memo: MovesMemo | None = None) -> Explanation:
    """The explanation of one payslip of a run, priced as the run pays (pricing.engine is the policy as the
    run applied it; in the payslip's currency); `memo` keeps what moves the bonus of rows alike."""
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
        _lines(pricing.engine, row, slip),
        slip.gross,
        _kpis(policy, row, _shown_kpis(policy, slip)),
        _bonus(policy, row, slip, pricing),
        _floor(policy, slip),
        what_moves(pricing, row) if memo is None else memo.moves(pricing, row),
        tuple(part_explained(policy, part) for part in slip.parts),
        tuple(piece_explained(piece) for piece in slip.pieces),
        groups_explained(policy, slip),
        None
        if slip.withholding is None
        else DeductionsExplained(tuple(slip.deductions), tuple(slip.employer), slip.net, slip.withholding),
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
        parts=slip.parts,
    )


def _shown_kpis(policy: Policy, slip: Payslip) -> tuple[KpiResult, ...]:
    """The KPIs a payslip is paid on: the agent's own, or for a leader, those of the team or site led."""
    if policy.roles[slip.role].paid_on != "own" and slip.pieces and slip.pieces[-1].result is not None:
        return tuple(slip.pieces[-1].result.kpis) or slip.kpis
    return slip.kpis


def _kpis(policy: Policy, row: AgentRow, results: tuple[KpiResult, ...]) -> tuple[KpiExplained, ...]:
    explained = []
    for result in results:
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
                _left_out(kpi, result, row),
                "bands" if curve.bands else "linear",
                curve.higher_is_better,
                curve_points(curve),
                kpi.by,
                None if kpi.by is None else row.groups.get(kpi.by, ""),
                result.curve_group,
            )
        )
    return tuple(explained)


def _left_out(kpi: Kpi, result: KpiResult, row: AgentRow) -> LeftOut | None:
    if result.left_out is None:
        return None
    if result.value is None or kpi.min_volume is None:
        return LeftOut("no_value")
    volume = kpi.min_volume
    count = result.volume if result.volume is not None else row.numbers[volume.column]
    return LeftOut("too_few", volume.column, count, volume.at_least)


def _lines(engine: Engine, row: AgentRow, slip: Payslip) -> tuple[LineExplained, ...]:
    policy = engine.policy
    applies = set(policy.proration.applies_to) if policy.proration else set()
    explained = []
    for line in slip.lines:
        part = slip.parts[line.part] if line.part is not None else None
        role = engine.role_versions[part.version][part.role] if part else policy.roles[row.role]
        full = {"base_pay": (role.base_pay, "base_pay"), "bonus": (_capped_bonus(policy, slip), "bonus")}
        full |= {f"allowance.{name}": (amount, "allowances") for name, amount in role.allowances.items()}
        if line.code in full and (line.code != "bonus" or not slip.pieces):
            amount, kind = full[line.code]
            prorated = kind in applies and slip.proration != 1
            explained.append(LineExplained(line.code, line.label, line.amount, amount, prorated, part=line.part))
        elif line.code.removeprefix("adjustment.") in policy.adjustments and line.code.startswith("adjustment."):
            adjustment = _adjustment(policy, row, line.code.removeprefix("adjustment."))
            explained.append(LineExplained(line.code, line.label, line.amount, None, False, adjustment))
        else:
            explained.append(LineExplained(line.code, line.label, line.amount, None, False, part=line.part))
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
    grade = next((g for g in policy.grades_high_to_low(slip.role) if g.grade == slip.grade), None)
    cap = policy.bonus.cap
    weights = sum((k.weight for k in _shown_kpis(policy, slip) if k.left_out is None), ZERO)
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
    """The explanation as JSON-ready data: amounts, scores and values as decimal strings (`deductions` only
    under a policy with deductions). A KPI by group says which group's curve applied (`by`, `group`,
    `curve_group`); other KPIs leave those keys out."""
    data = cast(dict[str, Any], _plain(asdict(explanation)))
    if data["deductions"] is None:
        del data["deductions"]
    for kpi in data["kpis"]:
        if kpi["by"] is None:
            for key in GROUP_KEYS:
                del kpi[key]
    return data


def _plain(value: Any) -> Any:
    if isinstance(value, (Decimal, Fraction)):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value
