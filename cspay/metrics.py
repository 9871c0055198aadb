"""Reading a month of agent metrics from CSV: encodings, headers, units, and per-cell errors."""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice
from pathlib import Path

from .cells import UNIT_PARSERS, CellError, clean, is_missing, parse_plain
from .errors import MetricsError, Problems
from .policy import Policy
from .seen import UNKNOWN_ROW, ExactIds, HashedIds

SNIFF_BYTES = 64 * 1024
CACHE_LIMIT = 20_000
TOTAL_MARKERS = frozenset({"total", "totals", "sum", "grand total", "合计", "总计", "小计", "汇总"})
ZERO = Decimal(0)
_UNDECODABLE = re.compile("[\udc80-\udcff]")  # bytes kept by the surrogateescape error handler

csv.field_size_limit(16 * 1024 * 1024)

Numbered = tuple[int, "list[str] | None"]  # a row's first line and its cells (None: not decodable)


@dataclass(slots=True)
class AgentRow:
    """One agent's month: identity as text, KPI values in their units, other columns as numbers."""

    line: int
    agent_id: str
    role: str
    name: str = ""
    team: str = ""
    kpis: dict[str, Decimal | None] = field(default_factory=dict)
    numbers: dict[str, Decimal] = field(default_factory=dict)
    source: str = ""  # the metrics file, for messages about this row


@dataclass
class _Column:
    """A column the policy needs, how its cells are read, where the value goes, and the texts read so far."""

    name: str
    read: Callable[[str], Decimal | None]
    kpi: str | None = None
    # Real metrics repeat: each distinct text is read once; bad texts are not kept (they are re-read).
    cache: dict[str, Decimal | None] = field(default_factory=dict)

    def value(self, text: str) -> Decimal | None:
        """The cell's value, or CellError."""
        value = self.cache.get(text, self.cache)
        if value is self.cache:
            value = self.read(text)
            if len(self.cache) < CACHE_LIMIT:
                self.cache[text] = value
        return value  # type: ignore[return-value]


def _kpi_reader(parse: Callable[[str], Decimal], exclude_missing: bool) -> Callable[[str], Decimal | None]:
    def read(text: str) -> Decimal | None:
        if is_missing(text):
            if exclude_missing:
                return None
            raise CellError("a value (the cell is empty; the KPI does not allow missing values)")
        return parse(text)

    return read


def _required_number(text: str) -> Decimal:
    if is_missing(text):
        raise CellError("a number (the cell is empty)")
    return parse_plain(text)


def _required_amount(text: str) -> Decimal:
    value = _required_number(text)
    if value < 0:
        raise CellError("a number of at least 0")
    return value


def _number_or_zero(text: str) -> Decimal:
    return ZERO if is_missing(text) else parse_plain(text)


def needed_columns(policy: Policy) -> list[_Column]:
    """Every metrics column the policy reads, KPI columns first, each once per use."""
    columns = [
        _Column(kpi.column, _kpi_reader(UNIT_PARSERS[kpi.unit], kpi.missing == "exclude"), code)
        for code, kpi in policy.kpis.items()
    ]
    volumes = [kpi.min_volume.column for kpi in policy.kpis.values() if kpi.min_volume]
    if policy.proration:
        volumes.append(policy.proration.column)
    gates = [gate.column for gate in policy.gates if gate.column and gate.column not in volumes]
    columns += [_Column(name, _required_amount) for name in dict.fromkeys(volumes)]
    columns += [_Column(name, _required_number) for name in dict.fromkeys(gates)]
    plain = volumes + gates
    adjustments = [a.column for a in policy.adjustments.values() if a.column not in plain]
    columns += [_Column(name, _number_or_zero) for name in dict.fromkeys(adjustments)]
    return columns


def _header_key(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", name).split()).casefold()


def _find_header(header: list[str], wanted: str) -> list[int]:
    """Indexes of the header cells naming `wanted`: exact first, else ignoring case and width."""
    exact = [i for i, name in enumerate(header) if name.strip() == wanted]
    if exact:
        return exact
    key = _header_key(wanted)
    return [i for i, name in enumerate(header) if _header_key(name) == key]


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


class RowParser:
    """Turns header-matched cells into AgentRows, collecting every problem with its row and column.

    `ids` remembers the agent ids seen: exact by default; a HashedIds when the caller can re-read its
    rows, and then calls `confirm_repeats` with them once every row is parsed.
    """

    def __init__(self, policy: Policy, header: list[str], source: str, *,
                 ids: ExactIds | HashedIds | None = None) -> None:
        self.policy = policy
        self.path = source
        self.problems = Problems()
        self.rows_read = 0
        self.blank_rows = 0
        self.suspects: dict[str, list[int]] = {}  # id -> later rows whose id's hash was seen before
        self.ids = ids if ids is not None else ExactIds()
        self.known_roles = frozenset(policy.roles)
        self._plan(header)

    def _plan(self, header: list[str]) -> None:
        if not any(cell.strip() for cell in header):
            raise MetricsError(f"{self.path}: row 1: expected a header row naming the columns, the file is empty")
        agents = self.policy.agents
        identity = [("id", agents.id), ("role", agents.role), ("name", agents.name), ("team", agents.team)]
        columns = needed_columns(self.policy)
        wanted = [name for _, name in identity if name] + [c.name for c in columns]
        missing, problems = [], []
        index: dict[str, int] = {}
        for name in dict.fromkeys(wanted):
            found = _find_header(header, name)
            if not found:
                missing.append(name)
            elif len(found) > 1:
                places = " and ".join(str(i + 1) for i in found)
                problems.append(f"{self.path}: row 1: column {name!r} appears more than once (columns {places})")
            else:
                index[name] = found[0]
        if missing:
            problems.insert(0, f"{self.path}: row 1: missing required columns: {', '.join(missing)} "
                               f"(the header has: {', '.join(h.strip() for h in header)})")
        if problems:
            raise MetricsError(problems)
        self._identity = {key: index[name] for key, name in identity if name}
        self.id_at, self.role_at = self._identity["id"], self._identity["role"]
        self.name_at, self.team_at = self._identity.get("name"), self._identity.get("team")
        self.columns = [(index[c.name], c) for c in columns]
        self._kpi_cells = [(c.kpi, i, c.cache) for i, c in self.columns if c.kpi is not None]
        self.number_cells = [(c.name, i, c.cache) for i, c in self.columns if c.kpi is None]
        self.width = len(header)

    def parse(self, line: int, cells: list[str]) -> AgentRow | None:
        """The row's AgentRow, or None (blank, or bad: the problem is recorded)."""
        if len(cells) == self.width:
            # The usual row, read with as little work as possible: every cell a text already read, a plain
            # id, a known role. Anything else takes the careful way below, which reports what is wrong.
            try:
                kpis = {code: cache[cells[i]] for code, i, cache in self._kpi_cells}
                numbers = {name: cache[cells[i]] for name, i, cache in self.number_cells}
            except KeyError:
                pass
            else:
                identity = self.accept(line, cells)
                if identity is not None:
                    return AgentRow(line, *identity, kpis, numbers, self.path) if identity else None
        return self._parse_slowly(line, cells)

    def accept(self, line: int, cells: list[str]) -> tuple[str, str, str, str] | tuple[()] | None:
        """For a row of the header's width whose cells all read well: (id, role, name, team) when its
        identity is plain, () when it repeats an earlier row (reported), None when it needs `parse`."""
        agent_id, role = cells[self.id_at].strip(), cells[self.role_at].strip()
        if not (agent_id.isascii() and agent_id and role in self.known_roles
                and agent_id.casefold() not in TOTAL_MARKERS):
            return None
        self.rows_read += 1
        first = self.ids.add(agent_id, line)
        if first is not None and self._repeats(agent_id, line, first):
            return ()
        name = cells[self.name_at].strip() if self.name_at is not None else ""
        team = cells[self.team_at].strip() if self.team_at is not None else ""
        return agent_id, role, name, team

    def _parse_slowly(self, line: int, cells: list[str]) -> AgentRow | None:
        if not any(cell.strip() for cell in cells):
            self.blank_rows += 1
            return None
        self.rows_read += 1
        cells = self._trimmed(cells)
        if len(cells) != self.width:
            self.problems.add(f"{self.path}: row {line}: has {len(cells)} cells, expected {self.width} "
                              f"like the header")
            return None
        row = self._identify(line, cells)
        ok = row is not None
        for index, column in self.columns:
            text = cells[index]
            try:
                value = column.value(text)
            except CellError as error:
                self.problems.add(f'{self.path}: row {line}, column "{column.name}": got "{_clip(text)}", '
                                  f"expected {error.expected}")
                ok = False
                continue
            if ok:
                if column.kpi is None:
                    row.numbers[column.name] = value
                else:
                    row.kpis[column.kpi] = value
        return row if ok else None

    def _trimmed(self, cells: list[str]) -> list[str]:
        if len(cells) > self.width and not any(cell.strip() for cell in cells[self.width:]):
            return cells[: self.width]  # Excel often leaves empty cells after the last column
        return cells

    def _identify(self, line: int, cells: list[str]) -> AgentRow | None:
        ident = {key: cells[i].strip() for key, i in self._identity.items()}
        agent_id, role = ident["id"], ident["role"]
        if _is_total(agent_id):
            self.problems.add(f"{self.path}: row {line}: looks like a totals row ({agent_id!r}); "
                              f"remove it, cspay adds up the totals itself")
            return None
        problem = None
        if not agent_id:
            problem = f'column "{self.policy.agents.id}": the agent id is empty'
        elif self._is_repeat(agent_id, line):
            return None
        elif role not in self.policy.roles:
            problem = (f'column "{self.policy.agents.role}": unknown role "{_clip(role)}", '
                       f"expected one of {', '.join(self.policy.roles)}")
        if problem:
            separator = ", " if problem.startswith("column") else ": "
            self.problems.add(f"{self.path}: row {line}{separator}{problem}")
            return None
        return AgentRow(line, agent_id, role, ident.get("name", ""), ident.get("team", ""), source=self.path)

    def _is_repeat(self, agent_id: str, line: int) -> bool:
        """Record the id; True (and the problem recorded) when it is known to repeat an earlier row's."""
        first = self.ids.add(agent_id, line)
        return first is not None and self._repeats(agent_id, line, first)

    def _repeats(self, agent_id: str, line: int, first: int) -> bool:
        """For an id seen before: True (and the problem recorded) when the earlier row is known."""
        if first == UNKNOWN_ROW:  # only a hash was seen before: checked by confirm_repeats
            self.suspects.setdefault(agent_id, []).append(line)
            return False
        self.problems.add(_repeat(self.path, agent_id, first, line))
        return True

    def recorded_id(self, cells: list[str]) -> str | None:
        """The agent id that parsing this (non-blank) row records, if any."""
        cells = self._trimmed(cells)
        if len(cells) != self.width:
            return None
        agent_id = cells[self._identity["id"]].strip()
        return agent_id if agent_id and not _is_total(agent_id) else None

    def confirm_repeats(self, rows: Iterable[tuple[int, list[str]]]) -> None:
        """Read the rows again to find where each suspected id first appeared, and report the repeats."""
        first: dict[str, int] = {}
        for line, cells in rows:
            agent_id = self.recorded_id(cells) if any(cell.strip() for cell in cells) else None
            if agent_id in self.suspects:
                first.setdefault(agent_id, line)
        repeats = sorted((line, agent_id) for agent_id, lines in self.suspects.items() for line in lines
                         if first.get(agent_id, line) < line)
        for line, agent_id in repeats:
            self.problems.add(_repeat(self.path, agent_id, first[agent_id], line))


def _is_total(agent_id: str) -> bool:
    return clean(agent_id).casefold() in TOTAL_MARKERS


def _repeat(path: str, agent_id: str, first: int, line: int) -> str:
    return f"{path}: row {line}: agent {agent_id!r} appears twice, in rows {first} and {line}"


class MetricsReader:
    """Streams AgentRows from a metrics CSV; raises MetricsError listing every problem at the end."""

    def __init__(self, path: str | Path, policy: Policy, *, encoding: str | None = None,
                 delimiter: str | None = None) -> None:
        self.path = str(path)
        self._errors_before = _DECODE_ERRORS[0]
        self._file = self._open(Path(path), encoding)
        try:
            # A BOM left by a forced --encoding utf-8 is not part of the first column's name.
            first = self._file.readline().removeprefix("\ufeff")
            if _UNDECODABLE.search(first):
                raise MetricsError(self._undecodable(1))
            self.delimiter = delimiter or detect_delimiter(first)
            self.header = next(csv.reader([first], delimiter=self.delimiter), [])
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
        return (f"{self.path}: row {line}: bytes that are not valid {self.encoding} text; "
                f"save the file as UTF-8, or pass --encoding")

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
            yield from self._records(self._file, self._errors_before, self.parser.problems)
        finally:
            self._file.close()

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
        return 0 if self._file.closed else self._file.buffer.tell()

    @property
    def size(self) -> int:
        """The file's size in bytes."""
        return self._size

    def _records(self, file: io.TextIOWrapper, errors_before: int,
                 problems: Problems | None) -> Iterator[tuple[int, list[str]]]:
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
    return _SURROGATE_ESCAPE(error)


_DECODE_ERRORS = [0]  # undecodable byte runs met by any reader in this process, ever
_SURROGATE_ESCAPE = codecs.lookup_error("surrogateescape")
_COUNTED_ESCAPE = "cspay-counted-surrogateescape"
codecs.register_error(_COUNTED_ESCAPE, _count_and_escape)


def _has_undecodable(cells: list[str]) -> bool:
    text = "".join(cells)
    return not text.isascii() and _UNDECODABLE.search(text) is not None


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} characters)"


def read_metrics(path: str | Path, policy: Policy, *, encoding: str | None = None,
                 delimiter: str | None = None) -> list[AgentRow]:
    """Every agent row of a metrics CSV, or a MetricsError naming each bad row and cell."""
    return list(MetricsReader(path, policy, encoding=encoding, delimiter=delimiter))
