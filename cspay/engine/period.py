"""Paying a quarter or a year: the policy's monthly amounts over the period's months, and only the
lines the period pays.

The policy's role amounts are monthly, so the engine, unchanged, is given the policy with each role
amount and proration's `full` times the months in the period; lines the policy does not pay in the
run (`pays`) are then left off the payslips.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TypeVar

from cspay.engine.types import Payslip
from cspay.periods import MONTHS_IN
from cspay.policy.model import Policy, Role, RoleIn
from cspay.policy.values import Share


def period_policy(policy: Policy) -> Policy:
    """The policy as the engine applies it to a whole period: monthly role amounts and proration's
    `full` times the months in the period (a share-of-base target bonus follows the base)."""
    months = MONTHS_IN[policy.period]
    if months == 1:
        return policy
    roles = {name: _role_over(role, Decimal(months)) for name, role in policy.roles.items()}
    update: dict[str, object] = {"roles": roles}
    if policy.currencies:  # a role's amounts in other currencies are monthly too
        update["currencies"] = {
            code: terms.model_copy(
                update={"roles": {name: _role_over(role, Decimal(months)) for name, role in terms.roles.items()}}
            )
            for code, terms in policy.currencies.items()
        }
    if policy.proration is not None:
        update["proration"] = policy.proration.model_copy(update={"full": policy.proration.full * months})
    return policy.model_copy(update=update)


def _role_over(role: RoleAmounts, months: Decimal) -> RoleAmounts:
    target = role.target_bonus if isinstance(role.target_bonus, Share) else role.target_bonus * months
    allowances = {name: amount * months for name, amount in role.allowances.items()}
    return role.model_copy(
        update={"base_pay": role.base_pay * months, "target_bonus": target, "allowances": allowances}
    )


RoleAmounts = TypeVar("RoleAmounts", Role, RoleIn)


def paid_only(slip: Payslip, policy: Policy) -> Payslip:
    """The payslip without the lines the policy does not pay in this run (e.g. base pay in a quarter)."""
    slip.lines = [line for line in slip.lines if policy.pays_line(line.code)]
    return slip
