"""Changes within a period (a changes file), team metrics files, and the options that name them: read,
every bad cell located, and the combinations cspay refuses with a sentence."""

from __future__ import annotations

import json
from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest
from helpers import DATA, STANDARD

from cspay.cli import app
from cspay.engine.spans import Change
from cspay.errors import MetricsError
from cspay.inputs.changes import read_changes
from cspay.inputs.resolve import open_inputs
from cspay.inputs.team_metrics import read_team_metrics
from cspay.periods import parse_period
from cspay.policy.loader import load_policy

NOVEMBER = parse_period("2026-11")
MONTH = str(DATA / "month.csv")


def changes_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "changes.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_changes_file_gives_each_agents_changes_in_date_order(standard, tmp_path):
    """Rows are read by agent, in date order; an empty `to` runs to the period's end."""
    path = changes_file(tmp_path, "agent_id,from,to,role,team\nA2,2026-11-20,,L2,\nA1,2026-11-10,2026-11-20,,South\n")
    assert {
        "A2": [Change(date(2026, 11, 20), None, "L2", "", 2)],
        "A1": [Change(date(2026, 11, 10), date(2026, 11, 20), "", "South", 3)],
    } == read_changes(path, standard, NOVEMBER)


def test_dates_may_be_written_the_chinese_way(standard, tmp_path):
    """`2026年11月16日` and `2026/11/16` are the same day as 2026-11-16."""
    path = changes_file(tmp_path, "agent_id,from,to,role,team\nA1,2026年11月16日,2026/11/20,L2,\n")
    found = read_changes(path, standard, NOVEMBER)["A1"][0]
    assert (date(2026, 11, 16), date(2026, 11, 20)) == (found.first, found.last)


def test_rows_outside_the_period_are_left_out(standard, tmp_path):
    """A change that ended in October or starts in December does not concern November's run."""
    path = changes_file(tmp_path, "agent_id,from,to,role,team\nA1,2026-10-01,2026-10-31,L2,\nA2,2026-12-01,,L2,\n")
    assert {} == read_changes(path, standard, NOVEMBER)


def test_every_bad_cell_of_a_changes_file_is_reported(standard, tmp_path):
    """An empty id, a date that is none, an unknown role and a `to` before `from`, each with row and column."""
    path = changes_file(
        tmp_path,
        "agent_id,from,to,role,team\n,2026-11-01,,L2,\nA2,2026-11-31,,L2,\nA3,2026-11-01,,L9,\nA4,2026-11-20,2026-11-10,,\n",
    )
    with pytest.raises(MetricsError) as caught:
        read_changes(path, standard, NOVEMBER)
    assert [
        f'{path}: row 2, column "agent_id": got "", expected an agent id',
        f'{path}: row 3, column "from": got "2026-11-31", expected a date like 2026-11-16',
        f'{path}: row 4, column "role": unknown role "L9", expected one of L1, L2 (or nothing, to keep the '
        f"metrics row's)",
        f'{path}: row 5, column "to": got "2026-11-10", expected a day on or after 2026-11-20',
    ] == caught.value.lines()


@pytest.mark.parametrize("second", ["A1", "ａ1"], ids=["same id", "id written another way"])
def test_overlapping_changes_of_one_agent_are_refused(standard, tmp_path, second):
    """Two rows of one agent covering the same day name both rows, however the second writes the id (ids
    are read as a person reads them)."""
    text = f"agent_id,from,to,role,team\nA1,2026-11-01,2026-11-20,L2,\n{second},2026-11-15,,L1,\n"
    path = changes_file(tmp_path, text)
    with pytest.raises(MetricsError) as caught:
        read_changes(path, standard, NOVEMBER)
    assert [
        f"{path}: row 3: agent 'A1' from 2026-11-15 overlaps row 2 (2026-11-01 to 2026-11-20); expected one row "
        f"per stretch of days"
    ] == caught.value.lines()


def test_a_change_reaches_the_metrics_row_however_its_id_is_written(standard, tmp_path):
    """A change for `a001` splits the month of the metrics row A001, as its month files would match it."""
    path = changes_file(tmp_path, "agent_id,from,to,role,team\na001,2026-11-16,,L2,\n")
    rows = {row.agent_id: row for row in open_inputs(standard, [MONTH], "2026-11", changes=path).rows}
    assert [("L1", Fraction(1, 2)), ("L2", Fraction(1, 2))] == [(part.role, part.share) for part in rows["A001"].parts]


def test_a_changes_file_needs_its_columns(standard, tmp_path):
    """Without a `from` column the file is refused, naming what it has."""
    path = changes_file(tmp_path, "agent_id,start,role\nA1,2026-11-01,L2\n")
    with pytest.raises(MetricsError, match="missing required columns: from, to"):
        read_changes(path, standard, NOVEMBER)


def test_team_metrics_are_read_in_each_kpis_unit(tmp_path):
    """A team's row: the KPI values in their units (81% as a ratio is 0.81), its volumes as numbers."""
    policy = load_policy(DATA / "teams" / "policy.yaml")
    path = tmp_path / "teams.csv"
    path.write_text("team,csat,surveys,fcr\nNorth,90%,100,81%\n", encoding="utf-8")
    row = read_team_metrics(path, policy)["North"]
    assert ({"csat": 90, "fcr": 0.81}, {"surveys": 100}) == (
        {code: float(value) for code, value in row.kpis.items() if value is not None},
        {name: float(value) for name, value in row.numbers.items()},
    )


def test_every_bad_cell_of_team_metrics_is_reported(tmp_path):
    """A value out of its unit's range, a team twice and an empty team, each with row and column."""
    policy = load_policy(DATA / "teams" / "policy.yaml")
    path = tmp_path / "teams.csv"
    path.write_text("team,csat,surveys,fcr\nNorth,90,100,1.8\nNorth,90,100,0.8\n,90,100,0.8\n", encoding="utf-8")
    with pytest.raises(MetricsError) as caught:
        read_team_metrics(path, policy)
    assert [
        f'{path}: row 2, column "fcr": got "1.8", expected a ratio between 0 and 1, like 0.81 or 81%',
        f"{path}: row 3: team 'North' is already on row 2",
        f'{path}: row 4, column "team": got "", expected a team',
    ] == caught.value.lines()


def test_changes_need_a_period(runner, tmp_path):
    """--changes without --period exits 2: the dates of a changes file need the period they fall in."""
    path = changes_file(tmp_path, "agent_id,from,to,role,team\nA001,2026-11-16,,L2,\n")
    result = runner.invoke(app, ["compute", str(STANDARD), MONTH, "--changes", str(path)])
    assert 2 == result.exit_code, result.output
    assert "a changes file dates its rows; give the period paid, like 2026-11" in result.output


def test_a_dated_policy_needs_a_period(runner, tmp_path):
    """A policy whose values change on dates cannot be paid without knowing the month: exit 2."""
    text = STANDARD.read_text(encoding="utf-8").replace(
        "    base_pay: 5200\n", "    base_pay:\n      - {from: 2026-01-01, value: 5200}\n", 1
    )
    policy = tmp_path / "dated.yaml"
    policy.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["compute", str(policy), MONTH])
    assert 2 == result.exit_code, result.output
    assert "its values change on dates; give the period paid" in result.output
    early = runner.invoke(app, ["compute", str(policy), MONTH, "--period", "2025-12"])
    assert 2 == early.exit_code, early.output
    assert "2025-12: the policy's dated values start on 2026-01-01" in early.output


def test_a_quarter_across_a_change_needs_months_named(runner, tmp_path):
    """Role amounts changing within a quarter need each file's month: without a period column, exit 2."""
    text = (DATA / "quarterly.yaml").read_text(encoding="utf-8")
    old_role, old_agents = "  L1: {base_pay: 5200,", "team: team, period: month}"
    assert old_role in text and old_agents in text
    text = text.replace(old_agents, "team: team}").replace(
        old_role, "  L1: {base_pay: [{from: 2026-01-01, value: 5200}, {from: 2026-12-01, value: 5400}],"
    )
    policy = tmp_path / "dated.yaml"
    policy.write_text(text, encoding="utf-8")
    months = [str(DATA / "quarter" / f"2026-{month}.csv") for month in (10, 11, 12)]
    result = runner.invoke(app, ["compute", str(policy), *months, "--period", "2026-Q4"])
    assert 2 == result.exit_code, result.output
    assert "each monthly file must name its month: add the policy's agents.period column" in result.output


@pytest.mark.parametrize("form", ["month", "quarter"])
def test_changes_of_agents_not_in_the_run_are_reported(runner, tmp_path, form):
    """A change for an agent the metrics do not have pays nothing, and compute says so on stderr and in the
    JSON log line, naming the file and the agents."""
    agent = "A001" if form == "month" else "Q001"
    changes = changes_file(tmp_path, f"agent_id,from,to,role,team\n{agent},2026-11-16,,L2,\nZ9,2026-11-16,,L2,\n")
    if form == "month":
        arguments = [str(STANDARD), MONTH, "--period", "2026-11"]
    else:
        policy = DATA / "quarterly.yaml"
        arguments = [str(policy), str(DATA / "quarter"), "--period", "2026-Q4"]
    result = runner.invoke(app, ["compute", *arguments, "--changes", str(changes), "--format", "csv"])
    assert 0 == result.exit_code, result.output
    assert f"{changes}: the changes of 1 agent(s) not in this run paid nothing: Z9." in result.stderr
    logged = runner.invoke(app, ["compute", *arguments, "--changes", str(changes), "-f", "csv", "--log-format", "json"])
    assert ["Z9"] == json.loads(logged.stderr.strip().splitlines()[-1])["changes_unmatched"]
