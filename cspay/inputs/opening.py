"""Opening balances: each agent's year to date for the months paid before cspay took over the payroll, so
that income tax withheld by the cumulative method starts from the right figures.

One row per agent; the headers may be written in English or Chinese. Every row names the same month in
`through`, the last month its figures include; `months` is the months employed in the year up to it (the
basic deduction counts them).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from cspay.cells import CellError, id_key, is_missing, parse_number
from cspay.engine.types import YearToDate
from cspay.errors import MetricsError, Problems
from cspay.inputs.tables import CsvFile, locate, read_csv, width_problem
from cspay.periods import Period, read_month_cell

# Each figure's column, by the names it may be written with (the first found is read).
COLUMNS = {
    "through": ("through", "截至月份"),
    "months": ("months", "任职月数"),
    "income": ("income", "累计收入额"),
    "contributions": ("contributions", "累计专项扣除"),
    "special_deductions": ("special_deductions", "累计专项附加扣除"),
    "other_deductions": ("other_deductions", "累计其他扣除"),
    "tax_withheld": ("tax_withheld", "累计已预扣预缴税额"),
}
OPTIONAL = ("other_deductions",)
AMOUNT = "an amount of at least 0"


@dataclass(frozen=True)
class OpeningBalances:
    """Each agent's year to date through one month, and the row it came from."""

    path: str
    through: Period
    agents: dict[str, YearToDate]
    rows: dict[str, int]


def read_opening(path: str | Path, id_column: str) -> OpeningBalances:
    """The opening balances of a CSV file; every bad cell is reported at once with its row and column."""
    file = read_csv(path)
    names = _columns(file)
    index = locate(file, [id_column, *names.values()])
    problems = Problems()
    months_seen: dict[str, tuple[Period, int]] = {}
    agents: dict[str, YearToDate] = {}
    rows: dict[str, int] = {}
    seen: dict[str, int] = {}  # the row of each agent id, as compared (cspay.cells.id_key)
    for line, cells in file.records:
        if problem := width_problem(file, line, cells):
            problems.add(problem)
            continue
        agent = cells[index[id_column]].strip()
        if not agent:
            problems.add(f'{file.path}: row {line}, column "{id_column}": got "", expected an agent id')
            continue
        key = id_key(agent)  # "A001" and "a001" are one agent, as in the metrics
        if key in seen:
            problems.add(f'{file.path}: row {line}: agent "{agent}" is already on row {seen[key]}')
            continue
        rows[agent] = seen[key] = line
        figures = _figures(file, line, cells, names, index, problems)
        through = _through(file, line, cells[index[names["through"]]], names["through"], problems)
        if through is not None:
            months_seen.setdefault(through.label, (through, line))
            if figures is not None and figures.months > through.first.month:
                problems.add(
                    f'{file.path}: row {line}, column "{names["months"]}": got {figures.months}, expected at most '
                    f"{through.first.month}, the months from January to {through.label}"
                )
        if figures is not None:
            agents[agent] = figures
    if len(months_seen) > 1:
        (first, first_line), *others = months_seen.values()
        for month, line in others:
            problems.add(
                f'{file.path}: row {line}, column "{names["through"]}": {month.label}, but row {first_line} has '
                f"{first.label}; expected one month for the whole file"
            )
    if not file.records:
        problems.add(f"{file.path}: no rows; expected one row per agent with the year to date")
    problems.raise_if_any(MetricsError)
    through = next(iter(months_seen.values()))[0]
    return OpeningBalances(str(file.path), through, agents, rows)


def _columns(file: CsvFile) -> dict[str, str]:
    """The header's name for each figure: the first of its names the header has (the English one if none)."""
    from cspay.inputs.rows import find_header

    found = {}
    for key, options in COLUMNS.items():
        name = next((option for option in options if find_header(file.header, option)), None)
        if name is not None or key not in OPTIONAL:
            found[key] = name or options[0]
    return found


def _figures(
    file: CsvFile, line: int, cells: list[str], names: dict[str, str], index: dict[str, int], problems: Problems
) -> YearToDate | None:
    values: dict[str, Decimal] = {}
    for key, name in names.items():
        if key == "through":
            continue
        text = cells[index[name]]
        try:
            value = Decimal(0) if key in OPTIONAL and is_missing(text) else parse_number(text, AMOUNT)
            if value < 0 or (key == "months" and value != value.to_integral_value()):
                raise CellError("a whole number of months from 0 to 12" if key == "months" else AMOUNT)
        except CellError as error:
            problems.add(f'{file.path}: row {line}, column "{name}": got "{text.strip()}", expected {error.expected}')
            continue
        values[key] = value
    if len(values) < len(names) - 1:
        return None
    return YearToDate(
        int(values["months"]),
        values["income"],
        values["contributions"],
        values["special_deductions"],
        values.get("other_deductions", Decimal(0)),
        values["tax_withheld"],
    )


def _through(file: CsvFile, line: int, text: str, name: str, problems: Problems) -> Period | None:
    try:
        return read_month_cell(text)
    except ValueError as error:
        problems.add(f'{file.path}: row {line}, column "{name}": got "{text.strip()}", expected {error}')
        return None
