"""A file of derived metrics made elsewhere: the result of `cspay metrics --sql` run in a warehouse (or a
`cspay metrics --format csv` file), saved as CSV or Parquet, read as the figures of a period.

Its columns are those `cspay metrics --format csv` writes: `month` when the period has several months,
`agent_id`, `rows`, then each metric's value, `.numerator` and `.denominator`, and optionally the
`unreadable` count the warehouse query adds. The file is checked against the policy's metric list, and
each value that is a quotient is made again from its numerator and denominator by cspay's own rules
(cspay.inputs.figures), so a warehouse's floating-point division never reaches pay; the file's value must
agree with it to 9 significant digits.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from cspay.cells import CellError, parse_number
from cspay.errors import MetricsError, Problems
from cspay.inputs.export_files import Record, open_export_file, records
from cspay.inputs.exports import AgentMetrics, Derived, DerivedTable
from cspay.inputs.figures import Figure, count_figure, fraction_figure, ratio_figure, total_figure
from cspay.inputs.rows import find_header
from cspay.inputs.sql_engine import EngineSettings, parquet_records
from cspay.periods import Period, months_of
from cspay.policy.metrics_spec import MetricsSpec

AGREEMENT = Decimal("1e-9")  # a file's quotient agrees when within this share of cspay's exact one
PARTS = ("", ".numerator", ".denominator")
KEYS = ("month", "agent_id", "rows", "unreadable")


def read_derived(spec: MetricsSpec, path: str | Path, period: Period, *, encoding: str | None = None,
                 delimiter: str | None = None, engine: EngineSettings | None = None) -> Derived:  # fmt: skip
    """The figures a file of derived metrics gives for each month of the period; every problem is
    reported at the file's row and column."""
    file = open_export_file(path, encoding, delimiter)
    if file.parquet:
        with parquet_records(file.path, engine or EngineSettings()) as (header, found):
            return _Reader(spec, str(file.path), period, header).read(found)
    return _Reader(spec, str(file.path), period, file.header).read(records(file))


@dataclass
class _Row:
    month: str
    agent: str
    rows: int
    line: int


class _Reader:
    def __init__(self, spec: MetricsSpec, source: str, period: Period, header: list[str]) -> None:
        self.spec, self.source, self.period = spec, source, period
        self.months = [month.label for month in months_of(period)]
        self.problems = Problems()
        self.columns = self._columns(header)

    def _columns(self, header: list[str]) -> dict[str, int]:
        """Where each expected column is; missing, doubled and unknown columns are reported together."""
        wanted = [name + part for name in self.spec.derived for part in PARTS]
        keys = [key for key in KEYS if key != "month" or len(self.months) > 1]
        problems, found = [], {}
        for name in [*keys, *wanted]:
            places = find_header(header, name)
            if len(places) > 1:
                shown = " and ".join(str(place + 1) for place in places)
                problems.append(f"{self.source}: row 1: column {name!r} appears more than once (columns {shown})")
            elif places:
                found[name] = places[0]
        if missing := [name for name in [*keys, *wanted] if name not in found and name != "unreadable"]:
            problems.insert(0, f"{self.source}: row 1: missing required columns: {', '.join(missing)} "
                               f"(the header has: {', '.join(header)})")  # fmt: skip
        if len(self.months) == 1 and (month := find_header(header, "month")):
            found["month"] = month[0]
        known = set(found.values())
        if extra := [name for index, name in enumerate(header) if index not in known]:
            problems.append(
                f"{self.source}: row 1: columns {', '.join(extra)} are not metrics of the policy's metrics: section "
                f"({', '.join(self.spec.derived)}); expected the columns `cspay metrics --format csv` writes"
            )
        if problems:
            raise MetricsError(problems)
        return found

    def read(self, found: Iterator[Record]) -> Derived:
        by_month: dict[str, list[AgentMetrics]] = {label: [] for label in self.months}
        seen: dict[tuple[str, str], int] = {}
        for line, cells in found:
            row = self._row(line, cells)
            if row is None:
                continue
            if (row.month, row.agent) in seen:
                self.problems.add(f'{self.source}: row {line}: agent "{row.agent}" in {row.month} is already on row '
                                  f"{seen[row.month, row.agent]}")  # fmt: skip
                continue
            seen[row.month, row.agent] = line
            figures = self._figures(line, cells, row)
            if figures is not None:
                by_month[row.month].append(AgentMetrics(row.agent, row.rows, figures))
        self.problems.raise_if_any(MetricsError)
        metrics = list(self.spec.derived)
        tables = [
            DerivedTable(self.source, month, metrics, sorted(by_month[month.label], key=lambda agent: agent.agent_id))
            for month in months_of(self.period)
        ]
        return Derived(self.source, self.period, metrics, tables, None, 0)

    def cell(self, cells: list[str], name: str) -> str:
        index = self.columns[name]
        return cells[index].strip() if index < len(cells) else ""

    def _row(self, line: int, cells: list[str]) -> _Row | None:
        """The month, agent and rows of a line; None after reporting what is wrong with them."""
        where = f"{self.source}: row {line}"
        agent = self.cell(cells, "agent_id")
        if "unreadable" in self.columns and (count := self.cell(cells, "unreadable")) not in ("", "0"):
            whose = f'of agent "{agent}"' if agent else "it could not date or give an agent"
            unread = "1 row" if count == "1" else f"{count} rows"
            self.problems.add(f'{where}, column "unreadable": the query could not read {unread} {whose} (a cell of '
                              f"each is bad or spelled unusually); run `cspay metrics` on the export to see each "
                              f"one")  # fmt: skip
            return None
        month = self.cell(cells, "month") if "month" in self.columns else self.months[0]
        if month not in self.months:
            self.problems.add(f'{where}, column "month": got "{month}", expected a month of {self.period.label} '
                              f"({', '.join(self.months)})")  # fmt: skip
            return None
        if not agent:
            self.problems.add(f'{where}, column "agent_id": got "", expected an agent id')
            return None
        rows = self._number(line, cells, "rows", "a count of rows")
        if rows is None or rows < 0 or rows != rows.to_integral_value():
            if rows is not None:
                self.problems.add(f'{where}, column "rows": got "{self.cell(cells, "rows")}", expected a count of rows')
            return None
        return _Row(month, agent, int(rows), line)

    def _number(self, line: int, cells: list[str], name: str, expected: str = "a number") -> Decimal | None:
        text = self.cell(cells, name)
        if not text:
            if name == "rows":
                self.problems.add(f'{self.source}: row {line}, column "rows": got "", expected {expected}')
            return None
        try:
            return parse_number(text, expected)
        except CellError as error:
            self.problems.add(f'{self.source}: row {line}, column "{name}": got "{text}", expected {error.expected}')
            return None

    def _figures(self, line: int, cells: list[str], row: _Row) -> dict[str, Figure] | None:
        """Each metric's figure made by cspay's rules from the file's parts, which must agree with it."""
        done: dict[str, Figure] = {}
        found, unknown = Problems(), set[str]()
        for name, metric in self.spec.derived.items():
            kind, spec = metric.aggregation()
            given = dict(zip(PARTS, (self._number(line, cells, name + part) for part in PARTS), strict=True))
            wholes = [part for part in _WHOLE.get(kind, (".denominator",)) if not _whole(given[part])]
            unread = any(given[part] is None and self.cell(cells, name + part) for part in PARTS)
            if unread or (kind == "ratio" and {spec.numerator, spec.denominator} & unknown):
                unknown.add(name)  # a cell that is no number is reported as such; what it feeds is not checked
                continue
            if wholes:
                for part in wholes:
                    found.add(self._wrong(line, cells, name + part, "a whole number"))
                unknown.add(name)
                continue
            figure, checks = _made(kind, spec, given, done, row)
            done[name] = figure
            for part, expected, rule in checks:
                if not _agrees(given[part], expected):
                    found.add(self._wrong(line, cells, name + part, f"{_text(expected)} ({rule})"))
        for message in found.messages:
            self.problems.add(message)
        return None if found or unknown else done

    def _wrong(self, line: int, cells: list[str], column: str, expected: str) -> str:
        return f'{self.source}: row {line}, column "{column}": got "{self.cell(cells, column)}", expected {expected}'


# The parts that count rows, and so are whole numbers, for each kind of metric (default: the denominator).
_WHOLE = {"count": (".numerator",), "share": (".numerator", ".denominator"), "top_box": (".numerator", ".denominator"),
          "ratio": ()}  # fmt: skip
_DIGITS = "to 9 significant digits"


def _whole(number: Decimal | None) -> bool:
    return number is not None and number >= 0 and number == number.to_integral_value()


def _made(kind: str, spec: Any, given: dict[str, Decimal | None], done: dict[str, Figure], row: _Row
          ) -> tuple[Figure, list[tuple[str, Decimal | None, str]]]:  # fmt: skip
    """The figure cspay makes of a metric's parts, and what each part of the file must then be, and why."""
    value, numerator, denominator = (given[part] for part in PARTS)
    if kind == "count":
        figure = count_figure(int(numerator or 0), row.rows)
        return figure, [
            ("", figure.value, f"its numerator, {_DIGITS}"),
            (".denominator", figure.denominator, "the agent's rows"),
        ]
    if kind in ("share", "top_box"):
        figure = fraction_figure(int(numerator or 0), int(denominator or 0), spec.per)
        return figure, [("", figure.value, f"numerator × {spec.per} / denominator, {_DIGITS}")]
    if kind in ("sum", "mean"):
        figure = total_figure(kind, numerator, int(denominator or 0))
        rule = "its numerator" if kind == "sum" else "numerator / denominator"
        return figure, [
            ("", figure.value, f"{rule}, {_DIGITS}"),
            (".numerator", figure.numerator, "empty over no values"),
        ]
    if kind == "ratio":
        figure = ratio_figure(done[spec.numerator].value, done[spec.denominator].value, spec.per)
        return figure, [
            ("", figure.value, f"{spec.numerator} × {spec.per} / {spec.denominator}, {_DIGITS}"),
            (".numerator", figure.numerator, f"the value of {spec.numerator}, {_DIGITS}"),
            (".denominator", figure.denominator, f"the value of {spec.denominator}, {_DIGITS}"),
        ]
    values = denominator or Decimal(0)
    figure = Figure(value if values else None, None, values)
    return figure, [("", figure.value, "empty over no values"), (".numerator", None, "an order statistic has none")]


def _agrees(given: Decimal | None, exact: Decimal | None) -> bool:
    """Whether a file's part is cspay's exact one, to 9 significant digits; both missing agrees."""
    if given is None or exact is None:
        return given is None and exact is None
    return abs(given - exact) <= abs(exact) * AGREEMENT


def _text(value: Decimal | None) -> str:
    return "an empty cell" if value is None else format(value, "f")
