"""The questions asked of a ledger: runs and versions, closes, history, pending corrections, grades."""

from __future__ import annotations

import socket
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from cspay.engine.settlement import Difference, Pending
from cspay.engine.types import Line, is_bonus
from cspay.ledger.packing import StoredParts
from cspay.lockfiles import account

BONUS_CODES = ("bonus", "true_up")  # the lines that pay performance, for history and true-ups


def bonus_condition(column: str) -> str:
    """SQL holding for the lines that pay performance, a bonus's team part (`bonus.team`) included; the
    BONUS_CODES fill its placeholders."""
    return f"({column} IN ({', '.join('?' * len(BONUS_CODES))}) OR {column} LIKE 'bonus.%')"


@dataclass(frozen=True)
class Who:
    """Who recorded something, on which machine, and when (UTC, ISO 8601); `name` is the person's name
    given with --by, beside the operating-system account."""

    user: str
    host: str
    at: str
    name: str | None = None

    @classmethod
    def now(cls, name: str | None = None) -> Who:
        at = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        return cls(_user(), socket.gethostname(), at, name)


def _user() -> str:
    return account()


@dataclass(frozen=True)
class RunRow:
    """One recorded version of a period, as `cspay runs` lists it."""

    id: int
    period: str
    version: int
    kind: str
    superseded: bool
    recorded_at: str
    recorded_by: str
    host: str
    headcount: int
    gross: Decimal | None  # None for a run paid in several currencies: see `totals`
    bonus: Decimal | None
    currency: str
    policy: str
    policy_version: str
    totals: tuple[tuple[str, int, Decimal, Decimal], ...] = ()  # (currency, headcount, gross, bonus) each

    def grosses(self) -> dict[str, Decimal]:
        """The run's total gross in each currency it paid."""
        if self.totals:
            return {currency: gross for currency, _, gross, _ in self.totals}
        return {self.currency: self.gross or Decimal(0)}


@dataclass(frozen=True)
class Standing:
    """What an agent was paid for one period (its latest pay version), and what corrections of it changed:
    their total, and the periods whose payslips carried them (empty while still pending)."""

    period: str
    grade: str | None
    score: Decimal | None
    bonus: Decimal
    gross: Decimal
    currency: str
    correction: Decimal = Decimal(0)
    corrected_in: tuple[str, ...] = ()
    # Corrections of the period owed in another currency (the correction changed the agent's currency).
    other_corrections: tuple[tuple[str, Decimal], ...] = ()
    net: Decimal | None = None  # under a policy with deductions: gross less them


class LedgerReads:
    """Read-only queries over an open ledger connection (`self.db`)."""

    db: sqlite3.Connection

    def rows(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        """The rows a query finds, each as a dict by column name."""
        cursor = self.db.execute(sql, args)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def runs(self, period: str | None = None) -> list[RunRow]:
        """Every recorded version, oldest period first, versions in order."""
        where = "WHERE period = ?" if period else ""
        found = self.rows(
            f"SELECT * FROM runs {where} ORDER BY period_first, period_last, version", *([period] if period else [])
        )
        totals: dict[int, list[tuple[str, int, Decimal, Decimal]]] = {}
        for row in self.rows("SELECT * FROM run_totals ORDER BY rowid"):
            totals.setdefault(row["run_id"], []).append(
                (row["currency"], row["headcount"], Decimal(row["gross"]), Decimal(row["bonus"]))
            )
        return [_run_row(row, totals.get(row["id"], [])) for row in found]

    def current(self, period: str) -> RunRow | None:
        """The version of the period that counts: the latest, not superseded."""
        return next((run for run in self.runs(period) if not run.superseded), None)

    def closed(self, period: str) -> Who | None:
        """Who closed the period and when, None while it is open."""
        last = self.rows("SELECT * FROM closes WHERE period = ? ORDER BY id DESC LIMIT 1", period)
        if not last or last[0]["action"] != "close":
            return None
        return Who(last[0]["user"], last[0]["host"], last[0]["at"])

    def lines_of(self, run_id: int) -> dict[str, list[Line]]:
        """Every agent's payslip lines in one recorded run."""
        parts = StoredParts(self.db, run_id)
        return {
            agent_id: parts.lines_of(numbers)
            for agent_id, numbers in self.db.execute(
                "SELECT agent_id, line_numbers FROM payslips WHERE run_id = ? ORDER BY id", (run_id,)
            )
        }

    def currencies_of(self, run_id: int) -> dict[str, str]:
        """The currency each agent was paid in by one recorded run."""
        return {
            row["agent_id"]: row["currency"]
            for row in self.rows(
                "SELECT p.agent_id, COALESCE(p.currency, r.currency) AS currency FROM payslips p "
                "JOIN runs r ON r.id = p.run_id WHERE p.run_id = ?",
                run_id,
            )
        }

    def differences_of(self, run_id: int) -> list[Difference]:
        """The differences a correction run recorded, each in its currency."""
        return [
            Difference(row["agent_id"], row["code"], row["label"], Decimal(row["amount"]), row["currency"])
            for row in self.rows(
                "SELECT c.agent_id, c.code, c.label, c.amount, COALESCE(c.currency, r.currency) AS currency "
                "FROM corrections c JOIN runs r ON r.id = c.run_id WHERE c.run_id = ? ORDER BY c.id",
                run_id,
            )
        ]

    def closes(self) -> list[dict[str, Any]]:
        """Every close and reopen, oldest first."""
        return self.rows("SELECT period, action, reason, at, user, host FROM closes ORDER BY id")

    def pending(self, period: str, first: str) -> list[Pending]:
        """Differences of earlier periods still to pay, including those an earlier version of this one paid."""
        found = self.rows(
            "SELECT c.id, c.period, c.agent_id, c.amount, COALESCE(c.currency, r.currency) AS currency "
            "FROM corrections c JOIN runs r ON r.id = c.run_id WHERE c.period_first < ? AND c.voided_by IS NULL "
            "AND (c.settled_by IS NULL OR c.settled_by IN (SELECT id FROM runs WHERE period = ?)) "
            "ORDER BY c.period_first, c.id",
            first,
            period,
        )
        return [
            Pending(row["id"], row["period"], row["agent_id"], Decimal(row["amount"]), row["currency"]) for row in found
        ]

    def paid_in(self, period: str, first: str, last: str) -> dict[str, dict[str, Decimal]]:
        """Per agent and currency, the bonus already paid by the current versions of the periods inside this
        one: a true-up is owed in one currency, so each is kept apart."""
        runs = self.rows(
            "SELECT id, currency FROM runs WHERE superseded_by IS NULL AND period != ? AND period_first >= ? "
            "AND period_last <= ?",
            period,
            first,
            last,
        )
        paid: dict[str, dict[str, Decimal]] = {}
        for run in runs:
            bonuses = bonus_numbers(self.db, run["id"])
            for agent_id, currency, numbers in self.db.execute(
                "SELECT agent_id, currency, line_numbers FROM payslips WHERE run_id = ?", (run["id"],)
            ):
                found = [bonuses[number] for number in numbers.split() if number in bonuses]
                if found:
                    amounts = paid.setdefault(agent_id, {})
                    code = currency or run["currency"]
                    amounts[code] = sum(found, amounts.get(code, Decimal(0)))
        return paid

    def history(self, agent_id: str) -> list[Standing]:
        """The agent's periods, oldest first: what the latest pay version of each paid (a correction run
        is not paid in its period), and the corrections of it, which later periods pay. Summing the gross
        of every period counts each payment once."""
        # CROSS JOIN keeps this order (SQLite does not reorder it): each run, then its payslip searched by
        # (run_id, agent_id), the unique index; there is no index by agent alone (see the schema).
        found = self.rows(
            "SELECT r.period, COALESCE(p.currency, r.currency) AS currency, p.id, p.run_id, p.line_numbers, p.grade, "
            "p.score, p.gross FROM runs r CROSS JOIN payslips p ON p.run_id = r.id "
            "WHERE p.agent_id = ? AND r.id = (SELECT max(latest.id) FROM runs "
            "latest WHERE latest.period = r.period AND latest.kind = 'pay') "
            "ORDER BY r.period_first, r.period_last",
            agent_id,
        )
        corrections: dict[tuple[str, str], tuple[Decimal, list[str]]] = {}  # by period and currency
        for row in self.rows(
            "SELECT c.period, c.amount, COALESCE(c.currency, r.currency) AS currency, s.period AS paid_in "
            "FROM corrections c JOIN runs r ON r.id = c.run_id LEFT JOIN runs s "
            "ON s.id = c.settled_by WHERE c.agent_id = ? AND c.voided_by IS NULL ORDER BY c.id",
            agent_id,
        ):
            key = (row["period"], row["currency"])
            total, paid_in = corrections.get(key, (Decimal(0), []))
            corrections[key] = (
                total + Decimal(row["amount"]),
                [*paid_in, row["paid_in"]] if row["paid_in"] else paid_in,
            )
        standings = []
        nets = self._nets([row["id"] for row in found])
        for row in found:
            total, paid_in = corrections.get((row["period"], row["currency"]), (Decimal(0), []))
            others = tuple(
                (currency, amount)
                for (period, currency), (amount, _) in corrections.items()
                if period == row["period"] and currency != row["currency"]
            )
            standings.append(
                Standing(
                    row["period"],
                    row["grade"],
                    _decimal(row["score"]),
                    bonus_of(self.db, row["run_id"], row["line_numbers"]),
                    Decimal(row["gross"]),
                    row["currency"],
                    total,
                    tuple(dict.fromkeys(paid_in)),
                    others,
                    nets.get(row["id"]),
                )
            )
        return standings

    def _nets(self, payslip_ids: list[int]) -> dict[int, Decimal]:
        """The net pay of those of the payslips that had deductions."""
        marks = ", ".join("?" * len(payslip_ids))
        rows = self.rows(f"SELECT payslip_id, net FROM withholding WHERE payslip_id IN ({marks})", *payslip_ids)
        return {row["payslip_id"]: Decimal(row["net"]) for row in rows}

    def grades(self, periods: list[str]) -> dict[str, dict[str, str | None]]:
        """Each agent's grade in the current version of each of these periods, by period."""
        found: dict[str, dict[str, str | None]] = {period: {} for period in periods}
        marks = ", ".join("?" * len(periods))
        for row in self.rows(
            "SELECT r.period, p.agent_id, p.grade FROM payslips p JOIN runs r ON r.id = p.run_id "
            f"WHERE r.superseded_by IS NULL AND r.period IN ({marks})",
            *periods,
        ):
            found[row["period"]][row["agent_id"]] = row["grade"]
        return found

    def triggered(self, period: str) -> list[dict[str, Any]]:
        """The actions the current version of the period triggered, agent by agent."""
        return self.rows(
            "SELECT p.agent_id, p.name, p.team, p.grade, t.action FROM triggered_actions t "
            "JOIN payslips p ON p.id = t.payslip_id JOIN runs r ON r.id = p.run_id "
            "WHERE r.period = ? AND r.superseded_by IS NULL ORDER BY p.id, t.action",
            period,
        )


def bonus_numbers(db: sqlite3.Connection, run_id: int) -> dict[str, Decimal]:
    """The numbers of a recorded run's lines that pay performance (bonus_condition), with their amounts."""
    return {
        str(number): Decimal(amount)
        for number, amount in db.execute(
            f"SELECT number, amount FROM run_lines WHERE run_id = ? AND {bonus_condition('code')}",
            (run_id, *BONUS_CODES),
        )
    }


def bonus_of(db: sqlite3.Connection, run_id: int, numbers: str) -> Decimal:
    """The performance pay of one recorded payslip, from its line numbers."""
    bonuses = bonus_numbers(db, run_id)
    return sum((bonuses[n] for n in numbers.split() if n in bonuses), Decimal(0))


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _run_row(row: dict[str, Any], totals: list[tuple[str, int, Decimal, Decimal]]) -> RunRow:
    several = len(totals) > 1
    return RunRow(
        row["id"],
        row["period"],
        row["version"],
        row.get("kind", "pay"),
        row["superseded_by"] is not None,
        row["recorded_at"],
        row["recorded_by"],
        row["host"],
        row["headcount"],
        None if several else Decimal(row["gross"]),
        None if several else Decimal(row["bonus"]),
        row["currency"],
        row["policy"],
        row["policy_version"],
        tuple(totals),
    )


@dataclass(frozen=True)
class Recorded:
    """One agent's payslip in the current version of a recorded period, as a review over time reads it."""

    period: str
    agent_id: str
    role: str
    team: str
    grade: str | None
    score: Decimal | None
    action: str | None
    gross: Decimal
    bonus: Decimal
    base_pay: Decimal
    triggered: tuple[str, ...]


class ReviewReads(LedgerReads):
    """The questions `cspay review --from --to` asks: every current payslip of the periods in a span."""

    def currencies_between(self, first: str, last: str) -> list[str]:
        """The currencies the current versions of the periods from `first` to `last` paid in."""
        found = self.rows(
            "SELECT DISTINCT COALESCE(p.currency, r.currency) AS currency FROM payslips p JOIN runs r "
            "ON r.id = p.run_id WHERE r.superseded_by IS NULL AND r.period_first >= ? AND r.period_last <= ? "
            "ORDER BY currency",
            first,
            last,
        )
        return [row["currency"] for row in found]

    def recorded_between(self, first: str, last: str) -> list[Recorded]:
        """The payslips of the current version of each period from `first` to `last` (ISO dates, both
        included), oldest period first, in recorded order within a period."""
        amounts: dict[int, dict[str, Decimal]] = {}
        for run in self.rows(
            "SELECT id FROM runs WHERE superseded_by IS NULL AND period_first >= ? AND period_last <= ?", first, last
        ):
            parts = StoredParts(self.db, run["id"])
            for slip_id, numbers in self.db.execute(
                "SELECT id, line_numbers FROM payslips WHERE run_id = ?", (run["id"],)
            ):
                slip = amounts.setdefault(slip_id, {})
                for line in parts.lines_of(numbers):
                    kind = "bonus" if is_bonus(line.code) else line.code
                    slip[kind] = slip.get(kind, Decimal(0)) + line.amount
        actions: dict[int, list[str]] = {}
        for row in self.rows(
            "SELECT t.payslip_id, t.action FROM triggered_actions t JOIN payslips p ON p.id = t.payslip_id "
            "JOIN runs r ON r.id = p.run_id WHERE r.superseded_by IS NULL AND r.period_first >= ? "
            "AND r.period_last <= ? ORDER BY t.action",
            first,
            last,
        ):
            actions.setdefault(row["payslip_id"], []).append(row["action"])
        found = self.rows(
            "SELECT r.period, p.id, p.agent_id, p.role, p.team, p.grade, p.score, p.action, p.gross FROM payslips p "
            "JOIN runs r ON r.id = p.run_id WHERE r.superseded_by IS NULL AND r.period_first >= ? "
            "AND r.period_last <= ? ORDER BY r.period_first, r.period_last, p.id",
            first,
            last,
        )
        zero = Decimal(0)
        return [
            Recorded(
                row["period"],
                row["agent_id"],
                row["role"],
                row["team"],
                row["grade"],
                _decimal(row["score"]),
                row["action"],
                Decimal(row["gross"]),
                amounts.get(row["id"], {}).get("bonus", zero),
                amounts.get(row["id"], {}).get("base_pay", zero),
                tuple(actions.get(row["id"], [])),
            )
            for row in found
        ]
