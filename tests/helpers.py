"""Helpers shared by the tests (fixtures live in conftest.py)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from cspay.engine.compiled import Engine
from cspay.engine.types import AgentRow, Payslip
from cspay.policy.model import Policy


def iter_payslips(policy: Policy, rows: Iterable[AgentRow]) -> Iterator[Payslip]:
    """Each row's payslip from the engine alone, as the rows arrive: no budget, no period rules."""
    engine = Engine(policy)
    for row in rows:
        yield engine.payslip(row)
