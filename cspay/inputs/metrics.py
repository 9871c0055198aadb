"""Reading a month of agent metrics from a CSV file: encodings, separators, undecodable bytes, rows in
order or in batches. What the cells mean is cspay.rows' business (its names are also importable here)."""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import cast

from cspay.cells import id_key
from cspay.encodings import GUESSED_GB18030, SNIFF_BYTES, detect_encoding, gb18030_doubt, text_encoding
from cspay.engine.types import AgentRow
from cspay.errors import MetricsError, Problems
from cspay.inputs.rows import CACHE_LIMIT, TOTAL_MARKERS, RowParser, find_header, needed_columns
from cspay.inputs.seen import AskedIds, ExactIds, HashedIds
from cspay.policy.model import Policy

__all__ = [
    "CACHE_LIMIT",
    "TOTAL_MARKERS",
    "AgentRow",
    "Extra",
    "MetricsReader",
    "RowParser",
    "detect_delimiter",
    "find_header",
    "needed_columns",
    "read_metrics",
]

# A header longer than this is not one (a device or a file without line breaks would never end it).
MAX_HEADER_CHARS = 1024 * 1024
# Reading stops at this many problems: a file that bad is the wrong file, and a device such as
# /dev/urandom would otherwise be read until it was killed.
MAX_PROBLEMS = 1000
ID_BATCH_ROWS = 512  # rows whose ids are read together when only some agents' rows are parsed (more costs collections)
_UNDECODABLE = re.compile("[\udc00-\udcff]")  # bytes kept by the error handler below

csv.field_size_limit(16 * 1024 * 1024)

Numbered = tuple[int, "list[str] | None"]  # a row's first line and its cells (None: unreadable, reported)


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
    cells: dict[str, list[str]]  # agent id, as compared (cspay.cells.id_key) -> the cells under `header`


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
        self._unreadable: dict[int, str] = {}  # line -> why, for rows `batches` gave without cells
        self._file = self._open(Path(path), encoding)
        try:
            # A BOM left by a forced --encoding utf-8 is not part of the first column's name.
            first = self._file.readline(MAX_HEADER_CHARS)
            if len(first) == MAX_HEADER_CHARS and not first.endswith(("\n", "\r")):
                raise MetricsError(
                    f"{self.path}: row 1: longer than {MAX_HEADER_CHARS:,} characters; expected a header row "
                    f"naming the columns"
                )
            first = first.removeprefix("\ufeff")
            if _UNDECODABLE.search(first):
                raise MetricsError(self._undecodable(1, first))
            if self.guessed and (doubt := gb18030_doubt(first)) is not None:
                raise MetricsError(self._doubtful(1, doubt))
            self.delimiter = delimiter or detect_delimiter(first)
            self.header = next(csv.reader([first], delimiter=self.delimiter), [])
            self._width, self._added, self._id_at = len(self.header), [], None
            if extra is not None:
                self._added = [i for i, name in enumerate(extra.header) if not find_header(self.header, name)]
                self._id_at = next(iter(find_header(self.header, policy.agents.id)), None)
                self.header = [*self.header, *(extra.header[i] for i in self._added)]
            # Rows that can be read a second time are remembered by hash, and repeats confirmed by reading
            # again; a pipe or a device can be read only once, so its ids are kept whole.
            ids = HashedIds(self.expected_rows) if self.regular else ExactIds()
            self.parser = RowParser(policy, self.header, self.path, ids=ids)
            self.parser.problems.stop_after(
                MAX_PROBLEMS,
                f"{self.path}: stopped reading after {MAX_PROBLEMS:,} problems; is this the metrics file?",
                MetricsError,
            )
        except BaseException:
            self._file.close()
            raise

    def _open(self, path: Path, encoding: str | None) -> io.TextIOWrapper:
        if encoding is not None:
            try:
                encoding = text_encoding(encoding)
            except ValueError as error:
                raise MetricsError(f"{path}: {error}") from None
        try:
            raw = cast(io.BufferedReader, open(path, "rb", buffering=SNIFF_BYTES))
        except OSError as error:
            raise MetricsError(f"{path}: cannot read the metrics file: {error.strerror or error}") from None
        try:
            status = os.fstat(raw.fileno())
            # Looked at, not read: a pipe cannot be read again from the start.
            head = raw.peek(SNIFF_BYTES)[:SNIFF_BYTES]
        except OSError as error:
            raw.close()
            raise MetricsError(f"{path}: cannot read the metrics file: {error.strerror or error}") from None
        try:  # a codec may refuse a whole stream, not a row: UTF-16 or UTF-32 without a byte-order mark
            codecs.getincrementaldecoder(encoding or detect_encoding(head))("replace").decode(head)
        except UnicodeError as error:  # bad bytes are replaced here, and reported at their rows later
            raw.close()
            raise MetricsError(f"{path}: does not read as {encoding}: {error}; pass --encoding") from None
        self.regular = stat.S_ISREG(status.st_mode)
        self.guessed = encoding is None and detect_encoding(head) == GUESSED_GB18030
        self.encoding = encoding or detect_encoding(head)
        self._size = status.st_size if self.regular else 0
        self.expected_rows = self._size * head.count(b"\n") // len(head) if head else 0
        # Undecodable bytes become lone surrogates, found row by row: a strict decoder would fail
        # on a whole buffer at once, far from the row that holds them.
        return io.TextIOWrapper(raw, encoding=self.encoding, newline="", errors=_COUNTED_ESCAPE)

    def _undecodable(self, line: int, text: str) -> str:
        other = "gb18030" if codecs.lookup(self.encoding).name.startswith("utf") else "utf-8"
        try:
            reading = text.encode(self.encoding, "surrogateescape").decode(other)
        except (UnicodeError, LookupError):
            hint = ""
        else:
            hint = f" (as {other.upper()} it reads {_clip(reading.strip())!r})"
        return (
            f"{self.path}: row {line}: bytes that are not valid {self.encoding} text{hint}; "
            f"save the file in one encoding, or pass --encoding"
        )

    def _doubtful(self, line: int, doubt: str) -> str:
        return f"{self.path}: row {line}: {doubt}; save the file in one encoding, or pass --encoding"

    def _check(self, line: int, cells: list[str], problems: Problems | None) -> bool:
        """Whether a row that holds more than ASCII reads well: its bytes decoded, and plausibly so when
        the encoding was a guess. A row that does not is reported (when `problems` is given)."""
        if _DECODE_ERRORS[0] != self._errors_before and _has_undecodable(cells):
            if problems is not None:
                problems.add(self._undecodable(line, ",".join(cells)))
            return False
        if self.guessed and (doubt := gb18030_doubt(",".join(cells))) is not None:
            if problems is not None:
                problems.add(self._doubtful(line, doubt))
            return False
        return True

    def __iter__(self) -> Iterator[AgentRow]:
        parse = self.parser.parse
        for line, cells in self.records():
            row = parse(line, cells)
            if row is not None:
                yield row
        self.finish()

    def first_row(self) -> AgentRow | None:
        """The file's first agent row, reading no further (a month's file is known by it); closes the file.
        Rows before it that are wrong are left to a full read to report."""
        try:
            for line, cells in self.records():
                row = self.parser.parse(line, cells)
                if row is not None:
                    return row
            return None
        finally:
            self._file.close()

    def rows_of(self, asked: AskedIds) -> Iterator[AgentRow]:
        """The rows of the agents asked for, each parsed as iterating parses it; every other row's id is only
        offered to `asked` and recorded, so that an id repeated anywhere in the file is still an error."""
        batch_ids = isinstance(self.parser.ids, HashedIds)
        for first, batch in self.batches(ID_BATCH_ROWS):
            if first is None:
                for line, read in cast(list[Numbered], batch):
                    if read is None:
                        self.unreadable(line)
                    else:
                        yield from self._row_of(asked, line, read)
                continue
            rows = cast(list[list[str]], batch)
            plain = self._plain_ids(rows) if batch_ids else None
            if plain is None:
                for line, cells in enumerate(rows, first):
                    yield from self._row_of(asked, line, cells)
            else:
                yield from self._batch_of(asked, first, rows, plain)
        self.finish()

    def _plain_ids(self, rows: list[list[str]]) -> list[str] | None:
        """The batch's ids when every row has the header's width and a plain ASCII id, not a total's."""
        parser = self.parser
        width, id_at = parser.width, parser.id_at
        if not all(map(width.__eq__, map(len, rows))):
            return None
        ids = [cells[id_at].strip() for cells in rows]
        if all(ids) and all(map(str.isascii, ids)) and TOTAL_MARKERS.isdisjoint(map(str.casefold, ids)):
            return ids
        return None

    def _batch_of(self, asked: AskedIds, first: int, rows: list[list[str]], ids: list[str]) -> Iterator[AgentRow]:
        """A batch of plain rows: the asked ones parsed, every other id recorded in file order."""
        keys = list(map(id_key, ids))
        asked.offer_all(ids, keys)
        hits = (
            [at for at, key in enumerate(keys) if asked.wants(key)] if not asked.asked.keys().isdisjoint(keys) else []
        )
        start = 0
        for at in [*hits, len(rows)]:
            self.parser.note_all(first + start, ids[start:at], keys[start:at])
            if at < len(rows):
                row = self.parser.parse(first + at, rows[at])
                if row is not None:
                    yield row
            start = at + 1

    def _row_of(self, asked: AskedIds, line: int, cells: list[str]) -> Iterator[AgentRow]:
        """One row as `rows_of` takes it: parsed when it is an asked agent's, else its id recorded."""
        parser = self.parser
        if not any(cell.strip() for cell in cells):
            return
        agent_id = parser.recorded_id(cells)
        if agent_id is None:  # a short or long row, or a totals row: its problem is the asked agent's
            if len(cells) > parser.id_at and asked.wants(id_key(cells[parser.id_at].strip())):
                parser.parse(line, cells)
            return
        key = id_key(agent_id)
        asked.offer_all([agent_id], [key])
        if asked.wants(key):
            row = parser.parse(line, cells)
            if row is not None:
                yield row
        else:
            parser.note(line, agent_id, key)

    def records(self) -> Iterator[tuple[int, list[str]]]:
        """Each row after the header with its line number (for RowParser.parse); closes the file at the end."""
        try:
            records = self._records(self._file, self.parser.problems)
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
            found = extra.cells.get(id_key(agent)) if agent else [""] * len(extra.header)  # the row's own problem
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
                clean = _DECODE_ERRORS[0] == self._errors_before and not (self.guessed and self._doubts(rows))
                if failure is None and clean and reader.line_num + 1 - last == len(rows):
                    if not rows:
                        return
                    yield last + 1, rows
                    last += len(rows)
                    continue
                numbered, last = self._numbered(rows, last)
                yield None, numbered
                if failure is not None:
                    self.parser.problems.add(f"{self.path}: row {last + 1}: cannot be read as CSV: {failure}")
                    return
                if not rows:
                    return
        finally:
            self._file.close()

    def _doubts(self, rows: list[list[str]]) -> bool:
        """Whether any row of a guessed-GB18030 batch reads doubtfully (only rows beyond ASCII can)."""
        return any(gb18030_doubt(",".join(cells)) is not None for cells in rows if not "".join(cells).isascii())

    def _numbered(self, rows: list[list[str]], last: int) -> tuple[list[Numbered], int]:
        """Each row with the line it starts on (a quoted cell may hold line breaks), None for its cells
        when they cannot be read (report it with `unreadable`, in turn); and the last line the rows take."""
        numbered: list[Numbered] = []
        for cells in rows:
            start = last + 1
            last = start + sum(cell.count("\n") + cell.count("\r") - cell.count("\r\n") for cell in cells)
            problems = Problems()
            readable = self._check(start, cells, problems)
            if not readable:
                self._unreadable[start] = problems.messages[0]
            numbered.append((start, cells if readable else None))
        return numbered, last

    def unreadable(self, line: int) -> None:
        """Report a row `batches` gave without its cells, because they could not be read."""
        self.parser.problems.add(self._unreadable.pop(line))

    def finish(self) -> None:
        """After the last row: name the rows of repeated ids, then raise MetricsError if any row was bad or
        there was no agent row at all."""
        if self.parser.suspects:
            self._confirm_repeats()
        parser = self.parser
        if not parser.rows_read and not parser.problems:
            parser.problems.add(
                f"{self.path}: no agent rows after the header; expected a row per agent (a file with only a "
                f"header would pay no one and, recorded, replace the month)"
            )
        parser.problems.raise_if_any(MetricsError)

    @property
    def bytes_read(self) -> int:
        """How far into the file reading has got, in bytes (for a progress bar)."""
        return 0 if self._file.closed else cast(io.BufferedReader, self._file.buffer).tell()

    @property
    def size(self) -> int:
        """The file's size in bytes."""
        return self._size

    def _records(self, file: io.TextIOWrapper, problems: Problems | None) -> Iterator[tuple[int, list[str]]]:
        """Each row after the header with its line number; rows that cannot be read are reported."""
        reader = csv.reader(file, delimiter=self.delimiter)
        line = 1
        try:
            for cells in reader:
                start, line = line + 1, reader.line_num + 1
                # Only a row beyond ASCII can hold bytes the decoder could not read, or read doubtfully.
                if not (cells and "".join(cells).isascii()) and not self._check(start, cells, problems):
                    continue
                yield start, cells
        except csv.Error as error:
            if problems is not None:
                problems.add(f"{self.path}: row {line + 1}: cannot be read as CSV: {error}")

    def _confirm_repeats(self) -> None:
        """Read the file a second time to name the first row of each id that looked repeated."""
        with self._open(Path(self.path), self.encoding) as file:
            file.readline(MAX_HEADER_CHARS)
            self.parser.confirm_repeats(self._records(file, None))


def _count_and_escape(error: UnicodeError) -> tuple[str, int]:
    """Each undecodable byte as the lone surrogate U+DC00 + byte (as surrogateescape does, but for ASCII
    bytes too, which a UTF-16 or UTF-32 decoder can fail on), counted."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    _DECODE_ERRORS[0] += 1
    return "".join(chr(0xDC00 + byte) for byte in error.object[error.start : error.end]), error.end


_DECODE_ERRORS = [0]  # undecodable byte runs met by any reader in this process, ever
_COUNTED_ESCAPE = "cspay-counted-surrogateescape"
codecs.register_error(_COUNTED_ESCAPE, _count_and_escape)


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _has_undecodable(cells: list[str]) -> bool:
    text = "".join(cells)
    return not text.isascii() and _UNDECODABLE.search(text) is not None


def read_metrics(
    path: str | Path, policy: Policy, *, encoding: str | None = None, delimiter: str | None = None
) -> list[AgentRow]:
    """Every agent row of a metrics CSV, or a MetricsError naming each bad row and cell."""
    return list(MetricsReader(path, policy, encoding=encoding, delimiter=delimiter))
