"""A rates file for a consolidated view: `date,from,to,rate` rows, 1 `from` = `rate` `to` on `date`, each
rate an exact decimal from its text. For a period, each currency's rate is its latest dated in the period."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from cspay.cells import clean
from cspay.currencies import EXAMPLES, is_currency
from cspay.engine.consolidate import Rate
from cspay.errors import MetricsError, Problems
from cspay.inputs.tables import locate, read_csv, width_problem
from cspay.periods import Period

COLUMNS = ("date", "from", "to", "rate")


def read_rates(path: str | Path) -> list[Rate]:
    """Every rate of the file; each bad cell is named with its row and column, all at once."""
    file = read_csv(path)
    index = locate(file, list(COLUMNS))
    problems, rates = Problems(), []
    seen: dict[tuple[date, str, str], int] = {}
    for line, cells in file.records:
        if problem := width_problem(file, line, cells):
            problems.add(problem)
            continue
        found = _rate(str(file.path), line, {name: cells[index[name]] for name in COLUMNS}, problems)
        if found is None:
            continue
        key = (found.day, found.source, found.target)
        if key in seen:
            problems.add(
                f"{file.path}: row {line}: a second rate from {found.source} to {found.target} on {found.day} "
                f"(the first is on row {seen[key]}); expected one rate per pair and date"
            )
            continue
        seen[key] = line
        rates.append(found)
    problems.raise_if_any(MetricsError)
    return rates


def _rate(path: str, line: int, cells: dict[str, str], problems: Problems) -> Rate | None:
    def bad(column: str, expected: str) -> None:
        problems.add(f'{path}: row {line}, column "{column}": got "{cells[column].strip()}", expected {expected}')

    day = None
    try:
        day = date.fromisoformat(clean(cells["date"]))
    except ValueError:
        bad("date", "a date like 2026-11-30")
    codes = {}
    for column in ("from", "to"):
        codes[column] = clean(cells[column]).upper()
        if not is_currency(codes[column]):
            bad(column, f"an ISO 4217 currency code like {EXAMPLES}")
    rate = None
    with suppress(InvalidOperation):
        rate = Decimal(clean(cells["rate"]))
    if rate is None or not rate.is_finite() or rate <= 0:
        bad("rate", "a number above 0, like 0.0462 (1 of the `from` currency in the `to` currency)")
        rate = None
    if day is None or rate is None or not all(map(is_currency, codes.values())):
        return None
    return Rate(day, codes["from"], codes["to"], rate, line)


def rates_for(
    path: str | Path, rates: Iterable[Rate], currencies: Iterable[str], to: str, period: Period
) -> dict[str, Rate]:
    """The rate of each currency into `to` for the period: the latest dated in it. Every currency without
    one is an error naming the file, the pair and the period's dates (a rate the other way round is not
    turned round: 1/rate is seldom an exact decimal)."""
    chosen: dict[str, Rate] = {}
    for rate in rates:
        if rate.target == to and rate.day in period and rate.day >= chosen.get(rate.source, rate).day:
            chosen[rate.source] = rate
    missing = [code for code in dict.fromkeys(currencies) if code != to and code not in chosen]
    if missing:
        span = f"{period.label} ({period.first.isoformat()} to {period.last.isoformat()})"
        raise MetricsError(
            [
                f"{path}: no rate from {code} to {to} dated in {span}; expected a row like "
                f"{period.last.isoformat()},{code},{to},<rate>"
                for code in missing
            ]
        )
    return chosen
