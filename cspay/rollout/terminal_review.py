"""`cspay review` at a terminal: a table per grouping, the KPIs, the roles' bonus shares, the speed and
quality trade-offs, then the findings in plain sentences."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from rich.table import Table

from cspay.i18n import Words
from cspay.rollout.lint_rules import number, percent
from cspay.rollout.review import Grouping, KpiStats, Review
from cspay.rollout.review_findings import Finding, column_label, curve_label, fraction, p_text
from cspay.rollout.review_stats import Test


def _table(title: str, headers: list[str], right_from: int = 1) -> Table:
    table = Table(title=title, title_justify="left")
    for i, header in enumerate(headers):
        table.add_column(header, justify="right" if i >= right_from else "left")
    return table


def statistic_text(words: Words, test: Test | None) -> str:
    """`chi-square 12.3, p = 0.002 (Holm), Cramér's V 0.41` in the reader's words."""
    if test is None:
        return "-"
    return words(
        f"review.test.{test.name}",
        statistic=fraction(test.statistic),
        p=p_text(words, test.p_final),
        size=fraction(test.size),
    )


def grouping_table(result: Review, grouping: Grouping, words: Words) -> Table:
    grades = [grade.grade for grade in result.policy.grades_high_to_low()]
    headers = [words("review.col.group"), words("review.col.agents"), *grades]
    headers += [words("review.col.low", low="/".join(result.low_grades)), words("review.col.share")]
    headers += [words("review.col.below_reference"), words("review.col.judged")]
    table = _table(words("review.by", column=column_label(words, grouping.column)), headers)
    for group in grouping.groups:
        spread = group.share
        share = "-" if spread is None else f"{percent(spread.median)} ({percent(spread.p10)}–{percent(spread.p90)})"
        judged = words("review.judged") if group.judged else words("review.too_small")
        table.add_row(
            group.name or "-",
            str(group.headcount),
            *(str(group.grades.get(grade, 0)) for grade in grades),
            percent(group.low),
            share,
            percent(group.below_reference),
            judged,
        )
    return table


def grouping_lines(result: Review, grouping: Grouping, words: Words) -> list[str]:
    lines = []
    if grouping.tests:
        lines.append(
            words(
                "review.grades_test",
                column=column_label(words, grouping.column),
                test=statistic_text(words, grouping.tests["grades"]),
            )
        )
        lines.append(
            words(
                "review.share_test",
                column=column_label(words, grouping.column),
                test=statistic_text(words, grouping.tests["bonus_share"]),
            )
        )
    else:
        lines.append(words("review.untested", column=column_label(words, grouping.column), count=result.min_group))
    small = grouping.too_small
    if small:
        names = ", ".join(f"{group.name or '-'} ({group.headcount})" for group in small)
        lines.append(words("review.small", count=result.min_group, groups=names))
    return lines


def kpi_rows(kpis: list[KpiStats], curves: list[KpiStats], words: Words) -> Iterator[list[str]]:
    """Each KPI's row, followed for a KPI by group by one row per curve that scored its agents."""
    for kpi in kpis:
        yield [kpi.label, *_kpi_cells(kpi)]
        for curve in curves:
            if curve.code == kpi.code:
                yield [curve_label(words, curve), *_kpi_cells(curve)]


def _kpi_cells(kpi: KpiStats) -> list[str]:
    common = "-" if kpi.most_common is None else f"{number(kpi.most_common)} ({percent(kpi.most_common_share)})"
    shares = (kpi.at_zero, kpi.at_top, kpi.gated, kpi.left_out)
    return [number(kpi.median) or "-", *map(percent, shares), common]


def kpi_table(kpis: list[KpiStats], words: Words, curves: list[KpiStats] | None = None) -> Table:
    headers = [words(f"review.col.{key}") for key in ("kpi", "median", "zero", "top", "gated", "left_out", "common")]
    table = _table(words("review.kpis"), headers)
    for row in kpi_rows(kpis, curves or [], words):
        table.add_row(*row)
    return table


def curve_lines(kpis: list[KpiStats], words: Words) -> list[str]:
    """For each KPI by group, how many agents each curve scored: `… by queue: complaints (16 agents) …`."""
    lines = []
    for kpi in kpis:
        if kpi.by is None:
            continue
        counts = dict(kpi.curves)
        own = [f"{group} ({words('review.agents_count', count=n)})" for group, n in counts.items() if group]
        general = counts.get(None)
        values = {"kpi": kpi.label, "column": kpi.by, "groups": ", ".join(own) or "-"}
        if general is None:
            lines.append(words("review.curves_all_own", **values))
        else:
            lines.append(words("review.curves", **values, general=words("review.agents_count", count=general)))
    return lines


def role_table(result: Review, words: Words) -> Table:
    headers = [words(f"review.col.{key}") for key in ("role", "agents", "bonus", "gross", "bonus_share", "range")]
    table = _table(words("review.roles"), headers)
    for role in result.roles:
        currency = role.currency or result.policy.currency
        table.add_row(
            role.role,
            str(role.agents),
            _money(words, role.bonus, currency),
            _money(words, role.gross, currency),
            "-" if role.share is None else percent(role.share),
            f"{percent(role.low)}–{percent(role.high)}",
        )
    return table


def _money(words: Words, amount: Decimal, currency: str) -> str:
    return words.money(amount, currency)


def tradeoff_table(result: Review, words: Words) -> Table:
    headers = [words(f"review.col.{key}") for key in ("speed", "quality", "agents", "rho", "p")]
    table = _table(words("review.tradeoffs"), headers, right_from=2)
    for item in result.tradeoffs:
        labels = result.policy.kpis
        table.add_row(
            labels[item.speed].label or item.speed,
            labels[item.quality].label or item.quality,
            str(item.agents),
            fraction(item.test.size),
            p_text(words, item.test.p_final),
        )
    return table


def review_screen(result: Review, found: list[Finding], words: Words, title: str) -> Iterator[Any]:
    """What the terminal shows, in order: tables and lines of text."""
    yield title
    for grouping in result.groupings:
        yield grouping_table(result, grouping, words)
        yield from grouping_lines(result, grouping, words)
    yield kpi_table(result.kpis, words, result.curves)
    yield from curve_lines(result.kpis, words)
    yield role_table(result, words)
    if result.tradeoffs:
        yield tradeoff_table(result, words)
    yield words("review.findings", count=len(found))
    for finding in found:
        yield f"{finding.code}: {finding.message(words)}"
