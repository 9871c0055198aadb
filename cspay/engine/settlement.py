"""Settling pay across periods: corrections of a closed period, carried into the next one, and true-ups."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from cspay.engine.types import Line, Payslip

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
    currency: str = ""  # what the amount is in; a difference never nets two currencies


@dataclass(frozen=True)
class Pending:
    """A recorded difference not yet paid, and the period it belongs to."""

    id: int
    period: str
    agent_id: str
    amount: Decimal
    currency: str = ""  # paid only on a payslip in this currency ("": whatever the payslip's)


def differences(
    paid: dict[str, list[Line]], corrected: Iterable[Payslip], paid_in: Mapping[str, str] | None = None
) -> list[Difference]:
    """Corrected minus paid, per agent, currency and line code, leaving out lines that did not change.

    An agent only in the corrected run is owed all of it; an agent only in the paid run owes it back.
    `paid_in` is the currency each agent was paid in: an agent the correction pays in another currency
    owes back every line in the old currency and is owed every line in the new, never the two netted.
    """
    found = []
    slips = {slip.agent_id: slip for slip in corrected}
    for agent_id in dict.fromkeys([*paid, *slips]):
        slip = slips.get(agent_id)
        old = (paid_in or {}).get(agent_id, slip.currency if slip is not None else "")
        new = slip.currency if slip is not None else old
        after_lines = slip.lines if slip is not None else []
        pairs = [(paid.get(agent_id, []), after_lines, new)]
        if old != new and agent_id in paid:  # two currencies: each side on its own
            pairs = [(paid[agent_id], [], old), ([], after_lines, new)]
        for before_lines, lines, currency in pairs:
            before, after = _by_code(before_lines), _by_code(lines)
            for code in dict.fromkeys([*before, *after]):
                label = (after.get(code) or before[code])[0]
                change = after.get(code, (label, ZERO))[1] - before.get(code, (label, ZERO))[1]
                if change:
                    found.append(Difference(agent_id, code, label, change, currency))
    return found


def _by_code(lines: list[Line]) -> dict[str, tuple[str, Decimal]]:
    return {line.code: (line.label, line.amount) for line in lines}


def add_corrections(payslips: list[Payslip], pending: list[Pending]) -> list[Pending]:
    """Give each agent one `adjustment.correction` line carrying their pending differences.

    Returns the differences that found a payslip; the others (agents who have left) stay pending.
    """
    by_agent: dict[str, list[Pending]] = {}
    for item in pending:
        by_agent.setdefault(item.agent_id, []).append(item)
    settled = []
    for slip in payslips:
        # Only differences owed in the payslip's currency: one owed in another stays pending.
        items = [item for item in by_agent.get(slip.agent_id, []) if item.currency in ("", slip.currency)]
        if not items:
            continue
        periods = ", ".join(dict.fromkeys(item.period for item in items))
        amount = sum((item.amount for item in items), ZERO)
        slip.lines.append(Line(CORRECTION_CODE, f"Correction for {periods}", amount))
        settled += items
    return settled


def add_true_ups(payslips: list[Payslip], paid: dict[str, Decimal], claw_back: bool) -> None:
    """Replace each bonus line by the period's bonus less what its months already paid.

    Without claw_back an agent who was paid more than the period earns keeps it: the line is 0, not negative.
    """
    for slip in payslips:
        earned = slip.amount("bonus")
        due = earned - paid.get(slip.agent_id, ZERO)
        if due < 0 and not claw_back:
            due = ZERO.quantize(earned)  # 0.00, in the places of the bonus
        slip.lines = [Line(TRUE_UP_CODE, TRUE_UP_LABEL, due) if line.code == "bonus" else line for line in slip.lines]


def extra_codes(standard: Iterable[str], payslips: Iterable[Payslip]) -> list[str]:
    """Line codes the payslips carry beyond the policy's own, in order of first appearance."""
    known = set(standard)
    return list(dict.fromkeys(line.code for slip in payslips for line in slip.lines if line.code not in known))
