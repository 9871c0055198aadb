"""Recorded payslips as they are stored: who each pays and its lines, read for payment files and checks."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from cspay.engine.types import Line
from cspay.ledger.packing import StoredParts
from cspay.ledger.reads import LedgerReads


@dataclass(frozen=True)
class RecordedSlip:
    """Who a recorded payslip pays, and its gross, as stored."""

    agent_id: str
    name: str
    role: str
    team: str
    grade: str | None
    score: Decimal | None
    gross: Decimal
    net: Decimal | None = None  # gross less the deductions, for a run under a policy with deductions


class RecordedReads(LedgerReads):
    """Queries of a recorded run's payslips."""

    def recorded_payslips(self, run_id: int) -> Iterator[tuple[RecordedSlip, list[Line]]]:
        """Each payslip of a recorded run with its lines, in the run's order, read as they are needed."""
        parts = StoredParts(self.db, run_id)
        for agent_id, name, role, team, grade, score, gross, net, numbers in self.db.execute(
            "SELECT p.agent_id, p.name, p.role, p.team, p.grade, p.score, p.gross, w.net, p.line_numbers "
            "FROM payslips p LEFT JOIN withholding w ON w.payslip_id = p.id WHERE p.run_id = ? ORDER BY p.id",
            (run_id,),
        ):
            slip = RecordedSlip(agent_id, name, role, team, grade, _number(score), Decimal(gross), _number(net))
            yield slip, parts.lines_of(numbers)

    def subjects_of(self, run_id: int, agent_id: str) -> tuple[list[str], list[str]] | None:
        """The KPI codes (sorted) and line codes (in payslip order) of an agent's payslip in a recorded run;
        None when it has none."""
        payslip = self.rows(
            "SELECT line_numbers, kpi_numbers FROM payslips WHERE run_id = ? AND agent_id = ?", run_id, agent_id
        )
        if not payslip:
            return None
        parts = StoredParts(self.db, run_id)
        lines = [line.code for line in parts.lines_of(payslip[0]["line_numbers"])]
        return sorted(parts.kpi_codes(payslip[0]["kpi_numbers"])), lines

    def pays(self, run_id: int, agent_id: str) -> bool:
        """Whether a recorded run has a payslip for the agent."""
        found = self.db.execute("SELECT 1 FROM payslips WHERE run_id = ? AND agent_id = ?", (run_id, agent_id))
        return found.fetchone() is not None


def _number(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)
