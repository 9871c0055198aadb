"""What a policy can pay: the values each unit allows, the scores they reach, and the bonus at a score.

Bonus amounts here are shares of target bonus (1 = the role's target bonus, for a full month), so one
computation holds for every role; multiply by a role's target bonus for money.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from itertools import pairwise

from cspay.cells import UNIT_RANGES, in_range
from cspay.engine.curves import scorer_of
from cspay.engine.rules import basis_bonus, grade_index
from cspay.engine.rules import capped as cap_bonus
from cspay.policy.model import BandScore, Gate, Kpi, Policy, Score

ZERO = Decimal(0)
ONE = Decimal(1)


def scorer(score: Score) -> Callable[[Decimal], Decimal]:
    """The engine's scoring function of a curve or band list, returning the score alone."""
    scored = scorer_of(score)
    return lambda value: scored(value)[0]


def breakpoints(score: Score) -> list[Decimal]:
    """The values where a curve bends or a band starts."""
    if isinstance(score, BandScore):
        return [band.from_ for band in score.bands]
    return [score.threshold, score.target, score.stretch]


def reachable_scores(kpi: Kpi) -> list[Decimal]:
    """The KPI's score at every breakpoint and range end a cell can hold, on each of its curves (a KPI by
    group has one per group): its extremes are among them."""
    low, high = UNIT_RANGES[kpi.unit]
    found = []
    for _, curve in kpi.curves():
        values = [v for v in [*breakpoints(curve), low, high] if v is not None and in_range(kpi.unit, v)]
        score = scorer(curve)
        found += [score(value) for value in values]
    return found or [ZERO]


def can_fall_short(unit: str, score: Score) -> bool:
    """Whether a cell of the unit can hold a value worse than a linear curve's threshold (where it scores 0)."""
    low, high = UNIT_RANGES[unit]
    if isinstance(score, BandScore):
        return True  # below the first band scores 0, and a cell can hold any such value
    threshold = score.threshold
    if score.higher_is_better:
        return low is None or low < threshold
    return high is None or high > threshold


def can_be_left_out(kpi: Kpi) -> bool:
    """A KPI with a minimum volume or `missing: exclude` may drop out of an agent's score."""
    return kpi.min_volume is not None or kpi.missing == "exclude"


def highest_score(policy: Policy, fixed: dict[str, Decimal] | None = None) -> Decimal:
    """The highest score an agent can reach; `fixed` pins some KPIs' scores (e.g. at a gate's limit).

    The score is a weighted average over the KPIs not left out, so leaving out a KPI that scores below
    the average raises it: drop such KPIs, lowest first, while that helps. Each step compares the
    averages themselves, so a division's last-digit rounding cannot drop a KPI that ties the average.
    """
    fixed = fixed or {}
    kept = [
        (kpi.weight, fixed.get(code, max(reachable_scores(kpi))), can_be_left_out(kpi))
        for code, kpi in policy.kpis.items()
        if kpi.weight > 0
    ]
    if not kept:
        return ZERO
    while len(kept) > 1:
        droppable = [entry for entry in kept if entry[2]]
        if not droppable:
            break
        lowest = min(droppable, key=lambda entry: entry[1])
        rest = [entry for entry in kept if entry is not lowest]
        if _average(rest) <= _average(kept):
            break
        kept = rest
    return _average(kept)


def _average(entries: list[tuple[Decimal, Decimal, bool]]) -> Decimal:
    return sum((w * s for w, s, _ in entries), ZERO) / sum((w for w, _, _ in entries), ZERO)


def multiplier_at(policy: Policy, score: Decimal) -> Decimal:
    """The multiplier of the grade a score earns."""
    grades, ascending = policy.grade_ladder
    return grades[grade_index(ascending, score)].multiplier


def before_cap(policy: Policy, score: Decimal) -> Decimal:
    """The bonus at a score, before gates and cap, as a share of target bonus."""
    return basis_bonus(policy.bonus.basis == "score", ONE, score, multiplier_at(policy, score))


def capped(policy: Policy, bonus: Decimal) -> Decimal:
    """A bonus (a share of target bonus) after the policy's cap (a share too)."""
    return cap_bonus(bonus, policy.bonus.cap)[0]


def bonus_at(policy: Policy, score: Decimal) -> Decimal:
    """The bonus at a score with no gate holding, as a share of target bonus."""
    return capped(policy, before_cap(policy, score))


def largest_jump(policy: Policy, step: Decimal, top: Decimal) -> Decimal:
    """The largest bonus change a score step of `step` can cause anywhere in 0..top.

    The bonus is a step function of the score (grade basis) or linear up to the cap (score basis), so
    the largest change is found where `score` or `score + step` sits on a grade's min_score or the cap.
    """
    edges = [grade.min_score for grade in policy.grades]
    if policy.bonus.cap is not None:
        edges.append(policy.bonus.cap)
    starts = {ZERO, top - step, *edges, *(edge - step for edge in edges)}
    jumps = [abs(bonus_at(policy, s + step) - bonus_at(policy, s)) for s in starts if 0 <= s <= top - step]
    return max(jumps, default=ZERO)


def grade_steps(policy: Policy, top: Decimal) -> list[tuple[int, int, Decimal]]:
    """(grade index, index of the grade below it, bonus change) at each reachable grade boundary."""
    order = sorted(range(len(policy.grades)), key=lambda i: policy.grades[i].min_score)
    steps = []
    for lower, upper in pairwise(order):
        if policy.grades[upper].min_score <= top:
            change = capped(policy, policy.grades[upper].multiplier) - capped(policy, policy.grades[lower].multiplier)
            steps.append((upper, lower, change))
    return steps


def gate_drop(policy: Policy, gate: Gate) -> Decimal:
    """The largest bonus a gate can take away when its metric crosses the limit.

    A gate acts before the cap, so the drop is largest for the highest bonus the cap still lets through;
    a gate on a KPI by group is weighed on each group's curve, and the largest drop counts.
    """
    fixed: list[dict[str, Decimal]] = [{}]
    if gate.kpi is not None:
        curves = policy.kpis[gate.kpi].curves()
        fixed = [{gate.kpi: scorer(curve)(gate.condition.limit)} for _, curve in curves]
    return max(_drop(policy, gate, highest_score(policy, pinned)) for pinned in fixed)


def _drop(policy: Policy, gate: Gate, top: Decimal) -> Decimal:
    if policy.bonus.basis == "score":
        bonuses = [top] + ([policy.bonus.cap] if policy.bonus.cap is not None and policy.bonus.cap < top else [])
    else:
        bonuses = [grade.multiplier for grade in policy.grades if grade.min_score <= top]
    return max((abs(capped(policy, b) - capped(policy, gate.then.apply(b))) for b in bonuses), default=ZERO)


def gate_fires(gate: Gate, unit: str) -> str | None:
    """ "never" or "always" when a gate on a KPI of this unit cannot help it, else None."""
    name = gate.condition.name
    low, high = UNIT_RANGES[unit]
    lowest_fires = gate.holds(low) if low is not None else name in ("below", "at_most")
    highest_fires = gate.holds(high) if high is not None else name in ("above", "at_least")
    if lowest_fires == highest_fires:  # conditions are one-sided, so the ends settle it
        return "always" if lowest_fires else "never"
    return None
