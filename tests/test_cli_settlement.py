"""Corrections of closed months and quarterly true-ups, from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cspay.cli import app

DATA = Path(__file__).parent / "data"
POLICY = str(DATA / "standard.yaml")
QUARTERLY = str(DATA / "quarterly-true-up.yaml")
MONTH = str(DATA / "month.csv")


@pytest.fixture
def ledger(tmp_path) -> str:
    return str(tmp_path / "pay.db")


@pytest.fixture
def corrected(tmp_path) -> str:
    """The fixture month with A001's QA score corrected from 88 to 95 (grade A to S)."""
    path = tmp_path / "corrected.csv"
    text = Path(MONTH).read_text(encoding="utf-8")
    path.write_text(text.replace("0:05:35,88,", "0:05:35,95,").replace("92.5%", "97"), encoding="utf-8")
    return str(path)


def compute(runner, *args):
    return runner.invoke(app, ["compute", *args])


def payslip(result, agent_id):
    return next(slip for slip in json.loads(result.stdout)["payslips"] if slip["agent_id"] == agent_id)


def close_october(runner, ledger):
    assert 0 == compute(runner, POLICY, MONTH, "--record", "--period", "2026-10", "--ledger", ledger).exit_code
    assert 0 == runner.invoke(app, ["approve", "2026-10", "--ledger", ledger]).exit_code
    assert 0 == runner.invoke(app, ["close", "2026-10", "--ledger", ledger]).exit_code


def correct_october(runner, ledger, corrected):
    """Record October's correction and approve it, so that the next month pays its differences."""
    result = compute(runner, POLICY, corrected, "--record", "--correction", "--period", "2026-10", "--ledger", ledger)
    assert 0 == result.exit_code, result.output
    assert 0 == runner.invoke(app, ["approve", "2026-10", "--ledger", ledger]).exit_code


def test_corrected_month_keeps_both_versions(runner, ledger, corrected):
    """A closed month recorded, then corrected, has version 1 (paid) and version 2 (the correction)."""
    close_october(runner, ledger)
    result = compute(runner, POLICY, corrected, "--record", "--correction", "--period", "2026-10", "--ledger", ledger)
    assert 0 == result.exit_code, result.output
    runs = json.loads(runner.invoke(app, ["runs", "--ledger", ledger, "--format", "json"]).stdout)
    assert [(1, "pay", True), (2, "correction", False)] == [
        (run["version"], run["kind"], run["superseded"]) for run in runs
    ]


def test_correction_shows_up_as_a_line_in_the_next_month(runner, ledger, corrected):
    """The next month's payslip carries the difference as adjustment.correction naming the month."""
    close_october(runner, ledger)
    correct_october(runner, ledger, corrected)
    result = compute(runner, POLICY, MONTH, "--period", "2026-11", "--ledger", ledger, "--format", "json")
    assert 0 == result.exit_code, result.output
    slip = payslip(result, "A001")
    assert {"code": "adjustment.correction", "label": "Correction for 2026-10", "amount": "540.00"} == slip["lines"][-1]
    assert "8480.00" == slip["gross"]


def test_correction_column_in_csv(runner, ledger, corrected):
    """CSV output gains an adjustment.correction column before gross."""
    close_october(runner, ledger)
    correct_october(runner, ledger, corrected)
    result = compute(runner, POLICY, MONTH, "--period", "2026-11", "--ledger", ledger, "--format", "csv")
    header, first = result.stdout.splitlines()[:2]
    assert header.endswith(",floor,adjustment.correction,gross")
    assert first.endswith(",540.00,8480.00")


def test_recorded_correction_is_settled_once(runner, ledger, corrected):
    """Once the next month is recorded with the correction, the month after does not pay it again."""
    close_october(runner, ledger)
    correct_october(runner, ledger, corrected)
    compute(runner, POLICY, MONTH, "--record", "--period", "2026-11", "--ledger", ledger)
    result = compute(runner, POLICY, MONTH, "--period", "2026-12", "--ledger", ledger, "--format", "json")
    assert "7940.00" == payslip(result, "A001")["gross"]


def test_rerecorded_next_month_still_carries_the_correction(runner, ledger, corrected):
    """Recording the next month again pays the correction in its new version, not in neither."""
    close_october(runner, ledger)
    correct_october(runner, ledger, corrected)
    compute(runner, POLICY, MONTH, "--record", "--period", "2026-11", "--ledger", ledger)
    result = compute(runner, POLICY, MONTH, "--record", "--period", "2026-11", "--ledger", ledger, "-f", "json")
    assert "8480.00" == payslip(result, "A001")["gross"]


def test_correction_of_an_open_month_is_refused(runner, ledger, corrected):
    """--correction on a month that is not closed exits 1: re-record it instead."""
    compute(runner, POLICY, MONTH, "--record", "--period", "2026-10", "--ledger", ledger)
    result = compute(runner, POLICY, corrected, "--record", "--correction", "--period", "2026-10", "--ledger", ledger)
    assert 1 == result.exit_code
    assert (
        f"Error: {ledger}: 2026-10 is not closed, so nothing was paid from it yet; record it again without "
        f"--correction\n"
    ) == result.stderr


def test_correction_needs_record(runner, corrected):
    """--correction alone is a usage error."""
    result = compute(runner, POLICY, corrected, "--correction", "--period", "2026-10")
    assert 2 == result.exit_code
    assert "Invalid value for --correction: needs --record" in result.stderr


def test_quarter_trues_up_the_monthly_bonuses(runner, ledger):
    """A quarterly true-up pays the quarter's bonus less the bonuses recorded for its months."""
    for month in ("2026-10", "2026-11"):
        compute(runner, POLICY, MONTH, "--record", "--period", month, "--ledger", ledger)
    result = compute(runner, QUARTERLY, MONTH, "--period", "2026-Q4", "--ledger", ledger, "--format", "json")
    assert 0 == result.exit_code, result.output
    lines = {line["code"]: line["amount"] for line in payslip(result, "A001")["lines"]}
    assert "2160.00" == lines["true_up"]  # 5400 x 1.2 = 6480.00, less 2 x 2160.00 paid
    assert "bonus" not in lines


def test_true_up_without_claw_back_is_not_negative(runner, ledger, tmp_path):
    """Months that paid more than the quarter earns leave a true-up of 0.00."""
    policy = tmp_path / "q.yaml"
    policy.write_text(
        Path(QUARTERLY).read_text(encoding="utf-8").replace("target_bonus: 5400", "target_bonus: 3000"),
        encoding="utf-8",
    )
    for month in ("2026-10", "2026-11", "2026-12"):
        compute(runner, POLICY, MONTH, "--record", "--period", month, "--ledger", ledger)
    result = compute(runner, str(policy), MONTH, "--period", "2026-Q4", "--ledger", ledger, "--format", "json")
    assert "0.00" == {line["code"]: line["amount"] for line in payslip(result, "A001")["lines"]}["true_up"]


def test_true_up_claws_back_when_the_policy_says_so(runner, ledger, tmp_path):
    """With claw_back: true the true-up line takes back what the months overpaid."""
    policy = tmp_path / "q.yaml"
    text = Path(QUARTERLY).read_text(encoding="utf-8").replace("target_bonus: 5400", "target_bonus: 3000")
    policy.write_text(text.replace("true_up: true", "true_up: true\nclaw_back: true"), encoding="utf-8")
    for month in ("2026-10", "2026-11", "2026-12"):
        compute(runner, POLICY, MONTH, "--record", "--period", month, "--ledger", ledger)
    result = compute(runner, str(policy), MONTH, "--period", "2026-Q4", "--ledger", ledger, "--format", "json")
    lines = {line["code"]: line["amount"] for line in payslip(result, "A001")["lines"]}
    assert "-2880.00" == lines["true_up"]  # 3000 x 1.2 = 3600.00, less 3 x 2160.00 paid


def test_true_up_needs_the_ledger(runner):
    """A true-up policy without a ledger is a usage error."""
    result = compute(runner, QUARTERLY, MONTH, "--period", "2026-Q4")
    assert 2 == result.exit_code
    assert "Invalid value for --ledger: the policy pays a true-up" in result.stderr


def test_true_up_in_a_monthly_policy_is_invalid(runner, tmp_path):
    """true_up on a monthly policy is a policy error at its line."""
    policy = tmp_path / "m.yaml"
    policy.write_text(
        Path(POLICY).read_text(encoding="utf-8").replace("period: month", "period: month\ntrue_up: true"),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["validate-policy", str(policy)])
    assert 1 == result.exit_code
    assert f"Error: {policy}:7:10: true_up: true_up needs period: quarter or year" in result.stderr


def test_correction_says_what_it_recorded(runner, ledger, corrected):
    """A correction run tells how many line differences it recorded, for how many agents, and their total."""
    close_october(runner, ledger)
    result = compute(runner, POLICY, corrected, "--record", "--correction", "--period", "2026-10", "--ledger", ledger)
    assert (
        "Correction recorded: 1 changed payslip line(s) for 1 agent(s), ¥540.00 in all; once it is approved, the "
        "next period's payslips carry it as adjustment.correction.\n"
    ) == result.stderr.splitlines(keepends=True)[-1]


def test_runs_table_lists_closes_and_reopens(runner, ledger):
    """`cspay runs` shows who closed and reopened a period, and why, among the steps of its run."""
    close_october(runner, ledger)
    runner.invoke(app, ["reopen", "2026-10", "--ledger", ledger, "--reason", "late QA scores"])
    result = runner.invoke(app, ["runs", "--ledger", ledger])
    steps = result.stdout.split("Steps", 1)[1].splitlines()
    assert ["recorded", "approved", "closed", "reopened"] == [line.split("│")[3].strip() for line in steps[4:8]]
    assert "late QA scores" in steps[7]


def test_reopened_and_rerecorded_month_voids_its_unpaid_corrections(runner, ledger, corrected):
    """Recording a reopened month again replaces it: its corrections not yet paid out are not paid later."""
    close_october(runner, ledger)
    correct_october(runner, ledger, corrected)
    runner.invoke(app, ["reopen", "2026-10", "--ledger", ledger, "--reason", "paid run was never sent"])
    compute(runner, POLICY, corrected, "--record", "--period", "2026-10", "--ledger", ledger)
    result = compute(runner, POLICY, MONTH, "--period", "2026-11", "--ledger", ledger, "--format", "json")
    assert "7940.00" == payslip(result, "A001")["gross"]


def test_history_counts_a_correction_once(runner, ledger, corrected):
    """History shows October as paid (7,940.00) with its correction (+540.00, paid in 2026-11), and November
    with the correction in its gross: the gross column adds up to what the agent was paid."""
    close_october(runner, ledger)
    correct_october(runner, ledger, corrected)
    assert 0 == compute(runner, POLICY, MONTH, "--record", "--period", "2026-11", "--ledger", ledger).exit_code
    result = runner.invoke(app, ["history", "A001", "--ledger", ledger, "--format", "json"])
    assert 0 == result.exit_code, result.output
    history = [
        (entry["period"], entry["gross"], entry["correction"], entry["corrected_in"])
        for entry in json.loads(result.stdout)
    ]
    assert [("2026-10", "7940.00", "540.00", ["2026-11"]), ("2026-11", "8480.00", "0", [])] == history


def test_history_names_a_correction_not_paid_yet(runner, ledger, corrected):
    """Before the next period is recorded, the table says the correction is not paid yet."""
    close_october(runner, ledger)
    correct_october(runner, ledger, corrected)
    result = runner.invoke(app, ["history", "A001", "--ledger", ledger])
    assert "+540.00 (not paid yet)" in result.stdout
