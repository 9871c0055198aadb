"""What if: two policies run on the same inputs, agent by agent: what it costs, who gains, who loses.

Each side is the run its policy pays from those inputs (cspay.run.pay): budget, period and roster
included, so each side's amounts are exactly what `cspay compute` pays under that policy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from cspay.engine.types import ZERO, AddsCurrencies, Payslip
from cspay.errors import MetricsError, PolicyError, UsageProblem
from cspay.inputs.resolve import open_inputs
from cspay.inputs.sql_engine import EngineSettings
from cspay.periods import Period
from cspay.policy.model import Policy
from cspay.run.pay import pay

HUNDRED = Decimal(100)
TOP = 5
AGENT_COLUMNS = ("agent_id", "name", "role", "team", "old_gross", "new_gross", "delta", "old_grade", "new_grade")


@dataclass(frozen=True)
class AgentChange:
    """One agent in one month under both policies."""

    month: str
    old: Payslip
    new: Payslip

    @property
    def delta(self) -> Decimal:
        return self.new.gross - self.old.gross

    @property
    def currency(self) -> str:
        """What both payslips are paid in (a comparison pairs only payslips of one currency)."""
        return self.old.currency


@dataclass(frozen=True)
class Totals:
    """Gross and bonus of a group of agents (everyone, a role, a team) paid in one currency, under both
    policies."""

    name: str
    headcount: int
    old_gross: Decimal
    new_gross: Decimal
    old_bonus: Decimal
    new_bonus: Decimal
    currency: str = ""

    @property
    def delta(self) -> Decimal:
        return self.new_gross - self.old_gross

    @property
    def bonus_delta(self) -> Decimal:
        return self.new_bonus - self.old_bonus

    @property
    def percent(self) -> Decimal | None:
        """The change in gross as a percentage of the old gross; None when the old gross is 0."""
        return percent(self.old_gross, self.new_gross)

    @property
    def bonus_percent(self) -> Decimal | None:
        return percent(self.old_bonus, self.new_bonus)


def percent(old: Decimal, new: Decimal) -> Decimal | None:
    """(new - old) / old as a percentage, None when old is 0."""
    return (new - old) / old * HUNDRED if old else None


def totals(name: str, changes: Iterable[AgentChange]) -> Totals:
    """A group's totals, all in one currency; its headcount counts agents, not agent-months."""
    changes = list(changes)
    currencies = {change.currency for change in changes}
    if len(currencies) > 1:
        raise AddsCurrencies(f"totals of {name or 'everyone'} in {', '.join(sorted(currencies))}")

    def total(amount: Callable[[AgentChange], Decimal]) -> Decimal:
        return sum((amount(change) for change in changes), ZERO)

    return Totals(
        name,
        len({change.old.agent_id for change in changes}),
        total(lambda c: c.old.gross),
        total(lambda c: c.new.gross),
        total(lambda c: c.old.bonus),
        total(lambda c: c.new.bonus),
        next(iter(currencies), ""),
    )


@dataclass(frozen=True)
class Comparison:
    """Every agent of every month under the old and the new policy."""

    old: Policy
    new: Policy
    months: list[str]
    changes: list[AgentChange]

    @property
    def several(self) -> bool:
        """Whether the agents compared are paid in more than one currency."""
        return len({change.currency for change in self.changes}) > 1

    def total(self) -> Totals:
        """Everyone's totals; AddsCurrencies when they are paid in several currencies (see `totals`)."""
        return totals("", self.changes)

    def totals(self) -> list[Totals]:
        """Everyone's totals, one per currency paid."""
        return self._grouped(lambda change: "")

    def by_role(self) -> list[Totals]:
        """Per role, as the old policy names it (where the agents are today), and currency."""
        return self._grouped(lambda change: change.old.role)

    def by_team(self) -> list[Totals]:
        return self._grouped(lambda change: change.old.team)

    def _grouped(self, key: Callable[[AgentChange], str]) -> list[Totals]:
        groups: dict[tuple[str, str], list[AgentChange]] = {}
        for change in self.changes:
            groups.setdefault((key(change), change.currency), []).append(change)
        return [totals(name, members) for (name, _), members in groups.items()]

    def counts(self) -> dict[str, int]:
        """How many agents gain, lose and stay the same, by their change over all the months compared (an
        agent paid in two currencies over those months counts once in each)."""
        by_agent: dict[tuple[str, str], Decimal] = {}
        for change in self.changes:
            key = (change.old.agent_id, change.currency)
            by_agent[key] = by_agent.get(key, ZERO) + change.delta
        deltas = list(by_agent.values())
        return {
            "gain": sum(d > 0 for d in deltas),
            "lose": sum(d < 0 for d in deltas),
            "same": sum(d == 0 for d in deltas),
        }

    def largest_gains(self, count: int = TOP) -> list[AgentChange]:
        """The agents whose gross rises most (in each currency: yen and yuan are not ranked together); on a
        tie, in the order of the months and rows."""
        return self._largest([change for change in self.changes if change.delta > 0], -1, count)

    def largest_losses(self, count: int = TOP) -> list[AgentChange]:
        """The agents whose gross falls most, in each currency; on a tie, in the order of the months and rows."""
        return self._largest([change for change in self.changes if change.delta < 0], 1, count)

    def _largest(self, changes: list[AgentChange], sign: int, count: int) -> list[AgentChange]:
        order = {code: i for i, code in enumerate(dict.fromkeys(change.currency for change in self.changes))}
        kept: dict[str, list[AgentChange]] = {}
        for change in sorted(changes, key=lambda c: (order[c.currency], sign * c.delta)):
            chosen = kept.setdefault(change.currency, [])
            if len(chosen) < count:
                chosen.append(change)
        return [change for chosen in kept.values() for change in chosen]

    def grades(self) -> list[tuple[str, int, int]]:
        """(grade, agents under the old policy, under the new), the old policy's grades first, high to low."""
        names = [g.grade for g in self.old.grades_high_to_low()] + [g.grade for g in self.new.grades_high_to_low()]
        rows = []
        for name in [*dict.fromkeys(names), None]:
            old = sum(change.old.grade == name for change in self.changes)
            new = sum(change.new.grade == name for change in self.changes)
            if name is not None or old or new:
                rows.append((name or "-", old, new))
        return rows


def compare(
    old: Policy,
    new: Policy,
    paths: Sequence[Path],
    period: Period | None = None,
    *,
    rosters: Sequence[Path] = (),
    changes_file: Path | None = None,
    team_metrics: Path | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    derived: Path | None = None,
    engine: EngineSettings | None = None,
) -> Comparison:
    """Both policies on the same inputs: each month's file on its own under monthly policies, else the one
    period (a quarter's files, or a raw export with its roster). UsageProblem when they cannot read the same
    inputs or pay the same period."""
    if old.currency != new.currency:
        raise PolicyError(
            f"{new.path}: currency {new.currency} differs from {old.currency} in {old.path}; "
            f"expected two policies paying in the same currency"
        )
    if old.period != new.period:
        raise UsageProblem(
            f"{old.path} pays a {old.period} and {new.path} a {new.period}; a comparison needs two "
            f"policies that pay the same period from the same files",
            "NEW",
        )
    if (old.metrics is None) != (new.metrics is None):
        raise UsageProblem(
            f"only one of {old.path} and {new.path} derives its metrics from a raw export (a metrics: "
            f"section), so they cannot read the same files",
            "NEW",
        )
    each_file = old.period == "month" and old.metrics is None
    runs = [[path] for path in paths] if each_file else [list(paths)]
    changes: list[AgentChange] = []
    labels = []
    for files in runs:
        named = files or ([derived] if derived else [])
        label = str(files[0]) if each_file else (period.label if period else ", ".join(map(str, named)))
        reading = Reading(rosters, encoding, delimiter, derived, engine, changes_file, team_metrics)
        before = _payslips(old, "old", files, period, reading)
        after = _payslips(new, "new", files, period, reading)
        changes += _paired(label, before, after)
        labels.append(label)
    return Comparison(old, new, labels, changes)


@dataclass(frozen=True)
class Reading:
    """How both sides read the inputs: rosters, the CSV encoding and delimiter, derived metrics, the engine,
    a changes file and team metrics."""

    rosters: Sequence[Path]
    encoding: str | None
    delimiter: str | None
    derived: Path | None
    engine: EngineSettings | None
    changes: Path | None = None
    team_metrics: Path | None = None


def _payslips(
    policy: Policy,
    which: str,
    files: list[Path],
    period: Period | None,
    reading: Reading,
) -> list[Payslip]:
    """The payslips of one side's run (budget and team results included); team metrics go to a side whose
    policy scores teams on them."""
    teams = policy.teams
    on_file = teams is not None and teams.score == "team_metrics" and policy.pays_teams
    try:
        source = open_inputs(
            policy,
            files,
            period,
            rosters=reading.rosters,
            changes=reading.changes,
            team_metrics=reading.team_metrics if on_file else None,
            encoding=reading.encoding,
            delimiter=reading.delimiter,
            derived=reading.derived,
            engine=reading.engine,
        )
        return list(pay(source, deductions=False).payslips)  # gross pay compared: net needs the year to date
    except MetricsError as error:
        # The two policies may read different columns: say which one this problem is about.
        raise MetricsError([_for_policy(line, which, policy) for line in error.problems], hidden=error.hidden) from None


def _for_policy(message: str, which: str, policy: Policy) -> str:
    if "missing required columns" in message:
        return f"{message}; the {which} policy {policy.path} needs them"
    if ": row " in message:  # a cell or header problem: the two policies may read that column differently
        return f"{message} (read for the {which} policy {policy.path})"
    return message


def _paired(label: str, old: list[Payslip], new: list[Payslip]) -> list[AgentChange]:
    """Both policies read the same rows; each agent must be paid under both."""
    by_id = {slip.agent_id: slip for slip in new}
    missing = [slip.agent_id for slip in old if slip.agent_id not in by_id]
    extra = {slip.agent_id for slip in new} - {slip.agent_id for slip in old}
    if missing or extra:
        raise MetricsError(
            f"{label}: the old policy pays {len(old)} agents and the new {len(new)}; agents paid by "
            f"one only: {', '.join(sorted([*missing, *extra])[:10])}; expected both to pay the same "
            f"agents"
        )
    moved = [slip for slip in old if slip.currency != by_id[slip.agent_id].currency]
    if moved:
        raise MetricsError(
            [
                f"{label}: agent {slip.agent_id!r} is paid in {slip.currency} by the old policy and in "
                f"{by_id[slip.agent_id].currency} by the new; a comparison never subtracts two currencies"
                for slip in moved[:10]
            ]
        )
    return [AgentChange(label, slip, by_id[slip.agent_id]) for slip in old]


def limit_problems(
    total: Totals, currency: str, max_increase: Decimal | None, max_decrease: Decimal | None
) -> list[str]:
    """What --max-increase / --max-decrease (percentages) say about the move in total gross, if anything."""
    moved = total.percent
    currency = total.currency or currency
    change = f"{total.delta:+,} {currency}: {total.old_gross:,} -> {total.new_gross:,}"
    if max_increase is not None and total.delta > 0 and (moved is None or moved > max_increase):
        shown = "from 0" if moved is None else f"by {moved:.2f}%"
        return [f"total gross rises {shown} ({change}), more than --max-increase {max_increase}%"]
    if max_decrease is not None and total.delta < 0 and moved is not None and -moved > max_decrease:
        return [f"total gross falls by {-moved:.2f}% ({change}), more than --max-decrease {max_decrease}%"]
    return []


def parse_limit(text: str) -> Decimal:
    """A limit like "3%" or "3" as the percentage 3; ValueError when it is not a percentage of at least 0."""
    number = text.strip().removesuffix("%").strip()
    try:
        value = Decimal(number)
    except ArithmeticError:
        raise ValueError(f'expected a percentage like 3%, got "{text}"') from None
    if not value.is_finite() or value < 0:
        raise ValueError(f'expected a percentage of at least 0, like 3%, got "{text}"')
    return value


def agent_row(change: AgentChange, *, with_month: bool, currency: bool = False) -> dict[str, str | None]:
    """One line of the per-agent table: who, gross under each policy, the difference, grade under each;
    with `currency`, what the amounts are in."""
    old, new = change.old, change.new
    return {
        **({"month": change.month} if with_month else {}),
        "agent_id": old.agent_id,
        "name": old.name,
        "role": old.role,
        "team": old.team,
        **({"currency": change.currency} if currency else {}),
        "old_gross": str(old.gross),
        "new_gross": str(new.gross),
        "delta": str(change.delta),
        "old_grade": old.grade,
        "new_grade": new.grade,
    }


def agent_columns(comparison: Comparison) -> list[str]:
    """The per-agent table's columns: `month` (the metrics file) first when there are several months, and
    `currency` after the team when the agents are paid in several."""
    columns = list(AGENT_COLUMNS)
    if comparison.several:
        columns.insert(columns.index("team") + 1, "currency")
    return ["month", *columns] if len(comparison.months) > 1 else columns


def agent_rows(comparison: Comparison) -> list[dict[str, str | None]]:
    """The per-agent table; a `month` (the metrics file) column leads when there are several months."""
    several = len(comparison.months) > 1
    return [agent_row(change, with_month=several, currency=comparison.several) for change in comparison.changes]


def totals_data(group: Totals, *, currency: bool = False) -> dict[str, object]:
    return {
        "name": group.name,
        **({"currency": group.currency} if currency else {}),
        "headcount": group.headcount,
        "old_gross": str(group.old_gross),
        "new_gross": str(group.new_gross),
        "delta": str(group.delta),
        "percent": _text(group.percent),
        "old_bonus": str(group.old_bonus),
        "new_bonus": str(group.new_bonus),
        "bonus_delta": str(group.bonus_delta),
        "bonus_percent": _text(group.bonus_percent),
    }


def comparison_data(comparison: Comparison) -> dict[str, object]:
    """The whole comparison as JSON-ready data; amounts and percentages as decimal strings."""
    several, money = len(comparison.months) > 1, comparison.several
    everyone = []
    for group in comparison.totals():
        total = totals_data(group, currency=money)
        del total["name"]
        everyone.append(total)
    return {
        "old_policy": _policy_data(comparison.old),
        "new_policy": _policy_data(comparison.new),
        "currency": comparison.new.currency,
        "months": comparison.months,
        "summary": {
            # one total per currency paid, never added up: "totals" when there are several
            **(
                {"totals": everyone, "headcount": len({change.old.agent_id for change in comparison.changes})}
                if money
                else {"total": everyone[0] if everyone else _no_one(comparison)}
            ),
            "by_role": [totals_data(group, currency=money) for group in comparison.by_role()],
            "by_team": [totals_data(group, currency=money) for group in comparison.by_team()],
            "agents": comparison.counts(),
            "largest_gains": [agent_row(c, with_month=several, currency=money) for c in comparison.largest_gains()],
            "largest_losses": [agent_row(c, with_month=several, currency=money) for c in comparison.largest_losses()],
            "grades": [{"grade": grade, "old": old, "new": new} for grade, old, new in comparison.grades()],
        },
        "agents": agent_rows(comparison),
    }


def _no_one(comparison: Comparison) -> dict[str, object]:
    total = totals_data(comparison.total())
    del total["name"]
    return total


def _policy_data(policy: Policy) -> dict[str, str]:
    return {"path": policy.path, "policy": policy.policy, "version": policy.version, "sha256": policy.sha256}


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)
