"""The pay run with the ledger's controls: approved one-off adjustments paid, corrections paid once approved,
disputes gathered for the statements; without a ledger the run streams as before."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from cspay.inputs.resolve import open_inputs
from cspay.ledger.book import Ledger
from cspay.ledger.control_book import ControlError
from cspay.ledger.reads import Who
from cspay.periods import parse_period
from cspay.policy.loader import load_policy
from cspay.run.pay import pay
from cspay.run.record import record

DATA = Path(__file__).parent / "data"
QIN = Who("payroll", "pay-01", "2026-12-01T09:00:00Z", "Qin Hai")
KONG = Who("payroll", "pay-01", "2026-12-01T10:00:00Z", "Kong Wen")
CONTROLS = ("cs-controls", True)


def run_of(ledger: Path | None, period: str = "2026-11", metrics: Path = DATA / "month.csv"):
    policy = load_policy(DATA / "controls.yaml")
    return pay(open_inputs(policy, [metrics], parse_period(period)), ledger=ledger)


def slip(run, agent_id: str):
    return next(item for item in run.payslips if item.agent_id == agent_id)


@pytest.fixture
def ledger(tmp_path) -> Path:
    """A ledger with November recorded (a draft) by Qin Hai."""
    path = tmp_path / "pay.db"
    record(run_of(path), path, who=QIN)
    return path


def approved_one_off(ledger: Path, agent_id: str = "A001", amount: str = "800.00") -> int:
    with Ledger(ledger) as book:
        item = book.add_one_off("2026-11", agent_id, "retention_bonus", Decimal(amount), "Peak", CONTROLS, QIN)
        book.decide_one_off(item.id, "approve", None, KONG)
    return item.id


def test_without_a_ledger_the_run_still_streams():
    """No ledger, no budget: the payslips are an iterator, as before the controls."""
    assert isinstance(run_of(None).payslips, Iterator)


def test_an_approved_one_off_is_paid_as_its_own_line(ledger):
    """The run gives the agent a one_off line; gross and the total grow by its amount."""
    before = run_of(ledger)
    number = approved_one_off(ledger)
    after = run_of(ledger)
    assert [number] == [item.id for item in after.one_offs]
    assert "Retention bonus: Peak" == slip(after, "A001").lines[-1].label
    assert before.summary.gross + Decimal("800.00") == after.summary.gross
    assert slip(before, "A001").gross + Decimal("800.00") == slip(after, "A001").gross


@pytest.mark.parametrize("decision", [None, "reject", "void"])
def test_a_one_off_not_approved_is_not_paid(ledger, decision):
    """Pending, rejected or voided adjustments pay nothing."""
    with Ledger(ledger) as book:
        item = book.add_one_off("2026-11", "A001", "retention_bonus", Decimal("800.00"), "Peak", CONTROLS, QIN)
        if decision is not None:
            book.decide_one_off(item.id, decision, "no", KONG)
    run = run_of(ledger)
    assert [] == run.one_offs
    assert all(not line.code.startswith("one_off.") for line in slip(run, "A001").lines)


def test_a_one_off_of_an_agent_not_in_the_run_is_reported(ledger, tmp_path):
    """An approved adjustment whose agent the run does not pay is listed as unpaid, never dropped silently."""
    number = approved_one_off(ledger, "A004")
    fewer = tmp_path / "fewer.csv"
    fewer.write_text(
        "".join(line for line in (DATA / "month.csv").read_text(encoding="utf-8").splitlines(keepends=True)
                if not line.startswith("A004,")),
        encoding="utf-8",
    )  # fmt: skip
    run = run_of(ledger, metrics=fewer)
    assert ([], [number]) == (run.one_offs, [item.id for item in run.one_offs_unpaid])


def test_a_one_off_beyond_the_paying_policy_stops_the_run(ledger):
    """An approved amount the paying policy does not allow is an error naming the adjustment."""
    number = approved_one_off(ledger)
    db = sqlite3.connect(ledger)
    db.execute("UPDATE one_offs SET amount = '5000.00' WHERE id = ?", (number,))
    db.commit()
    db.close()
    with pytest.raises(ControlError) as caught:
        run_of(ledger)
    assert [
        f"{ledger}: adjustment {number} (A001, 2026-11): 5000.00 is beyond the policy's max_amount of 3000 "
        f"(either way); void it (`cspay adjust void {number}`) and add it again"
    ] == caught.value.lines()


def test_a_one_off_approved_by_its_adder_stops_a_four_eyes_run(ledger):
    """Under four eyes the run refuses an adjustment its adder approved (recorded under a laxer policy)."""
    with Ledger(ledger) as book:
        item = book.add_one_off(
            "2026-11", "A001", "retention_bonus", Decimal("10.00"), "x", ("cs-controls", False), QIN
        )
        book.decide_one_off(item.id, "approve", None, QIN)
    with pytest.raises(ControlError, match=r"four eyes .* Qin Hai added the adjustment and approved it"):
        run_of(ledger)


def correction_of_november(ledger: Path, tmp_path: Path, *, approve: bool) -> None:
    """Close November, record a correction raising A001 to grade S, and approve it when asked."""
    with Ledger(ledger) as book:
        book.approve("2026-11", KONG)
        book.close_period("2026-11", KONG)
    corrected = tmp_path / "corrected.csv"
    corrected.write_text(
        (DATA / "month.csv").read_text(encoding="utf-8").replace("0:05:35,88,", "0:05:35,95,").replace("92.5%", "97"),
        encoding="utf-8",
    )
    record(run_of(ledger, metrics=corrected), ledger, correction=True, who=QIN)
    if approve:
        with Ledger(ledger) as book:
            book.approve("2026-11", KONG)


def test_a_correction_waits_for_its_approval(ledger, tmp_path):
    """December leaves out the differences of a correction not approved yet, and lists them."""
    correction_of_november(ledger, tmp_path, approve=False)
    run = run_of(ledger, "2026-12")
    assert ([], ["A001"]) == (run.settles, [item.agent_id for item in run.unapproved])
    assert all(line.code != "adjustment.correction" for line in slip(run, "A001").lines)


def test_an_approved_correction_is_paid_next_period(ledger, tmp_path):
    """Once the correction is approved, December pays its difference as one line."""
    correction_of_november(ledger, tmp_path, approve=True)
    run = run_of(ledger, "2026-12")
    assert ("adjustment.correction", []) == (slip(run, "A001").lines[-1].code, run.unapproved)


def test_the_run_gathers_each_agents_disputes(ledger):
    """Disputes of the period come with the run, by agent, for statements to show."""
    with Ledger(ledger) as book:
        book.open_dispute("2026-11", "A001", ("kpi", "csat"), "Surveys were not mine", QIN)
    run = run_of(ledger)
    assert (["csat"], []) == ([d.code for d in run.disputes["A001"]], run.disputes.get("007", []))


def test_a_correction_keeps_the_one_offs_its_period_paid(ledger, tmp_path):
    """A correction of a period recomputes it with its approved one-off adjustments, so the difference it
    records is the metrics' change alone: the adjustment is neither paid twice nor taken back."""
    number = approved_one_off(ledger)
    record(run_of(ledger), ledger, who=QIN)
    correction_of_november(ledger, tmp_path, approve=True)
    with Ledger(ledger) as book:
        differences = book.differences_of(book.current("2026-11").id)
    assert [("A001", "bonus")] == [(item.agent_id, item.code) for item in differences]
    assert [number] == [item.id for item in run_of(ledger).one_offs]
