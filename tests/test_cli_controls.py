"""The controls from the command line: approve, adjust, dispute, and compute settling disputes."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from cspay.cli import app

DATA = Path(__file__).parent / "data"
POLICY = str(DATA / "controls.yaml")
PLAIN = str(DATA / "standard.yaml")
MONTH = str(DATA / "month.csv")


@pytest.fixture
def ledger(tmp_path) -> str:
    return str(tmp_path / "pay.db")


def invoke(runner, *args):
    return runner.invoke(app, list(args))


def record(runner, ledger, *extra, metrics=MONTH, by="Qin Hai"):
    result = invoke(runner, "compute", POLICY, metrics, "--record", "--period", "2026-11", "--ledger", ledger,
                    "--by", by, *extra)  # fmt: skip
    assert 0 == result.exit_code, result.output
    return result


def add(runner, ledger, *args, by="Qin Hai"):
    return invoke(runner, "adjust", "add", "2026-11", *args, "--policy", POLICY, "--ledger", ledger, "--by", by)


def test_approve_says_who_approved_what(runner, ledger):
    """approve names the version, the approver with their account, the headcount and the total."""
    record(runner, ledger)
    result = invoke(runner, "approve", "2026-11", "--ledger", ledger, "--by", "Kong Wen")
    assert 0 == result.exit_code, result.output
    assert result.stdout.startswith(f"Approved 2026-11 version 1 in {ledger} by Kong Wen (")
    assert result.stdout.endswith("): 4 payslips, total gross ¥23,945.00.\n")


def test_four_eyes_refusal_is_exit_1_with_an_error_line(runner, ledger):
    """The recorder approving their own run exits 1 and the run stays a draft."""
    record(runner, ledger)
    result = invoke(runner, "approve", "2026-11", "--ledger", ledger, "--by", "Qin Hai")
    assert 1 == result.exit_code
    assert (
        f"Error: {ledger}: 2026-11 version 1: the policy asks for four eyes (approval.four_eyes) and Qin Hai "
        f"recorded it; it needs the approval of someone else\n"
    ) == result.stderr
    runs = json.loads(invoke(runner, "runs", "--ledger", ledger, "--format", "json").stdout)
    assert ["draft"] == [run["state"] for run in runs]


@pytest.mark.parametrize(
    "command",
    [["approve", "2026-11"], ["adjust", "approve", "1"], ["dispute", "open", "2026-11", "A001", "--kpi", "csat"]],
)
def test_a_step_never_creates_a_ledger(runner, tmp_path, command):
    """A step on a ledger that does not exist is an error naming it, and no file appears, not even a lock."""
    path = tmp_path / "none.db"
    extra = ["--claim", "x"] if command[0] == "dispute" else []
    result = invoke(runner, *command, *extra, "--ledger", str(path))
    assert 1 == result.exit_code
    assert f"Error: {path}: no ledger here; record a run with --record to start one\n" == result.stderr
    assert [] == list(tmp_path.iterdir())


@pytest.mark.parametrize("command", [["approve", "2026-11"], ["close", "2026-11"], ["dispute", "resolve", "1"]])
def test_a_blank_by_is_a_usage_error(runner, ledger, command):
    """--by "" names nobody: exit 2."""
    extra = ["--accept", "--note", "x"] if command[0] == "dispute" else []
    result = invoke(runner, *command, *extra, "--ledger", ledger, "--by", " ")
    assert 2 == result.exit_code
    assert "Invalid value for --by: expected a visible name" in result.stderr


def test_runs_json_has_each_versions_state_and_steps(runner, ledger):
    """runs --format json gives state, four_eyes and every step with account and name."""
    record(runner, ledger)
    invoke(runner, "approve", "2026-11", "--ledger", ledger, "--by", "Kong Wen")
    (run,) = json.loads(invoke(runner, "runs", "--ledger", ledger, "--format", "json").stdout)
    assert ("approved", True) == (run["state"], run["four_eyes"])
    assert [("recorded", "Qin Hai"), ("approved", "Kong Wen")] == [(s["action"], s["name"]) for s in run["steps"]]


def test_recording_an_approved_period_again_says_the_approval_does_not_carry_over(runner, ledger):
    """A new version of an approved period is a draft, and compute says what it replaced."""
    record(runner, ledger)
    invoke(runner, "approve", "2026-11", "--ledger", ledger, "--by", "Kong Wen")
    lines = record(runner, ledger).stderr.splitlines()
    assert f"Recorded 2026-11 version 2 in {ledger}, a draft until approved (cspay approve 2026-11)." == lines[0]
    assert lines[1].startswith("It replaces version 1, approved by Kong Wen (")


def test_adjust_add_takes_a_negative_amount(runner, ledger):
    """A deduction is written as -200 without any separator before it."""
    record(runner, ledger)
    result = add(runner, ledger, "A001", "-200", "--code", "overpayment_recovery", "--reason", "Paid twice")
    assert 0 == result.exit_code, result.output
    assert (
        f"Added adjustment 1 to {ledger}: A001, 2026-11, overpayment_recovery -¥200.00 (Paid twice); it pays once "
        f"approved.\n"
    ) == result.stdout


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["A001", "lots", "--code", "retention_bonus"], 2, "Invalid value for AMOUNT: expected an amount"),
        (["A001", "100"], 2, "the policy has several codes; give one of retention_bonus, overpayment_recovery"),
        (["A001", "4000", "--code", "retention_bonus"], 1, "4000 is beyond the policy's max_amount of 3000"),
        (["A001", "100", "--code", "bonus"], 1, "has no one-off code 'bonus'"),
        (["A999", "100", "--code", "retention_bonus"], 1, "agent 'A999' is not in 2026-11 version 1"),
    ],
)
def test_adjust_add_refusals(runner, ledger, args, code, message):
    """Bad amounts and missing codes are usage errors; what the policy or ledger refuses exits 1."""
    record(runner, ledger)
    result = add(runner, ledger, *args, "--reason", "Peak")
    assert code == result.exit_code
    assert message in result.stderr


def test_a_policy_without_one_offs_refuses_adjust_add(runner, ledger):
    """Adding under a policy with no one_off_adjustments section exits 1 and says what to add."""
    result = invoke(runner, "adjust", "add", "2026-11", "A001", "100", "--reason", "x", "--policy", PLAIN,
                    "--ledger", ledger)  # fmt: skip
    assert 1 == result.exit_code
    assert "allows no one-off adjustments; add a one_off_adjustments section" in result.stderr


def test_adjust_approve_reject_void_each_say_what_they_did(runner, ledger):
    """approve, reject and void print one sentence each; approving tells that the run must be recorded again."""
    record(runner, ledger)
    add(runner, ledger, "A001", "800", "--code", "retention_bonus", "--reason", "Peak")
    add(runner, ledger, "007", "100", "--code", "retention_bonus", "--reason", "Peak")
    approved = invoke(runner, "adjust", "approve", "1", "--ledger", ledger, "--by", "Kong Wen")
    assert f"Approved adjustment 1 (A001, 2026-11) in {ledger}.\n" == approved.stdout
    assert "2026-11 version 1 no longer pays what the ledger holds: record 2026-11 again" in approved.stderr
    rejected = invoke(runner, "adjust", "reject", "2", "--note", "No scheme", "--ledger", ledger, "--by", "Kong Wen")
    assert f"Rejected adjustment 2 (007, 2026-11) in {ledger}.\n" == rejected.stdout
    voided = invoke(runner, "adjust", "void", "1", "--reason", "Wrong agent", "--ledger", ledger, "--by", "Kong Wen")
    assert f"Voided adjustment 1 (A001, 2026-11) in {ledger}.\n" == voided.stdout


def test_adjust_reject_needs_a_note(runner, ledger):
    """A rejection without --note is a usage error."""
    assert 2 == invoke(runner, "adjust", "reject", "1", "--ledger", ledger).exit_code


def test_adjust_list_as_json_has_reason_state_and_who(runner, ledger):
    """adjust list --format json gives each adjustment's amount, reason, state, who added and who decided."""
    record(runner, ledger)
    add(runner, ledger, "A001", "800", "--code", "retention_bonus", "--reason", "Peak")
    invoke(runner, "adjust", "approve", "1", "--ledger", ledger, "--by", "Kong Wen")
    (item,) = json.loads(invoke(runner, "adjust", "list", "--ledger", ledger, "--format", "json").stdout)
    assert ("800.00", "Peak", "approved") == (item["amount"], item["reason"], item["state"])
    assert (item["added_by"].startswith("Qin Hai ("), item["decided_by"].startswith("Kong Wen (")) == (True, True)


def test_an_approved_adjustment_reaches_every_view_of_the_rerecorded_run(runner, ledger, tmp_path):
    """Recorded again, the run pays the adjustment as its own line: in CSV, JSON and the workbook's sheets."""
    record(runner, ledger)
    add(runner, ledger, "A001", "800", "--code", "retention_bonus", "--reason", "Peak")
    invoke(runner, "adjust", "approve", "1", "--ledger", ledger, "--by", "Kong Wen")
    book = tmp_path / "pay.xlsx"
    record(runner, ledger, "-f", "xlsx", "-o", str(book))
    args = ["compute", POLICY, MONTH, "--period", "2026-11", "--ledger", ledger, "-f"]
    header, first = invoke(runner, *args, "csv").stdout.splitlines()[:2]
    assert (header.endswith(",one_off.retention_bonus,gross"), first.endswith(",800.00,8740.00")) == (True, True)
    lines = json.loads(invoke(runner, *args, "json").stdout)["payslips"][0]["lines"]
    assert {"code": "one_off.retention_bonus", "label": "Retention bonus: Peak", "amount": "800.00"} == lines[-1]
    sheets = openpyxl.load_workbook(book)
    assert "Retention bonus" == [cell.value for cell in sheets["Payslips"][1]][-2]
    assert [(1, "A001", "retention_bonus", 800, "Peak")] == [
        row[:5] for row in sheets["One-off adjustments"].iter_rows(min_row=2, values_only=True)
    ]
    assert ("draft", "draft", "this workbook's run, recorded with it") == (
        sheets["Recorded versions"]["D2"].value,
        sheets["Recorded versions"]["D3"].value,
        sheets["Recorded versions"]["H3"].value,
    )


def test_dispute_open_needs_one_subject(runner, ledger):
    """Neither or both of --kpi and --line is a usage error."""
    record(runner, ledger)
    for subject in ([], ["--kpi", "csat", "--line", "bonus"]):
        result = invoke(runner, "dispute", "open", "2026-11", "A001", "--claim", "x", *subject, "--ledger", ledger)
        assert 2 == result.exit_code
        assert "give --kpi CODE or --line CODE (one of them)" in result.stderr


def test_dispute_resolve_needs_one_outcome(runner, ledger):
    """Neither or both of --accept and --reject is a usage error."""
    result = invoke(runner, "dispute", "resolve", "1", "--accept", "--reject", "--note", "x", "--ledger", ledger)
    assert 2 == result.exit_code


def test_an_accepted_dispute_says_how_it_is_settled(runner, ledger):
    """Accepting a dispute of an open period says to record it again naming the dispute."""
    record(runner, ledger)
    invoke(runner, "dispute", "open", "2026-11", "A001", "--kpi", "csat", "--claim", "Not my surveys",
           "--ledger", ledger)  # fmt: skip
    result = invoke(runner, "dispute", "resolve", "1", "--accept", "--note", "Yes", "--ledger", ledger)
    assert f"Accepted dispute 1 (A001) in {ledger}.\n" == result.stdout
    assert "Record 2026-11 again with the corrected metrics and --dispute 1, then approve it.\n" == result.stderr


def test_dispute_list_flags_a_kpi_disputed_often(runner, ledger):
    """Three of four agents disputing csat is flagged as a probably vague criterion; the counts are by
    KPI and outcome."""
    record(runner, ledger)
    for agent in ("A001", "007", "A003"):
        invoke(runner, "dispute", "open", "2026-11", agent, "--kpi", "csat", "--claim", "Unclear", "--ledger", ledger)
    invoke(runner, "dispute", "resolve", "1", "--reject", "--note", "Correct", "--ledger", ledger)
    result = invoke(runner, "dispute", "list", "--period", "2026-11", "--ledger", ledger)
    assert 0 == result.exit_code, result.output
    counts = next(line for line in result.stdout.splitlines() if line.startswith("│ KPI csat") and "!" in line)
    assert ["KPI csat", "2", "0", "1", "3", "75.0% !"] == [cell.strip() for cell in counts.strip("│").split("│")]
    assert (
        "csat was disputed by 3 of the 4 agents paid in 2026-11 (75.0%): a criterion disputed this often is "
        "probably vague" in result.stdout
    )


def test_dispute_list_does_not_flag_below_three_agents(runner, ledger):
    """Two agents are too few to call a criterion vague, whatever their share."""
    record(runner, ledger)
    for agent in ("A001", "007"):
        invoke(runner, "dispute", "open", "2026-11", agent, "--kpi", "csat", "--claim", "Unclear", "--ledger", ledger)
    result = invoke(runner, "dispute", "list", "--period", "2026-11", "--ledger", ledger)
    assert ("", False, False) == (result.stderr, "!" in result.stdout, "vague" in result.stdout)


def test_dispute_list_as_csv_has_one_row_per_dispute(runner, ledger):
    """--format csv lists each dispute with its subject, state and outcome."""
    record(runner, ledger)
    invoke(runner, "dispute", "open", "2026-11", "A001", "--line", "bonus", "--claim", "x", "--ledger", ledger)
    lines = invoke(runner, "dispute", "list", "--ledger", ledger, "--format", "csv").stdout.splitlines()
    assert lines[0].startswith("id,period,agent_id,subject,code,claim,state,outcome,")
    assert lines[1].startswith("1,2026-11,A001,line,bonus,x,open,open,")


def test_dispute_list_refuses_a_bad_share(runner, ledger):
    """--often must be a share like 5%."""
    assert 2 == invoke(runner, "dispute", "list", "--often", "five", "--ledger", ledger).exit_code


def test_compute_dispute_needs_record(runner):
    """--dispute without --record is a usage error."""
    result = invoke(runner, "compute", POLICY, MONTH, "--period", "2026-11", "--dispute", "1")
    assert 2 == result.exit_code
    assert "Invalid value for --dispute: needs --record" in result.stderr


def test_compute_refuses_an_open_dispute_before_writing_anything(runner, ledger, tmp_path):
    """Naming a dispute that is not accepted exits 1: no version is recorded, no file is written."""
    record(runner, ledger)
    invoke(runner, "dispute", "open", "2026-11", "A001", "--kpi", "csat", "--claim", "x", "--ledger", ledger)
    out = tmp_path / "pay.csv"
    result = invoke(runner, "compute", POLICY, MONTH, "--record", "--period", "2026-11", "--ledger", ledger,
                    "--dispute", "1", "-f", "csv", "-o", str(out))  # fmt: skip
    assert 1 == result.exit_code
    assert f"Error: {ledger}: dispute 1: is open; only an accepted dispute is settled by a run\n" == result.stderr
    assert not out.exists()
    assert 1 == len(json.loads(invoke(runner, "runs", "--ledger", ledger, "--format", "json").stdout))


def test_a_rerecorded_run_settles_an_accepted_dispute(runner, ledger):
    """Recording again with --dispute settles it: compute says so and the dispute names the version."""
    record(runner, ledger)
    invoke(runner, "dispute", "open", "2026-11", "A001", "--kpi", "csat", "--claim", "x", "--ledger", ledger)
    invoke(runner, "dispute", "resolve", "1", "--accept", "--note", "Yes", "--ledger", ledger)
    assert "Dispute 1 (A001) is settled by this version." in record(runner, ledger, "--dispute", "1").stderr
    (dispute,) = json.loads(invoke(runner, "dispute", "list", "--ledger", ledger, "--format", "json").stdout)
    assert ("settled", {"period": "2026-11", "version": 2, "kind": "pay"}) == (
        dispute["state"],
        dispute["settled_by"],
    )


def test_statements_show_the_agents_disputes(runner, ledger, tmp_path):
    """Each agent's statement lists their disputes of the period with the claim and where it stands."""
    record(runner, ledger)
    invoke(runner, "dispute", "open", "2026-11", "A001", "--kpi", "csat", "--claim", "Not mine", "--ledger", ledger)
    out = tmp_path / "st"
    result = invoke(runner, "statements", POLICY, MONTH, "--period", "2026-11", "--ledger", ledger, "--out", str(out))
    assert 0 == result.exit_code, result.output
    page = (out / "A001.html").read_text(encoding="utf-8")
    assert "<h2>Disputes</h2>" in page
    assert "Dispute 1 of Customer satisfaction in 2026-11, opened " in page and "“Not mine”. It is open." in page
    assert "<h2>Disputes</h2>" not in (out / "A003.html").read_text(encoding="utf-8")


def test_payslip_explains_a_run_with_ledger_lines(runner, ledger):
    """The payslip of a run carrying a one-off line explains it (the line with its reason), in Chinese too."""
    record(runner, ledger)
    add(runner, ledger, "A001", "800", "--code", "retention_bonus", "--reason", "Peak")
    invoke(runner, "adjust", "approve", "1", "--ledger", ledger, "--by", "Kong Wen")
    for lang in ("en", "zh"):
        result = invoke(runner, "payslip", POLICY, MONTH, "A001", "--period", "2026-11", "--ledger", ledger,
                        "--lang", lang)  # fmt: skip
        assert 0 == result.exit_code, result.output
        assert "Retention bonus: Peak" in result.stdout
