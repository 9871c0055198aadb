"""Whole CSV files of records, for raw exports and rosters: read, decoded, and their columns located."""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from pathlib import Path

from cspay.errors import MetricsError, Problems
from cspay.inputs.metrics import SNIFF_BYTES, detect_delimiter, detect_encoding, find_header

Record = tuple[int, list[str]]


@dataclass(frozen=True)
class CsvFile:
    """A CSV file's header and each non-blank record with the line it starts on (the header is line 1)."""

    path: Path
    header: list[str]
    records: list[Record]


def read_csv(path: str | Path, *, encoding: str | None = None, delimiter: str | None = None) -> CsvFile:
    """Read a whole CSV; the encoding and delimiter are detected as for metrics files unless given."""
    path = Path(path)
    text = _decode(path, encoding)
    first = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter or detect_delimiter(first))
    records, line = [], 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                records.append((line, cells))
            line = reader.line_num + 1
    except csv.Error as error:
        raise MetricsError(f"{path}: row {line}: cannot be read as CSV: {error}") from None
    if not records:
        raise MetricsError(f"{path}: the file is empty, expected a header row")
    return CsvFile(path, [name.strip() for name in records[0][1]], records[1:])


def _decode(path: Path, encoding: str | None) -> str:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise MetricsError(f"{path}: cannot read the file: {error.strerror or error}") from None
    encoding = encoding or detect_encoding(data[:SNIFF_BYTES])
    try:
        codecs.lookup(encoding)
        # A BOM left by a forced --encoding utf-8 is not part of the first column's name.
        return data.decode(encoding).removeprefix("\ufeff")
    except LookupError:
        raise MetricsError(f"{path}: unknown encoding {encoding!r}; try utf-8 or gb18030") from None
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise MetricsError(f"{path}: row {line}: bytes that are not valid {encoding} text; "
                           f"save the file as UTF-8, or pass --encoding") from None  # fmt: skip


def locate(file: CsvFile, needed: list[str]) -> dict[str, int]:
    """Each needed column's index, matched like metrics headers; missing and doubled ones reported together."""
    found = {name: find_header(file.header, name) for name in dict.fromkeys(needed)}
    problems = Problems()
    if missing := [name for name, places in found.items() if not places]:
        problems.add(f"{file.path}: row 1: missing required columns: {', '.join(missing)} "
                     f"(the header has: {', '.join(file.header)})")  # fmt: skip
    for name, places in found.items():
        if len(places) > 1:
            shown = " and ".join(str(i + 1) for i in places)
            problems.add(f"{file.path}: row 1: column {name!r} appears more than once (columns {shown})")
    problems.raise_if_any(MetricsError)
    return {name: places[0] for name, places in found.items()}


def width_problem(file: CsvFile, line: int, cells: list[str]) -> str | None:
    width = len(file.header)
    if len(cells) < width or any(cell.strip() for cell in cells[width:]):
        return f"{file.path}: row {line}: has {len(cells)} cells, expected {width} like the header"
    return None
