"""The scalar values of a policy file: numbers from their own text, text, shares written "N%"."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict

from cspay.cells import MOST_SIGNIFICANT, significant_digits

_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
HUNDRED = Decimal(100)
LARGEST_DIGITS = 15  # numbers from 10**15 on are refused, as in metrics cells


def _number(value: Any) -> Decimal:
    number = _any_number(value)
    if number and number.adjusted() >= LARGEST_DIGITS:  # pay from it could need more than 28 exact digits
        raise ValueError(f"expected a number below {10**LARGEST_DIGITS:,} in size, got {shown(value)}")
    if significant_digits(number) > MOST_SIGNIFICANT:  # arithmetic would round it without a word
        raise ValueError(f"expected a number of at most {MOST_SIGNIFICANT} significant digits, got {shown(value)}")
    return number


def _any_number(value: Any) -> Decimal:
    if isinstance(value, Decimal) and value.is_finite():
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        return Decimal(value.strip())
    raise ValueError(f"expected a number, got {shown(value)}")


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        return getattr(value, "text", str(value))
    raise ValueError(f"expected text, got {shown(value)}")


def dotted(path: tuple[str | int, ...]) -> str:
    """A key's path as written in messages: `kpis.aht.weight`, `grades[0].min_score`."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text or "(top)"


def shown(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    return repr(getattr(value, "text", None) or str(value))


def _at_least_zero(value: Decimal) -> Decimal:
    if value < 0:
        raise ValueError(f"expected a number of at least 0, got {value}")
    return value


def _above_zero(value: Decimal) -> Decimal:
    if value <= 0:
        raise ValueError(f"expected a number above 0, got {value}")
    return value


Number = Annotated[Decimal, BeforeValidator(_number)]
NonNegative = Annotated[Decimal, BeforeValidator(_number), AfterValidator(_at_least_zero)]
Positive = Annotated[Decimal, BeforeValidator(_number), AfterValidator(_above_zero)]
Text = Annotated[str, BeforeValidator(_text)]


class Share(BaseModel):
    """A share written as "N%"; `percent` is N."""

    model_config = ConfigDict(frozen=True)
    percent: Decimal

    def of(self, amount: Decimal) -> Decimal:
        return amount * self.percent / HUNDRED


def _amount_or_share(value: Any) -> Decimal | Share:
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            percent = _number(value.strip()[:-1])
        except ValueError:  # quote the whole share, % included, as the user wrote it
            raise ValueError(f"expected an amount or a share of base_pay like 30%, got {value!r}") from None
        if percent < 0:
            raise ValueError(f"expected a share of at least 0%, got {value!r}")
        return Share(percent=percent)
    amount = _number(value)
    if amount < 0:
        raise ValueError(f"expected an amount of at least 0, got {amount}")
    return amount


AmountOrShare = Annotated[Decimal | Share, BeforeValidator(_amount_or_share)]


def _share(value: Any) -> Share:
    if isinstance(value, str) and value.strip().endswith("%"):
        percent = _number(value.strip()[:-1])
        if percent < 0:
            raise ValueError(f"expected a share of at least 0%, got {value!r}")
        return Share(percent=percent)
    raise ValueError(f'expected a share written as "N%", like "12%", got {shown(value)}')


ShareOfPay = Annotated[Share, BeforeValidator(_share)]


def _share_written(value: Any) -> Decimal:
    # A bare 25 or 0.25 could each be meant as a quarter, so lint thresholds are written "25%".
    if isinstance(value, str) and value.strip().endswith("%"):
        percent = _number(value.strip()[:-1])
        if 0 <= percent <= HUNDRED:
            return percent
    raise ValueError(f"expected a share between 0% and 100%, like 25%, got {shown(value)}")


def _reason(value: Any) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError(
            "expected a reason why the rule does not apply to this policy; a rule is silenced only with a reason"
        )
    return _text(value)


Percent = Annotated[Decimal, BeforeValidator(_share_written)]
Reason = Annotated[str, BeforeValidator(_reason)]
