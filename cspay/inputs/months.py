"""Metrics files for a period: one month's file as it streams, or a quarter's or year's monthly files,
checked and combined (cspay.inputs.combine) into one row per agent."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import cast

from cspay.engine.period import period_policy
from cspay.engine.spans import Change, Spans
from cspay.engine.types import AgentRow
from cspay.errors import MetricsError, Problems, UsageProblem
from cspay.i18n import Note
from cspay.inputs.collector import collector_paused
from cspay.inputs.columns import month_columns
from cspay.inputs.combine import Month, combined, month_fold, split_month
from cspay.inputs.files import InputFile, input_file
from cspay.inputs.fold import Fold
from cspay.inputs.metrics import MetricsReader
from cspay.inputs.source import Source
from cspay.periods import MONTHS_IN, Period, period_of, read_month_cell
from cspay.policy.model import Policy

BATCH_ROWS = 512  # rows read and folded together, column by column


def metric_files(paths: Iterable[Path], policy: Policy) -> list[Path]:
    """The monthly files to read: each path given, a folder standing for its *.csv files by name."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix.lower() == ".csv" and p.is_file())
            if not found:
                raise UsageProblem(f"{path}: the folder holds no *.csv files", "METRICS")
            files += found
        else:
            files.append(path)
    seen: dict[Path, Path] = {}
    for path in files:
        if seen.setdefault(path.resolve(), path) is not path:
            raise UsageProblem(f"{path}: given twice; expected each month's file once", "METRICS")
    months = MONTHS_IN[policy.period]
    if months == 1 and len(files) > 1:
        raise UsageProblem(
            f"the policy {policy.path} has period: month and reads one metrics file, got "
            f"{len(files)}; to pay a quarter from its months, use a policy with period: quarter",
            "METRICS",
        )
    if len(files) > months:
        raise UsageProblem(
            f"a {policy.period} has {months} months, got {len(files)} metrics files: {', '.join(map(str, files))}",
            "METRICS",
        )
    return files


def check_distinct_files(files: list[InputFile]) -> None:
    """Refuse two files with the same bytes: one month copied as another pays it twice."""
    seen: dict[str, str] = {}
    for item in files:
        if item.sha256 in seen:
            raise MetricsError(f"{item.path}: has the same content as {seen[item.sha256]}; expected one file per month")
        seen[item.sha256] = item.path


class MonthCheck:
    """Checks one file's period column: each row names a month in the period asked for, all the same."""

    def __init__(self, path: str, column: str, period: Period | None, problems: Problems) -> None:
        self.path, self.column, self.period, self.problems = path, column, period, problems
        self.month: Period | None = None
        self._first_line = 0

    def column_month(self, rows: list[list[str]], at: int | None) -> Period | None:
        """The month every row of a batch names, when all name the same one and it passes the check (the
        file's month, within the period); None when a row needs checking on its own."""
        try:
            texts = {cells[at].strip() for cells in rows} if at is not None else set()
            month = read_month_cell(texts.pop()) if len(texts) == 1 else None
        except (IndexError, ValueError):
            return None
        if month is None or (self.period is not None and month.first not in self.period):
            return None
        return month if self.month is None or month == self.month else None

    def took(self, month: Period, line: int) -> None:
        """A batch from `line` on named `month` (column_month): the file's month, when it is the first."""
        if self.month is None:
            self.month, self._first_line = month, line

    def check(self, row: AgentRow) -> None:
        where = f'{self.path}: row {row.line}, column "{self.column}": got "{row.period}", expected'
        try:
            month = read_month_cell(row.period)
        except ValueError as error:
            self.problems.add(f"{where} {error}")
            return
        if self.period is not None and month.first not in self.period:
            self.problems.add(f"{where} {_within(self.period)} (--period)")
        elif self.month is None:
            self.month, self._first_line = month, row.line
        elif month != self.month:
            self.problems.add(f"{where} {self.month.label} like row {self._first_line}; a file holds one month")


def _within(period: Period) -> str:
    if period.kind == "month":
        return f"a date in {period.label}"
    return f"a month in {period.label} ({period.first:%Y-%m} to {period.last:%Y-%m})"


def checked_rows(rows: Iterable[AgentRow], check: MonthCheck) -> Iterator[AgentRow]:
    """The rows as they stream, each checked; the reader's problems and the check's are raised together."""
    try:
        for row in rows:
            check.check(row)
            yield row
    except MetricsError as error:
        raise MetricsError(error.lines() + check.problems.messages, hidden=check.problems.hidden) from None
    check.problems.raise_if_any(MetricsError)


def fold_months(
    files: list[Path],
    policy: Policy,
    period: Period | None,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> tuple[list[Month], Fold[Month], Period | None]:
    """Each file's rows folded into one figure per agent (cspay.inputs.fold), the files in month order; each
    row's month checked as it goes by. The problems of all the files are reported together: what the files
    say wrong first, then the months they name, then where those months fall.

    Returns the files as months in month order, the fold and the period: the one asked for, else the one
    that holds the earliest month.
    """
    column = policy.agents.period
    months = [Month(str(path), ()) for path in files]
    failed: dict[int, list[str]] = {}  # the reading's problems, by the file's place among those given
    order = list(range(len(files)))
    if column is not None:  # by the month each file's first row names (a stable sort, as ever)
        first = {}
        for index, path in enumerate(files):
            try:
                first[index] = _first_month(MetricsReader(path, policy, encoding=encoding, delimiter=delimiter))
            except MetricsError as error:
                failed[index] = error.lines()
        order.sort(key=lambda index: first.get(index) or date.min)
    fold = month_fold(policy)
    checks = [Problems() for _ in files]
    for index in order:
        if index in failed:
            continue
        month = months[index]
        check = MonthCheck(month.path, column, period, checks[index]) if column is not None else None
        try:
            fold_file(fold, month, MetricsReader(files[index], policy, encoding=encoding, delimiter=delimiter), check)
        except MetricsError as error:
            failed[index] = error.lines()
        month.month = check.month if check is not None else None
    if failed:
        raise MetricsError([line for index in sorted(failed) for line in failed[index]])
    problems = Problems()
    for check_problems in checks:
        problems.extend(check_problems)
    problems.raise_if_any(MetricsError)
    placed = [months[index] for index in order]
    return placed, fold, place_months(placed, policy, period)


def _first_month(reader: MetricsReader) -> date | None:
    """The first day of the month a file's first agent row names, when it names one."""
    row = reader.first_row()
    try:
        return read_month_cell(row.period).first if row is not None else None
    except ValueError:
        return None


def fold_file(fold: Fold[Month], month: Month, reader: MetricsReader, check: MonthCheck | None) -> None:
    """A month's file folded a batch at a time: a batch whose every row is plain (and names the month the
    file holds) column by column, any other row by row as RowParser.parse reads and reports it, each
    checked. MetricsError at the end for bad rows."""
    fold.start(month)
    parser = reader.parser
    for first, batch_rows in reader.batches(BATCH_ROWS):
        if first is not None:
            rows = cast(list[list[str]], batch_rows)
            named = check.column_month(rows, parser.period_at) if check is not None else None
            batch = month_columns(parser, rows, first) if check is None or named is not None else None
            if batch is not None:
                if check is not None and named is not None:
                    check.took(named, first)
                fold.add_columns(batch)
                continue
            numbered: Iterable[tuple[int, list[str] | None]] = enumerate(rows, first)
        else:
            numbered = cast(list[tuple[int, list[str] | None]], batch_rows)
        read = []
        for line, cells in numbered:
            if cells is None:
                reader.unreadable(line)
                continue
            row = parser.parse(line, cells)
            if row is not None:
                if check is not None:
                    check.check(row)
                read.append(row)
        if read:
            fold.add_rows(read)
    reader.finish()


def place_months(months: list[Month], policy: Policy, period: Period | None) -> Period | None:
    """Check that no month comes twice and that all fall in one period, the months' files in month order
    (each row checked: cspay.inputs.months.MonthCheck).

    Returns the period: the one asked for, else the one that holds the earliest month.
    """
    if policy.agents.period is None:
        return period
    problems = Problems()
    dated = [(m.month, m) for m in months if m.month is not None]
    period = period or (period_of(dated[0][0].first, policy.period) if dated else None)
    for before, (held, month) in zip([None, *dated], dated, strict=False):
        if before is not None and before[0] == held:
            problems.add(f"{month.path}: holds {held.label}, like {before[1].path}; expected one file per month")
        elif period is not None and held.first not in period:
            problems.add(
                f"{month.path}: holds {held.label}, outside {period.label} of {dated[0][1].path}; "
                f"the files of a {policy.period} must fall in one {policy.period}"
            )
    problems.raise_if_any(MetricsError)
    return period


def open_period(
    policy: Policy,
    files: list[Path],
    period: Period | None = None,
    *,
    changes: Mapping[str, Sequence[Change]] | None = None,
    spans: Spans | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> Source:
    """A month's rows as they stream, or a quarter's or year's months read, checked and combined; each
    agent's period split into parts by `changes` and the `spans` of the policy's role amounts."""
    provenance = [input_file("metrics", path) for path in files]
    column = policy.agents.period
    if policy.period == "month":
        rows: Iterable[AgentRow] = MetricsReader(files[0], policy, encoding=encoding, delimiter=delimiter)
        if column is not None:
            rows = checked_rows(rows, MonthCheck(str(files[0]), column, period, Problems()))
        if period is not None and (changes or (spans is not None and len(spans) > 1)):
            rows = split_month(rows, policy, period, changes or {}, spans)
        return Source(policy, policy, rows, period, provenance)
    check_distinct_files(provenance)
    with collector_paused():  # a period's agents and their figures: many objects, no cycles
        months, fold, period = fold_months(files, policy, period, encoding=encoding, delimiter=delimiter)
    if (changes or (spans is not None and len(spans) > 1)) and any(month.month is None for month in months):
        raise UsageProblem(
            f"{policy.path}: the days of the period matter here (a changes file, or role amounts that change within "
            f"{period.label if period else 'the period'}), so each monthly file must name its month: add the "
            f"policy's agents.period column",
            "METRICS",
        )
    with collector_paused():
        rows, notes = combined(policy, fold, changes, spans)
    if len(months) < MONTHS_IN[policy.period]:
        notes.insert(0, Note("note.fewer_months", {"files": len(months), "months": MONTHS_IN[policy.period]}))
    order = {month.path: index for index, month in enumerate(months)}  # the files as the months were placed
    provenance.sort(key=lambda item: order[item.path])
    return Source(policy, period_policy(policy), rows, period, provenance, notes)
