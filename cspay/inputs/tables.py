"""Whole CSV files of records, for raw exports and rosters: read, decoded, and their columns located."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from cspay.encodings import GUESSED_GB18030, SNIFF_BYTES, detect_encoding, gb18030_doubt, read_limited, text_encoding
from cspay.errors import MetricsError, Problems
from cspay.inputs.metrics import detect_delimiter, find_header
from cspay.inputs.rows import doubled_column

# A roster or a raw export is read whole: at most this many bytes, whatever the file is.
MAX_TABLE_BYTES = 2 * 1024**3

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
    text, guessed = _decode(path, encoding)
    first = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter or detect_delimiter(first))
    records, line, problems = [], 1, Problems()
    try:
        for cells in reader:
            if guessed and (doubt := gb18030_doubt(",".join(cells))) is not None:
                problems.add(f"{path}: row {line}: {doubt}; save the file in one encoding, or pass --encoding")
            elif any(cell.strip() for cell in cells):
                records.append((line, cells))
            line = reader.line_num + 1
    except csv.Error as error:
        raise MetricsError(f"{path}: row {line}: cannot be read as CSV: {error}") from None
    problems.raise_if_any(MetricsError)
    if not records:
        raise MetricsError(f"{path}: the file is empty, expected a header row")
    return CsvFile(path, [name.strip() for name in records[0][1]], records[1:])


def _decode(path: Path, encoding: str | None) -> tuple[str, bool]:
    """The file's text, and whether it was read as GB18030 by a guess (so its rows' reading is checked)."""
    try:
        encoding = None if encoding is None else text_encoding(encoding)
        data = read_limited(path, MAX_TABLE_BYTES, f"a CSV file of at most {MAX_TABLE_BYTES // 1024**3} GiB")
    except OSError as error:
        raise MetricsError(f"{path}: cannot read the file: {error.strerror or error}") from None
    except ValueError as error:
        raise MetricsError(f"{path}: {error}") from None
    guessed = encoding is None and detect_encoding(data[:SNIFF_BYTES]) == GUESSED_GB18030
    encoding = encoding or detect_encoding(data[:SNIFF_BYTES])
    try:
        # A BOM left by a forced --encoding utf-8 is not part of the first column's name.
        return data.decode(encoding).removeprefix("\ufeff"), guessed
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise MetricsError(f"{path}: row {line}: bytes that are not valid {encoding} text; "
                           f"save the file in one encoding, or pass --encoding") from None  # fmt: skip
    except UnicodeError as error:  # the codec refuses the whole file: UTF-16 or UTF-32 without a mark
        raise MetricsError(f"{path}: does not read as {encoding}: {error}; pass --encoding") from None


def locate(file: CsvFile, needed: list[str]) -> dict[str, int]:
    """Each needed column's index, matched like metrics headers; missing and doubled ones reported together."""
    found = {name: find_header(file.header, name) for name in dict.fromkeys(needed)}
    problems = Problems()
    if missing := [name for name, places in found.items() if not places]:
        problems.add(f"{file.path}: row 1: missing required columns: {', '.join(missing)} "
                     f"(the header has: {', '.join(file.header)})")  # fmt: skip
    for name, places in found.items():
        if len(places) > 1:
            problems.add(doubled_column(str(file.path), file.header, name, places))
    problems.raise_if_any(MetricsError)
    return {name: places[0] for name, places in found.items()}


def width_problem(file: CsvFile, line: int, cells: list[str]) -> str | None:
    width = len(file.header)
    if len(cells) < width or any(cell.strip() for cell in cells[width:]):
        return f"{file.path}: row {line}: has {len(cells)} cells, expected {width} like the header"
    return None
