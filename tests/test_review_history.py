"""cspay review --ledger --from --to: trends, grade moves, the effect of actions and low-grade streaks
from recorded periods."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import STANDARD

from cspay.cli import app

ROOT = Path(__file__).resolve().parents[1]
REVIEW_POLICY = ROOT / "policies" / "standard-review.yaml"
NOVEMBER = ROOT / "examples" / "standard-2026-11.csv"
CORRECTED = ROOT / "examples" / "standard-2026-11-corrected.csv"


@pytest.fixture
def ledger(runner, tmp_path) -> Path:
    """Three months recorded: the example as September and October, its correction as November."""
    book = tmp_path / "pay.db"
    for period, month in (("2026-09", NOVEMBER), ("2026-10", NOVEMBER), ("2026-11", CORRECTED)):
        result = runner.invoke(
            app, ["compute", str(REVIEW_POLICY), str(month), "--period", period, "--record", "--ledger", str(book)]
        )
        assert 0 == result.exit_code, result.output
    return book


def reviewed(runner, ledger: Path, *extra: str):
    arguments = ["review", str(REVIEW_POLICY), "--ledger", str(ledger), "--from", "2026-09", "--to", "2026-11"]
    return runner.invoke(app, [*arguments, *extra])


def test_grade_moves_count_each_agent_once_per_pair_of_periods(runner, ledger):
    """48 agents in each of 2 pairs of periods make 96 moves, all staying put (the correction moved a gate,
    not a grade)."""
    data = json.loads(reviewed(runner, ledger, "-f", "json").stdout)
    moves = data["transitions"]
    assert (96, 96) == (
        sum(sum(row.values()) for row in moves.values()),
        sum(row.get(grade, 0) for grade, row in moves.items()),
    )


def test_agents_in_the_low_grades_three_periods_running_are_found(runner, ledger):
    """The C and D agents of the example stay there in all three months: CSP207 lists them."""
    data = json.loads(reviewed(runner, ledger, "-f", "json").stdout)
    assert (8, ["CSP207"]) == (len(data["low_grade_streaks"]), [f["code"] for f in data["findings"]])


def test_cost_per_period_is_what_was_recorded(runner, ledger):
    """Each period's gross is the total of its recorded run: 365,333.78, and 366,233.78 after the correction."""
    data = json.loads(reviewed(runner, ledger, "-f", "json").stdout)
    assert ["365333.78", "365333.78", "366233.78"] == [cost["gross"] for cost in data["costs"]]


def test_coaching_that_lifts_no_grade_shows(runner, ledger):
    """Coaching given in September and October is followed by a recorded month; no one rises a grade."""
    data = json.loads(reviewed(runner, ledger, "-f", "json").stdout)
    coaching = next(e for e in data["action_effects"] if e["action"] == "coaching")
    assert (14, 0) == (coaching["followed"], coaching["within_two"])


def test_a_column_the_ledger_does_not_record_is_refused(runner, ledger):
    """--by shift over the ledger exits 2: the ledger records role and team only."""
    result = reviewed(runner, ledger, "--by", "shift")
    assert 2 == result.exit_code
    assert "records each agent's role and team, not shift" in result.output


def test_metrics_and_a_span_together_are_refused(runner, ledger):
    """A run's METRICS and --from/--to are two reviews: giving both exits 2."""
    arguments = [
        "review",
        str(STANDARD),
        str(NOVEMBER),
        "--ledger",
        str(ledger),
        "--from",
        "2026-09",
        "--to",
        "2026-11",
    ]
    assert 2 == runner.invoke(app, arguments).exit_code


def test_history_report_has_trend_charts(runner, ledger, tmp_path):
    """--html over the ledger writes a page with a mean-score and a low-grade chart per grouping."""
    page = tmp_path / "history.html"
    assert 0 == reviewed(runner, ledger, "--html", str(page)).exit_code
    assert 4 == page.read_text(encoding="utf-8").count('data-chart="trend"')
