"""`calibrate --by COLUMN`: a curve per group of a column for each linear KPI, from the values of the group's
agents, and the `by` and `groups` keys written into the policy file."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from cspay.cells import is_missing, text_key
from cspay.engine.types import Payslip
from cspay.errors import MetricsError, UsageProblem
from cspay.policy.model import LinearScore, Policy
from cspay.rollout.calibrate_points import Proposal, counted, place_points


def check_by(policy: Policy, by: str) -> None:
    """A KPI has one `by` column: calibrating by another column than the one it is scored by is refused."""
    for code, kpi in policy.kpis.items():
        if kpi.by is not None and text_key(kpi.by) != text_key(by):
            raise UsageProblem(
                f"kpis.{code} of {policy.path} is scored by {kpi.by}; a KPI has one `by` column, so calibrate "
                f"--by {by} cannot give it curves by {by} too",
                "--by",
            )


def group_text(policy: Policy, slip: Payslip, by: str) -> str:
    """An agent's cell in the `by` column: a text column the run read, or the payslip's team or role."""
    if by in slip.groups:
        return slip.groups[by]
    return {policy.agents.team: slip.team, policy.agents.role: slip.role}.get(by, "")


def group_proposals(
    policy: Policy, runs: list[list[Payslip]], by: str, points: Sequence[Decimal], min_agents: int
) -> tuple[list[Proposal], dict[str, list[str]], list[tuple[str, str]]]:
    """A curve per group of the `by` column for each linear KPI, from the values of that group's agents at
    the same percentiles: a group the KPI has a curve for keeps its name, a new one is named as the history
    first writes it (groups are the same ignoring case, width and spacing; an empty cell is no group). Too
    few values in a group is that group's error. Returns the proposals, the groups each KPI gains and the
    KPI's groups no agent of the history is in."""
    proposals: list[Proposal] = []
    added: dict[str, list[str]] = {}
    unseen: list[tuple[str, str]] = []
    problems: list[str] = []
    for index, (code, kpi) in enumerate(policy.kpis.items()):
        if not isinstance(kpi.score, LinearScore):
            continue
        grouped = values_by_group(policy, runs, index, by)
        unseen += [(code, name) for name in kpi.groups if name not in grouped]
        for name, values in grouped.items():
            curve = kpi.groups.get(name, kpi.score)
            if not isinstance(curve, LinearScore):
                continue  # a group scored by bands keeps them, as a KPI does
            of = f" of {by} {name}"
            path = ("kpis", code, "groups", name)
            found, problem = place_points(
                policy, code, curve, path, values, points, min_agents, new=name not in kpi.groups, of=of
            )
            proposals += found
            problems += problem
            if name not in kpi.groups:
                added.setdefault(code, []).append(name)
    if problems:
        raise MetricsError(problems)
    return proposals, added, unseen


def values_by_group(policy: Policy, runs: list[list[Payslip]], index: int, by: str) -> dict[str, list[Decimal]]:
    """The counted values of KPI `index` by group of the `by` column, the KPI's own groups first (named as
    the policy names them), then the others by name, each named as the history first writes it; an empty
    cell is no group."""
    kpi = policy.kpis[list(policy.kpis)[index]]
    grouped: dict[str, list[Decimal]] = {}
    for slip, value in counted(runs, index):
        text = group_text(policy, slip, by)
        if not is_missing(text):
            name = (kpi.curve_group(text) if kpi.by is not None else None) or _named(grouped, text)
            grouped.setdefault(name, []).append(value)
    order = [*(name for name in kpi.groups if name in grouped), *sorted(set(grouped) - set(kpi.groups), key=text_key)]
    return {name: grouped[name] for name in order}


def _named(grouped: dict[str, list[Decimal]], text: str) -> str:
    """The name of a group first seen as `text`: the name already given to text written alike, else the text."""
    key = text_key(text)
    return next((name for name in grouped if text_key(name) == key), text)


def reading(policy: Policy, by: str) -> Policy:
    """The policy as it pays, with its rows also carrying the `by` column's text."""
    section = policy.review.model_copy(update={"by": [*policy.review.by, by]})
    return policy.model_copy(update={"review": section})


def with_groups(policy: Policy, by: str, added: dict[str, list[str]]) -> Policy:
    """The policy with each KPI's new groups scored by `by`, on a copy of the KPI's own curve until the
    proposals place its points."""
    kpis = dict(policy.kpis)
    for code, names in added.items():
        kpi = kpis[code]
        kpis[code] = kpi.model_copy(update={"by": by, "groups": {**kpi.groups, **dict.fromkeys(names, kpi.score)}})
    return policy.model_copy(update={"kpis": kpis})


def add_groups(kpi: Any, by: str, names: list[str]) -> None:
    """Give a KPI's mapping `by` and a curve per new group in `groups`, right after its `score`."""
    from ruamel.yaml.comments import CommentedMap

    if "groups" not in kpi:
        at = list(kpi).index("score") + 1
        kpi.insert(at, "by", by)
        kpi.insert(at + 1, "groups", CommentedMap())
    for name in names:
        curve = CommentedMap(kpi["score"])
        if kpi["score"].fa.flow_style():
            curve.fa.set_flow_style()
        kpi["groups"][name] = curve
