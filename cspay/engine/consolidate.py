"""A consolidated view of a run paid in several currencies: each currency's totals converted into one
currency at a rate dated in the period, for reporting. Pay itself is never converted: every payslip is paid
in its own currency, and the totals of each currency stay what they are.

A rate says what one unit of a currency is worth in the consolidation currency on a date; the product of
an exact total and an exact rate is exact, so a converted amount keeps every digit (nothing is rounded).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from cspay.engine.types import ZERO, Summary

ONE = Decimal(1)


@dataclass(frozen=True)
class Rate:
    """1 `source` = `rate` `target` on `day`, as row `line` of a rates file says."""

    day: date
    source: str
    target: str
    rate: Decimal
    line: int = 0


@dataclass(frozen=True)
class Converted:
    """One currency's totals, the rate used (1 and no date for the consolidation currency itself), and the
    totals converted."""

    currency: str
    gross: Decimal
    bonus: Decimal
    rate: Decimal
    date: date | None

    @property
    def converted_gross(self) -> Decimal:
        return self.gross * self.rate

    @property
    def converted_bonus(self) -> Decimal:
        return self.bonus * self.rate


@dataclass(frozen=True)
class Consolidation:
    """Every currency's totals converted into `currency`, from the rates of file `source`, and their sums."""

    currency: str
    source: str
    parts: list[Converted]

    @property
    def gross(self) -> Decimal:
        return sum((part.converted_gross for part in self.parts), ZERO)

    @property
    def bonus(self) -> Decimal:
        return sum((part.converted_bonus for part in self.parts), ZERO)


def consolidate(totals: Mapping[str, Summary], currency: str, rates: Mapping[str, Rate], source: str) -> Consolidation:
    """Each currency's totals converted into `currency` by its rate (`rates` has one for every other
    currency paid, chosen for the period by cspay.inputs.rates)."""
    parts = []
    for code, summary in totals.items():
        rate = rates.get(code) if code != currency else None
        if code != currency and rate is None:
            raise KeyError(f"no rate from {code} to {currency}")
        parts.append(
            Converted(
                code, summary.gross, summary.bonus, ONE if rate is None else rate.rate, rate.day if rate else None
            )
        )
    return Consolidation(currency, source, parts)
