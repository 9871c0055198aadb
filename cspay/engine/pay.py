"""Paying rows: each agent's payslip as the rows arrive, and a run's payslips with the budget and totals."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from cspay.engine.compiled import Engine
from cspay.engine.types import AgentRow, Payslip, Summary
from cspay.policy.model import Policy


def iter_payslips(policy: Policy, rows: Iterable[AgentRow]) -> Iterator[Payslip]:
    """Payslips one by one, as the rows arrive (memory stays flat)."""
    engine = Engine(policy)
    for row in rows:
        yield engine.payslip(row)


@dataclass
class PayRun:
    """The payslips of a run and their summary."""

    policy: Policy
    payslips: list[Payslip]
    summary: Summary


def compute(policy: Policy, rows: Iterable[AgentRow]) -> PayRun:
    """Every agent's payslip and the totals, in the order of the rows."""
    return pay_run(policy, list(iter_payslips(policy, rows)))


def pay_run(policy: Policy, payslips: list[Payslip]) -> PayRun:
    """The run of these payslips: the bonus budget applied when the policy has one, and the totals."""
    summary = Summary()
    if policy.budget is not None:
        from cspay.engine.budget import apply_budget  # the pool depends on the whole month, so it is a second pass

        summary.budget = apply_budget(policy, payslips)
        payslips = summary.budget.payslips
    for slip in payslips:
        summary.add(slip)
    return PayRun(policy, payslips, summary)
