"""A run's team results rolled up, agent → team → site: who counted, how much, the score and its grade (by
the policy's grades), for JSON and for the terminal."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from cspay.engine.rules import grade_index
from cspay.engine.teams import Group, TeamBook
from cspay.policy.model import Policy


def rollup_data(policy: Policy, book: TeamBook) -> dict[str, list[dict[str, Any]]]:
    """Every team's result, then every site's, as JSON-ready data (amounts and scores as decimal strings)."""
    teams, sites = book.rollup()
    return {
        "teams": [_group_data(policy, group) for group in teams],
        "sites": [_group_data(policy, group) for group in sites],
    }


def _group_data(policy: Policy, group: Group) -> dict[str, Any]:
    data: dict[str, Any] = {"team": group.name} if group.kind != "site" else {"site": group.name}
    if group.kind != "site":
        data["site"] = group.site or None
    else:
        data["teams"] = list(group.teams)
    return {
        **data,
        "members": [member.agent_id for member in group.members],
        "size": str(group.size),
        "score": None if group.score is None else str(group.score),
        "grade": grade_of(policy, group.score),
        "small": group.small,
    }


def grade_of(policy: Policy, score: Decimal | None) -> str | None:
    """The grade the policy's grades give a score (a team's, as its members' team part is graded)."""
    if score is None:
        return None
    grades = policy.grades_high_to_low()
    return grades[grade_index(sorted(grade.min_score for grade in grades), score)].grade
