"""Cells of a long column: each kind's writer writes what Book.put writes, and measures the same width."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cspay.outputs.sheets import Book


class Recorder:
    """A worksheet that keeps every call made to it, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def __getattr__(self, name: str) -> Any:
        return lambda *args: self.calls.append((name, *args))


def written(book: Book, kind: str, value: Any, *, fast: bool) -> tuple[int, list[tuple[Any, ...]]]:
    """The width a cell of `kind` shows and the calls that wrote it, by the column's writer or by put."""
    sheet = Recorder()
    width = book.writer(sheet, kind)(3, 1, value) if fast else book.put(sheet, 3, 1, value, kind)
    return width, sheet.calls


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Book:
    scratch = Path(tmp_path_factory.mktemp("scratch"))
    return Book(io.BytesIO(), str(scratch), ("¥", "", 2), {}, {"KWD": ("", " KWD", 3)}, "as text")


amounts = st.decimals(allow_nan=False, allow_infinity=False, places=None, min_value=-(10**20), max_value=10**20)
values = st.one_of(
    amounts,
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
    st.sampled_from([Decimal("0"), Decimal("0.00"), Decimal("-0.00"), Decimal("1E+3"), Decimal("1E-7")]),
    st.integers(min_value=-(10**18), max_value=10**18),
    st.text(max_size=12),
    st.none(),
)


@pytest.mark.parametrize("kind", ["text", "money", "money:KWD", "score", "number", "count", "share"])
@given(value=values)
def test_a_columns_writer_writes_what_put_writes(book: Book, kind: str, value: Any) -> None:
    """Whatever the value, a column's writer makes the same calls as put and returns the same width."""
    assert written(book, kind, value, fast=False) == written(book, kind, value, fast=True)


@pytest.mark.parametrize("value", [Decimal("1234567890123.45"), Decimal("12345678901234.56"), Decimal("-999.999")])
def test_amounts_near_fifteen_digits_are_written_as_put_writes_them(book: Book, value: Decimal) -> None:
    """An amount at or past the digits a spreadsheet number holds is written as put writes it, note included."""
    assert written(book, "money", value, fast=False) == written(book, "money", value, fast=True)
