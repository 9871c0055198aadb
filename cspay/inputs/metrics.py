"""Reading a month of agent metrics from a CSV file: encodings, separators, undecodable bytes, rows in
order or in batches. What the cells mean is cspay.rows' business (its names are also importable here)."""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import cast

from cspay.engine.types import AgentRow
from cspay.errors import MetricsError, Problems
from cspay.inputs.rows import CACHE_LIMIT, TOTAL_MARKERS, RowParser, find_header, needed_columns
from cspay.inputs.seen import HashedIds
from cspay.policy.model import Policy

__all__ = [
    "CACHE_LIMIT",
    "TOTAL_MARKERS",
    "AgentRow",
    "Extra",
    "MetricsReader",
    "RowParser",
    "detect_delimiter",
    "detect_encoding",
    "find_header",
    "needed_columns",
    "read_metrics",
]

SNIFF_BYTES = 64 * 1024
_UNDECODABLE = re.compile("[\udc80-\udcff]")  # bytes kept by the surrogateescape error handler

csv.field_size_limit(16 * 1024 * 1024)

Numbered = tuple[int, "list[str] | None"]  # a row's first line and its cells (None: not decodable)


def detect_encoding(head: bytes) -> str:
    """UTF-8 (with or without BOM) or UTF-16 by BOM; otherwise GB18030 if not valid UTF-8."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"


def detect_delimiter(first_line: str) -> str:
    """The most frequent of comma, semicolon and tab in the header line."""
    counts = {sep: first_line.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] else ","


@dataclass(frozen=True)
class Extra:
    """Columns another file adds to each row of a metrics file, by agent id: a roster's."""

    source: str
    header: list[str]
    cells: dict[str, list[str]]  # agent id -> the cells under `header`


class MetricsReader:
    """Streams AgentRows from a metrics CSV; raises MetricsError listing every problem at the end.

    With `extra`, each row gets the columns of that file the metrics file lacks, found by agent id.
    """

    def __init__(
        self,
        path: str | Path,
        policy: Policy,
        *,
        encoding: str | None = None,
        delimiter: str | None = None,
        extra: Extra | None = None,
    ) -> None:
        self.path = str(path)
        self.extra = extra
        self._errors_before = _DECODE_ERRORS[0]
        self._file = self._open(Path(path), encoding)
        try:
            # A BOM left by a forced --encoding utf-8 is not part of the first column's name.
            first = self._file.readline().removeprefix("\ufeff")
            if _UNDECODABLE.search(first):
                raise MetricsError(self._undecodable(1))
            self.delimiter = delimiter or detect_delimiter(first)
            self.header = next(csv.reader([first], delimiter=self.delimiter), [])
            self._width, self._added, self._id_at = len(self.header), [], None
            if extra is not None:
                self._added = [i for i, name in enumerate(extra.header) if not find_header(self.header, name)]
                self._id_at = next(iter(find_header(self.header, policy.agents.id)), None)
                self.header = [*self.header, *(extra.header[i] for i in self._added)]
            self.parser = RowParser(policy, self.header, self.path, ids=HashedIds(self.expected_rows))
        except BaseException:
            self._file.close()
            raise

    def _open(self, path: Path, encoding: str | None) -> io.TextIOWrapper:
        try:
            raw = path.open("rb")
            head = raw.read(SNIFF_BYTES)
            raw.seek(0)
            size = os.fstat(raw.fileno()).st_size
        except OSError as error:
            raise MetricsError(f"{path}: cannot read the metrics file: {error.strerror or error}") from None
        encoding = encoding or detect_encoding(head)
        try:
            codecs.lookup(encoding)
        except LookupError:
            raw.close()
            raise MetricsError(f"{path}: unknown encoding {encoding!r}; try utf-8 or gb18030") from None
        self.encoding = encoding
        self._size = size
        self.expected_rows = size * head.count(b"\n") // len(head) if head else 0
        # Undecodable bytes become lone surrogates, found row by row: a strict decoder would fail
        # on a whole buffer at once, far from the row that holds them.
        return io.TextIOWrapper(raw, encoding=encoding, newline="", errors=_COUNTED_ESCAPE)

    def _undecodable(self, line: int) -> str:
        return (
            f"{self.path}: row {line}: bytes that are not valid {self.encoding} text; "
            f"save the file as UTF-8, or pass --encoding"
        )

    def __iter__(self) -> Iterator[AgentRow]:
        parse = self.parser.parse
        for line, cells in self.records():
            row = parse(line, cells)
            if row is not None:
                yield row
        self.finish()

    def records(self) -> Iterator[tuple[int, list[str]]]:
        """Each row after the header with its line number (for RowParser.parse); closes the file at the end."""
        try:
            records = self._records(self._file, self._errors_before, self.parser.problems)
            yield from records if self.extra is None else self._joined(records, self.extra)
        finally:
            self._file.close()

    def _joined(self, records: Iterator[tuple[int, list[str]]], extra: Extra) -> Iterator[tuple[int, list[str]]]:
        """Each row with the extra file's cells for its agent; an agent the extra file lacks is reported."""
        problems, width = self.parser.problems, self._width
        for line, cells in records:
            if not any(cell.strip() for cell in cells) or self._id_at is None:
                yield line, cells
                continue
            if len(cells) > width and not any(cell.strip() for cell in cells[width:]):
                cells = cells[:width]
            if len(cells) != width:
                problems.add(f"{self.path}: row {line}: has {len(cells)} cells, expected {width} like the header")
                continue
            agent = cells[self._id_at].strip()
            found = extra.cells.get(agent) if agent else [""] * len(extra.header)  # the row's own problem
            if found is None:
                problems.add(
                    f'{extra.source}: no line for agent "{agent}", who is on row {line} of {self.path}; '
                    f"add one so their pay can be computed"
                )
                continue
            yield line, [*cells, *(found[i] if i < len(found) else "" for i in self._added)]

    def batches(self, size: int) -> Iterator[tuple[int, list[list[str]]] | tuple[None, list[Numbered]]]:
        """The rows in batches, for paying them column by column: (first line, rows) when the rows lie on
        consecutive lines and decoded cleanly, else (None, [(line, cells), ...]) where cells is None for
        a row that cannot be decoded (report it with `undecodable`, in turn). Closes the file at the end."""
        reader = csv.reader(self._file, delimiter=self.delimiter)
        last = 1  # the file's last line read so far (the header is line 1)
        try:
            while True:
                rows: list[list[str]] = []
                try:
                    rows.extend(islice(reader, size))  # keeps the rows read before a csv.Error
                    failure = None
                except csv.Error as error:
                    failure = error
                clean = _DECODE_ERRORS[0] == self._errors_before
                if failure is None and clean and reader.line_num + 1 - last == len(rows):
                    if not rows:
                        return
                    yield last + 1, rows
                    last += len(rows)
                    continue
                numbered, last = self._numbered(rows, last, clean)
                yield None, numbered
                if failure is not None:
                    self.parser.problems.add(f"{self.path}: row {last + 1}: cannot be read as CSV: {failure}")
                    return
                if not rows:
                    return
        finally:
            self._file.close()

    def _numbered(self, rows: list[list[str]], last: int, clean: bool) -> tuple[list[Numbered], int]:
        """Each row with the line it starts on (a quoted cell may hold line breaks), None for its cells
        when they cannot be decoded; and the last line the rows take."""
        numbered: list[Numbered] = []
        for cells in rows:
            start = last + 1
            last = start + sum(cell.count("\n") + cell.count("\r") - cell.count("\r\n") for cell in cells)
            numbered.append((start, None if not clean and _has_undecodable(cells) else cells))
        return numbered, last

    def undecodable(self, line: int) -> None:
        """Report a row whose bytes could not be decoded."""
        self.parser.problems.add(self._undecodable(line))

    def finish(self) -> None:
        """After the last row: name the rows of repeated ids, then raise MetricsError if any row was bad."""
        if self.parser.suspects:
            self._confirm_repeats()
        self.parser.problems.raise_if_any(MetricsError)

    @property
    def bytes_read(self) -> int:
        """How far into the file reading has got, in bytes (for a progress bar)."""
        return 0 if self._file.closed else cast(io.BufferedReader, self._file.buffer).tell()

    @property
    def size(self) -> int:
        """The file's size in bytes."""
        return self._size

    def _records(
        self, file: io.TextIOWrapper, errors_before: int, problems: Problems | None
    ) -> Iterator[tuple[int, list[str]]]:
        """Each row after the header with its line number; rows that cannot be read are reported."""
        reader = csv.reader(file, delimiter=self.delimiter)
        line = 1
        try:
            for cells in reader:
                start, line = line + 1, reader.line_num + 1
                # The decoder counts the bytes it could not read; until it has met some, no row holds any.
                if _DECODE_ERRORS[0] != errors_before and _has_undecodable(cells):
                    if problems is not None:
                        problems.add(self._undecodable(start))
                    continue
                yield start, cells
        except csv.Error as error:
            if problems is not None:
                problems.add(f"{self.path}: row {line + 1}: cannot be read as CSV: {error}")

    def _confirm_repeats(self) -> None:
        """Read the file a second time to name the first row of each id that looked repeated."""
        errors_before = _DECODE_ERRORS[0]
        with self._open(Path(self.path), self.encoding) as file:
            file.readline()
            self.parser.confirm_repeats(self._records(file, errors_before, None))


def _count_and_escape(error: UnicodeError) -> tuple[str, int]:
    _DECODE_ERRORS[0] += 1
    text, position = _SURROGATE_ESCAPE(error)
    return str(text), position


_DECODE_ERRORS = [0]  # undecodable byte runs met by any reader in this process, ever
_SURROGATE_ESCAPE = codecs.lookup_error("surrogateescape")
_COUNTED_ESCAPE = "cspay-counted-surrogateescape"
codecs.register_error(_COUNTED_ESCAPE, _count_and_escape)


def _has_undecodable(cells: list[str]) -> bool:
    text = "".join(cells)
    return not text.isascii() and _UNDECODABLE.search(text) is not None


def read_metrics(
    path: str | Path, policy: Policy, *, encoding: str | None = None, delimiter: str | None = None
) -> list[AgentRow]:
    """Every agent row of a metrics CSV, or a MetricsError naming each bad row and cell."""
    return list(MetricsReader(path, policy, encoding=encoding, delimiter=delimiter))
