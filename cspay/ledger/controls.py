"""The controls kept in the ledger, as read: each run's state and steps, one-off adjustments, disputes.

A run is a draft when recorded, approved once someone (someone else, under a four-eyes policy) approves
it, closed while its period is closed, and superseded once its period is recorded again. Every step of a
run, an adjustment or a dispute is an audit row: what was done, when, by which account on which host,
and the name the person gave with --by.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from cspay.ledger.reads import RunRow, Who
from cspay.ledger.recorded import RecordedReads


@dataclass(frozen=True)
class Step:
    """One audited step: `recorded`, `approved`, `exported`, `added`, `voided`, `opened`, `accepted` …"""

    action: str
    at: str
    user: str
    host: str
    name: str | None = None
    note: str | None = None

    @property
    def person(self) -> str:
        """Who took the step: the name given with --by, else the account."""
        return self.name or self.user

    @property
    def who(self) -> str:
        """The person and the account: `Zhou Min (root@vm)`, or `root@vm` without a name."""
        account = f"{self.user}@{self.host}"
        return f"{self.name} ({account})" if self.name else account


def same_person(first: Step, who: Who, what: str = "it") -> str | None:
    """Why `who` counts as the person who took `first` (four eyes), None when they are two people. The
    same account counts as one person unless both steps name who took them with --by, and differently."""
    if first.person.casefold() == (who.name or who.user).casefold():
        return f"{first.person} {first.action} {what}"
    if first.user == who.user and (first.name is None or who.name is None):
        return (
            f"the account {who.user} {first.action} {what}; where people share an account, each names "
            f"themselves with --by NAME"
        )
    return None


@dataclass(frozen=True)
class RunState:
    """A recorded version with its state (draft, approved, closed, superseded) and its steps, oldest first."""

    run: RunRow
    state: str
    steps: tuple[Step, ...]
    four_eyes: bool

    @property
    def recorded(self) -> Step:
        return next((step for step in self.steps if step.action == "recorded"), _recorded(self.run))

    @property
    def approved(self) -> Step | None:
        return next((step for step in reversed(self.steps) if step.action == "approved"), None)


def _recorded(run: RunRow) -> Step:
    return Step("recorded", run.recorded_at, run.recorded_by, run.host)


@dataclass(frozen=True)
class OneOff:
    """A manual one-off amount for one agent's pay in one period, and where it stands."""

    id: int
    period: str
    agent_id: str
    code: str
    amount: Decimal
    reason: str
    policy: str
    four_eyes: bool
    state: str  # pending, approved, rejected, voided
    steps: tuple[Step, ...]

    @property
    def added(self) -> Step:
        return self.steps[0]

    def last(self, action: str) -> Step | None:
        return next((step for step in reversed(self.steps) if step.action == action), None)


@dataclass(frozen=True)
class Dispute:
    """An agent's challenge of one KPI or payslip line of a period, and its outcome."""

    id: int
    period: str
    agent_id: str
    subject: str  # kpi or line
    code: str
    claim: str
    state: str  # open, accepted, rejected, settled
    steps: tuple[Step, ...]
    settled_in: tuple[str, int, str] | None = None  # (period, version, kind) of the run that settled it

    @property
    def opened(self) -> Step:
        return self.steps[0]

    @property
    def decision(self) -> Step | None:
        """The step that accepted or rejected it."""
        return next((step for step in self.steps if step.action in ("accepted", "rejected")), None)

    @property
    def outcome(self) -> str:
        """open, accepted or rejected (a settled dispute was accepted)."""
        return "accepted" if self.state == "settled" else self.state


class ControlReads(RecordedReads):
    """The control queries over an open ledger connection (`self.db`)."""

    def steps(self, item: str, ids: list[int]) -> dict[int, tuple[Step, ...]]:
        """The audited steps of these runs, adjustments or disputes, oldest first."""
        found: dict[int, list[Step]] = {item_id: [] for item_id in ids}
        for chunk in _chunks(ids):
            for row in self.rows(
                f"SELECT * FROM audit WHERE item = ? AND item_id IN ({', '.join('?' * len(chunk))}) ORDER BY id",
                item,
                *chunk,
            ):
                found[row["item_id"]].append(
                    Step(row["action"], row["at"], row["user"], row["host"], row["name"], row["note"])
                )
        return {item_id: tuple(steps) for item_id, steps in found.items()}

    def run_states(self, period: str | None = None) -> list[RunState]:
        """Every recorded version (of one period, or all) with its state and steps. A pay version is
        superseded by a later pay version, and closed while it is its period's latest and the period is
        closed (a correction recorded after the close does not undo what was paid); a correction is
        superseded by any later version. Otherwise a version is approved once approved, else a draft."""
        runs = self.runs(period)
        steps = self.steps("run", [run.id for run in runs])
        four_eyes = {
            row["run_id"]: bool(row["four_eyes"]) for row in self.rows("SELECT run_id, four_eyes FROM run_rules")
        }
        latest_pay = {run.period: run.id for run in runs if run.kind == "pay"}  # runs come in version order
        closed = {label for label in {run.period for run in runs} if self.closed(label) is not None}
        states = []
        for run in runs:
            taken = steps[run.id]
            replaced = latest_pay[run.period] != run.id if run.kind == "pay" else run.superseded
            if replaced:
                state = "superseded"
            elif run.kind == "pay" and run.period in closed:
                state = "closed"
            elif any(step.action == "approved" for step in taken):
                state = "approved"
            else:
                state = "draft"
            states.append(RunState(run, state, taken, four_eyes.get(run.id, False)))
        return states

    def run_state(self, period: str) -> RunState | None:
        """The current version of a period, with its state; None when nothing is recorded for it."""
        return next((state for state in self.run_states(period) if not state.run.superseded), None)

    def paid_state(self, period: str) -> RunState | None:
        """The period's latest pay version (what is paid for it, whatever corrections followed), with its state."""
        return next((state for state in reversed(self.run_states(period)) if state.run.kind == "pay"), None)

    def one_offs(
        self, period: str | None = None, agent_id: str | None = None, states: tuple[str, ...] = ()
    ) -> list[OneOff]:
        """One-off adjustments, oldest first: of a period, of an agent, in some states (all when not given)."""
        where, args = _where(period=period, agent_id=agent_id, state=states)
        found = self.rows(f"SELECT * FROM one_offs {where} ORDER BY id", *args)
        steps = self.steps("adjustment", [row["id"] for row in found])
        return [
            OneOff(
                row["id"],
                row["period"],
                row["agent_id"],
                row["code"],
                Decimal(row["amount"]),
                row["reason"],
                row["policy"],
                bool(row["four_eyes"]),
                row["state"],
                steps[row["id"]],
            )
            for row in found
        ]

    def one_off(self, one_off_id: int) -> OneOff | None:
        found = self.rows("SELECT period FROM one_offs WHERE id = ?", one_off_id)
        if not found:
            return None
        return next(item for item in self.one_offs(found[0]["period"]) if item.id == one_off_id)

    def one_offs_paid_by(self, run_id: int) -> set[int]:
        """The one-off adjustments a recorded run pays."""
        return {row["one_off_id"] for row in self.rows("SELECT one_off_id FROM run_one_offs WHERE run_id = ?", run_id)}

    def stale(self, run: RunRow) -> list[tuple[str, int]]:
        """What makes a recorded run out of date, as (why, adjustment id): `unpaid`, an approved adjustment it
        does not pay (approved since it was recorded, or of an agent it does not pay), or `not_approved`, one it
        pays that was voided since. Empty when it pays what the ledger says its period pays."""
        paid = self.one_offs_paid_by(run.id)
        approved = {item.id for item in self.one_offs(run.period, states=("approved",))}
        return [("unpaid", number) for number in sorted(approved - paid)] + [
            ("not_approved", number) for number in sorted(paid - approved)
        ]

    def disputes(self, period: str | None = None, agent_id: str | None = None) -> list[Dispute]:
        """Disputes, oldest first: of a period and of an agent (all when not given)."""
        where, args = _where(**{"d.period": period, "d.agent_id": agent_id})
        found = self.rows(
            "SELECT d.*, r.period AS settled_period, r.version AS settled_version, r.kind AS settled_kind "
            f"FROM disputes d LEFT JOIN runs r ON r.id = d.settled_by {where} ORDER BY d.id",
            *args,
        )
        steps = self.steps("dispute", [row["id"] for row in found])
        return [_dispute(row, steps[row["id"]]) for row in found]

    def dispute(self, dispute_id: int) -> Dispute | None:
        found = self.rows("SELECT period FROM disputes WHERE id = ?", dispute_id)
        if not found:
            return None
        return next(item for item in self.disputes(found[0]["period"]) if item.id == dispute_id)

    def disputes_settled_by(self, correction_ids: list[int]) -> dict[int, tuple[int, ...]]:
        """For recorded differences (corrections), the disputes the run that recorded them settled for the
        same agent: the ids a difference carries to the payslip that pays it."""
        found: dict[int, list[int]] = {}
        for chunk in _chunks(correction_ids):
            for row in self.rows(
                "SELECT c.id AS correction, d.id AS dispute FROM corrections c JOIN disputes d "
                "ON d.settled_by = c.run_id AND d.agent_id = c.agent_id "
                f"WHERE c.id IN ({', '.join('?' * len(chunk))}) ORDER BY d.id",
                *chunk,
            ):
                found.setdefault(row["correction"], []).append(row["dispute"])
        return {key: tuple(value) for key, value in found.items()}

    def approved_or_before_approvals(self, correction_ids: list[int]) -> set[int]:
        """Of these recorded differences, those whose correction run may be paid: approved, or recorded
        before the ledger kept approvals."""
        found: set[int] = set()
        for chunk in _chunks(correction_ids):
            found |= {
                row["id"]
                for row in self.rows(
                    f"SELECT id FROM corrections WHERE id IN ({', '.join('?' * len(chunk))}) AND "
                    "(run_id NOT IN (SELECT run_id FROM run_rules) OR run_id IN "
                    "(SELECT item_id FROM audit WHERE item = 'run' AND action = 'approved'))",
                    *chunk,
                )
            }
        return found


STALE = {
    "unpaid": "adjustment {id} is approved but not paid by it (approved since, or for an agent it does not pay)",
    "not_approved": "adjustment {id}, which it pays, is no longer approved",
}


def stale_text(reasons: list[tuple[str, int]]) -> list[str]:
    """Why a run is out of date, in the ledger's (English) words."""
    return [STALE[why].format(id=number) for why, number in reasons]


def _dispute(row: dict[str, Any], steps: tuple[Step, ...]) -> Dispute:
    settled = None
    if row["settled_by"] is not None:
        settled = (row["settled_period"], row["settled_version"], row["settled_kind"])
    return Dispute(
        row["id"],
        row["period"],
        row["agent_id"],
        row["subject"],
        row["code"],
        row["claim"],
        row["state"],
        steps,
        settled,
    )


def _where(**conditions: Any) -> tuple[str, list[Any]]:
    """A WHERE clause over the conditions given (None or empty: any), and its arguments."""
    parts, args = [], []
    for column, value in conditions.items():
        if value is None or value == ():
            continue
        if isinstance(value, tuple):
            parts.append(f"{column} IN ({', '.join('?' * len(value))})")
            args += list(value)
        else:
            parts.append(f"{column} = ?")
            args.append(value)
    return ("WHERE " + " AND ".join(parts)) if parts else "", args


def _chunks(ids: list[int], size: int = 500) -> list[list[int]]:
    """Ids in groups small enough for one query's parameters."""
    return [ids[start : start + size] for start in range(0, len(ids), size)]
