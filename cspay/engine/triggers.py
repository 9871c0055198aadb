"""Actions triggered by an agent's grades over recorded periods: promotion reviews, training plans."""

from __future__ import annotations

from decimal import Decimal

from cspay.policy.model import ActionRule, Consecutive, Policy


def periods_needed(policy: Policy) -> int:
    """How many periods, the current one included, the policy's rules look back over."""
    return max((rule.periods for rule in policy.actions.values()), default=0)


def _meets(rule: ActionRule, grade: str | None, ranks: dict[str, Decimal]) -> bool:
    """Whether a grade is at least (or at most) the rule's grade, ranked by the grades' min_score."""
    if grade not in ranks:  # not recorded that period, no score, or a grade the policy no longer has
        return False
    if rule.at_least:
        return ranks[grade] >= ranks[rule.grade]
    return ranks[grade] <= ranks[rule.grade]


def triggered(policy: Policy, grades: list[str | None]) -> list[str]:
    """The actions an agent's grades trigger; `grades` runs from the current period back, one per period.

    A period the agent has no grade in (not recorded, absent, no score) breaks a consecutive run and does
    not count towards in_last.
    """
    ranks = {grade.grade: grade.min_score for grade in policy.grades}
    found = []
    for name, rule in policy.actions.items():
        hits = [_meets(rule, grade, ranks) for grade in grades[: rule.periods]]
        span = rule.span
        if isinstance(span, Consecutive):
            fired = len(hits) == span.consecutive and all(hits)
        else:
            fired = sum(hits) >= span.in_last.count
        if fired:
            found.append(name)
    return found
