"""An explanation in one language's words: the text of every part of the payslip panel and statement.

The panel (render_payslip.py) and the HTML statements (statements.py) show the same view, so an
agent reads the same sentences on screen and on paper. Every word comes from the catalogs; the
policy's own labels (KPIs, grades, gates, adjustments) are shown as the policy writes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from cspay.cells import is_missing
from cspay.engine.explain import Explanation, GateExplained, KpiExplained, LineExplained
from cspay.engine.moves import KpiLever, Outcome, Step, tidy
from cspay.engine.rules import run_line_codes
from cspay.i18n import Words
from cspay.outputs.view_net import net_view
from cspay.outputs.view_parts import group_sentences, part_how, piece_sentences, short_value
from cspay.outputs.wording import DASH, Wording, _tidy, cut, cut_up
from cspay.policy.model import Policy

__all__ = ["Wording", "cut", "cut_up", "payslip_view", "where"]

if TYPE_CHECKING:  # the ledger's types only: a run without a ledger never loads it
    from cspay.ledger.controls import Dispute


def payslip_view(
    policy: Policy, explanation: Explanation, words: Words, disputes: Sequence[Dispute] = ()
) -> dict[str, Any]:
    """Every text of one agent's payslip panel or statement; `disputes` are the agent's disputes the run's
    ledger holds (of its period, or settled by a correction it pays)."""
    wording = Wording(policy, words, explanation.currency)
    e = explanation
    return {
        "title": words("slip.title", agent=e.agent_id, name=e.name),
        "policy": words("slip.policy", title=policy.title or policy.policy, version=policy.version),
        "identity": _identity(e, words),
        "lines": [_line(line, e, wording) for line in e.lines],
        "gross": {"label": words("col.gross"), "amount": wording.money(e.gross)},
        "kpi_headers": [
            words(f"slip.col.{key}") for key in ("kpi", "value", "where", "score", "weight", "contribution")
        ],
        "kpis": [_kpi(kpi, wording, short=_leads(e)) for kpi in e.kpis],
        "bonus": _bonus(e, wording, has_gates=bool(policy.gates)),
        "moves": _moves(e, wording),
        "disputes": [_dispute(dispute, policy, words) for dispute in disputes],
        **({} if e.deductions is None else {"deductions": net_view(e.deductions, wording)}),
    }


def _dispute(dispute: Dispute, policy: Policy, words: Words) -> str:
    """One sentence: what the agent disputed and when, and where the dispute stands."""
    if dispute.subject == "kpi":
        about = policy.kpis[dispute.code].label if dispute.code in policy.kpis else dispute.code
    else:
        labels = dict(run_line_codes(policy))
        about = words.line_label(dispute.code, labels.get(dispute.code, dispute.code))
    decision = dispute.decision
    return words(
        f"slip.dispute.{dispute.state}",
        id=dispute.id,
        about=about,
        period=dispute.period,
        date=dispute.opened.at[:10],
        claim=dispute.claim,
        note=decision.note if decision is not None else "",
        settled=dispute.settled_in[0] if dispute.settled_in else "",
        version=dispute.settled_in[1] if dispute.settled_in else "",
    )


def _identity(e: Explanation, words: Words) -> list[tuple[str, str]]:
    role = e.role_label if e.role_label == e.role else words("slip.role", label=e.role_label, code=e.role)
    rows = [
        (words("col.agent"), e.agent_id),
        (words("col.name"), e.name),
        (words("col.role"), role),
        (words("col.team"), e.team or DASH),
    ]
    if e.proration is None:
        rows.append((words("slip.proration"), words("slip.not_prorated")))
        return rows
    p = e.proration
    rows.append((words("slip.worked_days"), words("slip.days_of", days=p.worked_days, full=p.full)))
    rows.append((words("slip.proration"), cut(p.factor) if p.factor != 1 else "1"))
    return rows


def _line(line: LineExplained, e: Explanation, wording: Wording) -> dict[str, str]:
    words = wording.words
    how = ""
    if line.prorated and e.proration is not None:
        how = words(
            "how.prorated", amount=wording.money(line.full_amount), days=e.proration.worked_days, full=e.proration.full
        )
    elif line.adjustment is not None:
        a = line.adjustment
        key = "how.adjustment" if a.over is None else "how.adjustment_over"
        how = words(key, column=a.column, value=tidy(a.value), over=a.over, per_unit=wording.money(a.per_unit))
        if a.limited:
            how = words("how.limited", how=how, limit=wording.money(a.limit))
    elif line.code in ("bonus", "bonus.team"):
        how = words("how.bonus", section=words("slip.bonus"))
    elif line.code == "floor" and e.floor is not None:
        how = words("how.floor", minimum=wording.money(e.floor.minimum), total=wording.money(e.floor.lines_total))
    how = part_how(line, e, wording, how)
    return {"label": words.line_label(line.code, line.label), "how": how, "amount": wording.money(line.amount)}


def _leads(e: Explanation) -> bool:
    """Whether the payslip is a leader's, paid on a team's or site's result (its KPIs are the team's)."""
    return any(piece.code == "bonus" and piece.basis != "own" for piece in e.pieces)


def _kpi(kpi: KpiExplained, wording: Wording, *, short: bool = False) -> dict[str, Any]:
    """A KPI's row; `short` writes a team's value (a weighted mean) to four places at most."""
    words = wording.words
    note = ""
    if kpi.left_out is not None and kpi.left_out.kind == "too_few":
        note = words(
            "left_out.too_few",
            column=kpi.left_out.column,
            count=_tidy(kpi.left_out.count),
            at_least=_tidy(kpi.left_out.at_least),
        )
    elif kpi.left_out is not None:
        note = words("left_out.no_value")
    return {
        "label": kpi.label,
        "value": wording.value(kpi.unit, short_value(kpi.value) if short else kpi.value),
        "where": where(kpi, wording),
        "curve": curve_text(kpi, words),
        "score": cut(kpi.score),
        "weight": str(kpi.weight),
        "contribution": cut(kpi.contribution),
        "note": note,
        "counted": kpi.left_out is None,
    }


def curve_text(kpi: KpiExplained, words: Words) -> str:
    """Whose targets scored a KPI by group: the agent's group's own, or the general ones and why; "" for
    a KPI with one curve for everyone."""
    return curve_words(words, kpi.by, kpi.curve_group, kpi.group or "")


def curve_words(words: Words, by: str | None, curve_group: str | None, cell: str) -> str:
    """Whose targets scored a KPI, from its `by` column, the group whose curve applied and the agent's cell
    in that column; "" for a KPI with one curve for everyone."""
    if by is None:
        return ""
    if curve_group is not None:
        return words("curve.group", column=by, group=curve_group)
    if is_missing(cell):
        return words("curve.own_empty", column=by)
    return words("curve.own", column=by, value=cell)


def where(kpi: KpiExplained, wording: Wording) -> str:
    """Where the value sits on its curve, naming the points around it."""
    points = {point.name: wording.value(kpi.unit, point.at) for point in kpi.points if point.name != "band"}
    if kpi.position == "no_value":
        return ""  # the left-out note says it
    if kpi.position == "band":
        return wording.words("pos.band", start=wording.value(kpi.unit, kpi.band_from))
    if kpi.position == "below_first_band":
        return wording.words("pos.below_first_band", start=wording.value(kpi.unit, kpi.points[0].at))
    return wording.words(f"pos.{kpi.position}", **points)


def _bonus(e: Explanation, wording: Wording, *, has_gates: bool) -> list[str]:
    """The sentences from score to bonus line: score, grade, basis, action, gates, cap, floor."""
    words, b = wording.words, e.bonus
    leader = _leads(e)
    if b.score is None and not e.pieces:
        sentences = [words("slip.no_score")]
    elif e.pieces:  # bonus lines on own and team results, or a period paid in parts: one sentence per line
        total = sum((kpi.weight for kpi in e.kpis), Decimal(0))
        own = (
            []
            if leader or b.score is None
            else [words("slip.score", score=cut(b.score), weights=b.weights_counted, total=total)]
        )
        sentences = [*own, *piece_sentences(e, wording), *group_sentences(e, wording)]
    else:
        total = sum((kpi.weight for kpi in e.kpis), Decimal(0))
        sentences = [words("slip.score", score=cut(b.score), weights=b.weights_counted, total=total)]
        key = "slip.grade_basis" if b.basis == "grade" else "slip.score_basis"
        sentences.append(
            words(
                key,
                grade=b.grade,
                min_score=b.grade_min_score,
                multiplier=b.multiplier,
                target=wording.money(b.target_bonus),
                score=cut(b.score),
                bonus=wording.money(b.by_basis),
            )
        )
    if b.action:
        sentences.append(words("slip.action", action=b.action))
    sentences += [_gate(gate, wording) for gate in b.gates]
    if has_gates and not b.gates and b.score is not None:
        sentences.append(words("slip.no_gates"))
    if b.cap is not None and e.pieces:
        sentences.append(words("slip.cap_parts_applied" if b.capped else "slip.cap_parts_not_reached", cap=b.cap))
    elif b.cap is not None and b.score is not None:
        key = "slip.cap_applied" if b.capped else "slip.cap_not_reached"
        sentences.append(words(key, cap=b.cap, limit=wording.money(b.cap_amount), bonus=wording.money(b.after_gates)))
    if b.budget_factor is not None and b.budget_factor < 1 and b.before_budget is not None:
        sentences.append(
            words(
                "slip.budget_scaled",
                factor=cut(b.budget_factor),
                before=wording.money(b.before_budget),
                after=wording.money(b.paid),
            )
        )
    if e.floor is not None:
        key = "slip.floor_applied" if e.floor.top_up else "slip.floor_not_needed"
        sentences.append(
            words(
                key,
                minimum=wording.money(e.floor.minimum),
                total=wording.money(e.floor.lines_total),
                top_up=wording.money(e.floor.top_up),
            )
        )
    return sentences


def _gate(gate: GateExplained, wording: Wording) -> str:
    words = wording.words
    effect = words("effect.forfeit") if gate.forfeit else words("effect.multiply", factor=gate.multiply)
    key = "gate.fired" if gate.reason else "gate.fired_no_reason"
    return words(
        key,
        reason=gate.reason,
        subject=gate.subject_label,
        value=tidy(gate.value),
        condition=words(f"cond.{gate.condition}"),
        limit=gate.limit,
        effect=effect,
        before=wording.money(gate.bonus_before),
        after=wording.money(gate.bonus_after),
    )


def _moves(e: Explanation, wording: Wording) -> dict[str, Any]:
    words, moves = wording.words, e.moves
    if moves.next_grade is not None:
        g = moves.next_grade
        headline = words(
            "moves.next_grade", grade=g.grade, min_score=g.min_score, gap=cut_up(g.gap), multiplier=g.multiplier
        )
    elif e.bonus.score is None:
        headline = words("moves.no_score")
    else:
        headline = words("moves.top_grade")
    rows = [row for lever in moves.kpis for row in _lever_rows(lever, wording)]
    gates = [
        words(
            "moves.gate",
            reason=lever.reason or lever.subject_label,
            subject=lever.subject_label,
            now=tidy(lever.value_now),
            value=tidy(lever.value),
            gain=wording.money(lever.outcome.gain),
        )
        for lever in moves.gates
    ]
    headers = [words(f"moves.col.{key}") for key in ("kpi", "now", "goal", "value", "change", "result", "adds")]
    return {
        "title": words("moves.title"),
        "headline": headline,
        "headers": headers,
        "rows": rows,
        "gates": gates,
        "note": words("moves.note_budget" if _scaled(e) else "moves.note_team" if _on_teams(e) else "moves.note"),
    }


def _on_teams(e: Explanation) -> bool:
    """Whether a changed value of the agent's own moves a team's result the payslip pays on."""
    return any(group.rule != "team_metrics" and group.kind != "site" for group in e.groups) and not _leads(e)


def _scaled(e: Explanation) -> bool:
    factor = e.bonus.budget_factor
    return factor is not None and factor < 1


def _lever_rows(lever: KpiLever, wording: Wording) -> list[dict[str, Any]]:
    """One row for the next curve point and one for the next grade, or one row saying why not."""
    words = wording.words
    now = wording.value(lever.unit, lever.value)
    steps = sorted(
        (step for step in (lever.next_point, lever.next_grade) if step is not None), key=lambda step: abs(step.change)
    )  # the nearer goal first
    if len(steps) == 2 and steps[0].value == steps[1].value:
        rows = [_step_row(lever, steps[0], now, wording, also=steps[1])]  # one value reaches both goals
    else:
        rows = [_step_row(lever, step, now, wording) for step in steps]
    if lever.note == "no_value":
        return rows  # the KPI table already says the value is missing
    if lever.note:
        rows.append(_note_row(lever.label, now, words(f"moves.{lever.note}")))
    elif lever.grade_note:
        rows.append(_note_row(lever.label, now, words("moves.unreachable")))
    return rows


def _step_row(lever: KpiLever, step: Step, now: str, wording: Wording, also: Step | None = None) -> dict[str, Any]:
    goal = _goal(lever, step, wording)
    if also is not None:
        goal = wording.words("goal.both", first=goal, second=_goal(lever, also, wording))
    return {
        "kpi": lever.label,
        "now": now,
        "goal": goal,
        "value": wording.value(lever.unit, step.value),
        "change": wording.change(lever.unit, step.change),
        "result": _result(step.outcome),
        "adds": wording.signed_money(step.outcome.gain),
        "gain": step.outcome.gain > 0,
    }


def _goal(lever: KpiLever, step: Step, wording: Wording) -> str:
    words = wording.words
    if step.goal == "grade":
        return words("goal.grade", grade=step.grade)
    if step.goal == "band":
        return words("goal.band", start=wording.value(lever.unit, step.goal_at))
    return words(f"goal.{step.goal}")


def _note_row(label: str, now: str, note: str) -> dict[str, Any]:
    return {
        "kpi": label,
        "now": now,
        "goal": note,
        "value": DASH,
        "change": DASH,
        "result": DASH,
        "adds": DASH,
        "gain": False,
    }


def _result(outcome: Outcome) -> str:
    return f"{cut(outcome.score)} → {outcome.grade or DASH}"
