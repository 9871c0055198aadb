"""Reading a month of agent metrics from CSV: encodings, headers, units, and per-cell errors."""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from .cells import UNIT_PARSERS, CellError, clean, is_missing, parse_plain
from .errors import MetricsError, Problems
from .policy import Policy

SNIFF_BYTES = 64 * 1024
CACHE_LIMIT = 20_000
TOTAL_MARKERS = frozenset({"total", "totals", "sum", "grand total", "合计", "总计", "小计", "汇总"})
ZERO = Decimal(0)
_UNDECODABLE = re.compile("[\udc80-\udcff]")  # bytes kept by the surrogateescape error handler

csv.field_size_limit(16 * 1024 * 1024)


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
    period: str = ""  # the cell of the policy's `agents.period` column, as text


@dataclass(frozen=True)
class _Column:
    """A column the policy needs, how its cells are read, and where the value goes."""

    name: str
    read: Callable[[str], Decimal | None]
    kpi: str | None = None


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
    volumes += [kpi.weight_column for kpi in policy.kpis.values() if kpi.weight_column]
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


def find_header(header: list[str], wanted: str) -> list[int]:
    """Indexes of the header cells naming `wanted`: exact first, else ignoring case and width."""
    exact = [i for i, name in enumerate(header) if name.strip() == wanted]
    if exact:
        return exact
    key = _header_key(wanted)
    return [i for i, name in enumerate(header) if _header_key(name) == key]


def _cached(read: Callable[[str], Decimal | None]) -> Callable[[str], Decimal | None]:
    """Real metrics repeat; parse each distinct cell text once (errors included)."""
    cache: dict[str, Decimal | CellError | None] = {}

    def cached(text: str) -> Decimal | None:
        result = cache.get(text, cache)
        if result is cache:
            try:
                result = read(text)
            except CellError as error:
                result = error
            if len(cache) < CACHE_LIMIT:
                cache[text] = result
        if isinstance(result, CellError):
            raise result
        return result  # type: ignore[return-value]

    return cached


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
    """Turns header-matched cells into AgentRows, collecting every problem with its row and column."""

    def __init__(self, policy: Policy, header: list[str], source: str) -> None:
        self.policy = policy
        self.path = source
        self.problems = Problems()
        self.rows_read = 0
        self.blank_rows = 0
        self._seen: dict[str, int] = {}
        self._plan(header)

    def _plan(self, header: list[str]) -> None:
        if not any(cell.strip() for cell in header):
            raise MetricsError(f"{self.path}: row 1: expected a header row naming the columns, the file is empty")
        agents = self.policy.agents
        identity = [("id", agents.id), ("role", agents.role), ("name", agents.name), ("team", agents.team),
                    ("period", agents.period)]
        wanted = [name for _, name in identity if name] + [c.name for c in needed_columns(self.policy)]
        missing, problems = [], []
        index: dict[str, int] = {}
        for name in dict.fromkeys(wanted):
            found = find_header(header, name)
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
        self._columns = [(index[c.name], c.name, _cached(c.read), c.kpi) for c in needed_columns(self.policy)]
        self._width = len(header)

    def parse(self, line: int, cells: list[str]) -> AgentRow | None:
        """The row's AgentRow, or None (blank, or bad: the problem is recorded)."""
        if not any(cell.strip() for cell in cells):
            self.blank_rows += 1
            return None
        self.rows_read += 1
        if len(cells) > self._width and not any(cell.strip() for cell in cells[self._width:]):
            cells = cells[: self._width]  # Excel often leaves empty cells after the last column
        if len(cells) != self._width:
            self.problems.add(f"{self.path}: row {line}: has {len(cells)} cells, expected {self._width} "
                              f"like the header")
            return None
        row = self._identify(line, cells)
        ok = row is not None
        for index, name, read, kpi in self._columns:
            text = cells[index]
            try:
                value = read(text)
            except CellError as error:
                self.problems.add(f'{self.path}: row {line}, column "{name}": got "{_clip(text)}", '
                                  f"expected {error.expected}")
                ok = False
                continue
            if ok:
                if kpi is None:
                    row.numbers[name] = value
                else:
                    row.kpis[kpi] = value
        return row if ok else None

    def _identify(self, line: int, cells: list[str]) -> AgentRow | None:
        ident = {key: cells[i].strip() for key, i in self._identity.items()}
        agent_id, role = ident["id"], ident["role"]
        if clean(agent_id).casefold() in TOTAL_MARKERS:
            self.problems.add(f"{self.path}: row {line}: looks like a totals row ({agent_id!r}); "
                              f"remove it, cspay adds up the totals itself")
            return None
        problem = None
        if not agent_id:
            problem = f'column "{self.policy.agents.id}": the agent id is empty'
        elif agent_id in self._seen:
            problem = f"agent {agent_id!r} appears twice, in rows {self._seen[agent_id]} and {line}"
        elif role not in self.policy.roles:
            problem = (f'column "{self.policy.agents.role}": unknown role "{_clip(role)}", '
                       f"expected one of {', '.join(self.policy.roles)}")
        if agent_id and agent_id not in self._seen:
            self._seen[agent_id] = line
        if problem:
            separator = ", " if problem.startswith("column") else ": "
            self.problems.add(f"{self.path}: row {line}{separator}{problem}")
            return None
        return AgentRow(line, agent_id, role, ident.get("name", ""), ident.get("team", ""),
                        period=ident.get("period", ""))


class MetricsReader:
    """Streams AgentRows from a metrics CSV; raises MetricsError listing every problem at the end."""

    def __init__(self, path: str | Path, policy: Policy, *, encoding: str | None = None,
                 delimiter: str | None = None) -> None:
        self.path = str(path)
        self._file = self._open(Path(path), encoding)
        try:
            # A BOM left by a forced --encoding utf-8 is not part of the first column's name.
            first = self._file.readline().removeprefix("\ufeff")
            if _UNDECODABLE.search(first):
                raise MetricsError(self._undecodable(1))
            self.delimiter = delimiter or detect_delimiter(first)
            self.header = next(csv.reader([first], delimiter=self.delimiter), [])
            self.parser = RowParser(policy, self.header, self.path)
        except BaseException:
            self._file.close()
            raise

    def _open(self, path: Path, encoding: str | None) -> io.TextIOWrapper:
        try:
            raw = path.open("rb")
            if encoding is None:
                encoding = detect_encoding(raw.read(SNIFF_BYTES))
                raw.seek(0)
        except OSError as error:
            raise MetricsError(f"{path}: cannot read the metrics file: {error.strerror or error}") from None
        try:
            codecs.lookup(encoding)
        except LookupError:
            raw.close()
            raise MetricsError(f"{path}: unknown encoding {encoding!r}; try utf-8 or gb18030") from None
        self.encoding = encoding
        # Undecodable bytes become lone surrogates, found row by row: a strict decoder would fail
        # on a whole buffer at once, far from the row that holds them.
        return io.TextIOWrapper(raw, encoding=encoding, newline="", errors="surrogateescape")

    def _undecodable(self, line: int) -> str:
        return (f"{self.path}: row {line}: bytes that are not valid {self.encoding} text; "
                f"save the file as UTF-8, or pass --encoding")

    def __iter__(self) -> Iterator[AgentRow]:
        reader = csv.reader(self._file, delimiter=self.delimiter)
        problems = self.parser.problems
        line = 1
        try:
            while True:
                start = line + 1
                try:
                    cells = next(reader)
                except StopIteration:
                    break
                except csv.Error as error:
                    problems.add(f"{self.path}: row {start}: cannot be read as CSV: {error}")
                    break
                line = reader.line_num + 1
                if _has_undecodable(cells):
                    problems.add(self._undecodable(start))
                    continue
                row = self.parser.parse(start, cells)
                if row is not None:
                    yield row
        finally:
            self._file.close()
        problems.raise_if_any(MetricsError)


def _has_undecodable(cells: list[str]) -> bool:
    text = "".join(cells)
    return not text.isascii() and _UNDECODABLE.search(text) is not None


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} characters)"


def read_metrics(path: str | Path, policy: Policy, *, encoding: str | None = None,
                 delimiter: str | None = None) -> list[AgentRow]:
    """Every agent row of a metrics CSV, or a MetricsError naming each bad row and cell."""
    return list(MetricsReader(path, policy, encoding=encoding, delimiter=delimiter))
