"""Settling pay across periods: corrections of a closed period, carried into the next one, and true-ups."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from cspay.engine.types import Line, Payslip, is_bonus

ZERO = Decimal(0)
CORRECTION_CODE = "adjustment.correction"
TRUE_UP_CODE = "true_up"
TRUE_UP_LABEL = "Bonus true-up"


@dataclass(frozen=True)
class Difference:
    """How much more (or less) one line of one agent's payslip should have paid."""

    agent_id: str
    code: str
    label: str
    amount: Decimal


@dataclass(frozen=True)
class Pending:
    """A recorded difference not yet paid, and the period it belongs to."""

    id: int
    period: str
    agent_id: str
    amount: Decimal


def differences(paid: dict[str, list[Line]], corrected: Iterable[Payslip]) -> list[Difference]:
    """Corrected minus paid, per agent and line code, leaving out lines that did not change.

    An agent only in the corrected run is owed all of it; an agent only in the paid run owes it back.
    """
    found = []
    corrected_lines = {slip.agent_id: slip.lines for slip in corrected}
    for agent_id in dict.fromkeys([*paid, *corrected_lines]):
        before = _by_code(paid.get(agent_id, []))
        after = _by_code(corrected_lines.get(agent_id, []))
        for code in dict.fromkeys([*before, *after]):
            label = (after.get(code) or before[code])[0]
            change = after.get(code, (label, ZERO))[1] - before.get(code, (label, ZERO))[1]
            if change:
                found.append(Difference(agent_id, code, label, change))
    return found


def _by_code(lines: list[Line]) -> dict[str, tuple[str, Decimal]]:
    """Each code's label and amount; a payslip paid in parts has a line per part, added up."""
    found: dict[str, tuple[str, Decimal]] = {}
    for line in lines:
        found[line.code] = (line.label, found.get(line.code, (line.label, ZERO))[1] + line.amount)
    return found


def add_corrections(payslips: list[Payslip], pending: list[Pending]) -> list[Pending]:
    """Give each agent one `adjustment.correction` line carrying their pending differences.

    Returns the differences that found a payslip; the others (agents who have left) stay pending.
    """
    by_agent: dict[str, list[Pending]] = {}
    for item in pending:
        by_agent.setdefault(item.agent_id, []).append(item)
    settled = []
    for slip in payslips:
        items = by_agent.get(slip.agent_id)
        if not items:
            continue
        periods = ", ".join(dict.fromkeys(item.period for item in items))
        amount = sum((item.amount for item in items), ZERO)
        slip.lines.append(Line(CORRECTION_CODE, f"Correction for {periods}", amount))
        settled += items
    return settled


def add_true_ups(payslips: list[Payslip], paid: dict[str, Decimal], claw_back: bool) -> None:
    """Replace each payslip's bonus lines (each part's, and a team part) by one true-up line: the period's
    bonus less what its months already paid.

    Without claw_back an agent who was paid more than the period earns keeps it: the line is 0, not negative.
    """
    for slip in payslips:
        earned = slip.bonus  # every bonus line: each part's, and a team part
        due = earned - paid.get(slip.agent_id, ZERO)
        if due < 0 and not claw_back:
            due = ZERO.quantize(earned)  # 0.00, in the places of the bonus
        first = next((i for i, line in enumerate(slip.lines) if is_bonus(line.code)), None)
        if first is None:
            continue
        kept = [line for line in slip.lines if not is_bonus(line.code)]
        slip.lines = [*kept[:first], Line(TRUE_UP_CODE, TRUE_UP_LABEL, due), *kept[first:]]


def extra_codes(standard: Iterable[str], payslips: Iterable[Payslip]) -> list[str]:
    """Line codes the payslips carry beyond the policy's own, in order of first appearance."""
    known = set(standard)
    return list(dict.fromkeys(line.code for slip in payslips for line in slip.lines if line.code not in known))
