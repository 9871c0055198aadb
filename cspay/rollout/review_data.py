"""A reviewed run as JSON-ready data: numbers as decimal strings (test statistics as JSON numbers), findings
as codes with sentences in the reader's language."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from cspay import __version__
from cspay.i18n import Words
from cspay.rollout.review import Group, Grouping, KpiStats, Review, Spread
from cspay.rollout.review_findings import Finding
from cspay.rollout.review_stats import Test


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _spread(spread: Spread | None) -> dict[str, str] | None:
    if spread is None:
        return None
    return {"mean": str(spread.mean), "median": str(spread.median), "p10": str(spread.p10), "p90": str(spread.p90)}


def _tests(tests: dict[str, Test]) -> dict[str, Any]:
    return {name: test.data() for name, test in tests.items()}


def kpi_data(kpi: KpiStats) -> dict[str, Any]:
    return {
        "kpi": kpi.code,
        "label": kpi.label,
        "agents": kpi.agents,
        "median": _text(kpi.median),
        "at_zero": str(kpi.at_zero),
        "at_top": str(kpi.at_top),
        "gated": str(kpi.gated),
        "left_out": str(kpi.left_out),
        "most_common_score": _text(kpi.most_common),
        "most_common_share": str(kpi.most_common_share),
        **_curves(kpi),
    }


def _curves(kpi: KpiStats) -> dict[str, Any]:
    """A KPI by group: its column and how many agents each curve scored (`curve_group` null: its own score)."""
    if kpi.by is None:
        return {}
    counted = [{"curve_group": group, "agents": count} for group, count in kpi.curves]
    return {"by": kpi.by, "curves": counted}


def curve_data(kpi: KpiStats) -> dict[str, Any]:
    """One curve's agents of a KPI by group, naming the curve (null: the KPI's own score); only these rows
    carry `curve_group`, so that a KPI over all its agents is never read as the general curve's."""
    return {**kpi_data(kpi), "curve_group": kpi.curve}


def group_data(group: Group) -> dict[str, Any]:
    return {
        "group": group.name,
        "headcount": group.headcount,
        "judged": group.judged,
        "grades": group.grades,
        "low_grade_share": str(group.low),
        "below_reference_share": str(group.below_reference),
        "median_score_gap": str(group.median_gap),
        "bonus_share_of_target": _spread(group.share),
        "gate_hit_rates": [str(share) for share in group.gates],
        "kpis": [kpi_data(kpi) for kpi in group.kpis],
        **({"kpis_per_curve": [curve_data(kpi) for kpi in group.curves]} if group.curves else {}),
        "tests": _tests(group.tests),
    }


def grouping_data(grouping: Grouping) -> dict[str, Any]:
    return {
        "column": grouping.column,
        "tests": _tests(grouping.tests),
        "too_small": [group.name for group in grouping.too_small],
        "groups": [group_data(group) for group in grouping.groups],
    }


def review_data(result: Review, found: list[Finding], words: Words, context: dict[str, Any]) -> dict[str, Any]:
    """The whole review; `context` says what was reviewed (policy, period, inputs)."""
    return {
        **context,
        "cspay_version": __version__,
        "headcount": len(result.agents),
        "min_group": result.min_group,
        "low_grades": result.low_grades,
        "groupings": [grouping_data(grouping) for grouping in result.groupings],
        "roles": [
            {
                "role": role.role,
                "agents": role.agents,
                "bonus": str(role.bonus),
                "gross": str(role.gross),
                "bonus_share_of_gross": _text(role.share),
                "range": [str(role.low), str(role.high)],
            }
            for role in result.roles
        ],
        "kpis": [kpi_data(kpi) for kpi in result.kpis],
        **({"kpis_per_curve": [curve_data(kpi) for kpi in result.curves]} if result.curves else {}),
        "tradeoffs": [
            {"speed": item.speed, "quality": item.quality, "agents": item.agents, **item.test.data()}
            for item in result.tradeoffs
        ],
        "findings": [finding.data(words) for finding in found],
    }
