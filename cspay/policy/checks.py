"""Policy rules that span several keys, each reported at the key it concerns."""

from __future__ import annotations

from decimal import Decimal

from cspay.cells import is_missing, text_key
from cspay.policy.currency_checks import currency_checks
from cspay.policy.model import MONTHLY_PAY, Grade, LinearScore, Policy, Score
from cspay.policy.values import HUNDRED


def cross_checks(policy: Policy) -> list[tuple[tuple[str | int, ...], str]]:
    """Rules that span several keys, each with the path of the key it concerns."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    total = sum((kpi.weight for kpi in policy.kpis.values()), Decimal(0))
    if total != HUNDRED:
        problems.append((("kpis",), f"KPI weights must add up to 100, they add up to {total}"))
    problems += grade_checks(policy.grades, ("grades",))
    names = [grade.grade for grade in policy.grades]
    if policy.true_up and policy.period == "month":
        problems.append((("true_up",), "true_up needs period: quarter or year (a month has no months to true up)"))
    if policy.claw_back and not policy.true_up:
        problems.append((("claw_back",), "claw_back only applies with true_up: true"))
    for name, rule in policy.actions.items():
        if rule.grade not in names:
            key = "grade_at_least" if rule.at_least else "grade_at_most"
            problems.append(
                (("actions", name, key), f"unknown grade {rule.grade!r}; the grades are {', '.join(names)}")
            )
    for i, gate in enumerate(policy.gates):
        if gate.kpi is not None and gate.kpi not in policy.kpis:
            problems.append((("gates", i, "kpi"), f"unknown KPI {gate.kpi!r}; the KPIs are {', '.join(policy.kpis)}"))
    return problems + group_checks(policy) + period_checks(policy) + team_checks(policy) + currency_checks(policy)


def grade_checks(grades: list[Grade], where: tuple[str | int, ...]) -> list[tuple[tuple[str | int, ...], str]]:
    """Each grade with its own min_score and name, and one at 0 so that every score gets a grade."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    seen: dict[Decimal, int] = {}
    for i, grade in enumerate(grades):
        if grade.min_score in seen:
            problems.append(
                (
                    (*where, i, "min_score"),
                    f"min_score {grade.min_score} is also the min_score of grade "
                    f"{grades[seen[grade.min_score]].grade}; each grade needs its own",
                )
            )
        seen.setdefault(grade.min_score, i)
    listed: set[str] = set()
    for i, grade in enumerate(grades):
        if grade.grade in listed:
            problems.append(((*where, i, "grade"), f"grade {grade.grade!r} is listed twice"))
        listed.add(grade.grade)
    if Decimal(0) not in seen:
        problems.append((where, "one grade must have min_score 0, so every score gets a grade"))
    return problems


def team_checks(policy: Policy) -> list[tuple[tuple[str | int, ...], str]]:
    """Roles paid on a team's or site's result, and the teams section that says how that result is made."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    teams = policy.teams
    for name, role in policy.roles.items():
        where: tuple[str | int, ...] = ("roles", name)
        if role.team_share is not None and role.paid_on != "own":
            problems.append(
                ((*where, "team_share"), f"a role paid on its {role.paid_on}'s result has no own part to share")
            )
        if role.grades is not None and role.paid_on == "own":
            problems.append(
                (
                    (*where, "grades"),
                    "own grades are for a role paid on a team's or site's result (paid_on: team or site); "
                    "an agent's own result is graded by the policy's grades",
                )
            )
        elif role.grades is not None:
            problems += grade_checks(role.grades, (*where, "grades"))
        uses = role.team_share is not None or role.paid_on != "own"
        if uses and teams is None:
            key = "team_share" if role.team_share is not None else "paid_on"
            problems.append(
                ((*where, key), "needs a `teams:` section saying how a team's result is made (teams.score)")
            )
        if role.paid_on == "site" and teams is not None and teams.site is None:
            problems.append(((*where, "paid_on"), "paid on a site's result needs teams.site, the column naming it"))
    if teams is not None and policy.agents.team is None:
        problems.append((("teams",), "team results need agents.team, the column naming each agent's team"))
    if teams is not None and teams.small_team == "site" and teams.site is None:
        problems.append((("teams", "small_team"), "small_team: site needs teams.site, the column naming the site"))
    return problems


def group_checks(policy: Policy) -> list[tuple[tuple[str | int, ...], str]]:
    """A KPI's curves by group: `by` and `groups` together, each group named once and not as an empty cell,
    and a group's linear curve running the way the KPI's own does (a KPI is better one way for everyone)."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    for code, kpi in policy.kpis.items():
        if kpi.by is not None and not kpi.groups:
            problems.append(
                (("kpis", code, "by"), f"by: {kpi.by} needs `groups`, a curve for each group with targets of its own")
            )
        if kpi.groups and kpi.by is None:
            problems.append(
                (("kpis", code, "groups"), "groups need `by`, the column whose text puts each agent in a group")
            )
        seen: dict[str, str] = {}
        for name, curve in kpi.groups.items():
            path = ("kpis", code, "groups", name)
            first = seen.setdefault(text_key(name), name)
            if is_missing(name):
                problems.append(
                    (path, f"{name!r} reads as an empty cell, which takes the KPI's own score; name the group")
                )
            elif first != name:
                problems.append(
                    (
                        path,
                        f"{name!r} is the group {first!r} again (names are compared ignoring case, width and spacing)",
                    )
                )
            elif _runs_otherwise(kpi.score, curve):
                way = "higher" if curve.higher_is_better else "lower"
                problems.append(
                    (
                        path,
                        f"this curve pays {way} values more, unlike the KPI's own score; a KPI is better the same "
                        f"way for every group",
                    )
                )
    return problems


def _runs_otherwise(own: Score, curve: Score) -> bool:
    """Whether two linear curves run in opposite directions (bands are checked by lint, CSP106)."""
    linear = isinstance(own, LinearScore) and isinstance(curve, LinearScore)
    return linear and own.higher_is_better != curve.higher_is_better


SUMMED_UNITS = ("count", "points", "seconds")


def summed_columns(policy: Policy) -> dict[str, str]:
    """Columns whose months are added up in a quarter or year, each with the key that reads it."""
    summed = {kpi.min_volume.column: f"kpis.{code}.min_volume" for code, kpi in policy.kpis.items() if kpi.min_volume}
    summed |= {
        kpi.weight_column: f"kpis.{code}.weight_column" for code, kpi in policy.kpis.items() if kpi.weight_column
    }
    summed |= {a.column: f"adjustments.{name}" for name, a in policy.adjustments.items()}
    if policy.proration:
        summed[policy.proration.column] = "proration"
    return summed


def period_checks(policy: Policy) -> list[tuple[tuple[str | int, ...], str]]:
    """Rules about combining months and about what a period's payslips pay."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    if policy.floor is not None and policy.period != "month":
        problems.append(
            (
                ("floor",),
                "a floor is a monthly minimum; apply it in the monthly run, not in a quarterly or annual policy",
            )
        )
    elif policy.floor is not None and len(set(policy.paid_lines)) < len(MONTHLY_PAY):
        problems.append(
            (("floor",), f"a floor tops up the whole month's pay; it needs `pays` to list {', '.join(MONTHLY_PAY)}")
        )
    for code, kpi in policy.kpis.items():
        if kpi.aggregate == "sum" and kpi.unit not in SUMMED_UNITS:
            problems.append(
                (("kpis", code, "aggregate"), f"a sum of {kpi.unit} values means nothing; use mean or weighted_mean")
            )
    return problems + _gate_combine_checks(policy)


def _gate_combine_checks(policy: Policy) -> list[tuple[tuple[str | int, ...], str]]:
    """A column has one way to combine its months, whichever gates and keys read it."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    summed = summed_columns(policy)
    combined: dict[str, tuple[int, str]] = {}
    for i, gate in enumerate(policy.gates):
        if gate.column is None or policy.period == "month":
            continue
        rule = gate.combine or "mean"
        if gate.column in summed and rule != "sum":
            problems.append(
                (
                    ("gates", i),
                    f"column {gate.column!r} is summed over the months for "
                    f"{summed[gate.column]}; give this gate `combine: sum`",
                )
            )
        elif combined.setdefault(gate.column, (i, rule))[1] != rule:
            first, first_rule = combined[gate.column]
            problems.append(
                (
                    ("gates", i),
                    f"column {gate.column!r} is combined by {first_rule} in "
                    f"gates[{first}]; give both gates the same `combine`",
                )
            )
    return problems
