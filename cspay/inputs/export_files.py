"""Raw export files as the embedded engine reads them: Parquet as it is, CSV in any encoding.

The engine must read a CSV cell for cell as Python's csv module does (the reading cspay has always had,
and the one its error reports use). So a CSV is first scanned once, in blocks: its bytes must decode in
its encoding (an undecodable byte is reported at its row, as before), and its quotes and line ends must
be ones both readers take alike. A UTF-8 file that passes is read in place; a file in another encoding
is transcoded to UTF-8 while it is scanned; any other file is rewritten record by record by the csv
module. Copies go to a temporary folder and memory stays bounded whatever the file's size.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from cspay.encodings import GUESSED_GB18030, SNIFF_BYTES, detect_encoding, gb18030_doubt, text_encoding
from cspay.errors import MetricsError, Problems
from cspay.inputs.files import check_regular
from cspay.inputs.metrics import detect_delimiter

BLOCK = 1 << 22
PARQUET_MAGIC = b"PAR1"
UTF8 = ("utf-8", "utf-8-sig")
_LONE_CR = re.compile(rb"\r(?!\n)")

Record = tuple[int, list[str]]


@dataclass(frozen=True)
class ExportFile:
    """An export as named on the command line: Parquet, or CSV with its encoding and delimiter, and its header."""

    path: Path
    parquet: bool
    header: list[str]
    encoding: str = "utf-8"
    delimiter: str = ","
    header_line: int = 1  # the line the header record starts on (after blank lines, if any)
    guessed: bool = False  # read as GB18030 by a guess, so each line's reading is checked


def open_export_file(path: str | Path, encoding: str | None = None, delimiter: str | None = None) -> ExportFile:
    """The file's kind and header; for a CSV its encoding (detected unless given) and delimiter."""
    path = Path(path)
    check_regular("export", path)
    try:
        with open(path, "rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError as error:
        raise MetricsError(f"{path}: cannot read the file: {error.strerror or error}") from None
    if head.startswith(PARQUET_MAGIC) and encoding is None:
        return ExportFile(path, True, [])  # the engine reads a Parquet file's column names
    guessed = encoding is None and detect_encoding(head) == GUESSED_GB18030
    try:
        encoding = text_encoding(encoding or detect_encoding(head))
    except ValueError as error:
        raise MetricsError(f"{path}: {error}") from None
    file = ExportFile(path, False, [], encoding, delimiter or ",")
    with text_of(file) as text:
        lines = lines_of(text)
        first = next(lines)
        delimiter = delimiter or detect_delimiter(first.split("\n", 1)[0])
        file = ExportFile(path, False, [], encoding, delimiter)
        reader = csv.reader(_chain(first, lines), delimiter=delimiter)
        for line, cells in _numbered(file, reader):
            return ExportFile(path, False, [name.strip() for name in cells], encoding, delimiter, line, guessed)
    raise MetricsError(f"{path}: the file is empty, expected a header row")


@contextmanager
def text_of(file: ExportFile) -> Iterator[IO[str]]:
    """The CSV's text, decoded as it is read; bytes that do not decode are reported at their row."""
    with (
        open(file.path, "rb") as raw,
        io.TextIOWrapper(raw, encoding=file.encoding, errors="strict", newline="") as text,
    ):
        try:
            yield text
        except UnicodeDecodeError:
            raise MetricsError(undecodable(file)) from None


def lines_of(text: IO[str]) -> Iterator[str]:
    """The text's lines; a byte-order mark is not part of the first column's name."""
    first = text.readline()
    yield first.removeprefix("\ufeff")
    yield from text


def undecodable(file: ExportFile) -> str:
    """The message for bytes that are not text in the file's encoding, naming the row that holds them."""
    return (f"{file.path}: row {_bad_byte_line(file)}: bytes that are not valid {file.encoding} text; "
            f"save the file in one encoding, or pass --encoding")  # fmt: skip


def _bad_byte_line(file: ExportFile) -> int:
    """The line holding the first byte the encoding cannot decode, counting newline bytes as lines."""
    decoder = codecs.getincrementaldecoder(file.encoding)(errors="strict")
    newlines = 0
    with open(file.path, "rb") as handle:
        for block in iter(lambda: handle.read(BLOCK), b""):
            pending = decoder.getstate()[0]
            try:
                decoder.decode(block)
            except UnicodeDecodeError as error:
                return newlines - pending.count(b"\n") + (pending + block)[: error.start].count(b"\n") + 1
            newlines += block.count(b"\n")
    return newlines + 1


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def _numbered(file: ExportFile, reader: Iterator[list[str]]) -> Iterator[Record]:
    """The reader's non-blank records, each with the line it starts on; a CSV error names its row."""
    line = 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                yield line, cells
            line = reader.line_num + 1  # type: ignore[attr-defined]
    except csv.Error as error:
        raise MetricsError(f"{file.path}: row {line}: cannot be read as CSV: {error}") from None


def records(file: ExportFile) -> Iterator[Record]:
    """Every non-blank record after the header, with the line it starts on, read as it streams."""
    with text_of(file) as text:
        reader = csv.reader(lines_of(text), delimiter=file.delimiter)
        numbered = _numbered(file, reader)
        next(numbered, None)  # the header
        yield from numbered


# ---- a copy the engine reads as Python would -----------------------------------------------------


class _Scan:
    """Watches a CSV's UTF-8 bytes, block by block, for quotes and line ends the two readers could take
    differently: a quote with other text on both sides (` "a"`, `a"b`), or a carriage return alone."""

    def __init__(self, delimiter: str) -> None:
        table = bytearray(b"x" * 256)
        for byte in (ord(delimiter), 10, 13):
            table[byte] = ord("B")
        table[ord('"')] = ord("Q")
        self.table, self.tail, self.doubtful = bytes(table), b"", False

    def feed(self, block: bytes) -> None:
        if self.doubtful:
            return
        data = self.tail + block
        if b'"' in data and b"xQx" in data.translate(self.table):
            self.doubtful = True
        if b"\r" in data and _LONE_CR.search(data[:-1] if data.endswith(b"\r") else data):
            self.doubtful = True
        self.tail = data[-2:]

    def end(self) -> None:
        if self.tail.endswith(b"\r"):
            self.doubtful = True


def readable_copy(file: ExportFile, folder: Path) -> Path | None:
    """The file the engine can read as Python reads this one: the file itself (UTF-8), a transcoded copy,
    or None when only a rewrite by the csv module reads alike (see `rewritten`)."""
    scan = _Scan(file.delimiter)
    if file.encoding in UTF8:
        if file.header_line != 1:
            return None
        decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
        with open(file.path, "rb") as handle:
            for block in iter(lambda: handle.read(BLOCK), b""):
                try:
                    if not block.isascii() or decoder.getstate()[0]:  # ASCII alone is UTF-8
                        decoder.decode(block)
                except UnicodeDecodeError:
                    raise MetricsError(undecodable(file)) from None
                scan.feed(block)
            try:
                decoder.decode(b"", final=True)  # a character cut short at the end
            except UnicodeDecodeError:
                raise MetricsError(undecodable(file)) from None
        scan.end()
        return None if scan.doubtful else file.path
    target = folder / "transcoded.csv"
    doubts = _Doubts(file)
    with text_of(file) as text, open(target, "wb") as out:
        for index, chunk in enumerate(iter(lambda: text.read(BLOCK), "")):
            chunk = chunk.removeprefix("\ufeff") if index == 0 else chunk
            doubts.feed(chunk)
            data = chunk.encode("utf-8")
            scan.feed(data)
            out.write(data)
    doubts.end()
    scan.end()
    return None if scan.doubtful or file.header_line != 1 else target


class _Doubts:
    """Each line of a file read as GB18030 by a guess, checked as it streams past: a line that reads
    implausibly (UTF-8 pasted in, Latin-1 misread) is reported at its row, never paid from garbled text."""

    def __init__(self, file: ExportFile) -> None:
        self.file, self.line, self.carry, self.problems = file, 1, "", Problems()

    def feed(self, chunk: str) -> None:
        if not self.file.guessed:
            return
        lines = (self.carry + chunk).split("\n")
        self.carry = lines.pop()
        for text in lines:
            self._check(text)

    def _check(self, text: str) -> None:
        if (doubt := gb18030_doubt(text)) is not None:
            self.problems.add(f"{self.file.path}: row {self.line}: {doubt}; save the file in one encoding, or pass "
                              f"--encoding")  # fmt: skip
        self.line += 1

    def end(self) -> None:
        if self.carry:
            self._check(self.carry)
        self.problems.raise_if_any(MetricsError)


def rewritten(file: ExportFile, folder: Path, width: int) -> Path | None:
    """The records as the csv module reads them, written back plainly in UTF-8: blank records left out,
    empty cells past the header's width dropped; None at the first record of another width."""
    target = folder / "rewritten.csv"
    with open(target, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([f"c{index}" for index in range(width)])
        for _, cells in records(file):
            if len(cells) < width or any(cell.strip() for cell in cells[width:]):
                return None
            writer.writerow(cells[:width])
    return target
