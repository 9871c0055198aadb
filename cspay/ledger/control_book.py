"""The controls written to the ledger: approving runs, one-off adjustments and disputes, each step audited.

Every method is one transaction (`Ledger.write`): its checks read the ledger inside it, so two people
approving at once cannot both pass a check the other's step would fail.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from contextlib import AbstractContextManager
from decimal import Decimal
from pathlib import Path

from cspay.errors import CspayError
from cspay.ledger.controls import ControlReads, Dispute, OneOff, RunState, same_person, stale_text
from cspay.ledger.reads import Who

OPEN_ONE_OFF = ("pending", "approved")  # the states of an adjustment that will pay, or may


class ControlError(CspayError):
    """The ledger refuses a control step: an approval by the recorder, a run out of date, a closed period …"""


class ControlBook(ControlReads):
    """Writing the controls; `Ledger` supplies the file and its transactions."""

    path: Path

    def write(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError  # Ledger.write: one BEGIN IMMEDIATE transaction

    def audit(self, item: str, item_id: int, action: str, who: Who, note: str | None = None) -> None:
        """One audit row; call it inside the transaction of the step it records."""
        self.db.execute(
            "INSERT INTO audit (item, item_id, action, at, user, host, name, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (item, item_id, action, who.at, who.user, who.host, who.name, note),
        )

    # ---- runs ---------------------------------------------------------------------------------------

    def record_controls(
        self, run_id: int, period: str, four_eyes: bool, paid: tuple[list[int], set[str]], disputes: list[int], who: Who
    ) -> None:
        """The controls of a run being recorded, in its transaction: its first step, whether it needs four
        eyes, what it pays (the one-off adjustments, the agents) and the disputes it settles."""
        one_offs, agents = paid
        self.audit("run", run_id, "recorded", who)
        self.db.execute("INSERT INTO run_rules (run_id, four_eyes) VALUES (?, ?)", (run_id, int(four_eyes)))
        self.db.executemany(
            "INSERT INTO run_one_offs (run_id, one_off_id) VALUES (?, ?)", [(run_id, item) for item in one_offs]
        )
        for dispute in self.disputes_to_settle(period, disputes, agents):
            self.db.execute("UPDATE disputes SET state = 'settled', settled_by = ? WHERE id = ?", (run_id, dispute.id))
            self.audit("dispute", dispute.id, "settled", who)

    def disputes_to_settle(self, period: str, dispute_ids: Iterable[int], agents: set[str] | None) -> list[Dispute]:
        """The disputes a run of `period` names, each accepted, of that period, not yet settled, and (when
        `agents` is given) of an agent the run pays; every problem at once otherwise."""
        found, problems = [], []
        for dispute_id in dict.fromkeys(dispute_ids):
            dispute = self.dispute(dispute_id)
            where = f"{self.path}: dispute {dispute_id}"
            if dispute is None:
                problems.append(f"{where}: no such dispute; `cspay dispute list` shows them")
            elif dispute.period != period:
                problems.append(f"{where}: is about {dispute.period}, not {period}")
            elif dispute.state == "settled" and dispute.settled_in is not None:
                period_in, version, _ = dispute.settled_in
                problems.append(f"{where}: was already settled by {period_in} version {version}")
            elif dispute.state != "accepted":
                problems.append(f"{where}: is {dispute.state}; only an accepted dispute is settled by a run")
            elif agents is not None and dispute.agent_id not in agents:
                problems.append(f"{where}: agent {dispute.agent_id} is not in this run")
            else:
                found.append(dispute)
        if problems:
            raise ControlError(problems)
        return found

    def approve(self, period: str, who: Who, version: int | None = None) -> RunState:
        """Approve the current version of a period: a draft, up to date, and (four eyes) not by its recorder."""
        with self.write():
            state = self.run_state(period)
            if state is None:
                raise ControlError(f"{self.path}: nothing is recorded for {period}; record it with compute --record")
            run = state.run
            name = f"{self.path}: {period} version {run.version}"
            if version is not None and version != run.version:
                raise ControlError(
                    f"{self.path}: {period} version {version} is not the current version; version "
                    f"{run.version} is (`cspay runs --period {period}`)"
                )
            if state.state != "draft":
                approved = state.approved
                by = f" by {approved.who} at {approved.at}" if approved else ""
                raise ControlError(f"{name} is {state.state}{by}; only a draft is approved")
            stale = stale_text(self.stale(run))
            if stale:
                raise ControlError([f"{name} is out of date: {reason}; record {period} again" for reason in stale])
            if state.four_eyes:
                same = same_person(state.recorded, who)
                if same is not None:
                    raise ControlError(
                        f"{name}: the policy asks for four eyes (approval.four_eyes) and {same}; it needs the "
                        f"approval of someone else"
                    )
            self.audit("run", run.id, "approved", who)
        found = self.run_state(period)
        assert found is not None
        return found

    def check_closable(self, period: str) -> None:
        """Only an approved, up-to-date pay run is closed: what a close locks is what was paid."""
        state = self.run_state(period)
        if state is None:
            return  # the close's own check says nothing is recorded
        name = f"{self.path}: {period} version {state.run.version}"
        if state.state == "draft":
            raise ControlError(f"{name} is a draft; approve it with `cspay approve {period}` before closing it")
        stale = stale_text(self.stale(state.run))
        if stale:
            raise ControlError([f"{name} is out of date: {reason}; record {period} again" for reason in stale])

    def run_to_pay(self, period: str) -> RunState:
        """The version of a period a payment file is written from: its latest pay version, approved (or
        closed, which needs an approval), up to date with the ledger."""
        state = self.paid_state(period)
        if state is None:
            raise ControlError(f"{self.path}: nothing is recorded for {period}; record it with compute --record")
        name = f"{self.path}: {period} version {state.run.version}"
        if state.state == "draft":
            raise ControlError(
                f"{name} is a draft; only an approved run is exported for payment (cspay approve {period})"
            )
        stale = stale_text(self.stale(state.run))
        if stale:
            raise ControlError([f"{name} is out of date: {reason}; record {period} again" for reason in stale])
        return state

    def log_export(self, run_id: int, note: str, who: Who) -> None:
        """Audit a payment file written from a run."""
        with self.write():
            self.audit("run", run_id, "exported", who, note)

    # ---- one-off adjustments ---------------------------------------------------------------------------

    def add_one_off(
        self,
        period: str,
        agent_id: str,
        code: str,
        amount: Decimal,
        reason: str,
        policy: tuple[str, bool],
        who: Who,
    ) -> OneOff:
        """A pending one-off adjustment; `policy` is the id and four-eyes rule of the policy it was checked
        against. One code per agent and period: a second one would be a second line of the same code."""
        policy_id, four_eyes = policy
        with self.write():
            self._check_open(period, "add an adjustment to")
            current = self.run_state(period)
            if current is not None:
                if current.run.policy != policy_id:
                    raise ControlError(
                        f"{self.path}: {period} is recorded under the policy {current.run.policy}, "
                        f"not {policy_id}; give that policy with --policy"
                    )
                if agent_id not in self.agent_ids_of(current.run.id):
                    raise ControlError(
                        f"{self.path}: agent {agent_id!r} is not in {period} version {current.run.version}; "
                        f"check the id (an adjustment pays with the agent's payslip)"
                    )
            twin = [item for item in self.one_offs(period, agent_id, OPEN_ONE_OFF) if item.code == code]
            if twin:
                raise ControlError(
                    f"{self.path}: adjustment {twin[0].id} ({twin[0].state}) is already {agent_id}'s {code} line in "
                    f"{period}; void it and add one with the whole amount"
                )
            cursor = self.db.execute(
                "INSERT INTO one_offs (period, agent_id, code, amount, reason, policy, four_eyes, state) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, 'pending')",
                (period, agent_id, code, str(amount), reason, policy_id, int(four_eyes)),
            )
            assert cursor.lastrowid is not None
            self.audit("adjustment", cursor.lastrowid, "added", who)
            one_off_id = cursor.lastrowid
        found = self.one_off(one_off_id)
        assert found is not None
        return found

    def decide_one_off(self, one_off_id: int, action: str, note: str | None, who: Who) -> OneOff:
        """Approve or reject a pending adjustment, or void a pending or approved one, in an open period."""
        to_state = {"approve": "approved", "reject": "rejected", "void": "voided"}[action]
        allowed_from = OPEN_ONE_OFF if action == "void" else ("pending",)
        with self.write():
            item = self.one_off(one_off_id)
            if item is None:
                raise ControlError(f"{self.path}: no adjustment {one_off_id}; `cspay adjust list` shows them")
            name = f"{self.path}: adjustment {one_off_id}"
            if item.state not in allowed_from:
                raise ControlError(f"{name} is {item.state}; only a {' or '.join(allowed_from)} one can be {to_state}")
            self._check_open(item.period, f"{action} an adjustment of")
            if action == "approve" and item.four_eyes:
                same = same_person(item.added, who, "the adjustment")
                if same is not None:
                    raise ControlError(
                        f"{name}: the policy asks for four eyes (approval.four_eyes) and {same}; it needs the "
                        f"approval of someone else"
                    )
            self.db.execute("UPDATE one_offs SET state = ? WHERE id = ?", (to_state, one_off_id))
            self.audit("adjustment", one_off_id, to_state, who, note)
        found = self.one_off(one_off_id)
        assert found is not None
        return found

    def _check_open(self, period: str, doing: str) -> None:
        closed = self.closed(period)
        if closed is not None:
            raise ControlError(
                f"{self.path}: {period} was closed by {closed.user} at {closed.at}; cannot {doing} it "
                f"(add the amount to an open period, or reopen {period})"
            )

    # ---- disputes ------------------------------------------------------------------------------------

    def open_dispute(self, period: str, agent_id: str, subject: tuple[str, str], claim: str, who: Who) -> Dispute:
        """An agent's challenge of a KPI or line of their payslip in the period's current recorded run."""
        kind, code = subject
        with self.write():
            current = self.run_state(period)
            if current is None:
                raise ControlError(f"{self.path}: nothing is recorded for {period}; a dispute is about a recorded run")
            subjects = self.subjects_of(current.run.id, agent_id)
            if subjects is None:
                raise ControlError(f"{self.path}: agent {agent_id!r} is not in {period} version {current.run.version}")
            known = subjects[0] if kind == "kpi" else subjects[1]
            if code not in known:
                what = "KPI" if kind == "kpi" else "line"
                raise ControlError(
                    f"{self.path}: {agent_id}'s payslip in {period} has no {what} {code!r}; expected one of "
                    f"{', '.join(known)}"
                )
            cursor = self.db.execute(
                "INSERT INTO disputes (period, agent_id, subject, code, claim, state) VALUES (?, ?, ?, ?, ?, 'open')",
                (period, agent_id, kind, code, claim),
            )
            assert cursor.lastrowid is not None
            dispute_id = cursor.lastrowid
            self.audit("dispute", dispute_id, "opened", who)
        found = self.dispute(dispute_id)
        assert found is not None
        return found

    def resolve_dispute(self, dispute_id: int, accept: bool, note: str, who: Who) -> Dispute:
        """Accept or reject an open dispute, with the note that says why."""
        outcome = "accepted" if accept else "rejected"
        with self.write():
            dispute = self.dispute(dispute_id)
            if dispute is None:
                raise ControlError(f"{self.path}: no dispute {dispute_id}; `cspay dispute list` shows them")
            if dispute.state != "open":
                decision = dispute.decision
                by = f" by {decision.who} at {decision.at}" if decision else ""
                raise ControlError(
                    f"{self.path}: dispute {dispute_id} is {dispute.state}{by}; only an open one is resolved"
                )
            self.db.execute("UPDATE disputes SET state = ? WHERE id = ?", (outcome, dispute_id))
            self.audit("dispute", dispute_id, outcome, who, note)
        found = self.dispute(dispute_id)
        assert found is not None
        return found
