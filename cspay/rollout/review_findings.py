"""The review's findings: each a code like lint's (CSP2xx), the group or KPI it is about, and a sentence in
the reader's language with the numbers behind it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from cspay.cells import text_key
from cspay.i18n import Words
from cspay.rollout import review_stats as stats
from cspay.rollout.lint_rules import direction, number, percent
from cspay.rollout.review import (
    SAME_SCORE,
    Agent,
    Group,
    Grouping,
    KpiStats,
    Review,
    Spread,
    below_reference,
    kpi_stats,
)

# The findings, by code; a code is never reused for another finding.
FINDINGS = {
    "CSP201": "grades differ by group",
    "CSP202": "graded lower at equal performance",
    "CSP203": "bonus against target differs by group",
    "CSP204": "realised bonus share out of range",
    "CSP205": "a KPI that does not tell agents apart",
    "CSP206": "speed at the expense of quality",
    "CSP207": "agents in the lowest grades period after period",
    "CSP208": "one-time bonuses in a dead zone",
}


@dataclass(frozen=True)
class Finding:
    """One finding: its code, what it is about, the message key and the values the sentence shows."""

    code: str
    subject: str
    key: str
    values: dict[str, Any] = field(default_factory=dict)

    def message(self, words: Words) -> str:
        why = words(f"review.{self.code}.why", **self.values)
        return words("review.joined", finding=words(self.key, **self.values), why=why)

    def data(self, words: Words) -> dict[str, Any]:
        return {"code": self.code, "subject": self.subject, "message": self.message(words)}


def column_label(words: Words, column: str) -> str:
    """A grouping's column as the reader knows it: role and team in cspay's words, others as named."""
    return words(f"col.{column}") if column in ("role", "team") else column


def curve_label(words: Words, stats: KpiStats) -> str:
    """A KPI by group over one curve's agents: `Customer satisfaction, targets of queue complaints`."""
    if stats.curve is None:
        return words("review.curve.general", kpi=stats.label)
    return words("review.curve.group", kpi=stats.label, column=stats.by, group=stats.curve)


def p_text(words: Words, p: float) -> str:
    """`p < 0.001` or `p = 0.012`."""
    if p < 0.001:
        return words("review.p_below", limit="0.001")
    return words("review.p_equal", p=f"{p:.3f}")


def fraction(value: float) -> str:
    return f"{value:.2f}"


def findings(result: Review, words: Words) -> list[Finding]:
    """Every finding of a reviewed run, in a stable order: groups, then pay shares, KPIs and trade-offs."""
    found: list[Finding] = []
    for grouping in result.groupings:
        for group in grouping.groups:
            if group.judged:
                found += _group_findings(result, grouping, group, words)
    found += list(_role_findings(result))
    found += list(_kpi_findings(result, words))
    found += list(_tradeoff_findings(result, words))
    found += list(_dead_zone_findings(result, words))
    return found


def _dead_zone_findings(result: Review, words: Words) -> Iterator[Finding]:
    """CSP208: under an annual policy taxing its bonus on its own, the agents whose bonus (the run's gross,
    the amount taxed) fell in a dead zone of the table: each would net more with a bonus at the edge."""
    from cspay.engine.statutory import tax_by_table
    from cspay.policy.in_force import one_time_rows
    from cspay.policy.packs import combine_packs
    from cspay.rollout.lint_statutory import dead_zones

    deductions = result.policy.deductions
    found = one_time_rows(combine_packs(deductions.loaded)) if deductions and deductions.one_time_bonus else None
    if found is None:
        return
    rows, months = found
    for edge, end in dead_zones(rows, months):
        inside = [agent for agent in result.agents if edge < agent.gross < end]
        if not inside:
            continue
        edge_net = edge - tax_by_table(rows, edge, edge / months)[0]
        lost = sum(
            (edge_net - (a.gross - tax_by_table(rows, a.gross, a.gross / months)[0]) for a in inside), Decimal(0)
        )
        values = {
            "count": len(inside),
            "agents": ", ".join(agent.agent_id for agent in inside[:10]) + (" …" if len(inside) > 10 else ""),
            "edge": words.money(edge.quantize(Decimal("0.01")), result.policy.currency),
            "end": words.money(end.quantize(Decimal("0.01")), result.policy.currency),
            "lost": words.money(lost.quantize(Decimal("0.01")), result.policy.currency),
        }
        yield Finding("CSP208", f"one_time_bonus={edge}", "review.CSP208", values)


def _rest(grouping: Grouping, group: Group) -> list[Agent]:
    return [agent for other in grouping.groups if other is not group for agent in other.agents]


def _group_findings(result: Review, grouping: Grouping, group: Group, words: Words) -> list[Finding]:
    subject = f"{grouping.column}={group.name}"
    rest = _rest(grouping, group)
    found = []
    grades, unequal = group.tests.get("grades"), group.tests.get("equal_performance")
    lower = unequal is not None and stats.significant(unequal, stats.MIN_RANK_BISERIAL) and unequal.size < 0
    rest_low = Decimal(sum(agent.grade in result.low_grades for agent in rest)) / len(rest) if rest else Decimal(0)
    if grades is not None and stats.significant(grades, stats.MIN_CRAMERS_V) and group.low > rest_low:
        driver = _driver(result, group, rest, words)
        values = {
            "column": column_label(words, grouping.column),
            "group": group.name,
            "share": percent(group.low),
            "low": "/".join(result.low_grades),
            "rest": percent(rest_low),
            "p": p_text(words, grades.p_final),
            "v": fraction(grades.size),
            "driver": driver[0],
            "advice": words("review.advice.rules")
            if lower
            else _targets_advice(result, grouping, group, driver, words),
        }
        found.append(Finding("CSP201", subject, "review.CSP201", values))
    if lower and unequal is not None:
        below = _rest_below(result, rest)
        values = {
            "column": column_label(words, grouping.column),
            "group": group.name,
            "share": percent(group.below_reference),
            "rest": percent(below),
            "gap": number(group.median_gap),
            "p": p_text(words, unequal.p_final),
            "r": fraction(unequal.size),
        }
        found.append(Finding("CSP202", subject, "review.CSP202", values))
    share = group.tests.get("bonus_share")
    if share is not None and stats.significant(share, stats.MIN_RANK_BISERIAL) and share.size < 0 and group.share:
        others = Spread.of([agent.share for agent in rest])
        values = {
            "column": column_label(words, grouping.column),
            "group": group.name,
            "median": percent(group.share.median),
            "rest": percent(others.median) if others else "-",
            "p": p_text(words, share.p_final),
            "r": fraction(share.size),
        }
        found.append(Finding("CSP203", subject, "review.CSP203", values))
    return found


def _rest_below(result: Review, rest: list[Agent]) -> Decimal:
    return Decimal(sum(below_reference(result.policy, agent) for agent in rest)) / len(rest) if rest else Decimal(0)


def _driver(result: Review, group: Group, rest: list[Agent], words: Words) -> tuple[str, str | None]:
    """The KPI whose median sets the group furthest apart from the rest in the worse direction: the words
    that say so, and its code (None when no KPI does)."""
    others = kpi_stats(result.policy, rest)
    best: tuple[Decimal, KpiStats, Decimal] | None = None
    for mine, theirs in zip(group.kpis, others, strict=True):
        if mine.median is None or theirs.median is None or theirs.median == 0:
            continue
        kpi = result.policy.kpis[mine.code]
        change = (mine.median - theirs.median) / abs(theirs.median)
        worse = -change * direction(kpi.score)
        if worse > 0 and (best is None or worse > best[0]):
            best = (worse, mine, change)
    if best is None:
        return "", None
    side = "review.above" if best[2] > 0 else "review.below"
    text = words("review.driver", kpi=best[1].label, change=percent(abs(best[2])), side=words(side))
    return text, best[1].code


def _targets_advice(
    result: Review, grouping: Grouping, group: Group, driver: tuple[str, str | None], words: Words
) -> str:
    """How to give the group targets of its own: on the KPI that sets it apart, by the grouping's column,
    with the curve calibrate proposes; or, when it has its own curve already, to check that curve."""
    policy, code = result.policy, driver[1]
    column = {"role": policy.agents.role, "team": policy.agents.team}.get(grouping.column) or grouping.column
    if code is None:
        return words("review.advice.targets_any", column=column, group=group.name)
    kpi = policy.kpis[code]
    values = {"column": column, "group": group.name, "kpi": code, "label": kpi.label or code}
    if kpi.by is not None and text_key(kpi.by) == text_key(column) and kpi.curve_group(group.name) is not None:
        return words("review.advice.targets_check", **values, curve=kpi.curve_group(group.name))
    return words("review.advice.targets", **values)


def _role_findings(result: Review) -> Iterator[Finding]:
    for role in result.roles:
        if role.share is None or role.low <= role.share <= role.high:
            continue
        values = {
            "role": role.role,
            "share": percent(role.share),
            "min": percent(role.low),
            "max": percent(role.high),
            "side": "high" if role.share > role.high else "low",
        }
        yield Finding("CSP204", f"role={role.role}", f"review.CSP204.{values['side']}", values)


def _kpi_findings(result: Review, words: Words) -> Iterator[Finding]:
    """CSP205 on each KPI over every agent, and on each group's curve of a KPI by group over its agents."""
    rows = [(kpi, False) for kpi in result.kpis] + [(kpi, True) for kpi in result.curves]
    for kpi, curve in rows:
        if kpi.most_common is None or kpi.most_common_share < SAME_SCORE or kpi.agents < result.min_group:
            continue
        values = {
            "kpi": curve_label(words, kpi) if curve else kpi.label,
            "share": percent(kpi.most_common_share),
            "score": number(kpi.most_common),
            "zero": percent(kpi.at_zero),
            "top": percent(kpi.at_top),
        }
        subject = f"kpi={kpi.code}" + (f",{kpi.by}={kpi.curve or ''}" if curve else "")
        yield Finding("CSP205", subject, "review.CSP205", values)


def _tradeoff_findings(result: Review, words: Words) -> Iterator[Finding]:
    for item in result.tradeoffs:
        if item.agents < result.min_group or not stats.significant(item.test, stats.MIN_SPEARMAN):
            continue
        if item.test.size <= 0:  # longer times with better quality is no rush
            continue
        speed, quality = result.policy.kpis[item.speed], result.policy.kpis[item.quality]
        values = {
            "speed": speed.label or item.speed,
            "quality": quality.label or item.quality,
            "rho": fraction(item.test.size),
            "p": p_text(words, item.test.p_final),
            "agents": item.agents,
        }
        yield Finding("CSP206", f"kpis={item.speed},{item.quality}", "review.CSP206", values)
