"""`cspay review --from --to` at a terminal: trends per group, grade moves, the effect of actions, the
cost per period, then the findings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rich.table import Table

from cspay.i18n import Words
from cspay.policy.model import Policy
from cspay.rollout.lint_rules import number, percent
from cspay.rollout.review_findings import column_label
from cspay.rollout.review_history import History


def _table(title: str, headers: list[str]) -> Table:
    table = Table(title=title, title_justify="left")
    for i, header in enumerate(headers):
        table.add_column(header, justify="left" if i < 2 else "right")
    return table


def history_screen(policy: Policy, history: History, words: Words) -> Iterator[Any]:
    currency = policy.currency
    for column, items in history.trends.items():
        headers = [words(f"review.history.col.{key}") for key in ("period", "group", "agents", "score", "low", "bonus")]
        table = _table(words("review.by", column=column_label(words, column)), headers)
        for item in items:
            table.add_row(
                item.period,
                item.group or "-",
                str(item.headcount),
                "-" if item.mean_score is None else number(item.mean_score),
                percent(item.low),
                words.money(item.bonus, currency),
            )
        yield table
    grades = [grade.grade for grade in policy.grades_high_to_low()]
    moves = _table(words("review.history.transitions"), [words("review.history.col.from"), *grades])
    for grade in grades:
        counts = history.transitions.get(grade, {})
        moves.add_row(grade, *(str(counts.get(other, 0)) for other in grades))
    yield moves
    effects = _table(
        words("review.history.effects"),
        [words(f"review.history.col.{key}") for key in ("action", "given", "followed", "one", "two")],
    )
    for effect in history.effects:
        effects.add_row(
            effect.action, str(effect.given), str(effect.followed), str(effect.within_one), str(effect.within_two)
        )
    yield effects
    costs = _table(
        words("review.history.costs"),
        [words(f"review.history.col.{key}") for key in ("period", "agents", "gross", "bonus", "pool")],
    )
    for cost in history.costs:
        costs.add_row(
            cost.period,
            str(cost.headcount),
            words.money(cost.gross, currency),
            words.money(cost.bonus, currency),
            "-" if cost.pool is None else words.money(cost.pool, currency),
        )
    yield costs
    yield words("review.findings", count=len(history.findings))
    for finding in history.findings:
        yield f"{finding.code}: {finding.message(words)}"
