"""Tests for cspay.periods: months, quarters and years from their labels."""

from __future__ import annotations

from datetime import date

import pytest

from cspay.periods import parse_period


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("2021-02", date(2021, 2, 1), date(2021, 2, 28)),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        ("2021-Q1", date(2021, 1, 1), date(2021, 3, 31)),
        ("2021-q4", date(2021, 10, 1), date(2021, 12, 31)),
        ("2021", date(2021, 1, 1), date(2021, 12, 31)),
    ],
)
def test_period_bounds(text: str, first: date, last: date) -> None:
    """A month, quarter or year runs from its first day to its last, both included."""
    period = parse_period(text)
    assert (first, last) == (period.first, period.last)


@pytest.mark.parametrize("text", ["2021-13", "2021-Q5", "21-01", "2021/01", ""])
def test_bad_period_is_refused(text: str) -> None:
    """Anything but YYYY-MM, YYYY-Qn or YYYY is a ValueError saying what is expected."""
    with pytest.raises(ValueError, match="expected a month like 2021-01"):
        parse_period(text)


@pytest.mark.parametrize(("text", "kind"), [("2021-02", "month"), ("2021-Q3", "quarter"), ("2021", "year")])
def test_period_kind_names_it_like_a_policy(text: str, kind: str) -> None:
    """A period says whether it is a month, quarter or year, the words of a policy's `period`."""
    assert kind == parse_period(text).kind


@pytest.mark.parametrize("text", ["0001-01", "0999", "1899-12", "1899-Q4", "9999-01", "9999"])
def test_a_period_outside_1900_to_9998_is_refused(text: str) -> None:
    """Years no payroll is paid in are refused, saying which years are."""
    with pytest.raises(ValueError, match="expected a year from 1900 to 9998"):
        parse_period(text)


@pytest.mark.parametrize(("text", "label"), [("1900-01", "1900-01"), ("9998-Q4", "9998-Q4"), ("9998", "9998")])
def test_the_first_and_last_years_are_periods(text: str, label: str) -> None:
    """1900 and 9998 are the edges, inclusive."""
    assert label == parse_period(text).label
