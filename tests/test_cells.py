"""Reading one CSV cell in a KPI's unit, or as a plain number."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cspay.cells import (
    CellError,
    is_missing,
    parse_count,
    parse_duration,
    parse_number,
    parse_percent,
    parse_plain,
    parse_points,
    parse_ratio,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("92.5", "92.5"),
        ("92.5%", "92.5"),
        (" 92.5 % ", "92.5"),
        ("0", "0"),
        ("100", "100"),
        ("100%", "100"),
        ("９２.５％", "92.5"),
    ],
)
def test_percent_reads_a_number_with_or_without_percent_sign(text: str, expected: str) -> None:
    """A percent cell is a number 0-100; a trailing % is optional and does not divide by 100."""
    assert Decimal(expected) == parse_percent(text)


@pytest.mark.parametrize("text", ["100.01", "-0.5", "101%", "abc", "92.5%%", "0.9.2"])
def test_percent_outside_0_to_100_or_not_a_number_is_refused(text: str) -> None:
    """A percent cell above 100, below 0, or not a number is an error saying what is expected."""
    with pytest.raises(CellError) as caught:
        parse_percent(text)
    assert "a percentage between 0 and 100, like 92.5 or 92.5%" == caught.value.expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.81", "0.81"),
        ("81%", "0.81"),
        ("0%", "0"),
        ("100%", "1"),
        ("1", "1"),
        ("0", "0"),
        ("80.5%", "0.805"),
    ],
)
def test_ratio_reads_a_fraction_and_a_percentage_as_a_fraction(text: str, expected: str) -> None:
    """A ratio cell is 0-1; "81%" reads as 0.81."""
    assert Decimal(expected) == parse_ratio(text)


@pytest.mark.parametrize("text", ["1.01", "81", "101%", "-0.1", "-1%"])
def test_ratio_outside_0_to_1_is_refused(text: str) -> None:
    """A ratio above 1 (81 without a % sign is not 0.81) or below 0 is an error."""
    with pytest.raises(CellError) as caught:
        parse_ratio(text)
    assert "a ratio between 0 and 1, like 0.81 or 81%" == caught.value.expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("335", "335"),
        ("335.5", "335.5"),
        ("0:05:35", "335"),
        ("1:00:00", "3600"),
        ("5:35", "335"),
        ("0:00", "0"),
        ("12:05", "725"),
        ("0:05:35.5", "335.5"),
        ("0", "0"),
    ],
)
def test_seconds_read_a_number_or_a_duration(text: str, expected: str) -> None:
    """A seconds cell is a number of seconds, h:mm:ss or m:ss."""
    assert Decimal(expected) == parse_duration(text)


@pytest.mark.parametrize("text", ["-1", "0:60", "0:05:60", "5:5", "1:2:3", "abc", "-0:05"])
def test_seconds_negative_or_malformed_are_refused(text: str) -> None:
    """A negative number of seconds or a malformed duration is an error naming both forms."""
    with pytest.raises(CellError) as caught:
        parse_duration(text)
    assert 'seconds (a number of at least 0) or a duration like "0:05:35"' == caught.value.expected


def test_points_read_any_number_including_negative() -> None:
    """A points cell is any number; there is no range."""
    assert Decimal("-3.5") == parse_points("-3.5")


def test_count_reads_zero() -> None:
    """A count cell may be 0, its lowest value."""
    assert Decimal(0) == parse_count("0")


def test_count_below_zero_is_refused() -> None:
    """A negative count is an error."""
    with pytest.raises(CellError) as caught:
        parse_count("-1")
    assert "a count (a number of at least 0)" == caught.value.expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("98.5%", "98.5"),
        ("98.5", "98.5"),
        ("-2", "-2"),
        ("1,250", "1250"),
        ("¥1,250.50", "1250.50"),
    ],
)
def test_plain_number_drops_a_trailing_percent_sign(text: str, expected: str) -> None:
    """Columns of gates, adjustments and proration read "98.5%" as 98.5, not 0.985."""
    assert Decimal(expected) == parse_plain(text)


def test_numbers_are_read_as_exact_decimals() -> None:
    """A cell's digits are kept exactly; nothing goes through float."""
    number = parse_number("0.1")
    assert (Decimal("0.1"), Decimal) == (number, type(number))


@pytest.mark.parametrize("text", ["1,25", "12,34,567", "1e", "nan", "inf", "0x10", "1 000"])
def test_malformed_numbers_are_refused(text: str) -> None:
    """Text that is not plainly a number (including nan and inf) is an error."""
    with pytest.raises(CellError):
        parse_number(text)


@pytest.mark.parametrize("text", ["", "  ", "NA", "n/a", "#N/A", "-", "null", "None", "nan"])
def test_missing_markers_are_recognised(text: str) -> None:
    """Empty cells and the usual "no value" markers count as missing, never as zero."""
    assert is_missing(text)


@pytest.mark.parametrize("text", ["0", "0%", "0:00"])
def test_zero_is_not_missing(text: str) -> None:
    """A zero is a value, not a missing cell."""
    assert not is_missing(text)
