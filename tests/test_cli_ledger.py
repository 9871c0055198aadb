"""The ledger from the command line: compute --record, runs and history."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cspay.cli import app

DATA = Path(__file__).parent / "data"
POLICY = str(DATA / "standard.yaml")
MONTH = str(DATA / "month.csv")


@pytest.fixture
def ledger(tmp_path) -> str:
    return str(tmp_path / "pay.db")


def record(runner, ledger, period="2026-11", *extra):
    return runner.invoke(app, ["compute", POLICY, MONTH, "--record", "--period", period, "--ledger", ledger, *extra])


def test_record_needs_a_period(runner, ledger):
    """--record without --period is a usage error."""
    result = runner.invoke(app, ["compute", POLICY, MONTH, "--record", "--ledger", ledger])
    assert 2 == result.exit_code
    assert "Error: Invalid value for --record: needs --period, e.g. --period 2026-11" in result.stderr


def test_period_must_match_the_policy(runner):
    """A quarter given to a monthly policy is a usage error naming both."""
    result = runner.invoke(app, ["compute", POLICY, MONTH, "--period", "2026-Q4"])
    assert 2 == result.exit_code
    assert (
        f"Error: Invalid value for --period: 2026-Q4 is a quarter, but the policy {POLICY} has period: "
        f"month; expected a month like 2026-11"
    ) in result.stderr


def test_unreadable_period_is_a_usage_error(runner):
    """A period that is no month, quarter or year exits 2."""
    result = runner.invoke(app, ["compute", POLICY, MONTH, "--period", "Nov 2026"])
    assert 2 == result.exit_code
    assert 'period "Nov 2026": expected a month like 2021-01' in result.stderr


def test_record_says_which_version_it_wrote(runner, ledger):
    """Each record of a period is its next version, and compute says so on stderr."""
    assert 0 == record(runner, ledger).exit_code
    result = record(runner, ledger)
    assert 0 == result.exit_code, result.output
    assert f"Recorded 2026-11 version 2 in {ledger}, a draft until approved (cspay approve 2026-11).\n" == result.stderr


def test_ledger_comes_from_the_environment(runner, tmp_path):
    """CSPAY_LEDGER names the ledger when --ledger is not given."""
    path = tmp_path / "env.db"
    result = runner.invoke(
        app, ["compute", POLICY, MONTH, "--record", "--period", "2026-11"], env={"CSPAY_LEDGER": str(path)}
    )
    assert 0 == result.exit_code, result.output
    assert path.is_file()


def test_runs_lists_versions_as_csv(runner, ledger):
    """`cspay runs --format csv` has one row per version with superseded, headcount and gross."""
    record(runner, ledger)
    record(runner, ledger)
    result = runner.invoke(app, ["runs", "--ledger", ledger, "--format", "csv"])
    assert 0 == result.exit_code, result.output
    lines = result.stdout.splitlines()
    assert (
        "period,version,kind,superseded,recorded_at,recorded_by,host,headcount,gross,bonus,currency,"
        "policy,policy_version,state,recorded_as,four_eyes" == lines[0]
    )
    assert [("2026-11", "1", "true", "4", "superseded"), ("2026-11", "2", "false", "4", "draft")] == [
        tuple(line.split(",")[i] for i in (0, 1, 3, 7, 13)) for line in lines[1:]
    ]


def test_runs_table_shows_each_version(runner, ledger):
    """The runs table names the period, version and total gross."""
    record(runner, ledger)
    result = runner.invoke(app, ["runs", "--ledger", ledger])
    assert 0 == result.exit_code, result.output
    assert "2026-11" in result.stdout and "CNY" in result.stdout


def test_runs_on_a_missing_ledger_exits_1(runner, tmp_path):
    """Listing a ledger that does not exist is an error naming the file."""
    path = tmp_path / "none.db"
    result = runner.invoke(app, ["runs", "--ledger", str(path)])
    assert 1 == result.exit_code
    assert f"Error: {path}: no ledger here; record a run with --record to start one\n" == result.stderr


def test_runs_on_a_file_that_is_not_a_ledger_exits_1(runner, tmp_path):
    """A file that is not SQLite is refused with an Error line, not a traceback."""
    path = tmp_path / "notes.db"
    path.write_text("hello, this is not a database" * 100, encoding="utf-8")
    result = runner.invoke(app, ["runs", "--ledger", str(path)])
    assert 1 == result.exit_code
    assert result.stderr.startswith(f"Error: {path}: is not a cspay ledger")


def test_history_has_a_trend_per_period(runner, ledger, tmp_path):
    """History gives each period's figures and the trend of gross against the period before."""
    lower = tmp_path / "lower.csv"
    lower.write_text(
        Path(MONTH)
        .read_text(encoding="utf-8")
        .replace("A001,Wang Fang,L1,North,21.75,92.5%", "A001,Wang Fang,L1,North,20,92.5%"),
        encoding="utf-8",
    )
    record(runner, ledger, "2026-10")
    runner.invoke(app, ["compute", POLICY, str(lower), "--record", "--period", "2026-11", "--ledger", ledger])
    result = runner.invoke(app, ["history", "A001", "--ledger", ledger, "--format", "json"])
    assert 0 == result.exit_code, result.output
    history = json.loads(result.stdout)
    assert [("2026-10", "7940.00", None), ("2026-11", history[1]["gross"], "down")] == [
        (entry["period"], entry["gross"], entry["trend"]) for entry in history
    ]


def test_history_table_shows_trend_arrows(runner, ledger):
    """The history table marks an unchanged gross with '='."""
    record(runner, ledger, "2026-10")
    record(runner, ledger, "2026-11")
    result = runner.invoke(app, ["history", "A001", "--ledger", ledger])
    assert 0 == result.exit_code, result.output
    assert "=" in result.stdout.splitlines()[-2]


def test_history_of_an_unknown_agent_says_so(runner, ledger):
    """An agent with no recorded period gets a plain sentence, exit 0."""
    record(runner, ledger)
    result = runner.invoke(app, ["history", "Z999", "--ledger", ledger])
    assert 0 == result.exit_code
    assert "No recorded period has agent Z999.\n" == result.stdout


def test_closed_month_refuses_a_record_with_exit_1(runner, ledger):
    """compute --record on a closed month exits 1 naming the close, who did it and when."""
    record(runner, ledger)
    assert 0 == runner.invoke(app, ["approve", "2026-11", "--ledger", ledger]).exit_code
    assert 0 == runner.invoke(app, ["close", "2026-11", "--ledger", ledger]).exit_code
    result = record(runner, ledger)
    assert 1 == result.exit_code
    assert result.stderr.startswith(f"Error: {ledger}: 2026-11 was closed by ")
    assert "reopen it with `cspay reopen 2026-11" in result.stderr


def test_closed_month_leaves_the_previous_output_intact(runner, ledger, tmp_path):
    """A refused record does not replace the output file it would have written."""
    out = tmp_path / "out.csv"
    out.write_text("last month's file\n", encoding="utf-8")
    record(runner, ledger)
    runner.invoke(app, ["approve", "2026-11", "--ledger", ledger])
    runner.invoke(app, ["close", "2026-11", "--ledger", ledger])
    result = record(runner, ledger, "2026-11", "--format", "csv", "--output", str(out), "--force")
    assert 1 == result.exit_code
    assert "last month's file\n" == out.read_text(encoding="utf-8")
    assert [] == list(tmp_path.glob(".cspay-*"))


def test_reopen_needs_a_reason(runner, ledger):
    """reopen without --reason is a usage error."""
    record(runner, ledger)
    runner.invoke(app, ["approve", "2026-11", "--ledger", ledger])
    runner.invoke(app, ["close", "2026-11", "--ledger", ledger])
    result = runner.invoke(app, ["reopen", "2026-11", "--ledger", ledger])
    assert 2 == result.exit_code
    assert "Missing option '--reason'" in result.stderr


def test_reopen_with_an_empty_reason_is_a_usage_error(runner, ledger):
    """A blank reason is no reason."""
    result = runner.invoke(app, ["reopen", "2026-11", "--ledger", ledger, "--reason", "  "])
    assert 2 == result.exit_code
    assert "Invalid value for --reason: expected some visible text" in result.stderr


def test_reopen_lets_the_month_be_recorded_again(runner, ledger):
    """After close and reopen, --record writes version 2."""
    record(runner, ledger)
    runner.invoke(app, ["approve", "2026-11", "--ledger", ledger])
    runner.invoke(app, ["close", "2026-11", "--ledger", ledger])
    reopened = runner.invoke(app, ["reopen", "2026-11", "--ledger", ledger, "--reason", "late QA scores"])
    assert 0 == reopened.exit_code, reopened.output
    assert reopened.stdout.startswith(f"Reopened 2026-11 in {ledger} (")
    expected = f"Recorded 2026-11 version 2 in {ledger}, a draft until approved (cspay approve 2026-11).\n"
    assert expected == record(runner, ledger).stderr.splitlines(keepends=True)[0]


def test_close_of_a_bad_period_is_a_usage_error(runner, ledger):
    """close with a period that is not a month, quarter or year exits 2."""
    result = runner.invoke(app, ["close", "November", "--ledger", ledger])
    assert 2 == result.exit_code
    assert "Invalid value for PERIOD" in result.stderr


def test_ledger_in_a_missing_folder_exits_1(runner, tmp_path):
    """A ledger path whose folder does not exist is an Error line, not a traceback."""
    path = tmp_path / "nowhere" / "pay.db"
    result = record(runner, str(path))
    assert 1 == result.exit_code
    assert f"Error: {path}: the folder {path.parent} does not exist\n" == result.stderr
    assert not path.parent.exists()


def test_ledger_that_is_a_folder_exits_1(runner, tmp_path):
    """--ledger naming a folder is refused with a hint, also when recording."""
    result = record(runner, str(tmp_path))
    assert 1 == result.exit_code
    assert f"Error: {tmp_path}: is a folder; expected a ledger file, e.g. {tmp_path / 'cspay.db'}\n" == result.stderr
    assert not Path(f"{tmp_path}.lock").exists()
