"""Recorded payslips as they are stored: who each pays and its lines, read for payment files and checks."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from cspay.engine.types import Line
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


class RecordedReads(LedgerReads):
    """Queries of a recorded run's payslips."""

    def recorded_payslips(self, run_id: int) -> Iterator[tuple[RecordedSlip, list[Line]]]:
        """Each payslip of a recorded run with its lines, in the run's order, read as they are needed."""
        cursor = self.db.execute(
            "SELECT p.id, p.agent_id, p.name, p.role, p.team, p.grade, p.score, p.gross, l.code, l.label, l.amount "
            "FROM payslips p LEFT JOIN lines l ON l.payslip_id = p.id WHERE p.run_id = ? ORDER BY p.id, l.position",
            (run_id,),
        )
        current: tuple[int, RecordedSlip, list[Line]] | None = None
        for slip_id, agent_id, name, role, team, grade, score, gross, code, label, amount in cursor:
            if current is None or current[0] != slip_id:
                if current is not None:
                    yield current[1], current[2]
                slip = RecordedSlip(agent_id, name, role, team, grade, _number(score), Decimal(gross))
                current = (slip_id, slip, [])
            if code is not None:
                current[2].append(Line(code, label, Decimal(amount)))
        if current is not None:
            yield current[1], current[2]

    def subjects_of(self, run_id: int, agent_id: str) -> tuple[list[str], list[str]] | None:
        """The KPI codes and line codes of an agent's payslip in a recorded run; None when it has none."""
        payslip = self.rows("SELECT id FROM payslips WHERE run_id = ? AND agent_id = ?", run_id, agent_id)
        if not payslip:
            return None
        slip_id = payslip[0]["id"]
        kpis = [row["code"] for row in self.rows("SELECT code FROM kpis WHERE payslip_id = ?", slip_id)]
        lines = [
            row["code"] for row in self.rows("SELECT code FROM lines WHERE payslip_id = ? ORDER BY position", slip_id)
        ]
        return kpis, lines

    def agent_ids_of(self, run_id: int) -> list[str]:
        return [row["agent_id"] for row in self.rows("SELECT agent_id FROM payslips WHERE run_id = ?", run_id)]


def _number(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)
