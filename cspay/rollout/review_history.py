"""The feedback loop, from the ledger: per group and period the headcount, mean score, share in the low
grades and bonus; how grades move from one period to the next; whether agents sent to coaching or
training improved; agents in the low grades period after period; and the cost against the budget.

Everything is read from the recorded runs (the current version of each period) through the ledger's
read queries; nothing is paid again.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from cspay.engine.budget import pool_for
from cspay.errors import UsageProblem
from cspay.ledger.book import Ledger
from cspay.ledger.reads import Recorded
from cspay.periods import Period
from cspay.policy.model import Policy
from cspay.rollout.review import low_grades
from cspay.rollout.review_findings import Finding

ZERO = Decimal(0)
STREAK = 3  # periods in a row in the low grades that make a finding
GROUPS = ("role", "team")  # what the ledger records of each agent


@dataclass(frozen=True)
class PeriodGroup:
    period: str
    group: str
    headcount: int
    mean_score: Decimal | None
    low: Decimal
    bonus: Decimal


@dataclass(frozen=True)
class ActionEffect:
    """Of the agents an action was given to (where later periods are recorded), how many rose a grade."""

    action: str
    given: int
    followed: int
    within_one: int
    within_two: int


@dataclass(frozen=True)
class Cost:
    period: str
    headcount: int
    gross: Decimal
    bonus: Decimal
    pool: Decimal | None


@dataclass(frozen=True)
class History:
    periods: list[str]
    trends: dict[str, list[PeriodGroup]]  # by column
    transitions: dict[str, dict[str, int]]  # grade in one period -> grade in the next -> agents
    effects: list[ActionEffect]
    streaks: list[str]  # agents in the low grades in each of the last STREAK periods
    costs: list[Cost]
    findings: list[Finding]


def read_history(policy: Policy, ledger: Path, first: Period, last: Period, by: Sequence[str]) -> History:
    """The recorded periods from `first` to `last`, reviewed."""
    unknown = [column for column in by if column not in GROUPS]
    if unknown:
        raise UsageProblem(
            f"the ledger records each agent's role and team, not {', '.join(unknown)}; review those columns on a "
            f"run's inputs instead",
            "--by",
        )
    with Ledger(ledger, read_only=True) as book:
        rows = book.recorded_between(first.first.isoformat(), last.last.isoformat())
        currencies = book.currencies_between(first.first.isoformat(), last.last.isoformat())
    if len(currencies) > 1:
        raise UsageProblem(
            f"{ledger}: the periods from {first.label} to {last.label} pay {', '.join(currencies)}; a review over "
            f"time adds up each group's and period's pay, which is never done across currencies",
            "--ledger",
        )
    periods = list(dict.fromkeys(row.period for row in rows))
    if not periods:
        raise UsageProblem(f"{ledger}: no recorded period lies between {first.label} and {last.label}", "--from")
    low = low_grades(policy)
    ranks = {grade.grade: i for i, grade in enumerate(policy.grades_high_to_low())}
    by_period: dict[str, dict[str, Recorded]] = {period: {} for period in periods}
    for row in rows:
        by_period[row.period][row.agent_id] = row
    streaks = _streaks(periods, by_period, low)
    findings = []
    if streaks:
        values = {"count": len(streaks), "periods": STREAK, "low": "/".join(low), "agents": ", ".join(streaks[:10])}
        findings.append(Finding("CSP207", "agents", "review.CSP207", values))
    return History(
        periods,
        {column: _trends(periods, by_period, column, low) for column in by},
        _transitions(periods, by_period),
        _effects(periods, by_period, ranks),
        streaks,
        _costs(policy, periods, by_period),
        findings,
    )


def _trends(
    periods: list[str], by_period: dict[str, dict[str, Recorded]], column: str, low: list[str]
) -> list[PeriodGroup]:
    found = []
    for period in periods:
        groups: dict[str, list[Recorded]] = {}
        for row in by_period[period].values():
            groups.setdefault(getattr(row, column), []).append(row)
        for name, members in groups.items():
            scores = [row.score for row in members if row.score is not None]
            found.append(
                PeriodGroup(
                    period,
                    name,
                    len(members),
                    sum(scores, ZERO) / len(scores) if scores else None,
                    Decimal(sum(row.grade in low for row in members)) / len(members),
                    sum((row.bonus for row in members), ZERO),
                )
            )
    return found


def _transitions(periods: list[str], by_period: dict[str, dict[str, Recorded]]) -> dict[str, dict[str, int]]:
    moves: dict[str, dict[str, int]] = {}
    for before, after in itertools.pairwise(periods):
        for agent, row in by_period[before].items():
            later = by_period[after].get(agent)
            if later is not None:
                row_moves = moves.setdefault(row.grade or "-", {})
                row_moves[later.grade or "-"] = row_moves.get(later.grade or "-", 0) + 1
    return moves


def _effects(
    periods: list[str], by_period: dict[str, dict[str, Recorded]], ranks: dict[str, int]
) -> list[ActionEffect]:
    tally: dict[str, list[int]] = {}
    for index, period in enumerate(periods):
        for agent, row in by_period[period].items():
            for action in [row.action, *row.triggered]:
                if not action:
                    continue
                counts = tally.setdefault(action, [0, 0, 0, 0])
                counts[0] += 1
                later = [by_period[p].get(agent) for p in periods[index + 1 : index + 3]]
                if not later or later[0] is None:
                    continue
                counts[1] += 1
                rose = [item is not None and _rank(item, ranks) < _rank(row, ranks) for item in later]
                counts[2] += rose[0]
                counts[3] += any(rose)
    return [ActionEffect(action, *counts) for action, counts in tally.items()]


def _rank(row: Recorded, ranks: dict[str, int]) -> int:
    return ranks.get(row.grade or "", len(ranks))


def _streaks(periods: list[str], by_period: dict[str, dict[str, Recorded]], low: list[str]) -> list[str]:
    if len(periods) < STREAK:
        return []
    last = periods[-STREAK:]
    return [
        agent
        for agent in by_period[last[-1]]
        if all((row := by_period[p].get(agent)) is not None and row.grade in low for p in last)
    ]


def _costs(policy: Policy, periods: list[str], by_period: dict[str, dict[str, Recorded]]) -> list[Cost]:
    found = []
    for period in periods:
        rows = list(by_period[period].values())
        base = sum((row.base_pay for row in rows), ZERO)
        pool = None
        if policy.budget is not None:
            pool = pool_for(policy, base)
        found.append(
            Cost(
                period,
                len(rows),
                sum((row.gross for row in rows), ZERO),
                sum((row.bonus for row in rows), ZERO),
                pool,
            )
        )
    return found


def history_data(history: History, words: Any) -> dict[str, Any]:
    """The review over time as JSON-ready data (amounts and shares as decimal strings)."""

    def text(value: Decimal | None) -> str | None:
        return None if value is None else str(value)

    return {
        "periods": history.periods,
        "trends": {
            column: [
                {
                    "period": item.period,
                    "group": item.group,
                    "headcount": item.headcount,
                    "mean_score": text(item.mean_score),
                    "low_grade_share": str(item.low),
                    "bonus": str(item.bonus),
                }
                for item in items
            ]
            for column, items in history.trends.items()
        },
        "transitions": history.transitions,
        "action_effects": [vars(effect) for effect in history.effects],
        "low_grade_streaks": history.streaks,
        "costs": [
            {
                "period": c.period,
                "headcount": c.headcount,
                "gross": str(c.gross),
                "bonus": str(c.bonus),
                "pool": text(c.pool),
            }
            for c in history.costs
        ],
        "findings": [finding.data(words) for finding in history.findings],
    }
