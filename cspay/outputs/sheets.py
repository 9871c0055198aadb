"""Writing XlsxWriter sheets: each value as what it is, measured widths, long tables over several sheets."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal
from typing import IO, Any

from xlsxwriter import Workbook

from cspay.cells import significant_digits

MAX_ROWS = 1_048_576  # Excel's rows per sheet; a longer table goes on in a second sheet
CONSTANT_MEMORY = True  # each row goes to disk when the next one starts (the benchmark turns it off)
MAX_WIDTH = 60
EXACT_DIGITS = 15  # significant digits a spreadsheet number shows exactly
Writer = Callable[[int, int, Any], int]  # writes a cell (row, column, value) and says how wide it shows
NUMBER_FORMATS = {"score": "0.0000", "count": "0", "share": "0.0%", "date": "yyyy-mm-dd hh:mm:ss"}


def money_format(before: str, after: str, places: int) -> str:
    """An Excel number format for amounts with `places` decimals between two texts: "¥"#,##0.00."""
    number = "#,##0" + ("." + "0" * places if places else "")
    return _literal(before) + number + _literal(after)


def _literal(text: str) -> str:
    # Quoted text is shown as it is; a quote inside it is closed, escaped with \ and reopened.
    return '"' + text.replace('"', '"\\""') + '"' if text else ""


def display_width(text: str) -> int:
    """How many columns `text` takes on screen: Chinese characters take two."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


class Book:
    """An XlsxWriter workbook with cspay's cell formats, writing each value as what it is."""

    def __init__(
        self,
        handle: IO[bytes],
        scratch: str,
        money: tuple[str, str, int],
        properties: dict[str, Any],
        currencies: dict[str, tuple[str, str, int]] | None = None,
        as_text_note: str = "",
    ) -> None:
        self.workbook = Workbook(
            handle,
            {
                "constant_memory": CONSTANT_MEMORY,
                "tmpdir": scratch,
                # a name like =HYPERLINK(...) or 007 stays the text it is
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
            },
        )
        self.workbook.set_properties(properties)
        self.as_text_note = as_text_note
        self.as_text = 0  # amounts written as text: a spreadsheet number could not hold them to the cent
        before, after, places = money
        self.affix_width = display_width(before + after)
        add = self.workbook.add_format
        self.formats: dict[str, Any] = {kind: add({"num_format": code}) for kind, code in NUMBER_FORMATS.items()}
        self.formats["money"] = add({"num_format": money_format(before, after, places)})
        # Amounts of each currency a run pays, with its own sign and places ("money:JPY"): a cell's kind.
        for code, (before, after, places) in (currencies or {}).items():
            self.formats[f"money:{code}"] = add({"num_format": money_format(before, after, places)})
            self.affix_width = max(self.affix_width, display_width(before + after))
        self.formats["header"] = add({"bold": True, "bottom": 1})
        self.formats["label"] = add({"bold": True})

    def put(self, sheet: Any, row: int, column: int, value: Any, kind: str) -> int:
        """Write one cell and return how wide it shows."""
        if value is None or value == "":
            return 0  # an empty cell, not an empty text, so filters offer it as (Blanks)
        style = self.formats.get(kind)
        if isinstance(value, str):
            sheet.write_string(row, column, value, style)
            return display_width(value)
        if isinstance(value, datetime):
            sheet.write_datetime(row, column, value, style)
            return 19
        # Excel keeps every number as a binary double and shows 15 significant digits: an amount with more
        # would lose cents, so it is written as its text, with a note on the cell.
        if kind.startswith("money") and isinstance(value, Decimal) and significant_digits(value) > EXACT_DIGITS:
            text = format(value, "f")
            sheet.write_string(row, column, text, style)
            if self.as_text_note:
                sheet.write_comment(row, column, self.as_text_note)
            self.as_text += 1
            return len(text) + self.affix_width
        sheet.write_number(row, column, float(value), style)
        if kind.startswith("money"):
            return len(f"{value:,}") + self.affix_width
        return len(str(value)) if kind in ("number", "count") else 8

    def writer(self, sheet: Any, kind: str) -> Writer:
        """What writes a long column's cells of `kind` on `sheet` as `put` writes them, with its format looked
        up once and the usual cells (a text, an amount a double holds) taken the short way."""
        style = self.formats.get(kind)

        def other(row: int, column: int, value: Any) -> int:
            return self.put(sheet, row, column, value, kind)

        if kind == "text":
            write_string = sheet.write_string

            def text(row: int, column: int, value: Any) -> int:
                if value.__class__ is not str or not value:
                    return other(row, column, value)
                write_string(row, column, value, style)
                return len(value) if value.isascii() else display_width(value)

            return text
        if kind.startswith("money"):
            write_number, affix = sheet.write_number, self.affix_width

            def money(row: int, column: int, value: Any) -> int:
                # Up to 15 characters hold up to 15 digits: a double keeps the amount to the cent. Decimal's
                # float() reads its own text, so float(text) is the same number.
                text = str(value) if value.__class__ is Decimal else ""
                if not text or len(text) > EXACT_DIGITS or "E" in text:
                    return other(row, column, value)
                write_number(row, column, float(text), style)
                return _grouped_width(text) + affix

            return money
        if kind in ("score", "number", "count", "share"):
            write_number, measured = sheet.write_number, kind in ("number", "count")

            def number(row: int, column: int, value: Any) -> int:
                if value.__class__ is not Decimal:
                    return other(row, column, value)
                text = str(value)
                write_number(row, column, float(text), style)
                return len(text) if measured else 8

            return number
        return other


def _grouped_width(number: str) -> int:
    """How many characters a plain decimal's text takes with thousands separators: len(f"{value:,}")."""
    point = number.find(".")
    digits = (point if point >= 0 else len(number)) - number.startswith("-")
    return len(number) + (digits - 1) // 3


class Sheet:
    """One worksheet written top to bottom, measuring each column's width on the way."""

    def __init__(self, book: Book, name: str) -> None:
        self.book, self.sheet, self.row = book, book.workbook.add_worksheet(name), 0
        self.widths: dict[int, int] = {}

    def write(self, values: Iterable[Any], kinds: Iterable[str]) -> None:
        for column, (value, kind) in enumerate(zip(values, kinds, strict=True)):
            width = self.book.put(self.sheet, self.row, column, value, kind)
            self.widths[column] = max(self.widths.get(column, 0), width)
        self.row += 1

    def write_with(self, values: list[Any], writers: list[Writer]) -> None:
        """One row through each column's writer (`Book.writer`); every column already has a width."""
        row, widths = self.row, self.widths
        for column, (value, write) in enumerate(zip(values, writers, strict=True)):
            if value is not None:
                width = write(row, column, value)
                if width > widths[column]:
                    widths[column] = width
        self.row = row + 1

    def finish(self, widths: dict[int, int] | None = None) -> None:
        for column, width in (widths or self.widths).items():
            self.sheet.set_column(column, column, min(width + 2, MAX_WIDTH))


class Listing:
    """A long table under a frozen, filtered header; when a sheet is full it goes on in a new one."""

    def __init__(self, book: Book, name: str, columns: list[tuple[str, str]]) -> None:
        self.book, self.name = book, name
        self.headers = [header for header, _ in columns]
        self.kinds = tuple(kind for _, kind in columns)
        self.sheets: list[Sheet] = []
        self.writers: dict[tuple[str, ...], list[Writer]] = {}  # each row kind's writers, on the last sheet
        self._next_sheet()

    def _next_sheet(self) -> None:
        number = len(self.sheets) + 1
        sheet = Sheet(self.book, self.name if number == 1 else f"{self.name} ({number})")
        sheet.sheet.freeze_panes(1, 0)
        sheet.write(self.headers, ["header"] * len(self.headers))
        sheet.widths = {column: width + 2 for column, width in sheet.widths.items()}  # room for the filter button
        self.sheets.append(sheet)
        self.writers = {}

    def _writers(self, kinds: tuple[str, ...]) -> list[Writer]:
        sheet = self.sheets[-1].sheet
        writers = self.writers[kinds] = [self.book.writer(sheet, kind) for kind in kinds]
        return writers

    def add(self, values: list[Any], kinds: list[str] | None = None) -> None:
        """One row; `kinds` when this row's cells differ from the columns' (amounts of another currency)."""
        if self.sheets[-1].row == MAX_ROWS:
            self._next_sheet()
        key = self.kinds if kinds is None else tuple(kinds)
        writers = self.writers.get(key)
        self.sheets[-1].write_with(values, writers or self._writers(key))

    def finish(self) -> None:
        widths: dict[int, int] = {}
        for sheet in self.sheets:
            for column, width in sheet.widths.items():
                widths[column] = max(widths.get(column, 0), width)
        for sheet in self.sheets:
            sheet.sheet.autofilter(0, 0, sheet.row - 1, len(self.headers) - 1)
            sheet.finish(widths)
