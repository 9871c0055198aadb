"""The pay run with the ledger's controls: approved one-off adjustments paid, corrections paid once approved,
disputes gathered for the statements; without a ledger the run streams as before. The run of some agents
(`pay_agents`) pays each as the whole run does."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from helpers import csv_text, metric_rows

from cspay.errors import MetricsError
from cspay.inputs.metrics import ID_BATCH_ROWS
from cspay.inputs.resolve import open_inputs
from cspay.ledger.book import Ledger
from cspay.ledger.control_book import ControlError
from cspay.ledger.reads import Who
from cspay.periods import parse_period
from cspay.policy.loader import load_policy
from cspay.run.pay import pay, pay_agents
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


def general_payslips(policy, path: Path) -> dict[str, object]:
    """Every payslip of the whole run, by agent id."""
    return {item.agent_id: item for item in pay(open_inputs(policy, [path])).payslips}


def agents_paid(policy, path: Path, agent_ids: list[str]):
    return pay_agents(open_inputs(policy, [path]), agent_ids)


@pytest.mark.parametrize("repeating", [True, False], ids=["values-repeat", "values-rarely-repeat"])
def test_asked_agents_are_paid_as_the_whole_run_pays_them(write_csv, standard, repeating):
    """Each agent asked for, anywhere in a file of several id batches, gets the whole run's payslip."""
    path = write_csv(metric_rows(3 * ID_BATCH_ROWS + 5, repeating=repeating))
    whole = general_payslips(standard, path)
    asked = [*list(whole)[:: ID_BATCH_ROWS // 7], list(whole)[-1]]
    assert [whole[agent_id] for agent_id in asked] == agents_paid(standard, path, asked).payslips


def test_asked_ids_are_matched_as_a_person_reads_them(write_csv, standard):
    """An id asked in another case or width finds its agent, and an id asked twice gives one payslip."""
    path = write_csv(metric_rows(40, repeating=True))
    chosen = agents_paid(standard, path, ["a000007", "Ａ000007", "A000003"])
    assert ["A000007", "A000003"] == [item.agent_id for item in chosen.payslips]


@pytest.mark.parametrize("where", [2, ID_BATCH_ROWS + 9], ids=["same-batch", "later-batch"])
def test_a_repeat_after_the_asked_agent_is_still_an_error(write_csv, standard, where):
    """Reading stops being careful once the agent is found, never blind: any repeated id is reported."""
    rows = metric_rows(2 * ID_BATCH_ROWS, repeating=True)
    rows.insert(where + 5, dict(rows[5]))  # agent A000006 again, after its own row
    rows.insert(where + 40, dict(rows[30], agent_id="a000031"))  # an agent not asked for, written another way
    path = write_csv(rows)
    with pytest.raises(MetricsError) as caught:
        agents_paid(standard, path, ["A000006"])
    with pytest.raises(MetricsError) as whole:
        general_payslips(standard, path)
    assert whole.value.lines() == caught.value.lines()
    assert 2 == len(caught.value.lines())


@pytest.mark.parametrize(
    "damage",
    [{"csat": "lots"}, {"role": "L9"}, {"agent_id": "a000005"}],
    ids=["bad-cell", "unknown-role", "repeat-before-it"],
)
def test_the_asked_agents_bad_row_is_reported(write_csv, standard, damage):
    """A bad row of an asked agent is the same error as in the whole run."""
    rows = metric_rows(30, repeating=False)
    rows[4 if "agent_id" not in damage else 2].update(damage)
    path = write_csv(rows)
    with pytest.raises(MetricsError) as caught:
        agents_paid(standard, path, ["A000005"])
    with pytest.raises(MetricsError) as whole:
        general_payslips(standard, path)
    assert whole.value.lines() == caught.value.lines()


def test_a_short_row_of_the_asked_agent_is_reported(tmp_path, standard):
    """A row of the asked id without all its cells is reported, not taken for a missing agent."""
    path = tmp_path / "m.csv"
    text = csv_text(metric_rows(3, repeating=True))
    path.write_text(text + "A000009,L1\n", encoding="utf-8")
    with pytest.raises(MetricsError) as caught:
        agents_paid(standard, path, ["A000009"])
    assert [f"{path}: row 5: has 2 cells, expected 13 like the header"] == caught.value.lines()


def test_a_budget_pays_the_asked_agent_from_the_whole_month(write_csv, tmp_path):
    """Under a budget every bonus shares one pool, so the asked agent's payslip is the whole run's."""
    text = (DATA / "standard.yaml").read_text(encoding="utf-8") + "\nbudget: {bonus_pool: 4000}\n"
    (tmp_path / "budget.yaml").write_text(text, encoding="utf-8")
    policy = load_policy(tmp_path / "budget.yaml")
    path = write_csv(metric_rows(50, repeating=False))
    whole = general_payslips(policy, path)
    assert whole["A000017"].budget_factor < 1
    assert [whole["A000017"]] == agents_paid(policy, path, ["A000017"]).payslips


def test_an_id_not_in_the_file_is_counted_with_its_close_ids(write_csv, standard):
    """A mistyped id is missing; the ids one slip away are offered, and every id of the file counted."""
    path = write_csv(metric_rows(2 * ID_BATCH_ROWS, repeating=True))
    chosen = agents_paid(standard, path, ["A0000l2", "A000001"])
    assert ["A0000l2"] == chosen.asked.missing()
    close = chosen.asked.close_to("A0000l2")
    assert "A000012" in close and "A000002" in close and 5 == len(close)
    assert 2 * ID_BATCH_ROWS == chosen.asked.count
