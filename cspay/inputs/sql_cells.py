"""Reading an export's cells in SQL: the usual spellings read by the query itself, every other text by
cspay's own readers.

A cell's text is read by a *plain* pattern when it has one: `Y`, `0:05:35`, `92.5`, `2021-01-31`.
Each pattern admits only texts that cspay.inputs.export_cells reads the same way (tests hold the two to
each other), so the SQL reading of a plain text is exact. Any other text (full-width digits, `1,234`,
`¥12`, `1e3`, a date written another way) is *unresolved* in SQL: the embedded engine then reads each
distinct such text with cspay's readers and gives the query their readings as a lookup table, and a
warehouse reports how many it met, so no cell is ever read another way or skipped unseen.

Each column of the query reads as a state (ok, missing, bad, unresolved) and its value(s), computed over
three texts of the cell: `r` the raw text, `s` it trimmed, `l` that in lower case.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlglot
from sqlglot import exp

from cspay.cells import FLAG_WORDS, MISSING_MARKERS, CellError
from cspay.inputs.export_cells import agent_id, date_parser, optional

OK, MISSING, BAD, UNRESOLVED = 0, 1, 2, 3
# The forms of a plain text, besides missing (1) and unresolved (3): plain as it is (0) or once trimmed
# (8), and for a flag yes (6) or no (7).
PLAIN, TRUE, FALSE, TRIMMED = 0, 6, 7, 8
LARGEST_INTEGER_DIGITS = 15  # cspay.cells refuses numbers from 10**15 on
# Text read as written (less surrounding spaces): printable ASCII and the CJK unified ideographs, which
# Unicode normalisation leaves as they are.
PLAIN_TEXT = "^[ -~\u4e00-\u9fff]*$"
SPACELESS_TEXT = "^[!-~\u4e00-\u9fff]+$"


def ident(name: str) -> str:
    """A column or table name as DuckDB SQL, quoted."""
    return exp.to_identifier(name, quoted=True).sql("duckdb")


def string(text: str) -> str:
    """A string literal as DuckDB SQL."""
    return exp.Literal.string(text).sql("duckdb")


def strings(texts: list[str]) -> str:
    return ", ".join(string(text) for text in sorted(texts))


def width(scale: int) -> int:
    """The digits of the query's DECIMAL type for `scale` places: 18 (a 64-bit integer, fast to sum) when a
    plain cell's 15 digits before the point fit beside them, else 38."""
    return 18 if LARGEST_INTEGER_DIGITS + scale <= 18 else 38


def decimal_type(scale: int) -> str:
    return f"DECIMAL({width(scale)}, {scale})"


class Inexact(ValueError):
    """A number needs more digits than the query's DECIMAL type keeps."""


def fits(value: Decimal, scale: int) -> bool:
    """Whether the query's DECIMAL type for `scale` places holds `value` exactly."""
    places = max(0, -int(value.as_tuple().exponent))
    return places <= scale and (not value or value.adjusted() < width(scale) - scale)


def decimal(value: Decimal, scale: int, what: str) -> str:
    """An exact decimal constant of the query's type; Inexact when it would need rounding."""
    if not fits(value, scale):
        raise Inexact(f"{what} {value} has more digits than the query keeps exactly ({scale} decimal places)")
    return f"CAST({string(format(value, 'f'))} AS {decimal_type(scale)})"


def missing(column: str) -> str:
    markers = [marker for marker in MISSING_MARKERS if marker.isascii()] + ["—", "–"]
    return f"{column} IN ({strings(sorted(set(markers)))})"


def matches(column: str, pattern: str) -> str:
    return f"REGEXP_MATCHES({column}, {string(pattern)})"


def _places(scale: int) -> str:
    return f"([.][0-9]{{1,{scale}}})?" if scale else ""


@dataclass(frozen=True)
class Column:
    """One export column the query reads: its index in the query, its name and what it holds."""

    index: int
    name: str
    kind: str  # agent, date, flag, duration, number or text

    def part(self, suffix: str) -> str:
        return f"{suffix}{self.index}"


class Reader:
    """How the cells of one kind read: the SQL of their form (tested on the raw text `r` first, trimmed
    only when that fails, so most cells cost one test), outputs and state, and the Python reading of an
    unresolved text as the row of a lookup table."""

    outputs: tuple[tuple[str, str], ...] = (("v", "VARCHAR"),)  # suffix, SQL type

    def __init__(self, column: Column, scale: int) -> None:
        self.column, self.scale = column, scale
        raw = column.part("r")
        self.raw, self.trimmed, self.lowered = raw, f"TRIM({raw})", f"LOWER(TRIM({raw}))"

    def names(self, suffix: str) -> str:
        return self.column.part(suffix)

    def form(self) -> str:
        raise NotImplementedError

    def text(self) -> str:
        """The text the outputs are read from: the raw text, or trimmed when its form says so."""
        f = self.names("f")
        return f"CASE WHEN {f} = {TRIMMED} THEN {self.trimmed} ELSE {self.raw} END"

    def plain_outputs(self) -> dict[str, str]:
        """Each output's SQL for a plain text (NULL otherwise), read from its text `s`."""
        raise NotImplementedError

    def plain(self) -> str:
        return f"{self.names('f')} IN ({PLAIN}, {TRIMMED})"

    def state(self, looked_up: bool) -> str:
        """The cell's state: from its form, or from the lookup table for an unresolved text."""
        f = self.names("f")
        other = f"COALESCE({self.names('kx')}, {UNRESOLVED})" if looked_up else str(UNRESOLVED)
        plain = self.plain_state()
        return f"CASE WHEN {f} = {UNRESOLVED} THEN {other} WHEN {f} = {MISSING} THEN {MISSING} ELSE {plain} END"

    def plain_state(self) -> str:
        return str(OK)

    def lookup_types(self) -> list[tuple[str, str]]:
        return [(suffix, kind if kind != "DECIMAL" else decimal_type(self.scale)) for suffix, kind in self.outputs]

    def read(self, text: str) -> tuple[int, list[Any]]:
        """The state and outputs of an unresolved text, read by cspay's own readers."""
        raise NotImplementedError

    def patterned(self, pattern: str) -> str:
        """The form of a cell that is empty, or matches `pattern` as it is or trimmed, or a missing marker."""
        raw, trimmed = self.raw, self.trimmed
        return (f"CASE WHEN {raw} = '' THEN {MISSING} WHEN {matches(raw, pattern)} THEN {PLAIN} "
                f"WHEN {missing(self.lowered)} THEN {MISSING} WHEN {matches(trimmed, pattern)} THEN {TRIMMED} "
                f"ELSE {UNRESOLVED} END")  # fmt: skip


def _state_of(read: Callable[[str], Any], text: str) -> tuple[int, Any]:
    try:
        value = read(text)
    except CellError:
        return BAD, None
    return (MISSING, None) if value is None else (OK, value)


def places_of(text: str) -> str:
    """The decimal places a plain number is written with, which Decimal keeps (1.50 has 2)."""
    return f"CASE WHEN STRPOS({text}, '.') > 0 THEN LENGTH({text}) - STRPOS({text}, '.') ELSE 0 END"


class NumberReader(Reader):
    """Numbers: `-12.5`; anything else (signs, exponents, thousands, currency, full width) is unresolved."""

    outputs = (("v", "DECIMAL"), ("e", "INTEGER"))  # the value and its decimal places

    def form(self) -> str:
        return self.patterned(f"^-?[0-9]{{1,{LARGEST_INTEGER_DIGITS}}}{_places(self.scale)}$")

    def plain_outputs(self) -> dict[str, str]:
        s, plain = self.names("s"), self.plain()
        return {"v": f"CASE WHEN {plain} THEN CAST({s} AS {decimal_type(self.scale)}) END",
                "e": f"CASE WHEN {plain} THEN {places_of(s)} END"}  # fmt: skip

    def read(self, text: str) -> tuple[int, list[Any]]:
        state, value = _state_of(optional(self.column.kind), text)
        if state != OK:
            return state, [None, None]
        return OK, [format(value, "f"), max(0, -int(value.as_tuple().exponent))]


class DurationReader(NumberReader):
    """Durations: seconds (`335`), `h:mm:ss` or `m:ss`, with decimals of a second."""

    def form(self) -> str:
        places = _places(self.scale)
        seconds = f"[0-9]{{1,{LARGEST_INTEGER_DIGITS}}}{places}"
        clock = f"[0-9]{{1,9}}:[0-5][0-9](:[0-5][0-9])?{places}"  # m:ss or h:mm:ss
        return self.patterned(f"^({seconds}|{clock})$")

    def plain_outputs(self) -> dict[str, str]:
        s, number = self.names("s"), decimal_type(self.scale)
        colon = f"STRPOS({s}, ':')"
        colons = f"LENGTH({s}) - LENGTH(REPLACE({s}, ':', ''))"
        whole = f"CAST(SUBSTRING({s}, 1, {colon} - 1) AS BIGINT)"
        hms = (f"{whole} * 3600 + CAST(SUBSTRING({s}, {colon} + 1, 2) AS BIGINT) * 60 "
               f"+ CAST(SUBSTRING({s}, {colon} + 4) AS {number})")  # fmt: skip
        ms = f"{whole} * 60 + CAST(SUBSTRING({s}, {colon} + 1) AS {number})"
        value = (f"CASE WHEN NOT {self.plain()} THEN NULL WHEN {colon} = 0 THEN CAST({s} AS {number}) "
                 f"WHEN {colons} = 1 THEN CAST({ms} AS {number}) ELSE CAST({hms} AS {number}) END")  # fmt: skip
        return {"v": value, "e": f"CASE WHEN {self.plain()} THEN {places_of(s)} END"}


class FlagReader(Reader):
    """Yes/no cells: Y/N, yes/no, true/false, 1/0, 是/否 in any case; full width and the rest unresolved."""

    outputs = (("v", "BOOLEAN"),)

    def form(self) -> str:
        raw, lowered = self.raw, self.lowered
        yes = [word for word, value in FLAG_WORDS.items() if value]
        no = [word for word, value in FLAG_WORDS.items() if not value]
        return (f"CASE WHEN {raw} IN ({strings(_spellings(yes))}) THEN {TRUE} "
                f"WHEN {raw} IN ({strings(_spellings(no))}) THEN {FALSE} WHEN {raw} = '' THEN {MISSING} "
                f"WHEN {lowered} IN ({strings(yes)}) THEN {TRUE} WHEN {lowered} IN ({strings(no)}) THEN {FALSE} "
                f"WHEN {missing(lowered)} THEN {MISSING} ELSE {UNRESOLVED} END")  # fmt: skip

    def text(self) -> str:
        return "NULL"

    def plain_outputs(self) -> dict[str, str]:
        f = self.names("f")
        return {"v": f"CASE WHEN {f} = {TRUE} THEN TRUE WHEN {f} = {FALSE} THEN FALSE END"}

    def read(self, text: str) -> tuple[int, list[Any]]:
        state, value = _state_of(optional("flag"), text)
        return state, [value]


def _spellings(words: list[str]) -> list[str]:
    """The usual spellings of words, as they are, in capitals and capitalised."""
    return sorted({spelling for word in words for spelling in (word, word.upper(), word.capitalize())})


class TextReader(Reader):
    """Text compared with a condition's words, without surrounding spaces; other scripts unresolved."""

    def form(self) -> str:
        raw = self.raw
        return (f"CASE WHEN {raw} = '' THEN {MISSING} WHEN {missing(self.lowered)} THEN {MISSING} "
                f"WHEN {matches(raw, PLAIN_TEXT)} THEN {TRIMMED} ELSE {UNRESOLVED} END")  # fmt: skip

    def plain_outputs(self) -> dict[str, str]:
        return {"v": f"CASE WHEN {self.plain()} THEN {self.names('s')} END"}

    def read(self, text: str) -> tuple[int, list[Any]]:
        state, value = _state_of(optional("text"), text)
        return state, [value]


class AgentReader(Reader):
    """The agent id: the text without surrounding spaces; an empty one is bad."""

    def form(self) -> str:
        raw = self.raw
        return (f"CASE WHEN {matches(raw, SPACELESS_TEXT)} THEN {PLAIN} WHEN {matches(raw, PLAIN_TEXT)} THEN {TRIMMED} "
                f"ELSE {UNRESOLVED} END")  # fmt: skip

    def plain_outputs(self) -> dict[str, str]:
        return {"v": f"CASE WHEN {self.plain()} THEN {self.names('s')} END"}

    def plain_state(self) -> str:
        return f"CASE WHEN {self.names('v')} = '' THEN {BAD} ELSE {OK} END"

    def read(self, text: str) -> tuple[int, list[Any]]:
        state, value = _state_of(agent_id, text)
        return state, [value]


# The strptime directives a plain date may use, each written with a fixed number of digits.
DIRECTIVES = {"Y": (4, "[0-9]{4}"), "m": (2, "(0[1-9]|1[0-2])"), "d": (2, "(0[1-9]|[12][0-9]|3[01])"),
              "H": (2, "([01][0-9]|2[0-3])"), "M": (2, "[0-5][0-9]"), "S": (2, "[0-5][0-9]")}  # fmt: skip
LITERALS = set("-/.:,_ T")


def date_layout(format: str) -> tuple[str, dict[str, int]] | None:
    """The pattern of a date written in `format` with every field at full width, and where its year,
    month and day start; None when the format has no such plain form (month names, %y, %f …)."""
    pattern, starts, position = "^", {}, 1
    for token in re.findall(r"%.|.", format, flags=re.DOTALL):
        if token.startswith("%") and token[1:] in DIRECTIVES and token[1:] not in starts:
            width, part = DIRECTIVES[token[1:]]
            starts[token[1:]] = position
            pattern, position = pattern + part, position + width
        elif token in LITERALS:
            pattern, position = pattern + ("[.]" if token == "." else token), position + 1
        else:
            return None
    if not {"Y", "m", "d"} <= starts.keys():
        return None
    return pattern + "$", starts


class DateReader(Reader):
    """The date in the policy's strptime format, as its year, month and day."""

    outputs = (("y", "INTEGER"), ("m", "INTEGER"), ("d", "INTEGER"))

    def __init__(self, column: Column, scale: int, format: str) -> None:
        super().__init__(column, scale)
        self.format, self.layout = format, date_layout(format)
        self.parse = date_parser(format)

    def form(self) -> str:
        if self.layout is None:
            return str(UNRESOLVED)
        pattern = self.layout[0]
        return (f"CASE WHEN {matches(self.raw, pattern)} THEN {PLAIN} WHEN {matches(self.trimmed, pattern)} "
                f"THEN {TRIMMED} ELSE {UNRESOLVED} END")  # fmt: skip

    def plain_outputs(self) -> dict[str, str]:
        if self.layout is None:
            return {suffix: "CAST(NULL AS INTEGER)" for suffix, _ in self.outputs}
        s, starts = self.names("s"), self.layout[1]
        widths = {"y": ("Y", 4), "m": ("m", 2), "d": ("d", 2)}
        return {
            suffix: f"CASE WHEN {self.plain()} THEN CAST(SUBSTRING({s}, {starts[key]}, {width}) AS INTEGER) END"
            for suffix, (key, width) in widths.items()
        }

    def plain_state(self) -> str:
        y, m, d = (self.names(suffix) for suffix in ("y", "m", "d"))
        leap = f"(({y} % 4 = 0 AND {y} % 100 <> 0) OR {y} % 400 = 0)"
        february = f"CASE WHEN {leap} THEN 29 ELSE 28 END"
        days = f"CASE WHEN {m} IN (4, 6, 9, 11) THEN 30 WHEN {m} = 2 THEN {february} ELSE 31 END"
        return f"CASE WHEN {y} >= 1 AND {d} <= {days} THEN {OK} ELSE {BAD} END"

    def read(self, text: str) -> tuple[int, list[Any]]:
        try:
            day: date = self.parse(text)
        except CellError:
            return BAD, [None, None, None]
        return OK, [day.year, day.month, day.day]


def reader_for(column: Column, scale: int, date_format: str = "%Y-%m-%d") -> Reader:
    """The reader of a column of this kind."""
    if column.kind == "date":
        return DateReader(column, scale, date_format)
    readers: dict[str, type[Reader]] = {"agent": AgentReader, "flag": FlagReader, "duration": DurationReader,
                                        "number": NumberReader, "text": TextReader}  # fmt: skip
    return readers[column.kind](column, scale)


def parse(sql: str) -> exp.Expr:
    """DuckDB SQL text as sqlglot's tree, to run here or to translate for another engine."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    assert tree is not None
    return tree
