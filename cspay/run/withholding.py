"""A run's deductions: the statutory rules in force for its period and, for income tax withheld by the
cumulative method, each agent's year to date from the ledger and the opening balances -- which together
must cover every earlier month of the tax year, or the run is refused: it cannot know what was withheld."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cspay.cells import id_key
from cspay.engine.statutory import Withholder
from cspay.engine.types import YearToDate
from cspay.errors import MetricsError, UsageProblem
from cspay.inputs.source import Source
from cspay.periods import EXAMPLES, Period
from cspay.policy.in_force import in_force
from cspay.policy.packs import combine_packs

if TYPE_CHECKING:  # the ledger loads only for cumulative withholding: a run without one never does
    from cspay.ledger.year_reads import YearSoFar


@dataclass(frozen=True)
class Opening:
    """Opening balances, given on the command line or kept by the ledger: through which month, per agent,
    and where they came from (for messages)."""

    through: str
    agents: dict[str, YearToDate]
    source: str
    rows: dict[str, int]


def withholder(source: Source, ledger: Path | None) -> Withholder | None:
    """The deductions of a run of this source; None under a policy without `deductions:`. UsageProblem when
    the period is unknown, or when no ledger or opening balances say what earlier months withheld."""
    policy = source.applied
    deductions = policy.deductions
    if deductions is None:
        return None
    period = source.period
    if period is None:
        raise UsageProblem(
            f"the policy {policy.path} deducts contributions and tax by the rules in force in the period paid, "
            f"and withholds tax over the year: give --period, e.g. --period {EXAMPLES[policy.period]}",
            "--period",
        )
    rules = in_force(deductions, combine_packs(deductions.loaded), period.first, period=policy.period)
    # The packs' currency: the loader checked it is the policy's, and a payslip in another is refused.
    currency = policy.currency
    if rules.tax is None or rules.tax.method != "cumulative":
        return Withholder(rules, currency=currency)
    return Withholder(rules, year_to_date(source, ledger, period), currency=currency)


def year_to_date(source: Source, ledger: Path | None, period: Period) -> dict[str, YearToDate]:
    """Each agent's year before the month paid, by agent id as compared (cspay.cells.id_key): the opening
    balances, then the months the ledger recorded."""
    from cspay.ledger.book import Ledger
    from cspay.ledger.year_reads import YearSoFar

    year = period.first.year
    so_far = YearSoFar()
    if ledger is not None and ledger.exists():
        with Ledger(ledger) as book:
            so_far = book.year_so_far(year, period.first.isoformat())
    opening = _opening(source, so_far, period)
    _check_covered(period, so_far, opening, ledger)
    found: dict[str, YearToDate] = {}  # by id_key: the ledger and the opening balances may spell ids apart
    for agent, figures in so_far.agents.items():
        key = id_key(agent)
        found[key] = found.get(key, YearToDate()) + figures
    if opening is not None:
        _check_no_overlap(opening, so_far)
        for agent, figures in opening.agents.items():
            key = id_key(agent)
            found[key] = figures + found.get(key, YearToDate())
    return found


def _opening(source: Source, so_far: YearSoFar, period: Period) -> Opening | None:
    """The opening balances given, else those the ledger kept from an earlier run of the year."""
    given = source.opening
    if given is not None:
        return Opening(given.through.label, given.agents, given.path, given.rows)
    kept = so_far.opening
    if kept is None or kept.through >= period.label:
        return None
    return Opening(kept.through, kept.agents, f"the opening balances recorded with {kept.period}", {})


def _check_covered(period: Period, so_far: YearSoFar, opening: Opening | None, ledger: Path | None) -> None:
    through = opening.through if opening is not None else ""
    earlier = [f"{period.first.year}-{month:02d}" for month in range(1, period.first.month)]
    missing = [month for month in earlier if month > through and so_far.recorded.get(month) != "cumulative"]
    if not missing:
        return
    without = [month for month in missing if month in so_far.recorded]
    said = f" ({', '.join(without)} recorded without withholding income tax cumulatively)" if without else ""
    where = f"the ledger {ledger}" if ledger is not None and ledger.exists() else "no ledger"
    raise UsageProblem(
        f"income tax is withheld cumulatively over {period.first.year}, so paying {period.label} needs what "
        f"{_span(missing)} paid and withheld; {where} records it{said}: give --ledger with the months recorded, "
        f"or --opening FILE with each agent's year to date through {missing[-1]}",
        "--opening",
    )


def _span(months: list[str]) -> str:
    return months[0] if len(months) == 1 else f"{months[0]} to {months[-1]}"


def _check_no_overlap(opening: Opening, so_far: YearSoFar) -> None:
    """An agent's month counted by both the opening balances and the ledger would be counted twice."""
    problems = []
    recorded: dict[str, list[str]] = {}
    for agent, months in so_far.months.items():
        recorded.setdefault(id_key(agent), []).extend(months)
    for agent in opening.agents:
        twice = [month for month in recorded.get(id_key(agent), []) if month <= opening.through]
        if twice:
            row = f"row {opening.rows[agent]}: " if agent in opening.rows else ""
            problems.append(
                f"{opening.source}: {row}agent {agent!r}: the opening balances run through {opening.through}, and "
                f"the ledger records their withholding for {', '.join(twice)}; count each month once"
            )
    if problems:
        raise MetricsError(problems)
