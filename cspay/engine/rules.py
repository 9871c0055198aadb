"""The pay rules that every way of paying calls: which lines a policy pays, and how each is worked out."""

from __future__ import annotations

from cspay.engine.types import BASE_PAY_LABEL, BONUS_LABEL, FLOOR_LABEL
from cspay.policy.model import Policy


def line_codes(policy: Policy) -> list[tuple[str, str]]:
    """Every payslip line the policy can produce, in payslip order, with its label."""
    codes = [("base_pay", BASE_PAY_LABEL)]
    allowances = dict.fromkeys(name for role in policy.roles.values() for name in role.allowances)
    codes += [(f"allowance.{name}", name) for name in allowances]
    codes.append(("bonus", BONUS_LABEL))
    codes += [(f"adjustment.{name}", a.label or name) for name, a in policy.adjustments.items()]
    if policy.floor is not None:
        codes.append(("floor", policy.floor.label or FLOOR_LABEL))
    return codes
