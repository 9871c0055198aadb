"""Rounding a payslip line: to a multiple of the policy's step, with its mode."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

ONE = Decimal(1)
ROUNDING_MODES = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN}


def round_to(amount: Decimal, step: Decimal, mode: str) -> Decimal:
    """Round to a multiple of `step` ("half_up" goes away from zero at the half, as in Decimal)."""
    units = (amount / step).to_integral_value(rounding=ROUNDING_MODES.get(mode, mode))
    result = (units * step).quantize(quantum(step))
    return result if result else result.copy_abs()  # never "-0.00" on a payslip


def quantum(step: Decimal) -> Decimal:
    """The exponent a rounded amount is written with: 0.01 for cents, 1 for a step of 1, 5 or 10."""
    return ONE.scaleb(min(step.as_tuple().exponent, 0))
