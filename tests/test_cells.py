"""Reading one CSV cell in a KPI's unit, or as a plain number."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cspay.cells import (
    MOST_SIGNIFICANT,
    CellError,
    clean,
    control_character,
    id_key,
    is_missing,
    parse_count,
    parse_duration,
    parse_number,
    parse_percent,
    parse_plain,
    parse_points,
    parse_ratio,
    plain_column,
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


# ---- digits are digits ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "9²",  # a superscript two
        "²",
        "①",  # circled one
        "٩٥",  # Arabic-Indic digits
        "९५",  # Devanagari digits
        "𝟗𝟓",  # mathematical bold digits
        "95\u200b",  # a zero-width space after the digits
        "9\u00a05",  # a no-break space inside
        "⁹⁵",
        "½",
        "Ⅸ",  # a Roman numeral
    ],
)
def test_characters_that_only_look_like_digits_are_not_numbers(text: str) -> None:
    """Superscripts, circled and other-script digits, fractions and invisible characters are refused."""
    with pytest.raises(CellError):
        parse_number(text)


@pytest.mark.parametrize(("text", "expected"), [("９５", "95"), ("９２．５", "92.5"), ("－３", "-3"), ("\u30007", "7")])
def test_full_width_digits_as_input_methods_type_them_are_read(text: str, expected: str) -> None:
    """Full-width digits, point, minus and the ideographic space fold to their ASCII forms."""
    assert Decimal(expected) == parse_number(text)


def test_clean_folds_full_width_forms_and_nothing_else() -> None:
    """Full-width letters fold; a superscript, a ligature and a circled digit stay as written."""
    assert "AB²ﬁ①" == clean("ＡＢ²ﬁ①")


def test_a_number_of_as_many_digits_as_decimal_keeps_is_read() -> None:
    """Twenty-eight significant digits are held exactly."""
    text = "0." + "1" * MOST_SIGNIFICANT
    assert Decimal(text) == parse_number(text)


@pytest.mark.parametrize("text", ["0." + "1" * 29, "1." + "0" * 27 + "1", "123456789012.12345678901234567"])
def test_a_number_with_more_digits_than_decimal_keeps_is_refused(text: str) -> None:
    """A cell that arithmetic would round unseen is an error that says how many digits are allowed."""
    with pytest.raises(CellError, match="at most 28 significant digits"):
        parse_number(text)


def test_trailing_zeros_are_not_significant() -> None:
    """92.5 followed by forty zeros is 92.5."""
    assert Decimal("92.5") == parse_number("92.5" + "0" * 40)


# ---- agent ids as a person reads them -------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling",
    [
        "A001",
        "a001",
        " A001 ",
        "Ａ００１",  # full width
        "A\u200b001",  # zero-width space
        "A001\u2060",  # word joiner
        "\ufeffA001",  # a byte-order mark
        "A\u00ad001",  # soft hyphen
        "A٠٠١",  # Arabic-Indic digits
        "A𝟎𝟎𝟏",  # mathematical digits
        "A 001",
        "A\u3000001",  # ideographic space
        "A00\ufe0f1",  # variation selector
    ],
)
def test_ids_a_person_reads_as_a001_have_one_key(spelling: str) -> None:
    """Case, width, spaces, invisible characters and the script of digits do not tell agents apart."""
    assert id_key("A001") == id_key(spelling)


@pytest.mark.parametrize("other", ["A002", "A0001", "B001", "A-001", "A01", "Ä001"])
def test_ids_that_differ_to_the_eye_have_different_keys(other: str) -> None:
    """A different digit, letter, length or punctuation is a different agent."""
    assert id_key("A001") != id_key(other)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ada\x00", "U+0000"),
        ("A\x1b[31mda", "U+001B"),
        ("Ada\tLin", "U+0009"),
        ("Ada\nLin", "U+000A"),
        ("Ada\rLin", "U+000D"),
        ("Ada\x7f", "U+007F"),
        ("Ada\x85", "U+0085"),  # next line, a C1 control
        ("\u202eadA", "U+202E"),  # right-to-left override
        ("Ada\u2066", "U+2066"),
        ("Ada\u2028Lin", "U+2028"),  # line separator
    ],
)
def test_control_characters_are_found(text: str, expected: str) -> None:
    """Controls, line breaks and direction overrides are named by their code point."""
    assert expected == control_character(text)


@pytest.mark.parametrize("text", ["Ada Lin", "王芳", "José", "Ada\u200dLin", "A\u3000B", "👩\u200d💻"])
def test_ordinary_text_has_no_control_character(text: str) -> None:
    """Letters of any script, spaces, and the joiners of emoji are ordinary text."""
    assert control_character(text) is None


_COLUMN_PARSERS = {
    "percent": parse_percent,
    "ratio": parse_ratio,
    "seconds": parse_duration,
    "points": parse_points,
    "count": parse_count,
    "plain": parse_plain,
}
_CELL_TEXTS = [
    *["92.3517", "0.784225", "317.72", "100", "100.0000", "0", "007", "81%", "78.4225%", "101", "100.0001%"],
    *["1.5", "0.5%", "999999999999999", "1000000000000000", "0.0000000000001", "0.00000000000001", "5.", ".5"],
    *["-1", "+2", " 92.5", "92.5 ", "1e3", "0:05:35", "5:00", "９５", "", "N/A", "1,234", "92,5", "%", "5%%"],
]


def _cell_or_none(read: Any, text: str) -> str | None:
    try:
        value = read(text)
    except CellError:
        return None
    return None if value is None else str(value)


@pytest.mark.parametrize("unit", sorted(_COLUMN_PARSERS))
@pytest.mark.parametrize("text", _CELL_TEXTS)
def test_a_plain_column_reads_each_cell_as_its_parser_does(unit: str, text: str) -> None:
    """A column read at once gives each cell's value digit for digit as the unit's parser, or None (then the
    parser reads it and says why) -- never a value the parser would refuse."""
    read = plain_column(unit, ["50", text, "0.25"])
    if read is not None:
        assert [_cell_or_none(_COLUMN_PARSERS[unit], text) for text in ("50", text, "0.25")] == list(map(str, read))


@given(st.lists(st.decimals(min_value=0, max_value=1000, places=6, allow_nan=False), min_size=1, max_size=40))
def test_plain_numbers_with_decimals_are_read_at_once(values: list[Decimal]) -> None:
    """A column of unsigned numbers with up to 6 decimals, some as percentages, is read at once, as the
    ratio parser reads each."""
    texts = [f"{value / 10:f}%" if i % 3 == 0 else f"{value / 1000:f}" for i, value in enumerate(values)]
    assert [str(parse_ratio(text)) for text in texts] == list(map(str, plain_column("ratio", texts) or []))
