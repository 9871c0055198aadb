"""The embedded engine: DuckDB runs a metrics section's query over a CSV or Parquet export, streaming,
on a bounded amount of memory, and hands back each month and agent's exact parts.

A run takes one pass over the export when every cell is spelled plainly; when some are not, a second
pass collects their distinct texts for cspay's readers and a third runs with those readings. When the
period holds bad cells (or DuckDB meets a record it cannot read), cspay's own reader walks the file to
report each one at its row, as it always has.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cspay.errors import MetricsError, UsageProblem
from cspay.inputs.export_files import ExportFile, Record, readable_copy, records, rewritten
from cspay.inputs.export_problems import problems_of
from cspay.inputs.sql_cells import BAD, OK, UNRESOLVED, Inexact, NumberReader, fits, ident, string
from cspay.inputs.sql_query import FAST_SCALE, HERE_SCALE, Plan, Target, lookup_table
from cspay.inputs.tables import CsvFile, locate

if TYPE_CHECKING:
    import duckdb

# Every character Python's str.strip() removes: a record of them alone is blank, and left out.
WHITESPACE = "".join(chr(code) for code in range(0x3001) if chr(code).isspace())
_MEMORY = re.compile(r"\d+(\.\d+)?\s*(K|M|G|T)i?B", re.IGNORECASE)
FETCH = 10_000


@dataclass(frozen=True)
class EngineSettings:
    """How much of the machine the embedded engine may use: its memory limit and worker threads."""

    memory_limit: str = "1GB"
    threads: int = 2

    def check(self) -> EngineSettings:
        """UsageProblem unless the memory limit reads like 512MB or 2GiB and the threads number 1 or more."""
        if not _MEMORY.fullmatch(self.memory_limit.strip()):
            raise UsageProblem(f'expected an amount like 512MB or 2GB, got "{self.memory_limit}"', "--memory-limit")
        if self.threads < 1:
            raise UsageProblem(f"expected 1 or more threads, got {self.threads}", "--threads")
        return self


@dataclass(frozen=True)
class Parts:
    """What the query gave: a row of exact parts per month and agent, and the rows the export holds."""

    columns: dict[str, int]
    groups: list[tuple[Any, ...]]

    def get(self, group: tuple[Any, ...], name: str) -> Any:
        return group[self.columns[name]]


class _Rewrite(Exception):
    """DuckDB read the CSV otherwise than the csv module would, though the file has no problem: the
    records must be rewritten plainly first."""


def aggregate(plan: Plan, file: ExportFile, settings: EngineSettings) -> Parts:
    """Each month and agent's parts for the plan's period; MetricsError lists every bad cell or row."""
    import duckdb

    with tempfile.TemporaryDirectory(prefix="cspay-") as folder, _connect(settings, Path(folder)) as con:
        try:
            return _Run(plan, file, con, Path(folder)).parts()
        except duckdb.OutOfRangeException as error:
            raise MetricsError(f"{file.path}: a sum of the export's cells is too large to keep exactly "
                               f"({str(error).splitlines()[0]})") from None  # fmt: skip


@contextmanager
def parquet_records(path: Path, settings: EngineSettings) -> Iterator[tuple[list[str], Iterator[Record]]]:
    """A Parquet file's column names, and its rows as text (row 1 is the first) as they stream."""
    import duckdb

    with tempfile.TemporaryDirectory(prefix="cspay-") as folder, _connect(settings.check(), Path(folder)) as con:
        source = f"read_parquet({string(str(path))}, file_row_number = true)"
        try:
            header = [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()][:-1]
            texts = ", ".join(f"CAST({ident(name)} AS VARCHAR)" for name in header)
            cursor = con.execute(f"SELECT file_row_number + 1, {texts} FROM {source} ORDER BY file_row_number")
        except duckdb.Error as error:
            raise MetricsError(f"{path}: cannot be read as Parquet: {str(error).splitlines()[0]}") from None

        def rows() -> Iterator[Record]:
            while batch := cursor.fetchmany(FETCH):
                for line, *cells in batch:
                    yield line, ["" if cell is None else cell for cell in cells]

        yield header, rows()


def _connect(settings: EngineSettings, folder: Path) -> duckdb.DuckDBPyConnection:
    import duckdb

    config: dict[str, str | bool | int | float | list[str]] = {
        "threads": settings.threads,
        "memory_limit": settings.memory_limit,
        "temp_directory": str(folder / "spill"),  # never the current folder: cron may run where none can write
        "autoinstall_known_extensions": False,  # no download, ever
        "autoload_known_extensions": False,
    }
    try:
        con = duckdb.connect(":memory:", config=config)
    except duckdb.Error as error:
        raise UsageProblem(f"the engine refused the setting: {str(error).splitlines()[0]}", "--memory-limit") from None
    # DuckDB turns a long IN list into a join, which splits a reader's CASE so that it is computed again
    # for every aggregate that reads the cell: twice the time, measured on the benchmark's export.
    con.execute("SET disabled_optimizers = 'in_clause'")
    con.execute("SET enable_progress_bar = false")  # cspay's own output only, on a terminal too
    return con


class _Run:
    """One aggregation: the export opened as a view, then the query's passes."""

    def __init__(self, plan: Plan, file: ExportFile, con: duckdb.DuckDBPyConnection, folder: Path) -> None:
        self.plan, self.file, self.con, self.folder = plan, file, con, folder
        self.ordered = any(metric.aggregation()[0] in ("median", "min", "max", "percentile")
                           for metric in plan.spec.derived.values())  # fmt: skip
        self.names = {column.index: f"q{column.index}" for column in plan.columns}

    def parts(self) -> Parts:
        if self.file.parquet:
            self._parquet_view()
            return self._passes()
        header = self.file.header
        self.indexes = self._locate(header)
        copy = readable_copy(self.file, self.folder)
        try:
            if copy is None:
                raise _Rewrite
            self._csv_view(copy, len(header))
            return self._passes(rejects=True)
        except _Rewrite:
            plain = rewritten(self.file, self.folder, len(header))
            if plain is None:  # a record of the wrong width: reported with every other problem, as always
                self._report(records(self.file), len(header))
                raise AssertionError("the csv module found a record of the wrong width") from None  # pragma: no cover
            self._csv_view(plain, len(header))
            return self._passes()

    def _locate(self, header: list[str]) -> dict[int, int]:
        """Each query column's index in the file; missing and doubled columns are reported together."""
        places = locate(CsvFile(self.file.path, header, []), [column.name for column in self.plan.columns])
        return {column.index: places[column.name] for column in self.plan.columns}

    def _csv_view(self, path: Path, width: int) -> None:
        columns = "{" + ", ".join(f"{string(f'c{index}')}: 'VARCHAR'" for index in range(width)) + "}"
        self.con.execute("DROP VIEW IF EXISTS cspay_export")
        self.con.execute("DROP TABLE IF EXISTS cspay_rejects; DROP TABLE IF EXISTS cspay_reject_scans")
        options = (f"header = true, delim = {string(self.file.delimiter)}, quote = '\"', escape = '\"', "
                   f"auto_detect = false, columns = {columns}, encoding = 'utf-8', store_rejects = true, "
                   f"rejects_table = 'cspay_rejects', rejects_scan = 'cspay_reject_scans'")  # fmt: skip
        date = f"c{self.indexes[1]}"
        anything = f"'[^{WHITESPACE}]'"
        every = ", ".join(f"c{index}" for index in range(width))
        kept = f"REGEXP_MATCHES(COALESCE({date}, ''), {anything}) OR REGEXP_MATCHES(CONCAT_WS('', {every}), {anything})"
        self._view(f"read_csv({string(str(path))}, {options})", "c", kept)

    def _parquet_view(self) -> None:
        import duckdb

        source = f"read_parquet({string(str(self.file.path))}, file_row_number = true)"
        try:
            described = self.con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
        except duckdb.Error as error:
            raise MetricsError(f"{self.file.path}: cannot be read as Parquet: {str(error).splitlines()[0]}") from None
        header = [name for name, *_ in described if name != "file_row_number"]
        types = {name: kind for name, kind, *_ in described}
        self.indexes = self._locate(header)
        self.parquet_header = header
        date = header[self.indexes[1]]
        if types[date].upper().startswith(("DATE", "TIMESTAMP")):  # a typed date is written in the policy's format
            self.date_text = f"STRFTIME({ident(date)}, {string(self.plan.spec.source.date.format)})"
        else:
            self.date_text = ident(date)
        self._view(source, "parquet", "TRUE")

    def _view(self, source: str, kind: str, kept: str) -> None:
        """The export as the query reads it: q<i> for each column, and cspay_line in file order."""
        selected = []
        for index, place in self.indexes.items():
            if kind == "c":
                selected.append(f"c{place} AS q{index}")
            elif index == 1:
                selected.append(f"{self.date_text} AS q{index}")
            else:
                selected.append(f"{ident(self.parquet_header[place])} AS q{index}")
        line = "file_row_number + 1" if kind == "parquet" else "ROW_NUMBER() OVER ()"
        if self.ordered or kind == "parquet":
            selected.insert(0, f"{line} AS cspay_line")
        self.con.execute(
            f"CREATE OR REPLACE TEMP VIEW cspay_export AS SELECT {', '.join(selected)} FROM {source} WHERE {kept}"
        )

    def _passes(self, rejects: bool = False) -> Parts:
        """The query, with lookups of unresolved texts when there are any; bad cells are reported.

        Numbers are first read as DECIMAL(18, 3); a cell or condition that needs more places or digits
        makes the query run again as DECIMAL(38, 18), so nothing is ever rounded.
        """
        target = Target(FAST_SCALE, here=True, ordered=self.ordered)
        try:
            sql = self.plan.query("cspay_export", self.names, target)
        except Inexact:
            target = Target(HERE_SCALE, here=True, ordered=self.ordered)
            sql = self.plan.query("cspay_export", self.names, target)
        parts = self._fetch(sql, rejects)
        if self._count(parts, UNRESOLVED):
            target = self._lookups(target)
            parts = self._fetch(self.plan.query("cspay_export", self.names, target), rejects=False)
        if self._count(parts, BAD) or self._count(parts, UNRESOLVED):
            self._report(self._records(), None if self.file.parquet else len(self.file.header))
            raise AssertionError("the engine found bad cells that cspay's reader reads")  # pragma: no cover
        return parts

    def _fetch(self, sql: str, rejects: bool) -> Parts:
        import duckdb

        try:
            cursor = self.con.execute(sql)
            columns = {column[0]: index for index, column in enumerate(cursor.description or [])}
            groups = cursor.fetchall()
        except (duckdb.InvalidInputException, duckdb.ConversionException) as error:
            if self.file.parquet:
                raise MetricsError(f"{self.file.path}: cannot be read: {str(error).splitlines()[0]}") from None
            raise _Rewrite from None
        if rejects and self.con.execute("SELECT COUNT(*) FROM cspay_rejects").fetchone() != (0,):
            raise _Rewrite
        return Parts(columns, groups)

    def _count(self, parts: Parts, state: int) -> int:
        key = "cspay_bad" if state == BAD else "cspay_unresolved"
        return sum(parts.get(group, key) for group in parts.groups)

    def _lookups(self, target: Target) -> Target:
        """Tables of cspay's reading of each unresolved text, one per column that has any; read as
        DECIMAL(38, 18) when a number needs more than the query's type keeps."""
        row = self.con.execute(self.plan.unresolved_query("cspay_export", self.names, target))
        found = row.fetchone() or ()
        readers = self.plan.readers(target.scale)
        readings = [[reader.read(text) for text in texts or []] for reader, texts in zip(readers, found, strict=True)]
        numbers = [Decimal(outputs[0]) for reader, read in zip(readers, readings, strict=True)
                   if isinstance(reader, NumberReader) for state, outputs in read if state == OK]  # fmt: skip
        if not all(fits(number, target.scale) for number in numbers):
            target = Target(HERE_SCALE, here=True, ordered=target.ordered)
        tables = []
        for reader, texts, read in zip(self.plan.readers(target.scale), found, readings, strict=True):
            if not texts:
                continue
            index = reader.column.index
            columns = [("text", "VARCHAR"), ("x", "INTEGER"), *reader.lookup_types()]
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE {lookup_table(index)} "
                             f"({', '.join(f'{name} {kind}' for name, kind in columns)})")  # fmt: skip
            values = [list(texts), [state for state, _ in read]]
            values += [[outputs[position] for _, outputs in read] for position in range(len(columns) - 2)]
            casts = ", ".join(f"CAST(UNNEST(${n + 1}) AS {kind})" for n, (_, kind) in enumerate(columns))
            self.con.execute(f"INSERT INTO {lookup_table(index)} SELECT {casts}", values)
            tables.append(index)
        return Target(target.scale, here=True, lookups=frozenset(tables), ordered=target.ordered)

    def _records(self) -> Iterator[Record]:
        if not self.file.parquet:
            yield from records(self.file)
            return
        columns = ", ".join(f"CAST(q{index} AS VARCHAR)" for index in sorted(self.indexes))
        cursor = self.con.execute(f"SELECT cspay_line, {columns} FROM cspay_export ORDER BY cspay_line")
        while batch := cursor.fetchmany(FETCH):
            for line, *cells in batch:
                yield line, ["" if cell is None else cell for cell in cells]

    def _report(self, found: Iterator[Record], width: int | None) -> None:
        """Raise the problems of the records, as cspay's reader finds them, if there are any."""
        spec = self.plan.spec
        if self.file.parquet:  # records hold the query's columns, in their order
            columns = {column.name: column.index for column in self.plan.columns}
        else:
            columns = {column.name: self.indexes[column.index] for column in self.plan.columns}
        problems = problems_of(str(self.file.path), spec, self.plan.period, found, columns, width)
        problems.raise_if_any(MetricsError)
