"""Numbers, amounts and KPI values written for one policy in one language, for every explanation."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_DOWN, Decimal

from cspay.engine.moves import tidy
from cspay.engine.rounding import round_to
from cspay.i18n import Words
from cspay.policy.model import Policy

FOUR_PLACES = Decimal("0.0001")
DASH = "—"


class Wording:
    """Numbers, amounts and values written for one policy in one language."""

    def __init__(self, policy: Policy, words: Words, currency: str | None = None) -> None:
        self.words = words
        self.currency = currency or policy.currency  # a payslip's amounts are in its own currency
        self.step, self.mode = policy.rounding_step(self.currency), policy.rounding.mode
        self.units = {code: kpi.unit for code, kpi in policy.kpis.items()}

    def money(self, amount: Decimal | None) -> str:
        """An amount as the payslip would write it (intermediate amounts rounded only for display); a dash
        for an amount a payslip does not have."""
        if amount is None:
            return DASH
        return self.words.money(round_to(amount, self.step, self.mode), self.currency)

    def signed_money(self, amount: Decimal) -> str:
        return ("+" if amount > 0 else "") + self.money(amount)

    def value(self, unit: str, value: Decimal | None) -> str:
        """A KPI value in its unit: 92.5%, 0.81, 335 s."""
        if value is None:
            return self.words("pos.no_value")
        return self.words(f"unit.{unit}", value=value)

    def change(self, unit: str, change: Decimal) -> str:
        """A change of a KPI value, signed; a change of a percentage is in percentage points."""
        sign = "+" if change > 0 else ""
        key = "unit.percent_points" if unit == "percent" else f"unit.{unit}"
        return self.words(key, value=f"{sign}{tidy(change)}")


def _tidy(value: Decimal | None) -> str:
    return DASH if value is None else str(tidy(value))


def cut(value: Decimal | None) -> str:
    """A score cut (not rounded) to 4 places, so it never shows above what it reached."""
    return DASH if value is None else str(value.quantize(FOUR_PLACES, rounding=ROUND_DOWN))


def cut_up(value: Decimal) -> str:
    """A score gap rounded up to 4 places, so following it never falls a hair short."""
    return str(value.quantize(FOUR_PLACES, rounding=ROUND_CEILING))
