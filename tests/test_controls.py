"""The controls in the ledger: run states and approvals, four eyes, one-off adjustments and disputes."""

from __future__ import annotations

import re
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from cspay.inputs.metrics import read_metrics
from cspay.ledger.book import Ledger, Recording
from cspay.ledger.control_book import ControlError
from cspay.ledger.controls import Step, same_person
from cspay.ledger.reads import Who
from cspay.ledger.schema import MIGRATIONS
from cspay.policy.loader import load_policy
from cspay.run.pay import compute

DATA = Path(__file__).parent / "data"
QIN = Who("payroll", "pay-01", "2026-12-01T09:00:00Z", "Qin Hai")
KONG = Who("payroll", "pay-01", "2026-12-01T10:00:00Z", "Kong Wen")
ALICE = Who("alice", "pay-01", "2026-12-01T11:00:00Z")
CONTROLS = ("cs-controls", True)
# The schema version just before the controls' migration step (the step that creates the audit table).
CONTROLS_STEP = next(i for i, step in enumerate(MIGRATIONS) if any("CREATE TABLE audit" in sql for sql in step))


def recording(*, one_offs: list[int] | None = None, disputes: list[int] | None = None) -> Recording:
    """November under the controls policy (four eyes), paying the given adjustments and settling disputes."""
    policy = load_policy(DATA / "controls.yaml")
    run = compute(policy, read_metrics(DATA / "month.csv", policy))
    return Recording(
        "2026-11",
        "2026-11-01",
        "2026-11-30",
        policy,
        [("metrics", "month.csv", "00" * 32)],
        run.payslips,
        run.summary,
        one_offs=one_offs or [],
        disputes=disputes or [],
    )


@pytest.fixture
def book(tmp_path):
    with Ledger(tmp_path / "l.db", create=True) as ledger:
        yield ledger


def recorded(book: Ledger, who: Who = QIN, **paid) -> None:
    book.record(recording(**paid), who)


def test_a_recorded_run_is_a_draft(book):
    """A run starts as a draft whose first step names who recorded it."""
    recorded(book)
    state = book.run_state("2026-11")
    assert ("draft", "recorded", "Qin Hai (payroll@pay-01)") == (state.state, state.steps[0].action, state.recorded.who)


def test_approval_is_a_step_with_who_and_when(book):
    """Approving makes the run approved and keeps the approver's name, account and time."""
    recorded(book)
    state = book.approve("2026-11", KONG)
    assert "approved" == state.state
    assert Step("approved", KONG.at, "payroll", "pay-01", "Kong Wen") == state.approved


def test_four_eyes_refuses_the_recorder_as_approver(book):
    """Under approval.four_eyes the person who recorded the run cannot approve it; it stays a draft."""
    recorded(book)
    with pytest.raises(ControlError, match=r"four eyes.*Qin Hai recorded it"):
        book.approve("2026-11", Who("payroll", "pay-01", "2026-12-02T09:00:00Z", "qin hai"))
    assert "draft" == book.run_state("2026-11").state


def test_a_policy_without_four_eyes_lets_the_recorder_approve(tmp_path):
    """Without four eyes the recorder may approve their own run."""
    policy = load_policy(DATA / "standard.yaml")
    run = compute(policy, read_metrics(DATA / "month.csv", policy))
    with Ledger(tmp_path / "l.db", create=True) as book:
        book.record(Recording("2026-11", "2026-11-01", "2026-11-30", policy, [], run.payslips, run.summary), ALICE)
        assert "approved" == book.approve("2026-11", ALICE).state


@pytest.mark.parametrize(
    ("first", "then", "same"),
    [
        (Step("recorded", "t", "payroll", "h", "Qin Hai"), Who("payroll", "h", "t", "Kong Wen"), False),
        (Step("recorded", "t", "payroll", "h", "Qin Hai"), Who("payroll", "h", "t", "QIN HAI"), True),
        (Step("recorded", "t", "payroll", "h"), Who("payroll", "h", "t", "Kong Wen"), True),
        (Step("recorded", "t", "payroll", "h", "Qin Hai"), Who("payroll", "h", "t"), True),
        (Step("recorded", "t", "alice", "h"), Who("bob", "h", "t"), False),
        (Step("recorded", "t", "alice", "h"), Who("bob", "h", "t", "alice"), True),
    ],
)
def test_one_account_is_one_person_unless_both_give_different_names(first, then, same):
    """Two steps are one person's when the names (or accounts) match, or one account took both and one of
    them gave no --by name."""
    assert same == (same_person(first, then) is not None)


def test_only_the_current_version_is_approved(book):
    """--version names the version reviewed; an earlier one is refused, naming the current one."""
    recorded(book)
    recorded(book)
    with pytest.raises(ControlError, match="version 1 is not the current version; version 2 is"):
        book.approve("2026-11", KONG, version=1)


def test_an_approved_run_is_not_approved_again(book):
    """A second approval is refused, naming the first approver."""
    recorded(book)
    book.approve("2026-11", KONG)
    with pytest.raises(ControlError, match=r"is approved by Kong Wen \(payroll@pay-01\)"):
        book.approve("2026-11", ALICE)


def test_recording_again_makes_a_new_draft(book):
    """An approved version recorded again is superseded by a new draft that needs its own approval."""
    recorded(book)
    book.approve("2026-11", KONG)
    recorded(book)
    assert [("superseded", 1), ("draft", 2)] == [(s.state, s.run.version) for s in book.run_states("2026-11")]


def test_a_draft_cannot_be_closed(book):
    """Closing needs an approved run; the error says how to approve it."""
    recorded(book)
    with pytest.raises(ControlError, match="is a draft; approve it with `cspay approve 2026-11`"):
        book.close_period("2026-11", KONG)
    assert book.closed("2026-11") is None


def test_an_approved_run_closes_and_shows_closed(book):
    """After approval the period closes; the run's state is closed and the close is one of its steps."""
    recorded(book)
    book.approve("2026-11", KONG)
    book.close_period("2026-11", KONG)
    state = book.run_state("2026-11")
    assert ("closed", ["recorded", "approved", "closed"]) == (state.state, [s.action for s in state.steps])


def test_reopen_is_a_step_with_its_reason(book):
    """Reopening keeps the reason as the note of the run's step; the run is approved again."""
    recorded(book)
    book.approve("2026-11", KONG)
    book.close_period("2026-11", KONG)
    book.reopen_period("2026-11", "late QA scores", KONG)
    state = book.run_state("2026-11")
    assert ("approved", "reopened", "late QA scores") == (state.state, state.steps[-1].action, state.steps[-1].note)


def test_an_adjustment_starts_pending_with_who_added_it(book):
    """A one-off adjustment is pending until approved; its first step is its adding."""
    item = book.add_one_off("2026-11", "A001", "retention_bonus", Decimal("800.00"), "Peak", CONTROLS, QIN)
    assert ("pending", "added", "Qin Hai") == (item.state, item.added.action, item.added.name)


def test_four_eyes_refuses_the_adder_as_approver(book):
    """The person who added an adjustment cannot approve it under four eyes; someone else can."""
    item = book.add_one_off("2026-11", "A001", "retention_bonus", Decimal("800.00"), "Peak", CONTROLS, QIN)
    with pytest.raises(ControlError, match="Qin Hai added the adjustment"):
        book.decide_one_off(item.id, "approve", None, QIN)
    assert "approved" == book.decide_one_off(item.id, "approve", None, KONG).state


@pytest.mark.parametrize(("action", "state"), [("reject", "rejected"), ("void", "voided")])
def test_a_rejected_or_voided_adjustment_is_final(book, action, state):
    """Rejected or voided, an adjustment cannot be approved later."""
    item = book.add_one_off("2026-11", "A001", "retention_bonus", Decimal("800.00"), "Peak", CONTROLS, QIN)
    book.decide_one_off(item.id, action, "no", KONG)
    with pytest.raises(ControlError, match=f"is {state}; only a pending one can be approved"):
        book.decide_one_off(item.id, "approve", None, KONG)


def test_an_agent_gets_one_adjustment_per_code_and_period(book):
    """A second open adjustment with the same code would be a second line of that code: refused."""
    book.add_one_off("2026-11", "A001", "retention_bonus", Decimal("800.00"), "Peak", CONTROLS, QIN)
    with pytest.raises(ControlError, match="is already A001's retention_bonus line in 2026-11"):
        book.add_one_off("2026-11", "A001", "retention_bonus", Decimal("100.00"), "More", CONTROLS, QIN)


def test_a_voided_adjustment_frees_its_code(book):
    """Once voided, the agent's code may be used again."""
    item = book.add_one_off("2026-11", "A001", "retention_bonus", Decimal("800.00"), "Peak", CONTROLS, QIN)
    book.decide_one_off(item.id, "void", "wrong amount", QIN)
    again = book.add_one_off("2026-11", "A001", "retention_bonus", Decimal("900.00"), "Peak", CONTROLS, QIN)
    assert "pending" == again.state


def test_an_adjustment_names_an_agent_of_the_recorded_run(book):
    """Once the period is recorded, an adjustment for an id not in it is refused."""
    recorded(book)
    with pytest.raises(ControlError, match="agent 'A999' is not in 2026-11 version 1"):
        book.add_one_off("2026-11", "A999", "retention_bonus", Decimal("800.00"), "Peak", CONTROLS, QIN)


def test_an_adjustment_is_checked_against_the_recorded_policy(book):
    """An adjustment checked against another policy than the period's is refused."""
    recorded(book)
    with pytest.raises(ControlError, match="recorded under the policy cs-controls, not cs-other"):
        book.add_one_off("2026-11", "A001", "retention_bonus", Decimal("800.00"), "Peak", ("cs-other", True), QIN)


def test_a_closed_period_takes_no_adjustment(book):
    """Adding to, approving in or voiding in a closed period is refused."""
    item = book.add_one_off("2026-11", "A001", "retention_bonus", Decimal("800.00"), "Peak", CONTROLS, QIN)
    book.decide_one_off(item.id, "approve", None, KONG)
    recorded(book, one_offs=[item.id])
    book.approve("2026-11", KONG)
    book.close_period("2026-11", KONG)
    with pytest.raises(ControlError, match="2026-11 was closed by payroll"):
        book.add_one_off("2026-11", "A001", "overpayment_recovery", Decimal("-50.00"), "Twice", CONTROLS, QIN)
    with pytest.raises(ControlError, match="cannot void an adjustment of it"):
        book.decide_one_off(item.id, "void", "late", KONG)


def test_a_run_recorded_before_an_approval_is_out_of_date(book):
    """An adjustment approved after the run was recorded makes the run out of date: not approved until
    recorded again with it."""
    recorded(book)
    item = book.add_one_off("2026-11", "A001", "retention_bonus", Decimal("800.00"), "Peak", CONTROLS, QIN)
    book.decide_one_off(item.id, "approve", None, KONG)
    with pytest.raises(ControlError, match=f"adjustment {item.id} is approved but not paid by it"):
        book.approve("2026-11", KONG)
    recorded(book, one_offs=[item.id])
    assert "approved" == book.approve("2026-11", KONG).state


def test_voiding_a_paid_adjustment_stops_the_close(book):
    """An approved run that pays an adjustment voided since is out of date: the period does not close."""
    item = book.add_one_off("2026-11", "A001", "retention_bonus", Decimal("800.00"), "Peak", CONTROLS, QIN)
    book.decide_one_off(item.id, "approve", None, KONG)
    recorded(book, one_offs=[item.id])
    book.approve("2026-11", KONG)
    book.decide_one_off(item.id, "void", "wrong agent", KONG)
    assert [("not_approved", item.id)] == book.stale(book.current("2026-11"))
    with pytest.raises(ControlError, match="no longer approved"):
        book.close_period("2026-11", KONG)


def test_a_dispute_names_a_kpi_or_line_of_the_agents_payslip(book):
    """A dispute is about a KPI or a line the agent's recorded payslip has; another code is refused with the
    codes it has."""
    recorded(book)
    dispute = book.open_dispute("2026-11", "A001", ("line", "bonus"), "Attendance was mis-coded", QIN)
    assert ("open", "line", "bonus") == (dispute.state, dispute.subject, dispute.code)
    with pytest.raises(ControlError, match="has no KPI 'cast'; expected one of aht, csat, fcr, qa"):
        book.open_dispute("2026-11", "A001", ("kpi", "cast"), "Surveys were not mine", QIN)


def test_a_dispute_needs_a_recorded_period_and_agent(book):
    """Nothing recorded, or an agent not in the run, is refused."""
    with pytest.raises(ControlError, match="nothing is recorded for 2026-11"):
        book.open_dispute("2026-11", "A001", ("kpi", "csat"), "Claim", QIN)
    recorded(book)
    with pytest.raises(ControlError, match="agent 'A999' is not in 2026-11 version 1"):
        book.open_dispute("2026-11", "A999", ("kpi", "csat"), "Claim", QIN)


def test_a_dispute_is_resolved_once_with_a_note(book):
    """Accepting keeps the note and who decided; a second decision is refused."""
    recorded(book)
    dispute = book.open_dispute("2026-11", "A001", ("kpi", "csat"), "Surveys were not mine", QIN)
    accepted = book.resolve_dispute(dispute.id, True, "Re-assigned in the CRM", KONG)
    assert ("accepted", "Re-assigned in the CRM", "Kong Wen") == (
        accepted.state,
        accepted.decision.note,
        accepted.decision.name,
    )
    with pytest.raises(ControlError, match="is accepted by Kong Wen"):
        book.resolve_dispute(dispute.id, False, "No", QIN)


def test_a_run_settles_an_accepted_dispute(book):
    """A run that names an accepted dispute settles it; the dispute says which version."""
    recorded(book)
    dispute = book.open_dispute("2026-11", "A001", ("kpi", "csat"), "Surveys were not mine", QIN)
    book.resolve_dispute(dispute.id, True, "Re-assigned", KONG)
    recorded(book, disputes=[dispute.id])
    assert ("settled", ("2026-11", 2, "pay")) == (book.dispute(dispute.id).state, book.dispute(dispute.id).settled_in)


@pytest.mark.parametrize(
    ("decide", "message"),
    [(None, "is open; only an accepted dispute"), (False, "is rejected; only an accepted dispute")],
)
def test_only_an_accepted_dispute_is_settled(book, decide, message):
    """A run naming an open or rejected dispute is refused, and nothing is recorded."""
    recorded(book)
    dispute = book.open_dispute("2026-11", "A001", ("kpi", "csat"), "Claim", QIN)
    if decide is not None:
        book.resolve_dispute(dispute.id, decide, "Checked", KONG)
    with pytest.raises(ControlError, match=message):
        recorded(book, disputes=[dispute.id])
    assert [1] == [run.version for run in book.runs()]


def test_a_settled_dispute_is_not_settled_twice(book):
    """Naming a dispute another version settled is refused, naming that version."""
    recorded(book)
    dispute = book.open_dispute("2026-11", "A001", ("kpi", "csat"), "Claim", QIN)
    book.resolve_dispute(dispute.id, True, "Yes", KONG)
    recorded(book, disputes=[dispute.id])
    with pytest.raises(ControlError, match="was already settled by 2026-11 version 2"):
        book.disputes_to_settle("2026-11", [dispute.id], None)


def test_a_dispute_of_another_period_is_not_settled_here(book):
    """A run of another period naming the dispute is refused."""
    recorded(book)
    dispute = book.open_dispute("2026-11", "A001", ("kpi", "csat"), "Claim", QIN)
    book.resolve_dispute(dispute.id, True, "Yes", KONG)
    with pytest.raises(ControlError, match="is about 2026-11, not 2026-12"):
        book.disputes_to_settle("2026-12", [dispute.id], None)


def test_every_step_is_an_audit_row(book):
    """Recording, approving, adding, deciding, opening and resolving each leave one audit row."""
    recorded(book)
    book.approve("2026-11", KONG)
    item = book.add_one_off("2026-11", "A001", "retention_bonus", Decimal("800.00"), "Peak", CONTROLS, QIN)
    book.decide_one_off(item.id, "reject", "No scheme", KONG)
    dispute = book.open_dispute("2026-11", "A001", ("kpi", "csat"), "Claim", QIN)
    book.resolve_dispute(dispute.id, False, "Checked", KONG)
    rows = book.rows("SELECT item, action, name FROM audit ORDER BY id")
    assert [
        ("run", "recorded", "Qin Hai"),
        ("run", "approved", "Kong Wen"),
        ("adjustment", "added", "Qin Hai"),
        ("adjustment", "rejected", "Kong Wen"),
        ("dispute", "opened", "Qin Hai"),
        ("dispute", "rejected", "Kong Wen"),
    ] == [(row["item"], row["action"], row["name"]) for row in rows]


def test_runs_of_an_older_ledger_keep_their_recording_as_first_step(tmp_path):
    """Migrating a ledger from before the controls gives each run its recording as a step, and its
    corrections stay payable without an approval they could not have had."""
    path = tmp_path / "l.db"
    with Ledger(path, create=True) as book:
        book.record(recording(), ALICE)
    db = sqlite3.connect(path, isolation_level=None)
    # Back to the schema before the controls: their tables go, and so does what later steps added.
    for table in (
        "audit",
        "run_rules",
        "run_one_offs",
        "one_offs",
        "disputes",
        "deductions",
        "withholding",
        "openings",
    ):
        db.execute(f"DROP TABLE {table}")
    for statement in (s for step in MIGRATIONS[CONTROLS_STEP + 1 :] for s in step):
        # The tables later steps create are dropped above; rebuilding run_inputs again is harmless.
        added = re.fullmatch(r"ALTER TABLE (\w+) ADD COLUMN (\w+) .*", statement)
        if added:
            db.execute(f"ALTER TABLE {added[1]} DROP COLUMN {added[2]}")
    db.execute(f"PRAGMA user_version = {CONTROLS_STEP}")
    db.execute("INSERT INTO corrections (run_id, period, period_first, agent_id, code, label, amount) "
               "VALUES (1, '2026-11', '2026-11-01', 'A001', 'bonus', 'Bonus', '10.00')")  # fmt: skip
    db.close()
    with Ledger(path) as book:
        state = book.run_state("2026-11")
        payable = book.approved_or_before_approvals([1])
    assert ("draft", [("recorded", "alice")]) == (state.state, [(s.action, s.user) for s in state.steps])
    assert {1} == payable
