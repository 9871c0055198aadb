"""Currencies: ISO 4217 codes and the minor unit each is paid in, read from the iso4217 package's copy of
the ISO 4217 list (the maintenance agency's own table, updated with each amendment), never typed by hand."""

from __future__ import annotations

from decimal import Decimal
from functools import cache

EXAMPLES = "CNY, JPY or CHF"


class CurrencyProblem(ValueError):
    """A currency code that is not an ISO 4217 currency wages can be paid in; the message says why."""


@cache
def minor_unit(code: str) -> Decimal:
    """The smallest amount of the currency: 0.01 for CNY and CHF, 1 for JPY, 0.001 for KWD.

    CurrencyProblem for a code that is not in ISO 4217 (codes are upper case, as the standard writes them)
    or that has no minor unit (gold, silver and other codes that are no money one pays wages in).
    """
    from iso4217 import Currency

    try:
        currency = Currency(code)
    except ValueError:
        raise CurrencyProblem(f"expected an ISO 4217 currency code like {EXAMPLES}, got {code!r}") from None
    if currency.exponent is None:
        raise CurrencyProblem(
            f"{code} ({currency.currency_name}) has no minor unit in ISO 4217: it is not a currency wages are paid in"
        )
    return Decimal(1).scaleb(-currency.exponent)


def is_currency(code: str) -> bool:
    """Whether `code` is an ISO 4217 currency with a minor unit."""
    try:
        minor_unit(code)
    except CurrencyProblem:
        return False
    return True
