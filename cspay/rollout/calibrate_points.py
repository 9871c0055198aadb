"""Placing a curve's threshold, target and stretch at the values a share of agents reach in the history: the
step calibration takes for a KPI's own curve and for each group's."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from cspay.engine.moves import tidy
from cspay.engine.rounding import exponent
from cspay.engine.types import Payslip
from cspay.inputs.figures import percentile
from cspay.policy.model import LinearScore, Policy

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Proposal:
    """One proposed number: where it goes, its old value (None for a group's new curve), its new value, the
    percentile it is and of how many."""

    path: tuple[str | int, ...]
    old: Decimal | None
    new: Decimal
    percentile: Decimal | None
    sample: int


def quantum_of(points: Sequence[Decimal]) -> Decimal:
    """One decimal place finer than the finest the policy writes the points with (80 -> 0.1, 0.65 -> 0.001)."""
    return Decimal(1).scaleb(min(min(exponent(point) for point in points), 0) - 1)


def readable(value: Decimal, quantum: Decimal) -> Decimal:
    return tidy(value.quantize(quantum, rounding=ROUND_HALF_EVEN))


def counted(runs: list[list[Payslip]], index: int) -> Iterator[tuple[Payslip, Decimal]]:
    """Each payslip of the history with the value of its KPI `index`, when the run counted it."""
    for slips in runs:
        for slip in slips:
            result = slip.kpis[index]
            if result.value is not None and result.left_out is None:
                yield slip, result.value


def place_points(
    policy: Policy,
    code: str,
    score: LinearScore,
    path: tuple[str | int, ...],
    values: list[Decimal],
    points: Sequence[Decimal],
    min_agents: int,
    *,
    new: bool = False,
    of: str = "",
) -> tuple[list[Proposal], list[str]]:
    """A curve's threshold, target and stretch at the values `points` percent of agents reach, placed like
    `score` (its direction, one place finer than its points); or the problem: too few values, too close."""
    where = f"{policy.path}: {dotted(path[:-1] if path[-1] == 'score' else path)}"
    if len(values) < min_agents:
        return [], [
            f"{where}: {len(values)} agent values{of} counted in the history; calibration needs at least "
            f"{min_agents} (--min-agents) to place a percentile, not a guess"
        ]
    quantum = quantum_of([score.threshold, score.target, score.stretch])
    found = []
    for name, reached in zip(("threshold", "target", "stretch"), points, strict=True):
        # Higher is better: a value reached by 90% of agents is the 10th percentile; lower is better, the 90th.
        at = HUNDRED - reached if score.higher_is_better else reached
        value = readable(percentile(values, at), quantum)
        found.append(Proposal((*path, name), None if new else getattr(score, name), value, at, len(values)))
    news = [proposal.new for proposal in found]
    if not (news[0] < news[1] < news[2] or news[0] > news[1] > news[2]):
        return [], [
            f"{where}: the values{of} at the {', '.join(str(p.percentile) for p in found)}th percentiles are "
            f"{', '.join(map(str, news))} over {len(values)} agent values; they do not spread enough for three "
            f"distinct points"
        ]
    return found, []


def dotted(path: tuple[str | int, ...]) -> str:
    """kpis.csat.score.threshold, grades[0].min_score."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else step)
    return text
