"""The bonus budget: when a month's bonuses ask for more than the pool, scale them all to fit it exactly."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_FLOOR, Decimal

from cspay.engine.compiled import Engine
from cspay.engine.rounding import quantum, round_to
from cspay.engine.types import ONE, ZERO, Payslip
from cspay.policy.model import Policy


@dataclass(frozen=True)
class BudgetResult:
    """The month's bonus pool, what the bonuses asked for, the factor they were scaled by, and the payslips."""

    pool: Decimal
    demand: Decimal
    factor: Decimal
    base_pay: Decimal
    payslips: list[Payslip]

    @property
    def scaled(self) -> bool:
        """True when the bonuses asked for more than the pool and were scaled down to it."""
        return self.demand > self.pool


def bonus_pool(policy: Policy, payslips: Sequence[Payslip]) -> tuple[Decimal, Decimal]:
    """The pool in whole rounding steps (rounded down, so it is never exceeded), and the base pay it is
    a share of: the base_pay lines as paid, after proration."""
    base_pay = sum((slip.amount("base_pay") for slip in payslips), ZERO)
    return pool_for(policy, base_pay), base_pay


def pool_for(policy: Policy, base_pay: Decimal) -> Decimal:
    """The policy's pool for a month that paid `base_pay`, rounded down to whole rounding steps."""
    if policy.budget is None:
        raise ValueError("the policy has no budget")
    return round_to(policy.budget.pool(base_pay), policy.rounding.step, ROUND_FLOOR)


def share_out(pool: Decimal, demands: Sequence[tuple[str, Decimal]], step: Decimal) -> list[Decimal]:
    """Each (agent id, amount) scaled by pool / total, in whole steps, the amounts adding up to exactly
    `pool`: each is rounded down, then the steps left go one each to the largest remainders, ties to the
    lower agent id. `pool` and every amount are whole multiples of `step`; pool < total."""
    # In whole steps the sums are integers, so the shares and remainders are exact (no 28-digit rounding).
    asked = [int(amount / step) for _, amount in demands]
    steps, total = int(pool / step), sum(asked)
    whole = [units * steps // total for units in asked]
    remainders = [units * steps % total for units in asked]
    left = steps - sum(whole)
    order = sorted((i for i in range(len(asked)) if remainders[i]), key=lambda i: (-remainders[i], demands[i][0]))
    for i in order[:left]:
        whole[i] += 1
    return [(units * step).quantize(quantum(step)) for units in whole]


def apply_budget(policy: Policy, payslips: Sequence[Payslip], engine: Engine | None = None) -> BudgetResult:
    """The month's payslips with every bonus scaled by pool / demand when the bonuses ask for more than the
    pool (each payslip records the factor, 1 within the pool); the floor line is worked out again after."""
    pool, base_pay = bonus_pool(policy, payslips)
    demands = [(slip.agent_id, line.amount) for slip in payslips for line in slip.lines if _scaled(line.code)]
    demand = sum((amount for _, amount in demands), ZERO)
    if demand <= pool:
        kept = [replace(slip, budget_factor=ONE) for slip in payslips]
        return BudgetResult(pool, demand, ONE, base_pay, kept)
    factor = pool / demand
    bonuses = iter(share_out(pool, demands, policy.rounding.step))
    engine = engine or Engine(policy)
    scaled = [_with_bonus(engine, slip, bonuses, factor) for slip in payslips]
    return BudgetResult(pool, demand, factor, base_pay, scaled)


def _scaled(code: str) -> bool:
    """The lines a budget scales: the bonus (one per part of a payslip paid in parts) and its team part."""
    return code == "bonus" or code.startswith("bonus.")


def _with_bonus(engine: Engine, slip: Payslip, bonuses: Iterator[Decimal], factor: Decimal) -> Payslip:
    """The payslip with each bonus line's amount the next of `bonuses`, and the floor worked out again."""
    lines = [
        replace(line, amount=next(bonuses)) if _scaled(line.code) else line
        for line in slip.lines
        if line.code != "floor"
    ]
    # A smaller bonus may take gross below the floor: the engine's own floor rule decides the top-up again.
    floor = engine.top_up(sum((line.amount for line in lines), ZERO))
    lines += [floor] if floor is not None else []
    return replace(slip, lines=lines, budget_factor=factor)


def at_factor(engine: Engine, slip: Payslip, factor: Decimal) -> Payslip:
    """The payslip with its bonus lines scaled by a budget factor, each rounded down to the step -- an
    agent's share before the steps left over go to the largest remainders -- and the floor worked out again."""
    step = engine.policy.rounding.step
    bonuses = [round_to(line.amount * factor, step, ROUND_FLOOR) for line in slip.lines if _scaled(line.code)]
    return _with_bonus(engine, slip, iter(bonuses), factor)
