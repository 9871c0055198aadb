"""What a period has paid so far, and keeping it paid once when the period is recorded again.

A period pays its latest pay version, plus the differences of its corrections, which later periods carry.
So a correction is measured against that sum (not against the version before it, which may be a draft
correction that will never be approved), and a new pay version, which pays the period in full, takes back
the differences that later periods already carried.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from cspay.engine.settlement import Difference, differences_in
from cspay.engine.types import Line, Payslip
from cspay.ledger.controls import ControlReads

Paid = dict[str, dict[str, dict[str, tuple[str, Decimal]]]]  # agent → currency → code → (label, amount)


class Owing(ControlReads):
    """The writes that keep each period paid once; call them inside the record's transaction."""

    def paid_for(self, period: str, run_id: int) -> Paid:
        """Per agent, currency and line code, what the period pays apart from run `run_id`: its latest pay
        version's lines and its corrections' differences still standing (paid, or approved to be paid)."""
        paid: Paid = {}
        latest = self.rows(
            "SELECT max(id) AS id FROM runs WHERE period = ? AND kind = 'pay' AND id != ?", period, run_id
        )[0]["id"]
        if latest is not None:
            paid_in = self.currencies_of(latest)
            for agent_id, lines in self.lines_of(latest).items():
                for line in lines:
                    _add(paid, agent_id, paid_in[agent_id], line.code, line.label, line.amount)
        for row in self._standing(period, run_id):
            _add(paid, row["agent_id"], row["currency"], row["code"], row["label"], Decimal(row["amount"]))
        return paid

    def correction_differences(self, period: str, run_id: int, payslips: list[Payslip]) -> list[Difference]:
        """What a correction of the period changes against what the period pays; the differences of a
        correction that was never approved (and now never will be, being superseded) are voided first."""
        pending = self.rows(
            "SELECT id FROM corrections WHERE period = ? AND settled_by IS NULL AND voided_by IS NULL AND run_id != ?",
            period,
            run_id,
        )
        ids = [row["id"] for row in pending]
        payable = self.approved_or_before_approvals(ids)
        self.db.executemany(
            "UPDATE corrections SET voided_by = ? WHERE id = ?", [(run_id, item) for item in ids if item not in payable]
        )
        paid = self.paid_for(period, run_id)
        as_lines = {
            agent_id: {
                currency: [Line(code, label, amount) for code, (label, amount) in codes.items()]
                for currency, codes in currencies.items()
            }
            for agent_id, currencies in paid.items()
        }
        return differences_in(as_lines, payslips)

    def take_back_carried(self, period: str, first: str, run_id: int) -> list[Difference]:
        """A new pay version pays the period in full: its corrections not yet carried are voided, and those a
        later period carried are taken back by differences of the opposite sign, which the next period
        carries (once this version is approved). Returns the differences taken back."""
        self.db.execute(
            "UPDATE corrections SET voided_by = ? WHERE period = ? AND settled_by IS NULL AND voided_by IS NULL "
            "AND run_id != ?",
            (run_id, period, run_id),
        )
        carried: Paid = {}
        for row in self._standing(period, run_id):
            _add(carried, row["agent_id"], row["currency"], row["code"], row["label"], Decimal(row["amount"]))
        back = [
            Difference(agent_id, code, label, -amount, currency)
            for agent_id, currencies in carried.items()
            for currency, codes in currencies.items()
            for code, (label, amount) in codes.items()
            if amount
        ]
        self.db.executemany(
            "INSERT INTO corrections (run_id, period, period_first, agent_id, code, label, amount, currency) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(run_id, period, first, d.agent_id, d.code, d.label, str(d.amount), d.currency or None) for d in back],
        )
        return back

    def _standing(self, period: str, run_id: int) -> list[dict[str, Any]]:
        """The period's recorded differences that stand: not voided, not recorded by run `run_id`."""
        return self.rows(
            "SELECT c.agent_id, c.code, c.label, c.amount, COALESCE(c.currency, r.currency) AS currency "
            "FROM corrections c JOIN runs r ON r.id = c.run_id WHERE c.period = ? AND c.voided_by IS NULL "
            "AND c.run_id != ? ORDER BY c.id",
            period,
            run_id,
        )


def _add(paid: Paid, agent_id: str, currency: str, code: str, label: str, amount: Decimal) -> None:
    codes = paid.setdefault(agent_id, {}).setdefault(currency, {})
    before = codes.get(code, (label, Decimal(0)))[1]
    codes[code] = (codes.get(code, (label, before))[0], before + amount)
