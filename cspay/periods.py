"""Pay periods: a month, quarter or year, named by a label like 2026-11, 2026-Q4 or 2026."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from cspay.cells import clean

MONTHS_IN = {"month": 1, "quarter": 3, "year": 12}
EXAMPLES = {"month": "2026-11", "quarter": "2026-Q4", "year": "2026"}

_PERIOD = re.compile(r"(\d{4})(?:-(\d{2})|-[Qq]([1-4]))?")
_MONTH_CELL = re.compile(r"(\d{4})[-/.](\d{1,2})(?:[-/.](\d{1,2}))?")
_DATE_CELL = re.compile(r"(\d{4})(?:[-/.](\d{1,2})[-/.](\d{1,2})|年(\d{1,2})月(\d{1,2})日?)")


@dataclass(frozen=True)
class Period:
    """A month, quarter or year, from its first day to its last, both included."""

    label: str
    first: date
    last: date

    def __contains__(self, day: date) -> bool:
        return self.first <= day <= self.last

    @property
    def months(self) -> int:
        return (self.last.year - self.first.year) * 12 + self.last.month - self.first.month + 1

    @property
    def kind(self) -> str:
        """month, quarter or year, as a policy's `period` says it."""
        return {1: "month", 3: "quarter"}.get(self.months, "year")


# Years a period may fall in: payroll is never paid before 1900, and the year after the last still has a
# calendar (a period's neighbours and year-to-date reach a year either side).
FIRST_YEAR, LAST_YEAR = 1900, 9998


def parse_period(text: str) -> Period:
    """Read `2021-01` (a month), `2021-Q1` (a quarter) or `2021` (a year); ValueError otherwise."""
    match = _PERIOD.fullmatch(text.strip())
    if not match or (match[2] and not 1 <= int(match[2]) <= 12):
        raise ValueError(f'period "{text}": expected a month like 2021-01, a quarter like 2021-Q1 or a year')
    year = int(match[1])
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f'period "{text}": expected a year from {FIRST_YEAR} to {LAST_YEAR}')
    if match[2]:
        first_month = last_month = int(match[2])
        label = f"{year}-{first_month:02d}"
    elif match[3]:
        first_month, last_month = 3 * int(match[3]) - 2, 3 * int(match[3])
        label = f"{year}-Q{match[3]}"
    else:
        first_month, last_month, label = 1, 12, str(year)
    last_day = calendar.monthrange(year, last_month)[1]
    return Period(label, date(year, first_month, 1), date(year, last_month, last_day))


def period_of(day: date, kind: str) -> Period:
    """The month, quarter or year that holds `day`."""
    labels = {"month": f"{day.year}-{day.month:02d}", "quarter": f"{day.year}-Q{(day.month + 2) // 3}"}
    return parse_period(labels.get(kind, str(day.year)))


def months_of(period: Period) -> list[Period]:
    """The months of a period, in order."""
    first = period.first.year * 12 + period.first.month - 1
    return [period_of(date(index // 12, index % 12 + 1, 1), "month") for index in range(first, first + period.months)]


def earlier(period: Period, count: int) -> list[str]:
    """The labels of the `count` periods of the same kind before this one, the latest first."""
    step, first = period.months, period.first
    months = [first.year * 12 + first.month - 1 - n * step for n in range(1, count + 1)]
    return [period_of(date(month // 12, month % 12 + 1, 1), period.kind).label for month in months]


def read_month_cell(text: str) -> Period:
    """The month a period cell names: `2026-11`, or a date in it (`2026-11-30`, `2026/11/30`)."""
    match = _MONTH_CELL.fullmatch(clean(text))
    if match:
        try:
            return period_of(date(int(match[1]), int(match[2]), int(match[3] or 1)), "month")
        except ValueError:
            pass
    raise ValueError("a month like 2026-11 or a date like 2026-11-30")


def read_date_cell(text: str) -> date:
    """The day a cell names: `2026-11-16`, `2026/11/16`, `2026.11.16` or `2026年11月16日`."""
    match = _DATE_CELL.fullmatch(clean(text))
    if match:
        month, day = (match[2], match[3]) if match[2] else (match[4], match[5])
        try:
            return date(int(match[1]), int(month), int(day))
        except ValueError:
            pass
    raise ValueError("a date like 2026-11-16")


def days_in(month: date) -> int:
    """How many days the month holding `month` has."""
    return calendar.monthrange(month.year, month.month)[1]
