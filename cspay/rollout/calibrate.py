"""Calibration from history: curve points placed where agents actually are, grade cut-offs that give a
chosen distribution, and optionally the target bonus scaled to a budget -- written into a copy of the
policy file that keeps its comments and layout.

Every number comes from the runs `compute` pays from the history (cspay.run.pay): KPI values as the
payslips carry them (counted ones only), scores as the engine gives them under the proposed curves.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from cspay.engine.rounding import round_to
from cspay.engine.types import ZERO, Payslip
from cspay.errors import MetricsError, UsageProblem
from cspay.inputs.figures import percentile
from cspay.inputs.resolve import open_inputs
from cspay.periods import Period
from cspay.policy.model import LinearScore, Policy, Role
from cspay.policy.values import Share
from cspay.rollout.calibrate_groups import add_groups, check_by, group_proposals, reading, with_groups
from cspay.rollout.calibrate_points import HUNDRED, Proposal, counted, dotted, place_points, readable
from cspay.run.pay import pay

DEFAULT_POINTS = (Decimal(90), Decimal(50), Decimal(10))  # share of agents reaching threshold, target, stretch
MIN_AGENTS = 30  # fewer values than this and a percentile moves with every agent: refuse, do not guess


@dataclass(frozen=True)
class Calibration:
    """The proposals, the policy they make (not yet written) and the notes: KPIs kept as they were and, with
    `by`, the groups given a curve of their own and those the history has no agent of."""

    proposals: list[Proposal]
    policy: Policy
    kept: list[str]
    by: str | None = None
    added: dict[str, list[str]] = field(default_factory=dict)  # KPI -> groups given a curve of their own
    unseen: list[tuple[str, str]] = field(default_factory=list)  # (KPI, group) with no agent in the history


def history_payslips(
    policy: Policy,
    paths: Sequence[Path],
    period: Period | None,
    rosters: Sequence[Path] = (),
    encoding: str | None = None,
    delimiter: str | None = None,
) -> list[list[Payslip]]:
    """The payslips of each run in the history: each monthly file on its own under a monthly policy (as
    compare pays them), else the one period."""
    each_file = policy.period == "month" and policy.metrics is None
    runs = [[path] for path in paths] if each_file else [list(paths)]
    paid = []
    for files in runs:
        source = open_inputs(policy, files, period, rosters=rosters, encoding=encoding, delimiter=delimiter)
        paid.append(list(pay(source, deductions=False).payslips))  # calibration reads gross pay only
    return paid


def parse_points(text: str) -> tuple[Decimal, Decimal, Decimal]:
    """--points "90,50,10": the shares of agents that reach threshold, target and stretch, falling."""
    parts = [part.strip().removesuffix("%") for part in text.split(",")]
    try:
        values = tuple(Decimal(part) for part in parts)
    except ArithmeticError:
        raise ValueError(f'expected three percentages like 90,50,10, got "{text}"') from None
    if len(values) != 3 or not all(0 < v < 100 for v in values) or not values[0] > values[1] > values[2]:
        raise ValueError(f'expected three falling percentages between 0 and 100 like 90,50,10, got "{text}"')
    return values[0], values[1], values[2]


def parse_grades(text: str, policy: Policy) -> dict[str, Decimal]:
    """--grades "S:5,A:30,B:45,C:15,D:5": each grade's share of agents, adding up to 100."""
    shares: dict[str, Decimal] = {}
    for part in text.split(","):
        name, _, share = part.partition(":")
        try:
            shares[name.strip()] = Decimal(share.strip().removesuffix("%"))
        except ArithmeticError:
            raise ValueError(f'expected GRADE:PERCENT pairs like S:5,A:30, got "{part.strip()}"') from None
    names = [grade.grade for grade in policy.grades_high_to_low()]
    if sorted(shares) != sorted(names) or sum(shares.values()) != HUNDRED or min(shares.values()) < 0:
        raise ValueError(f"expected a share for each grade ({', '.join(names)}) adding up to 100, got {text!r}")
    return shares


def curve_proposals(
    policy: Policy, runs: list[list[Payslip]], points: Sequence[Decimal], min_agents: int
) -> tuple[list[Proposal], list[str]]:
    """Threshold, target and stretch of each linear KPI at the values `points` percent of agents reach."""
    proposals: list[Proposal] = []
    kept: list[str] = []
    problems: list[str] = []
    for index, (code, kpi) in enumerate(policy.kpis.items()):
        score = kpi.score
        if not isinstance(score, LinearScore):
            kept.append(code)
            continue
        values = [value for _, value in counted(runs, index)]
        found, problem = place_points(policy, code, score, ("kpis", code, "score"), values, points, min_agents)
        proposals += found
        problems += problem
    if problems:
        raise MetricsError(problems)
    return proposals, kept


def grade_proposals(
    policy: Policy, scores: list[Decimal], shares: dict[str, Decimal], min_agents: int
) -> list[Proposal]:
    """Each grade's min_score at the score that leaves the wanted share of agents at or above it; the lowest
    grade keeps 0."""
    if len(scores) < min_agents:
        raise MetricsError(
            f"{policy.path}: grades: {len(scores)} scores in the history; calibration needs at least {min_agents}"
        )
    proposals = []
    above = ZERO
    ordered = policy.grades_high_to_low()
    index = {grade.grade: i for i, grade in enumerate(policy.grades)}
    for grade in ordered[:-1]:
        above += shares[grade.grade]
        at = HUNDRED - above
        new = readable(percentile(scores, at), Decimal("0.0001"))
        proposals.append(Proposal(("grades", index[grade.grade], "min_score"), grade.min_score, new, at, len(scores)))
    news = [proposal.new for proposal in proposals]
    if any(a <= b for a, b in itertools.pairwise(news)) or (news and news[-1] <= 0):
        raise MetricsError(
            f"{policy.path}: grades: the cut-offs for {text_shares(shares)} would be {', '.join(map(str, news))}; "
            f"the scores do not spread enough for a distinct min_score per grade"
        )
    return proposals


def text_shares(shares: dict[str, Decimal]) -> str:
    return ",".join(f"{name}:{share}" for name, share in shares.items())


def applied(policy: Policy, proposals: Sequence[Proposal]) -> Policy:
    """The policy in memory with the proposed numbers (a target bonus that is a share stays a share)."""
    for proposal in proposals:
        policy = _set(policy, proposal.path, proposal.new)
    return policy


def _set(holder: Any, path: tuple[str | int, ...], value: Decimal) -> Any:
    if not path:
        return Share(percent=value) if isinstance(holder, Share) else value
    head, rest = path[0], path[1:]
    if isinstance(holder, dict):
        return {**holder, head: _set(holder[head], rest, value)}
    if isinstance(holder, list):
        changed = list(holder)
        changed[int(head)] = _set(holder[int(head)], rest, value)
        return changed
    return holder.model_copy(update={str(head): _set(getattr(holder, str(head)), rest, value)})


def budget_proposals(
    policy: Policy, runs: list[list[Payslip]], budget: Decimal, step: Decimal, mode: str
) -> list[Proposal]:
    """Each role's target bonus scaled by budget / the mean bonus a run of the history pays."""
    paid_in = sorted({slip.currency for slips in runs for slip in slips})
    if len(paid_in) > 1:
        raise UsageProblem(
            f"the history pays bonuses in {', '.join(paid_in)}; a budget is money of one currency, and bonuses of "
            f"two currencies are never added up to meet it",
            "--budget",
        )
    spent = sum((slip.bonus for slips in runs for slip in slips), ZERO) / len(runs)
    if not spent:
        raise MetricsError(f"{policy.path}: the history pays no bonus, so nothing can be scaled to a budget")
    factor = budget / spent
    proposals = []
    for name, role in policy.roles.items():
        old = target_of(role)
        if isinstance(role.target_bonus, Share):
            new = readable(old * factor, Decimal("0.1"))
        else:
            new = round_to(old * factor, step, mode)
        proposals.append(Proposal(("roles", name, "target_bonus"), old, new, None, sum(map(len, runs))))
    return proposals


def target_of(role: Role) -> Decimal:
    """A role's target bonus as written: an amount, or a share's percentage."""
    return role.target_bonus.percent if isinstance(role.target_bonus, Share) else role.target_bonus


def check_usage(policy: Policy, by: str | None = None) -> None:
    if not any(isinstance(kpi.score, LinearScore) for kpi in policy.kpis.values()):
        raise UsageProblem(f"{policy.path} scores every KPI by bands; calibrate proposes linear curve points", "POLICY")
    if policy.versions:
        raise UsageProblem(
            f"{policy.path} has values that change on dates, and calibrate writes one value per key; calibrate a "
            f"copy of the policy as it stands, then date the proposed values in it",
            "POLICY",
        )
    if by is not None:
        check_by(policy, by)


def calibrate(
    policy: Policy,
    paths: Sequence[Path],
    period: Period | None = None,
    *,
    points: Sequence[Decimal] = DEFAULT_POINTS,
    grades: dict[str, Decimal] | None = None,
    budget: Decimal | None = None,
    by: str | None = None,
    min_agents: int = MIN_AGENTS,
    rosters: Sequence[Path] = (),
    encoding: str | None = None,
    delimiter: str | None = None,
) -> Calibration:
    """The proposals for a policy from its history: curve points (with `by`, a curve per group of that
    column as well), then (with `grades`) the cut-offs on the scores the new curves give, then (with
    `budget`) the target bonuses scaled to it."""
    check_usage(policy, by)

    def runs_of(changed: Policy) -> list[list[Payslip]]:
        return history_payslips(changed, paths, period, rosters, encoding, delimiter)

    history = runs_of(policy if by is None else reading(policy, by))
    proposals, kept = curve_proposals(policy, history, points, min_agents)
    added: dict[str, list[str]] = {}
    unseen: list[tuple[str, str]] = []
    base = policy
    if by is not None:
        grouped, added, unseen = group_proposals(policy, history, by, points, min_agents)
        codes = list(policy.kpis)
        # Each KPI's own curve, then its groups' (a stable sort keeps each part's order).
        proposals = sorted([*proposals, *grouped], key=lambda proposal: codes.index(str(proposal.path[1])))
        base = with_groups(policy, by, added)
    if grades is not None:
        scores = [slip.score for slips in runs_of(applied(base, proposals)) for slip in slips if slip.score is not None]
        proposals += grade_proposals(policy, scores, grades, min_agents)
    if budget is not None:
        rounding = policy.rounding
        proposals += budget_proposals(policy, runs_of(applied(base, proposals)), budget, rounding.step, rounding.mode)
    return Calibration(proposals, applied(base, proposals), kept, by, added, unseen)


def calibrated_text(policy: Policy, calibration: Calibration) -> str:
    """The policy file's text with the proposed numbers in place: comments, key order, flow or block style
    and quotes kept (ruamel.yaml's round trip); a KPI given curves by group gains `by` and `groups` after
    its score, each new group's curve written like the score; the version gains "-calibrated"."""
    import io

    from cspay.rollout.case_file import guess_layout, round_trip

    text = Path(policy.path).read_text(encoding="utf-8-sig")
    yaml = round_trip(guess_layout(text))
    data = yaml.load(text)
    for code, names in calibration.added.items():
        add_groups(data["kpis"][code], calibration.by or "", names)
    for proposal in calibration.proposals:
        holder = data
        for step in proposal.path[:-1]:
            holder = holder[step]
        old = holder[proposal.path[-1]]
        holder[proposal.path[-1]] = (
            f"{proposal.new}%" if isinstance(old, str) and old.strip().endswith("%") else proposal.new
        )
    data["version"] = f"{data['version']}-calibrated"
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    return buffer.getvalue()


def proposal_data(proposal: Proposal) -> dict[str, Any]:
    return {
        "key": dotted(proposal.path),
        "old": None if proposal.old is None else str(proposal.old),
        "new": str(proposal.new),
        "percentile": None if proposal.percentile is None else str(proposal.percentile),
        "sample": proposal.sample,
    }


def calibration_groups(calibration: Calibration) -> dict[str, Any]:
    """With --by, for JSON: the column, the groups each KPI gains, and its groups no agent was in."""
    unseen = [{"kpi": code, "group": name} for code, name in calibration.unseen]
    return {"by": calibration.by, "added": calibration.added, "unseen": unseen}
