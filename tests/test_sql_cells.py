"""cspay.inputs.sql_cells: every text the SQL readers read themselves, they read as cspay's Python readers
do; every other text is left unresolved for those readers, never read another way."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cspay.cells import CellError
from cspay.inputs.export_cells import agent_id, date_parser, optional
from cspay.inputs.sql_cells import (
    BAD,
    MISSING,
    OK,
    UNRESOLVED,
    Column,
    Reader,
    date_layout,
    reader_for,
)

# Characters exports write, and the ones that trip readers up: spaces of every kind, full width, CJK.
ALPHABET = "0123456789.:-+,eE yYnN是否TtrueFalsNA/#%¥元\t\u3000\xa0\u2003\uff11\uff1a\uff39\u200b—–_Tz"
SPELLINGS = ["", " ", "Y", "n", "YES", "No", "True", "false", "1", "0", "是", "否", "Ｙ", "NA", "n/a", "-", "—",
             "none", "null", "nan", "#N/A", "--", "3", "-0", "007", "1.50", "12.", ".5", "+5", "1e3", "1,234",
             "¥12", "９５", "95%", "0:05:35", "5:35", "0:5:35", "1:02:03.25", "99:59", "1:00:00:00", " 7 ",
             "7\u3000", "\u30007", "0.123456789012345678", "1234567890123456", "999999999999999",
             "2021-01-31", "2021-02-29", "2020-02-29", "2021-13-01", "0000-01-01", " 2021-03-05 ", "2021-3-5",
             "31/01/2021", "2021-01-31 09:12:58", "2021-01-31T09:12:58", "张三", "Li Na", " A ", "A\t"]  # fmt: skip
TEXTS = st.one_of(st.sampled_from(SPELLINGS), st.text(ALPHABET, max_size=12))
KINDS = ["agent", "flag", "duration", "number", "text"]


def sql_readings(reader: Reader, texts: list[str]) -> list[tuple[int, list[Any]]]:
    """Each text's state and outputs as the reader's SQL reads it, in DuckDB, without lookups."""
    outputs = reader.plain_outputs()
    query = (
        f"WITH texts AS (SELECT UNNEST($1) AS r0, GENERATE_SUBSCRIPTS($1, 1) AS n), "
        f"forms AS (SELECT texts.*, {reader.form()} AS f0 FROM texts), "
        f"trimmed AS (SELECT forms.*, {reader.text()} AS s0 FROM forms), "
        f"cells AS (SELECT n, f0, s0, {', '.join(f'{sql} AS {name}0' for name, sql in outputs.items())} FROM trimmed) "
        f"SELECT {reader.state(False)}, {', '.join(f'{suffix}0' for suffix in outputs)} FROM cells ORDER BY n"
    )
    return [(state, list(values)) for state, *values in duckdb.execute(query, [texts]).fetchall()]


def python_reading(kind: str, text: str, format: str = "%Y-%m-%d") -> tuple[int, Any]:
    """The state and value cspay's Python readers give a text."""
    read = {"agent": agent_id, "date": date_parser(format)}.get(kind) or optional(kind)
    try:
        value = read(text)
    except CellError:
        return BAD, None
    return (MISSING, None) if value is None else (OK, value)


def agrees(kind: str, sql: tuple[int, list[Any]], python: tuple[int, Any]) -> bool:
    """An unresolved text claims nothing; any other reading must be Python's, to the decimal place."""
    state, outputs = sql
    if state == UNRESOLVED:
        return True
    if state != python[0]:
        return False
    if state != OK:
        return True
    value = python[1]
    if kind in ("number", "duration"):
        places = max(0, -int(value.as_tuple().exponent))
        return (outputs[0], outputs[1]) == (value, places)
    if kind == "date":
        return outputs == [value.year, value.month, value.day]
    return outputs[0] == value


@pytest.mark.parametrize("scale", [3, 18])
@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=25)
@given(texts=st.lists(TEXTS, min_size=1, max_size=30))
def test_sql_readings_are_pythons_or_unresolved(kind: str, scale: int, texts: list[str]) -> None:
    """For any text, the SQL reader's state and value are the Python reader's, or it leaves the text to it."""
    reader = reader_for(Column(0, "c", kind), scale)
    found = sql_readings(reader, texts)
    assert [] == [(text, got) for text, got in zip(texts, found, strict=True)
                  if not agrees(kind, got, python_reading(kind, text))]  # fmt: skip


@pytest.mark.parametrize("format", ["%Y-%m-%d", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S", "%Y%m%d", "%b %d, %Y"])
@settings(max_examples=25)
@given(texts=st.lists(st.one_of(st.sampled_from(SPELLINGS), st.dates().map(str), st.text("0123456789-/: ", max_size=9)),
                      min_size=1, max_size=30))  # fmt: skip
def test_sql_dates_are_pythons_or_unresolved(format: str, texts: list[str]) -> None:
    """Dates in several strptime formats read as Python's strptime reads them, or are left to it."""
    texts += [day.strftime(format) for day in (date(2021, 1, 31), date(2020, 2, 29), date(999, 12, 31))]
    reader = reader_for(Column(0, "d", "date"), 3, format)
    found = sql_readings(reader, texts)
    assert [] == [(text, got) for text, got in zip(texts, found, strict=True)
                  if not agrees("date", got, python_reading("date", text, format))]  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [("flag", "Y", [True]), ("flag", "否", [False]), ("flag", " YES ", [True]),
     ("number", "12.50", [Decimal("12.5"), 2]),
     ("duration", "0:05:35", [Decimal(335), 0]), ("duration", "5:35.5", [Decimal("335.5"), 1]),
     ("text", " Billing ", ["Billing"]), ("agent", "张三", ["张三"])],
)  # fmt: skip
def test_usual_spellings_are_read_in_sql(kind: str, text: str, expected: list[Any]) -> None:
    """The spellings exports use are read by the query itself, with no lookup."""
    assert [(OK, expected)] == sql_readings(reader_for(Column(0, "c", kind), 3), [text])


@pytest.mark.parametrize(
    ("kind", "text"),
    [("flag", "Ｙ"), ("number", "1,234"), ("number", "1e3"), ("number", "¥12"), ("number", "0.1234"),
     ("duration", "１:２３"), ("text", "Ｂｉｌｌｉｎｇ"), ("agent", "A\t")],
)  # fmt: skip
def test_unusual_spellings_are_left_to_pythons_readers(kind: str, text: str) -> None:
    """Full width, thousands, exponents, currency, more places than the type keeps: left unresolved."""
    assert UNRESOLVED == sql_readings(reader_for(Column(0, "c", kind), 3), [text])[0][0]


def test_empty_cells_and_markers_are_missing_not_zero() -> None:
    """An empty cell, NA, - or — is missing: no value, never 0."""
    found = sql_readings(reader_for(Column(0, "c", "number"), 3), ["", "NA", "-", "—", " n/a "])
    assert [(MISSING, [None, None])] * 5 == found


@pytest.mark.parametrize(
    ("format", "pattern"),
    [("%Y-%m-%d", "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"),
     ("%d.%m.%Y", "^(0[1-9]|[12][0-9]|3[01])[.](0[1-9]|1[0-2])[.][0-9]{4}$"),
     ("%b %d, %Y", None), ("%y-%m-%d", None), ("%Y-%m", None)],
)  # fmt: skip
def test_date_layouts(format: str, pattern: str | None) -> None:
    """A format of full-width numeric fields has a plain pattern; month names, %y or no day have none."""
    layout = date_layout(format)
    assert pattern == (layout[0] if layout else None)
