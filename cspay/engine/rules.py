"""The pay rules that every way of paying calls: which lines a policy pays, and how each is worked out."""

from __future__ import annotations

from collections.abc import Iterable

from cspay.engine.types import BASE_PAY_LABEL, BONUS_LABEL, FLOOR_LABEL
from cspay.i18n import DEFAULT_LANGUAGE, catalog
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


def run_line_codes(policy: Policy, extra_codes: Iterable[str] = ()) -> list[tuple[str, str]]:
    """The lines a run's payslips show, in payslip order: the policy's lines that the run pays, then
    lines the ledger added (corrections, true-ups), each with its label."""
    english = catalog(DEFAULT_LANGUAGE)
    codes = [(code, label) for code, label in line_codes(policy) if policy.pays_line(code)]
    return codes + [(code, english.get(f"line.{code}", code)) for code in extra_codes]
