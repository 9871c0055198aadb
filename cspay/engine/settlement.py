"""Settling pay across periods: corrections of a closed period, carried into the next one, true-ups, and
the one-off adjustments the ledger holds for the period."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from cspay.engine.rounding import round_to
from cspay.engine.types import Line, Payslip, is_bonus
from cspay.i18n import DEFAULT_LANGUAGE, catalog

if TYPE_CHECKING:  # the ledger's reads use this module's types without loading the policy's models
    from cspay.policy.model import Policy

ZERO = Decimal(0)
CORRECTION_CODE = "adjustment.correction"
ONE_OFF_PREFIX = "one_off."
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
    disputes: tuple[int, ...] = ()  # the disputes the correction run that recorded it settled


@dataclass(frozen=True)
class OneOffPay:
    """An approved one-off adjustment to pay: its id in the ledger, the agent, its code, reason and amount."""

    id: int
    agent_id: str
    code: str
    reason: str
    amount: Decimal


def differences(
    paid: dict[str, list[Line]], corrected: Iterable[Payslip], paid_in: Mapping[str, str] | None = None
) -> list[Difference]:
    """Corrected minus paid, per agent, currency and line code, leaving out lines that did not change.

    An agent only in the corrected run is owed all of it; an agent only in the paid run owes it back.
    `paid_in` is the currency each agent was paid in: an agent the correction pays in another currency
    owes back every line in the old currency and is owed every line in the new, never the two netted.
    """
    slips = {slip.agent_id: slip for slip in corrected}
    by_currency = {
        agent_id: {(paid_in or {}).get(agent_id, slips[agent_id].currency if agent_id in slips else ""): lines}
        for agent_id, lines in paid.items()
    }
    return differences_in(by_currency, slips.values())


def differences_in(paid: Mapping[str, Mapping[str, list[Line]]], corrected: Iterable[Payslip]) -> list[Difference]:
    """Corrected minus paid, where each agent may have been paid in several currencies (a correction that
    changed their currency was carried in the new one): per currency, what the corrected payslip pays in it
    less what was paid in it."""
    found = []
    slips = {slip.agent_id: slip for slip in corrected}
    for agent_id in dict.fromkeys([*paid, *slips]):
        slip = slips.get(agent_id)
        before_in = paid.get(agent_id, {})
        currencies = [*before_in, *([slip.currency] if slip is not None and slip.currency not in before_in else [])]
        for currency in currencies:
            before = _by_code(before_in.get(currency, []))
            after = _by_code(slip.lines) if slip is not None and slip.currency == currency else {}
            for code in dict.fromkeys([*before, *after]):
                label = (after.get(code) or before[code])[0]
                change = after.get(code, (label, ZERO))[1] - before.get(code, (label, ZERO))[1]
                if change:
                    found.append(Difference(agent_id, code, label, change, currency))
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
        # Only differences owed in the payslip's currency: one owed in another stays pending.
        items = [item for item in by_agent.get(slip.agent_id, []) if item.currency in ("", slip.currency)]
        if not items:
            continue
        amount = sum((item.amount for item in items), ZERO)
        slip.lines.append(Line(CORRECTION_CODE, correction_label(items), amount))
        settled += items
    return settled


def correction_label(items: list[Pending]) -> str:
    """`Correction for 2026-11`, with the disputes it settles: `Correction for 2026-11 (dispute 3)`."""
    english = catalog(DEFAULT_LANGUAGE)
    periods = ", ".join(dict.fromkeys(item.period for item in items))
    disputes = ", ".join(str(number) for number in dict.fromkeys(d for item in items for d in item.disputes))
    if disputes:
        return english["line.correction_for_disputes"].format(periods=periods, disputes=disputes)
    return english["line.correction_for"].format(periods=periods)


def one_off_line(policy: Policy, item: OneOffPay) -> Line:
    """The payslip line of a one-off adjustment: `one_off.<code>`, labelled with the policy's label for the
    code and the reason given."""
    rules, rounding = policy.one_off_adjustments, policy.rounding
    label = rules.codes[item.code] if rules is not None and item.code in rules.codes else item.code
    amount = round_to(item.amount, rounding.step, rounding.mode)  # a multiple of the step: only its places
    return Line(ONE_OFF_PREFIX + item.code, f"{label}: {item.reason}", amount)


def add_one_offs(policy: Policy, payslips: list[Payslip], items: list[OneOffPay]) -> list[OneOffPay]:
    """Give each agent one line per approved one-off adjustment, after the policy's own lines (the floor
    does not count them). Returns those that found a payslip; the others are for agents not in the run."""
    by_agent: dict[str, list[OneOffPay]] = {}
    for item in items:
        by_agent.setdefault(item.agent_id, []).append(item)
    paid = []
    for slip in payslips:
        for item in by_agent.get(slip.agent_id, []):
            slip.lines.append(one_off_line(policy, item))
            paid.append(item)
    return paid


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


def per_agent(code: str) -> bool:
    """Whether a line's label is the agent's own (a one-off's reason, a correction's periods and disputes),
    not the label of its code: such a label is never shown for the code as a whole (a journal entry)."""
    return code.startswith(ONE_OFF_PREFIX) or code == CORRECTION_CODE


def extra_codes(standard: Iterable[str], payslips: Iterable[Payslip]) -> list[str]:
    """Line codes the payslips carry beyond the policy's own, in order of first appearance."""
    known = set(standard)
    return list(dict.fromkeys(line.code for slip in payslips for line in slip.lines if line.code not in known))
