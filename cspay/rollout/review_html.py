"""`review --html`: one self-contained page (inline CSS and SVG, no scripts, nothing fetched) with the
review's tables, findings and charts, printable on A4."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from cspay.i18n import Words
from cspay.outputs.files import atomic_output
from cspay.outputs.statements import environment
from cspay.policy.model import Policy
from cspay.rollout import review_charts as charts
from cspay.rollout.lint_rules import percent
from cspay.rollout.review import Review
from cspay.rollout.review_findings import Finding, column_label
from cspay.rollout.review_history import History, PeriodGroup
from cspay.rollout.terminal_review import curve_lines, kpi_rows, statistic_text


def _grouping_view(result: Review, grouping: Any, words: Words) -> dict[str, Any]:
    grades = [grade.grade for grade in result.policy.grades_high_to_low()]
    groups = grouping.groups
    rows = []
    for group in groups:
        spread = group.share
        rows.append(
            {
                "name": group.name or "-",
                "agents": group.headcount,
                "grades": [group.grades.get(grade, 0) for grade in grades],
                "low": percent(group.low),
                "share": "-"
                if spread is None
                else f"{percent(spread.median)} ({percent(spread.p10)}–{percent(spread.p90)})",
                "below": percent(group.below_reference),
                "judged": words("review.judged") if group.judged else words("review.too_small"),
            }
        )
    tests = []
    if grouping.tests:
        tests.append(
            words(
                "review.grades_test",
                column=column_label(words, grouping.column),
                test=statistic_text(words, grouping.tests["grades"]),
            )
        )
        tests.append(
            words(
                "review.share_test",
                column=column_label(words, grouping.column),
                test=statistic_text(words, grouping.tests["bonus_share"]),
            )
        )
    return {
        "title": words("review.by", column=column_label(words, grouping.column)),
        "grades": grades,
        "low_header": words("review.col.low", low="/".join(result.low_grades)),
        "rows": rows,
        "tests": tests,
        "grades_chart": charts.grades_chart([(g.name, g.grades) for g in groups], grades, words),
        "shares_chart": charts.shares_chart([(g.name, [a.share for a in g.agents]) for g in groups], words),
    }


def _kpi_views(result: Review, words: Words) -> list[dict[str, Any]]:
    views = []
    for index, (code, kpi) in enumerate(result.policy.kpis.items()):
        values = [value for agent in result.agents if (value := agent.kpis[index].value) is not None]
        views.append({"chart": charts.kpi_chart(kpi, kpi.label or code, values, words)})
    return views


def review_page(result: Review, found: list[Finding], words: Words, context: dict[str, Any], title: str) -> str:
    """The report's HTML."""
    return _page(
        words,
        title,
        found,
        groupings=[_grouping_view(result, grouping, words) for grouping in result.groupings],
        kpis=_kpi_views(result, words),
        kpi_rows=list(kpi_rows(result.kpis, result.curves, words)),
        curve_lines=curve_lines(result.kpis, words),
    )


def _page(words: Words, title: str, found: list[Finding], **parts: Any) -> str:
    template = environment().get_template("review.html.j2")
    values = {"groupings": [], "kpis": [], "kpi_rows": [], "curve_lines": [], "trends": [], **parts}
    findings = [{"code": f.code, "message": f.message(words)} for f in found]
    return str(template.render(lang=words.language, words=words, title=title, findings=findings, **values))


def _mean_score(item: PeriodGroup) -> float | None:
    return None if item.mean_score is None else float(item.mean_score)


def _low_percent(item: PeriodGroup) -> float | None:
    return float(item.low) * 100


def write_history_html(path: Path, policy: Policy, history: History, words: Words, title: str, *, force: bool) -> None:
    """The review over time as a page: a chart per grouping of the mean score and of the low-grade share."""
    trends = []
    for column, items in history.trends.items():
        groups = list(dict.fromkeys(item.group for item in items))
        measures: list[tuple[str, str, Callable[[PeriodGroup], float | None]]] = [
            ("score", words("review.history.chart.score"), _mean_score),
            ("low", words("review.history.col.low"), _low_percent),
        ]
        for key, label, value in measures:
            series = []
            for group in groups:
                found = {item.period: item for item in items if item.group == group}
                series.append((group, [value(found[p]) if p in found else None for p in history.periods]))
            trends.append(
                {
                    "title": f"{words('review.by', column=column_label(words, column))}: {label}",
                    "chart": charts.trend_chart(history.periods, series, label),
                    "key": key,
                }
            )
    page = _page(words, title, history.findings, trends=trends)
    with atomic_output(path, force=force) as handle:
        handle.write(page)


def write_review_html(
    path: Path, result: Review, found: list[Finding], words: Words, context: dict[str, Any], *, force: bool
) -> None:
    """Write the report atomically: the file appears whole, or the old one stays."""
    title = words(
        "review.title",
        title=result.policy.title or result.policy.policy,
        version=result.policy.version,
        count=len(result.agents),
        period=context.get("period") or ", ".join(item["name"] for item in context.get("inputs", [])),
    )
    page = review_page(result, found, words, context, title)
    with atomic_output(path, force=force) as handle:
        handle.write(page)
