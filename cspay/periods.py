"""Pay periods: a month, quarter or year, named by a label like 2021-01, 2021-Q1 or 2021."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

_PERIOD = re.compile(r"(\d{4})(?:-(\d{2})|-[Qq]([1-4]))?")


@dataclass(frozen=True)
class Period:
    """A month, quarter or year, from its first day to its last, both included."""

    label: str
    first: date
    last: date

    def __contains__(self, day: date) -> bool:
        return self.first <= day <= self.last

    @property
    def kind(self) -> str:
        """month, quarter or year, as a policy's `period` names them."""
        months = (self.last.year - self.first.year) * 12 + self.last.month - self.first.month + 1
        return {1: "month", 3: "quarter"}.get(months, "year")


def parse_period(text: str) -> Period:
    """Read `2021-01` (a month), `2021-Q1` (a quarter) or `2021` (a year); ValueError otherwise."""
    match = _PERIOD.fullmatch(text.strip())
    if not match or (match[2] and not 1 <= int(match[2]) <= 12):
        raise ValueError(f'period "{text}": expected a month like 2021-01, a quarter like 2021-Q1 or a year')
    year = int(match[1])
    if match[2]:
        first_month = last_month = int(match[2])
    elif match[3]:
        first_month, last_month = 3 * int(match[3]) - 2, 3 * int(match[3])
    else:
        first_month, last_month = 1, 12
    last_day = calendar.monthrange(year, last_month)[1]
    return Period(text.strip(), date(year, first_month, 1), date(year, last_month, last_day))
