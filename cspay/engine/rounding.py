"""Rounding a payslip line: to a multiple of the policy's step, with its mode. The only place amounts
are rounded; every line of every payslip goes through it."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cspay.policy.model import Policy

ONE = Decimal(1)
ROUNDING_MODES = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN}


class Rounder:
    """Rounds to a multiple of `step` with a mode ("half_up" goes away from zero at the half, as in Decimal;
    a Decimal rounding constant such as ROUND_FLOOR is taken as it is)."""

    __slots__ = ("mode", "places", "step")

    def __init__(self, step: Decimal, mode: str) -> None:
        self.step, self.mode, self.places = step, ROUNDING_MODES.get(mode, mode), quantum(step)

    @classmethod
    def paying(cls, policy: Policy, currency: str) -> Rounder:
        """How the policy rounds a line paid in `currency`: to that currency's step (`rounding.step` for the
        policy's own, a cash step such as CHF 0.05 where the policy gives one, else the ISO 4217 minor unit:
        JPY 1, KWD 0.001), with the policy's mode."""
        return cls(policy.rounding_step(currency), policy.rounding.mode)

    def __call__(self, amount: Decimal) -> Decimal:
        units = (amount / self.step).to_integral_value(rounding=self.mode)
        result = (units * self.step).quantize(self.places)
        return result if result else result.copy_abs()  # never "-0.00" on a payslip


def round_to(amount: Decimal, step: Decimal, mode: str) -> Decimal:
    """`amount` rounded to a multiple of `step` with `mode`."""
    return Rounder(step, mode)(amount)


def quantum(step: Decimal) -> Decimal:
    """The exponent a rounded amount is written with: 0.01 for cents, 1 for a step of 1, 5 or 10."""
    return ONE.scaleb(min(exponent(step), 0))


def exponent(number: Decimal) -> int:
    """The exponent of a finite Decimal as written: -2 for 92.50, 0 for 92, 1 for 9.2E+2."""
    value = number.as_tuple().exponent
    if not isinstance(value, int):
        raise ValueError(f"expected a finite number, got {number}")
    return value
