"""What one pay run did, and to whom: per group of agents, the grades, the bonus against target, the gates
and the KPIs, tests of whether grading is independent of the group, and the pay-design pitfalls measured.

The review renders a run (cspay.run.pay): it reads each payslip's grade, score, lines and KPI results,
and never pays anything itself. "At equal performance" compares each agent's score with their *reference
score*, what their own KPI values score on the policy's curves with every KPI that has a value counted:
the gap is what the rules beyond the values (min_volume, missing values) did to them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from cspay.engine.curves import curve_points, scorer_of
from cspay.engine.rules import grade_index, score_of
from cspay.engine.types import ZERO, KpiResult, Payslip
from cspay.inputs.figures import percentile
from cspay.inputs.resolve import open_inputs
from cspay.periods import Period
from cspay.policy.model import Policy
from cspay.rollout import review_stats as stats
from cspay.rollout.review_stats import Test
from cspay.run.pay import PayRun, pay

ONE = Decimal(1)
HUNDRED = Decimal(100)
SAME_SCORE = Decimal("0.8")  # a KPI that gives this share of agents one same score does not tell them apart


@dataclass(frozen=True)
class Agent:
    """One payslip as the review reads it."""

    agent_id: str
    role: str
    groups: dict[str, str]
    grade: str | None
    score: Decimal | None
    reference: Decimal | None  # the score of the agent's KPI values with every valued KPI counted
    bonus: Decimal
    target: Decimal  # the target bonus at the agent's proration: the bonus paid in full at multiplier 1
    gross: Decimal
    gates: tuple[int, ...]
    kpis: tuple[KpiResult, ...]
    currency: str = ""  # what bonus, target and gross are in

    @property
    def share(self) -> Decimal:
        """The bonus paid as a share of target (1 = target)."""
        return self.bonus / self.target if self.target else ZERO

    @property
    def gap(self) -> Decimal:
        """Score minus reference score: below 0 when the rules took away what the values earned."""
        if self.score is None or self.reference is None:
            return ZERO if self.reference is None else -self.reference
        return self.score - self.reference


@dataclass(frozen=True)
class Spread:
    """Mean, median, 10th and 90th percentile (numpy's linear rule, exact) of Decimal values."""

    mean: Decimal
    median: Decimal
    p10: Decimal
    p90: Decimal

    @classmethod
    def of(cls, values: Sequence[Decimal]) -> Spread | None:
        if not values:
            return None
        listed = list(values)
        return cls(
            sum(listed, ZERO) / len(listed),
            percentile(listed, Decimal(50)),
            percentile(listed, Decimal(10)),
            percentile(listed, Decimal(90)),
        )


@dataclass(frozen=True)
class KpiStats:
    """One KPI over a set of agents: median value, how its scores spread, and how often it is set aside.

    For a KPI by group (`by` is its column), `curves` counts the agents each curve scored: a group's own,
    or None for the KPI's own score. The stats of one curve's agents (Review.curves) name it in `curve`."""

    code: str
    label: str
    agents: int
    median: Decimal | None
    at_zero: Decimal
    at_top: Decimal
    gated: Decimal
    left_out: Decimal
    most_common: Decimal | None
    most_common_share: Decimal
    by: str | None = None
    curves: tuple[tuple[str | None, int], ...] = ()
    curve: str | None = None


@dataclass(frozen=True)
class Group:
    """The agents sharing one value of a column."""

    name: str
    agents: list[Agent]
    judged: bool
    grades: dict[str, int]
    low: Decimal  # share graded in the low grades
    below_reference: Decimal  # share graded below the grade their reference score earns
    share: Spread | None
    gates: list[Decimal]  # per gate, the share of agents it fired for
    kpis: list[KpiStats]
    median_gap: Decimal
    tests: dict[str, Test] = field(default_factory=dict)  # grades, bonus_share, equal_performance
    curves: list[KpiStats] = field(default_factory=list)  # each KPI by group, per curve that scored its agents

    @property
    def headcount(self) -> int:
        return len(self.agents)


@dataclass(frozen=True)
class Grouping:
    """Every group of one column, and whether grades and bonus shares are independent of it."""

    column: str
    groups: list[Group]
    tests: dict[str, Test]  # grades (chi-square over every judged group), bonus_share (Kruskal-Wallis)

    @property
    def too_small(self) -> list[Group]:
        return [group for group in self.groups if not group.judged]


@dataclass(frozen=True)
class RoleShare:
    """A role's realised bonus as a share of its gross pay, against the policy's lint range."""

    role: str
    agents: int
    bonus: Decimal
    gross: Decimal
    share: Decimal | None
    low: Decimal
    high: Decimal
    currency: str = ""  # what bonus and gross are in: a role paid in two currencies has a share in each


@dataclass(frozen=True)
class Tradeoff:
    """The rank correlation across agents between a speed KPI and a quality KPI."""

    speed: str
    quality: str
    agents: int
    test: Test


@dataclass
class Review:
    """One run reviewed: its groupings, the pitfalls measured, and (filled by review_findings) findings."""

    policy: Policy
    agents: list[Agent]
    low_grades: list[str]
    groupings: list[Grouping]
    roles: list[RoleShare]
    kpis: list[KpiStats]
    tradeoffs: list[Tradeoff]
    min_group: int
    findings: list[object] = field(default_factory=list)
    curves: list[KpiStats] = field(default_factory=list)  # each KPI by group, per curve that scored agents


def reference_score(policy: Policy, kpis: Iterable[KpiResult]) -> Decimal | None:
    """What an agent's KPI values score on the policy's curves (their group's, for a KPI by group) with every
    KPI that has a value counted."""
    weighted, weight = ZERO, ZERO
    for result in kpis:
        if result.value is None:
            continue
        kpi = policy.kpis[result.code]
        weighted += kpi.weight * scorer_of(kpi.curve(result.curve_group))(result.value)[0]
        weight += kpi.weight
    return score_of(weighted, weight)


def agent_of(policy: Policy, slip: Payslip) -> Agent:
    """A payslip as the review reads it (role and team join the text group columns)."""
    groups = {"role": slip.role, "team": slip.team, **slip.groups}
    bonus = slip.bonus
    return Agent(
        slip.agent_id,
        slip.role,
        groups,
        slip.grade,
        slip.score,
        reference_score(policy, slip.kpis),
        bonus,
        slip.target_bonus * slip.proration,
        slip.gross,
        tuple(hit.index for hit in slip.gates),
        slip.kpis,
        slip.currency,
    )


def low_grades(policy: Policy) -> list[str]:
    """The grades that pay less than target (multiplier below 1), else the lowest grade."""
    ordered = policy.grades_high_to_low()
    low = [grade.grade for grade in ordered if grade.multiplier < ONE]
    return low or [ordered[-1].grade]


def review(policy: Policy, payslips: Iterable[Payslip], by: Sequence[str], min_group: int) -> Review:
    """The review of a run's payslips (policy: the policy as the run applied it), grouped by `by`."""
    agents = [agent_of(policy, slip) for slip in payslips]
    low = low_grades(policy)
    groupings = [_grouping(policy, agents, _group_key(policy, column), low, min_group) for column in by]
    kpis = kpi_stats(policy, agents)
    result = Review(
        policy, agents, low, groupings, role_shares(policy, agents), kpis, tradeoffs(policy, agents), min_group
    )
    result.curves = curve_stats(policy, agents)
    _correct(result)
    return result


def _group_key(policy: Policy, column: str) -> str:
    """`role` and `team` (or their columns' names) group by the payslip's role and team."""
    if column in ("role", policy.agents.role):
        return "role"
    if column in ("team", policy.agents.team):
        return "team"
    return column


def _grouping(policy: Policy, agents: list[Agent], key: str, low: list[str], min_group: int) -> Grouping:
    members: dict[str, list[Agent]] = {}
    for agent in agents:
        members.setdefault(agent.groups.get(key, ""), []).append(agent)
    groups = [_group(policy, name, found, low, len(found) >= min_group) for name, found in members.items()]
    judged = [group for group in groups if group.judged]
    grades = [grade.grade for grade in policy.grades_high_to_low()]
    tests = {}
    if len(judged) >= 2:
        tests["grades"] = stats.chi_square([[group.grades.get(name, 0) for name in grades] for group in judged])
        tests["bonus_share"] = stats.kruskal([[float(a.share) for a in group.agents] for group in judged])
        for group in judged:
            rest = [agent for agent in agents if agent.groups.get(key, "") != group.name]
            group.tests.update(_group_tests(grades, group.agents, rest))
    return Grouping(key, groups, tests)


def _group_tests(grades: list[str], group: list[Agent], rest: list[Agent]) -> dict[str, Test]:
    """A group against every other agent: its grades, its bonus shares, its score gaps."""
    return {
        "grades": stats.chi_square([_grade_counts(grades, group), _grade_counts(grades, rest)]),
        "bonus_share": stats.mann_whitney([float(a.share) for a in group], [float(a.share) for a in rest]),
        "equal_performance": stats.mann_whitney([float(a.gap) for a in group], [float(a.gap) for a in rest]),
    }


def _grade_counts(grades: list[str], agents: list[Agent]) -> list[int]:
    return [sum(agent.grade == name for agent in agents) for name in [*grades, None]]


def _group(policy: Policy, name: str, agents: list[Agent], low: list[str], judged: bool) -> Group:
    grades: dict[str, int] = {}
    for agent in agents:
        grades[agent.grade or "-"] = grades.get(agent.grade or "-", 0) + 1
    return Group(
        name,
        agents,
        judged,
        grades,
        share_of(agents, lambda a: a.grade in low),
        share_of(agents, lambda a: below_reference(policy, a)),
        Spread.of([agent.share for agent in agents]),
        [_share(sum(i in agent.gates for agent in agents), len(agents)) for i in range(len(policy.gates))],
        kpi_stats(policy, agents),
        percentile([agent.gap for agent in agents], Decimal(50)),
        curves=curve_stats(policy, agents),
    )


def below_reference(policy: Policy, agent: Agent) -> bool:
    """Whether the agent's grade is lower than the grade their reference score earns."""
    if agent.reference is None:
        return False
    ascending = sorted(grade.min_score for grade in policy.grades)
    ordered = policy.grades_high_to_low()
    earned = grade_index(ascending, agent.reference)
    actual = next((i for i, grade in enumerate(ordered) if grade.grade == agent.grade), len(ordered))
    return actual > earned


def share_of(agents: Sequence[Agent], test: Callable[[Agent], bool]) -> Decimal:
    """The share (0-1) of the agents that pass the test; 0 of none."""
    return Decimal(sum(map(test, agents))) / len(agents) if agents else ZERO


def kpi_stats(policy: Policy, agents: Sequence[Agent]) -> list[KpiStats]:
    """Each KPI over the agents: its median value, the shares scoring 0 and the top of the curve that scored
    them, gated by a gate on it and left out, and its most common score with the share that holds it."""
    return [_kpi_stats(policy, index, code, agents) for index, code in enumerate(policy.kpis)]


def curve_stats(policy: Policy, agents: Sequence[Agent]) -> list[KpiStats]:
    """Each KPI by group whose agents were scored on more than one curve, over the agents of each curve (its
    groups' in the policy's order, then its own score's): where one group's targets sit against its agents."""
    found = []
    for index, (code, kpi) in enumerate(policy.kpis.items()):
        if kpi.by is None:
            continue
        members: dict[str | None, list[Agent]] = {group: [] for group in [*kpi.groups, None]}
        for agent in agents:
            members[agent.kpis[index].curve_group].append(agent)
        used = {group: scored for group, scored in members.items() if scored}
        if len(used) > 1:
            found += [_kpi_stats(policy, index, code, scored, curve=group) for group, scored in used.items()]
    return found


def _kpi_stats(policy: Policy, index: int, code: str, agents: Sequence[Agent], *, curve: str | None = None) -> KpiStats:
    kpi = policy.kpis[code]
    results = [agent.kpis[index] for agent in agents]
    valued = [result.value for result in results if result.value is not None]
    counted = [result for result in results if result.left_out is None and result.score is not None]
    tops = {group: max(point.score for point in curve_points(score)) for group, score in kpi.curves()}
    gates = [i for i, gate in enumerate(policy.gates) if gate.kpi == code]
    common, count = _most_common([result.score for result in counted if result.score is not None])
    used: dict[str | None, int] = {}
    for result in results:
        used[result.curve_group] = used.get(result.curve_group, 0) + 1
    return KpiStats(
        code,
        kpi.label or code,
        len(agents),
        percentile(valued, Decimal(50)) if valued else None,
        _share(sum(result.score == 0 for result in counted), len(counted)),
        _share(sum(result.score == tops[result.curve_group] for result in counted), len(counted)),
        _share(sum(any(i in agent.gates for i in gates) for agent in agents), len(agents)),
        _share(sum(result.left_out is not None for result in results), len(results)),
        common,
        _share(count, len(counted)),
        kpi.by,
        tuple(used.items()) if kpi.by is not None else (),
        curve,
    )


def _share(count: int, total: int) -> Decimal:
    return Decimal(count) / total if total else ZERO


def _most_common(scores: list[Decimal]) -> tuple[Decimal | None, int]:
    counts: dict[Decimal, int] = {}
    for score in scores:
        counts[score] = counts.get(score, 0) + 1
    if not counts:
        return None, 0
    best = max(counts.items(), key=lambda item: (item[1], item[0]))
    return best


def role_shares(policy: Policy, agents: Sequence[Agent]) -> list[RoleShare]:
    """Pitfall 2 measured: each role's bonus as a share of gross (in each currency it is paid in: money of
    two currencies is never added up), against lint.bonus_share."""
    limits = policy.lint.bonus_share
    found = []
    currencies = list(dict.fromkeys(agent.currency for agent in agents))
    for role, currency in ((role, currency) for role in policy.roles for currency in currencies):
        members = [agent for agent in agents if agent.role == role and agent.currency == currency]
        if not members:
            continue
        bonus = sum((agent.bonus for agent in members), ZERO)
        gross = sum((agent.gross for agent in members), ZERO)
        found.append(
            RoleShare(
                role,
                len(members),
                bonus,
                gross,
                bonus / gross if gross else None,
                limits.min / HUNDRED,
                limits.max / HUNDRED,
                currency,
            )
        )
    return found


def tradeoffs(policy: Policy, agents: Sequence[Agent]) -> list[Tradeoff]:
    """Pitfall 1 measured: Spearman's rho between each speed KPI (seconds, lower is better) and each
    quality KPI (percent, ratio or points, higher is better), over agents with both values."""
    from cspay.rollout.lint_rules import QUALITY_UNITS, direction

    codes = list(policy.kpis)
    speed = [c for c, k in policy.kpis.items() if k.unit == "seconds" and direction(k.score) < 0 and k.weight > 0]
    quality = [c for c, k in policy.kpis.items() if k.unit in QUALITY_UNITS and direction(k.score) > 0]
    found = []
    for fast in speed:
        for good in quality:
            pairs = [
                (float(x), float(y))
                for agent in agents
                if (x := agent.kpis[codes.index(fast)].value) is not None
                and (y := agent.kpis[codes.index(good)].value) is not None
            ]
            test = stats.spearman([x for x, _ in pairs], [y for _, y in pairs])
            found.append(Tradeoff(fast, good, len(pairs), test))
    return found


def _correct(result: Review) -> None:
    """Every test of the review -- each grouping's, each group's, each KPI pair's -- is one family for the
    Holm correction, so the more there are, the stronger each must be to count."""
    slots: list[tuple[dict[str, Test], str]] = []
    for grouping in result.groupings:
        slots += [(grouping.tests, name) for name in grouping.tests]
        for group in grouping.groups:
            slots += [(group.tests, name) for name in group.tests]
    pairs = [{"rho": item.test} for item in result.tradeoffs]
    slots += [(holder, "rho") for holder in pairs]
    tests = [holder[name] for holder, name in slots]
    for (holder, name), test in zip(slots, stats.adjust(tests), strict=True):
        holder[name] = test
    result.tradeoffs = [
        Tradeoff(item.speed, item.quality, item.agents, holder["rho"])
        for item, holder in zip(result.tradeoffs, pairs, strict=True)
    ]


def grouped_by(policy: Policy, by: Sequence[str] | None, min_group: int | None) -> Policy:
    """The policy with the review's groups (the command line's, else its `review` section's, else role and
    team) and smallest judged group, so that the inputs read the group columns."""
    from cspay.policy.model import Review as Section

    section = policy.review
    columns = list(by) if by else (section.by or ["role", *(["team"] if policy.agents.team else [])])
    chosen = Section(by=columns, min_group=min_group or section.min_group)
    return policy.model_copy(update={"review": chosen})


def review_inputs(
    policy: Policy,
    paths: Sequence[str | Path],
    period: Period | str | None = None,
    *,
    by: Sequence[str] | None = None,
    min_group: int | None = None,
    rosters: Sequence[str | Path] = (),
    changes: Path | None = None,
    team_metrics: Path | None = None,
    ledger: Path | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> tuple[PayRun, Review]:
    """The run `compute` pays from these inputs, and its review: any input form the run accepts."""
    grouped = grouped_by(policy, by, min_group)
    source = open_inputs(
        grouped,
        paths,
        period,
        rosters=rosters,
        changes=changes,
        team_metrics=team_metrics,
        encoding=encoding,
        delimiter=delimiter,
    )
    run = pay(source, ledger=ledger, deductions=False)  # a review is of the pay plan: gross
    payslips = list(run.payslips)
    run.payslips = payslips
    section = grouped.review
    return run, review(run.applied, payslips, section.by, section.min_group)
