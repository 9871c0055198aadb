"""The pay rules, each written once: the general path (Engine.settle), the columnar path, explanations,
what-moves and lint all call these. A rule about a boundary states on which side the boundary falls.

Rounding is cspay.engine.rounding; a KPI's curve or bands, cspay.engine.curves; a gate's condition and
effect, the policy's Gate; the budget's share-out, cspay.engine.budget.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from cspay.engine.rounding import round_to
from cspay.engine.types import BASE_PAY_LABEL, BONUS_LABEL, FLOOR_LABEL, TEAM_BONUS_LABEL
from cspay.i18n import DEFAULT_LANGUAGE, catalog
from cspay.policy.model import Adjustment, Policy

ZERO = Decimal(0)
ONE = Decimal(1)


def too_few(volume: Decimal, at_least: Decimal) -> bool:
    """Whether a KPI's min_volume leaves it out: its volume column is below `at_least` (at it, it counts)."""
    return volume < at_least


def score_of(weighted: Decimal, total_weight: Decimal) -> Decimal | None:
    """The score: Σ(weight × KPI score) / Σ(weight) over the KPIs counted; None when none counts."""
    return weighted / total_weight if total_weight else None


def grade_index(ascending: Sequence[Decimal], score: Decimal) -> int:
    """Which grade a score earns, as an index into the grades from high to low: the first whose min_score
    the score reaches. A score equal to a min_score reaches that grade. `ascending` is every grade's
    min_score, sorted ascending (they are distinct, and one is 0)."""
    return len(ascending) - bisect_right(ascending, score)


def basis_bonus(by_score: bool, target: Decimal, score: Decimal, multiplier: Decimal) -> Decimal:
    """The bonus before gates and cap: target × score (basis: score) or target × the grade's multiplier."""
    return target * score if by_score else target * multiplier


def capped(bonus: Decimal, cap: Decimal | None) -> tuple[Decimal, bool]:
    """The bonus after the cap (an amount, or None for no cap), and whether the cap cut it. A bonus equal to
    the cap is not cut."""
    if cap is not None and bonus > cap:
        return cap, True
    return bonus, False


def proration_factor(worked: Decimal | None, full: Decimal) -> Decimal:
    """min(worked / full, 1); 1 without a proration column."""
    return ONE if worked is None else min(worked / full, ONE)


@dataclass(frozen=True)
class AdjustmentAmount:
    """An adjustment worked out: the units counted (over the threshold), units × per_unit, and the amount
    after the limit (a floor when negative, a ceiling when positive)."""

    units: Decimal
    raw: Decimal
    amount: Decimal
    limited: bool


def adjustment_amount(adjustment: Adjustment, value: Decimal) -> AdjustmentAmount:
    """The adjustment for a column's value, before rounding. Units are the value above `over` (never below 0)."""
    units = value if adjustment.over is None else max(value - adjustment.over, ZERO)
    raw = units * adjustment.per_unit
    limit = adjustment.limit
    if limit is None:
        return AdjustmentAmount(units, raw, raw, False)
    amount = max(raw, limit) if limit < 0 else min(raw, limit)
    return AdjustmentAmount(units, raw, amount, amount != raw)


def top_up(minimum: Decimal | None, gross: Decimal) -> Decimal | None:
    """What brings gross up to the floor: minimum − gross exactly, when gross is below it; else None."""
    if minimum is None or gross >= minimum:
        return None
    return minimum - gross


def one_off_problem(policy: Policy, code: str, amount: Decimal) -> str | None:
    """Why the policy does not pay a one-off adjustment of `code` and `amount`, None when it does: the policy
    allows one-off adjustments, the code is one of its codes, and the amount is not 0, not beyond
    `max_amount` either way (at it, it pays) and a multiple of the rounding step, as every line is."""
    rules = policy.one_off_adjustments
    if rules is None:
        return f"the policy {policy.policy} allows no one-off adjustments (it has no one_off_adjustments section)"
    if code not in rules.codes:
        return f"the policy {policy.policy} has no one-off code {code!r}; expected one of {', '.join(rules.codes)}"
    if not amount:
        return "expected an amount other than 0"
    if rules.max_amount is not None and abs(amount) > rules.max_amount:
        return f"{amount} is beyond the policy's max_amount of {rules.max_amount} (either way)"
    step = policy.rounding.step
    if round_to(amount, step, policy.rounding.mode) != amount:
        return f"{amount} is not a multiple of the policy's rounding step {step}"
    return None


def line_codes(policy: Policy) -> list[tuple[str, str]]:
    """Every payslip line the policy can produce, in payslip order, with its label."""
    codes = [("base_pay", BASE_PAY_LABEL)]
    allowances = dict.fromkeys(name for role in policy.roles.values() for name in role.allowances)
    codes += [(f"allowance.{name}", name) for name in allowances]
    codes.append(("bonus", BONUS_LABEL))
    if any(role.team_share for role in policy.roles.values()):
        codes.append(("bonus.team", TEAM_BONUS_LABEL))
    codes += [(f"adjustment.{name}", a.label or name) for name, a in policy.adjustments.items()]
    if policy.floor is not None:
        codes.append(("floor", policy.floor.label or FLOOR_LABEL))
    return codes


def run_line_codes(policy: Policy, extra_codes: Iterable[str] = ()) -> list[tuple[str, str]]:
    """The lines a run's payslips show, in payslip order: the policy's lines that the run pays, then
    lines the ledger added (corrections, true-ups, one-off adjustments), each with its label."""
    english = catalog(DEFAULT_LANGUAGE)
    one_off = policy.one_off_adjustments.codes if policy.one_off_adjustments is not None else {}
    codes = [(code, label) for code, label in line_codes(policy) if policy.pays_line(code)]
    return codes + [
        (code, one_off.get(code.removeprefix("one_off."), code) if code.startswith("one_off.") else
         english.get(f"line.{code}", code))
        for code in extra_codes
    ]  # fmt: skip
