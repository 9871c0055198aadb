"""What an agent is paid adds up across any sequence of record, correct, approve, close, reopen and re-record:
the payslips of every period's pay version, corrections carried included, pay what the final versions owe."""

from __future__ import annotations

import shutil
import tempfile
from decimal import Decimal
from pathlib import Path

from helpers import agent_row
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule

from cspay.errors import CspayError
from cspay.inputs.resolve import rows_source
from cspay.ledger.book import Ledger, Who
from cspay.periods import parse_period
from cspay.policy.loader import load_policy
from cspay.run.pay import compute, pay
from cspay.run.record import record

DATA = Path(__file__).parent / "data"
POLICY = load_policy(DATA / "controls.yaml")  # four eyes: the recorder never approves
RECORDER = Who("alice", "payroll-01", "2026-12-01T09:00:00Z")
APPROVER = Who("bob", "payroll-02", "2026-12-01T10:00:00Z")
PERIODS = ("2026-08", "2026-09")
LAST = "2026-10"  # recorded at the end: it carries whatever the sequence left to pay
AGENTS = ("A001", "A002", "A003")
CSAT = ("70", "85", "95")  # each gives another grade, so another bonus


def rows(variant: tuple[int, ...]) -> list:
    """The month's rows: agent i with the i-th CSAT of the variant."""
    return [agent_row(agent_id=agent, csat=CSAT[level]) for agent, level in zip(AGENTS, variant, strict=False)]


def owed(variant: tuple[int, ...]) -> dict[str, Decimal]:
    """What each agent earns for a month of these rows, without the ledger."""
    return {slip.agent_id: slip.gross for slip in compute(POLICY, rows(variant)).payslips}


class Books:
    """A ledger driven step by step, and the variant the latest record of each period was made from."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.final: dict[str, tuple[int, ...]] = {}

    def record(self, period: str, variant: tuple[int, ...], correction: bool = False) -> None:
        run = pay(rows_source(POLICY, rows(variant), parse_period(period)), ledger=self.path)
        record(run, self.path, correction=correction, who=RECORDER)
        self.final[period] = variant

    def step(self, command: tuple) -> None:
        """One ledger command; one the ledger refuses (a closed period, a draft …) changes nothing."""
        kind, period, *rest = command
        try:
            if kind in ("record", "correct"):
                self.record(period, rest[0], correction=kind == "correct")
                return
            with Ledger(self.path) as book:
                if kind == "approve":
                    book.approve(period, APPROVER)
                elif kind == "close":
                    book.close_period(period, APPROVER)
                else:
                    book.reopen_period(period, "metrics resent", APPROVER)
        except CspayError:
            pass

    def settle(self, variant: tuple[int, ...]) -> None:
        """Approve what is waiting, then pay one more month: it carries every difference still owed."""
        if self.path.exists():
            with Ledger(self.path) as book:
                for state in book.run_states():
                    if state.state == "draft" and not state.run.superseded:
                        book.approve(state.run.period, APPROVER)
        self.record(LAST, variant)

    def paid(self) -> dict[str, Decimal]:
        """Per agent, the gross of every period's latest pay version: what the payslips paid."""
        with Ledger(self.path, read_only=True) as book:
            found = book.rows(
                "SELECT p.agent_id, p.gross FROM payslips p JOIN runs r ON r.id = p.run_id WHERE r.id IN "
                "(SELECT max(id) FROM runs WHERE kind = 'pay' GROUP BY period)"
            )
        return _sums((row["agent_id"], Decimal(row["gross"])) for row in found)

    def owed(self) -> dict[str, Decimal]:
        """Per agent, what the final version of every period pays for it."""
        return _sums((agent, gross) for variant in self.final.values() for agent, gross in owed(variant).items())


def _sums(pairs) -> dict[str, Decimal]:
    found: dict[str, Decimal] = {}
    for agent, amount in pairs:
        found[agent] = found.get(agent, Decimal(0)) + amount
    return found


variants = st.tuples(*[st.integers(0, len(CSAT) - 1)] * len(AGENTS))
periods = st.sampled_from(PERIODS)


def scratch() -> Path:
    """A fresh folder, in memory where the system has one: SQLite's syncs on disk would slow every step."""
    memory = Path("/dev/shm")
    return Path(tempfile.mkdtemp(prefix="cspay-sequence-", dir=memory if memory.is_dir() else None))


def run_sequence(sequence: list[tuple], last: tuple[int, ...]) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    """What a sequence of commands, settled with one more month, owes and pays each agent."""
    books = Books(scratch() / "ledger.db")
    try:
        for command in sequence:
            books.step(command)
        books.settle(last)
        return books.owed(), books.paid()
    finally:
        shutil.rmtree(books.path.parent)


class LedgerSequences(RuleBasedStateMachine):
    """Random sequences of the ledger's commands, each taken when the ledger would accept it, checked at
    every step on a copy settled with one more month."""

    def __init__(self) -> None:
        super().__init__()
        self.books = Books(scratch() / "ledger.db")

    def teardown(self) -> None:
        shutil.rmtree(self.books.path.parent, ignore_errors=True)

    def state(self, period: str) -> tuple[str | None, bool]:
        """The period's current version's state (None when nothing is recorded), and whether it is closed."""
        if not self.books.path.exists():
            return None, False
        with Ledger(self.books.path, read_only=True) as book:
            current = book.run_state(period)
            return (current.state if current else None), book.closed(period) is not None

    def periods_where(self, wanted) -> list[str]:
        return [period for period in PERIODS if wanted(*self.state(period))]

    # Each command is drawn only for a period where the ledger takes it, so sequences go somewhere.
    @precondition(lambda self: self.periods_where(lambda state, closed: not closed))
    @rule(data=st.data(), variant=variants)
    def record(self, data, variant: tuple[int, ...]) -> None:
        period = data.draw(st.sampled_from(self.periods_where(lambda state, closed: not closed)))
        self.books.step(("record", period, variant))

    @precondition(lambda self: self.periods_where(lambda state, closed: closed))
    @rule(data=st.data(), variant=variants)
    def correct(self, data, variant: tuple[int, ...]) -> None:
        period = data.draw(st.sampled_from(self.periods_where(lambda state, closed: closed)))
        self.books.step(("correct", period, variant))

    @precondition(lambda self: self.periods_where(lambda state, closed: state == "draft"))
    @rule(data=st.data())
    def approve(self, data) -> None:
        self.books.step(("approve", data.draw(st.sampled_from(self.periods_where(lambda s, c: s == "draft")))))

    @precondition(lambda self: self.periods_where(lambda state, closed: state == "approved" and not closed))
    @rule(data=st.data())
    def close(self, data) -> None:
        ready = self.periods_where(lambda state, closed: state == "approved" and not closed)
        self.books.step(("close", data.draw(st.sampled_from(ready))))

    @precondition(lambda self: self.periods_where(lambda state, closed: closed))
    @rule(data=st.data())
    def reopen(self, data) -> None:
        self.books.step(("reopen", data.draw(st.sampled_from(self.periods_where(lambda s, closed: closed)))))

    @rule(last=variants)
    def check(self, last: tuple[int, ...]) -> None:
        """Settled with one more month, the ledger so far pays each agent what the final versions owe."""
        copy = Books(scratch() / "ledger.db")
        if self.books.path.exists():
            shutil.copyfile(self.books.path, copy.path)
        copy.final = dict(self.books.final)
        try:
            copy.settle(last)
            assert copy.owed() == copy.paid()
        finally:
            shutil.rmtree(copy.path.parent)


LedgerSequences.TestCase.settings = settings(stateful_step_count=25)
test_any_sequence_pays_what_the_final_versions_owe = LedgerSequences.TestCase


def test_a_correction_carried_into_a_later_month_is_not_paid_again_after_a_reopen():
    """A month corrected, its difference paid by the next month, then reopened and recorded again: the
    difference is taken back, since the new version pays the month in full."""
    owed, paid = run_sequence(
        [
            ("record", "2026-08", (0, 0, 0)),
            ("approve", "2026-08"),
            ("close", "2026-08"),
            ("correct", "2026-08", (2, 0, 0)),
            ("approve", "2026-08"),
            ("record", "2026-09", (0, 0, 0)),
            ("reopen", "2026-08"),
            ("record", "2026-08", (2, 0, 0)),
        ],
        (0, 0, 0),
    )
    assert owed == paid


def test_a_correction_superseded_before_its_approval_is_measured_from_what_was_paid():
    """Two corrections in a row, the first never approved: the second is measured against what the month
    paid, so the whole change reaches the next month (found by the sequences above)."""
    owed, paid = run_sequence(
        [
            ("record", "2026-08", (0, 0, 1)),
            ("approve", "2026-08"),
            ("close", "2026-08"),
            ("correct", "2026-08", (0, 0, 0)),
            ("correct", "2026-08", (0, 0, 0)),
            ("approve", "2026-08"),
        ],
        (0, 0, 0),
    )
    assert owed == paid
