"""What the ledger holds of a tax year: the figures cumulative withholding adds up month by month, the
opening balances runs were given, and each payslip's deductions."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from cspay.engine.types import Line, YearToDate
from cspay.ledger.packing import StoredParts
from cspay.ledger.reads import ReviewReads


@dataclass(frozen=True)
class StoredOpening:
    """The opening balances the latest run of the year was given: through which month, and per agent."""

    through: str
    period: str  # the run that was given them
    agents: dict[str, YearToDate]


@dataclass(frozen=True)
class YearSoFar:
    """The months of a tax year before the one paid, as their pay versions recorded them."""

    recorded: dict[str, str | None] = field(default_factory=dict)  # month -> how it withheld (None: not at all)
    agents: dict[str, YearToDate] = field(default_factory=dict)  # the cumulative months, added up per agent
    months: dict[str, list[str]] = field(default_factory=dict)  # per agent, the months added up
    opening: StoredOpening | None = None


class YearReads(ReviewReads):
    """The questions cumulative withholding and the views of net pay ask."""

    def year_so_far(self, year: int, first: str) -> YearSoFar:
        """The months of `year` before `first` (an ISO date): the latest pay version of each (a correction
        is paid in a later month, so it never replaces what a month withheld), its payslips' figures, and
        the opening balances of the latest run of the year up to this month that was given any."""
        start = f"{year}-01-01"
        runs = self.rows(
            "SELECT r.id, r.period, r.period_first, r.withholding FROM runs r WHERE r.kind = 'pay' "
            "AND r.period_first >= ? AND r.period_first <= ? "
            "AND substr(r.period_first, 1, 7) = substr(r.period_last, 1, 7) "
            "AND r.id = (SELECT max(l.id) FROM runs l WHERE l.period = r.period AND l.kind = 'pay') "
            "ORDER BY r.period_first",
            start,
            first,
        )
        before = {row["id"]: row for row in runs if row["period_first"] < first}
        recorded = {row["period"]: row["withholding"] for row in before.values()}
        agents: dict[str, YearToDate] = {}
        months: dict[str, list[str]] = {}
        for row in self.rows(
            "SELECT p.agent_id, r.period, w.income, w.contributions, w.special, w.other, w.withheld "
            "FROM withholding w JOIN payslips p ON p.id = w.payslip_id JOIN runs r ON r.id = p.run_id "
            f"WHERE w.method = 'cumulative' AND r.id IN ({', '.join('?' * len(before))}) ORDER BY r.period_first",
            *before,
        ):
            month = YearToDate(
                1, *(Decimal(row[key]) for key in ("income", "contributions", "special", "other", "withheld"))
            )
            agents[row["agent_id"]] = agents.get(row["agent_id"], YearToDate()) + month
            months.setdefault(row["agent_id"], []).append(row["period"])
        return YearSoFar(recorded, agents, months, self._opening([row["id"] for row in runs]))

    def _opening(self, run_ids: list[int]) -> StoredOpening | None:
        marks = ", ".join("?" * len(run_ids))
        latest = self.db.execute(f"SELECT max(run_id) FROM openings WHERE run_id IN ({marks})", run_ids).fetchone()[0]
        if latest is None:
            return None
        found = self.rows(
            "SELECT o.*, r.period FROM openings o JOIN runs r ON r.id = o.run_id WHERE o.run_id = ?", latest
        )
        agents = {
            row["agent_id"]: YearToDate(
                row["months"],
                *(Decimal(row[key]) for key in ("income", "contributions", "special", "other", "withheld")),
            )
            for row in found
        }
        return StoredOpening(found[0]["through"], found[0]["period"], agents)

    def deductions_of(self, run_id: int) -> dict[str, tuple[list[Line], list[Line]]]:
        """Every agent's deductions and employer contributions in one recorded run (those who had any)."""
        parts = StoredParts(self.db, run_id)
        return {
            agent_id: (parts.lines_of(taken), parts.lines_of(paid))
            for agent_id, taken, paid in self.db.execute(
                "SELECT agent_id, deduction_numbers, employer_numbers FROM payslips WHERE run_id = ? "
                "AND (deduction_numbers != '' OR employer_numbers != '') ORDER BY id",
                (run_id,),
            )
        }
