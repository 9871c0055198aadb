"""Triggered actions from the command line: compute's column and field, and `cspay actions`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cspay.cli import app

DATA = Path(__file__).parent / "data"
POLICY = str(DATA / "actions.yaml")
MONTH = str(DATA / "month.csv")


@pytest.fixture
def ledger(tmp_path) -> str:
    path = str(tmp_path / "pay.db")
    runner = CliRunner()
    for month in ("2026-09", "2026-10"):
        result = runner.invoke(app, ["compute", POLICY, MONTH, "--record", "--period", month, "--ledger", path])
        assert 0 == result.exit_code, result.output
    return path


def triggered(result):
    return {slip["agent_id"]: slip["triggered_actions"] for slip in json.loads(result.stdout)["payslips"]}


def test_grade_a_three_months_running_is_flagged_for_promotion_review(runner, ledger):
    """A001 (grade A in September, October and this November run) gets promotion_review."""
    result = runner.invoke(app, ["compute", POLICY, MONTH, "--period", "2026-11", "--ledger", ledger, "-f", "json"])
    assert 0 == result.exit_code, result.output
    assert ["promotion_review"] == triggered(result)["A001"]


def test_a_missing_month_breaks_the_run(runner, ledger):
    """December after a gap (no November) does not count three months running."""
    result = runner.invoke(app, ["compute", POLICY, MONTH, "--period", "2026-12", "--ledger", ledger, "-f", "json"])
    assert [] == triggered(result)["A001"]


def test_training_plan_for_repeated_low_grades(runner, ledger):
    """An agent graded D in two of the last three months gets a training plan."""
    result = runner.invoke(app, ["compute", POLICY, MONTH, "--period", "2026-11", "--ledger", ledger, "-f", "json"])
    grades = {slip["agent_id"]: slip["grade"] for slip in json.loads(result.stdout)["payslips"]}
    low = [agent for agent, grade in grades.items() if grade == "D"]
    assert low and all("training_plan" in triggered(result)[agent] for agent in low)


def test_table_has_a_triggered_column(runner, ledger):
    """The table shows each agent's triggered actions."""
    result = runner.invoke(app, ["compute", POLICY, MONTH, "--period", "2026-11", "--ledger", ledger])
    assert 0 == result.exit_code, result.output
    assert "Triggered" in result.stdout
    assert "promotion_review" in next(line for line in result.stdout.splitlines() if "A001" in line)


def test_without_a_ledger_the_rules_are_not_evaluated(runner):
    """With no ledger the JSON field is null and compute says the rules were not evaluated."""
    result = runner.invoke(app, ["compute", POLICY, MONTH, "-f", "json"])
    assert 0 == result.exit_code, result.output
    assert {None} == set(triggered(result).values())
    assert (
        "Action rules (promotion_review, training_plan) not evaluated: they need the recorded history; "
        "give --period and --ledger (or --record).\n"
    ) == result.stderr


def test_actions_lists_what_the_recorded_period_triggered(runner, ledger):
    """`cspay actions PERIOD --format csv` lists agent, grade and action from the current version."""
    runner.invoke(app, ["compute", POLICY, MONTH, "--record", "--period", "2026-11", "--ledger", ledger])
    result = runner.invoke(app, ["actions", "2026-11", "--ledger", ledger, "--format", "csv"])
    assert 0 == result.exit_code, result.output
    lines = result.stdout.splitlines()
    assert "agent_id,name,team,grade,action" == lines[0]
    assert "A001,Wang Fang,North,A,promotion_review" in lines


def test_actions_of_a_period_without_any(runner, ledger):
    """A period whose run triggered nothing says so."""
    result = runner.invoke(app, ["actions", "2026-09", "--ledger", ledger])
    assert 0 == result.exit_code
    assert "No actions triggered in 2026-09.\n" == result.stdout
