"""Team results and parts of a period on the command line: the tables compute prints, the JSON it writes,
the payslip's explanation, and the Chinese words for all of it."""

from __future__ import annotations

import json

from helpers import DATA, ascii_words, english_words

from cspay.cli import app

POLICY = str(DATA / "teams" / "policy.yaml")
MONTH = str(DATA / "teams" / "month.csv")


def test_compute_prints_the_team_and_site_results(runner):
    """After the summary: each team with its site, members, size counted, score and grade, then each site."""
    result = runner.invoke(app, ["compute", POLICY, MONTH])
    assert 0 == result.exit_code, result.output
    lines = [" ".join(line.replace("│", " ").split()) for line in result.stdout.splitlines()]
    assert "North Shanghai 3 2.5 0.8625 B" in lines
    assert "East Shanghai 2 2 1.0625 A below 2.5 members: team parts paid on the site's result" in lines
    assert "Shanghai North, East 5 4.5 0.9295 B" in lines


def test_the_table_has_a_team_part_column(runner):
    """The payslip table shows the team part beside the bonus: N1's 960.00 and 200.00."""
    result = runner.invoke(app, ["compute", POLICY, MONTH])
    lines = result.stdout.splitlines()
    header = next([cell.strip() for cell in line.split("┃")] for line in lines if "┃ Agent" in line)
    row = next([cell.strip() for cell in line.split("│")] for line in lines if "│ N1 " in line)
    assert ("960.00", "200.00") == (row[header.index("Bonus")], row[header.index("Team part")])


def test_json_carries_the_rollup_and_how_each_bonus_line_was_made(runner):
    """JSON's head lists teams and sites; a payslip lists its bonus parts, on whose result each was paid."""
    result = runner.invoke(app, ["compute", POLICY, MONTH, "--format", "json"])
    assert 0 == result.exit_code, result.output
    data = json.loads(result.stdout)
    assert {"team": "East", "site": "Shanghai", "members": ["E1", "E2"], "small": True} == {
        key: data["teams"][1][key] for key in ("team", "site", "members", "small")
    }
    assert ["Shanghai", "Beijing"] == [site["site"] for site in data["sites"]]
    e1 = next(slip for slip in data["payslips"] if slip["agent_id"] == "E1")
    assert [("own", None, "4/5", "960.00"), ("site", "small", "1/5", "200.00")] == [
        (part["basis"], part["fallback"], part["weight"], part["amount"]) for part in e1["bonus_parts"]
    ]


def test_the_payslip_says_who_counted_and_what_each_part_paid(runner):
    """N1's payslip explains the own part, the team part on North, and North's members and KPI values."""
    result = runner.invoke(app, ["payslip", POLICY, MONTH, "N1"])
    assert 0 == result.exit_code, result.output
    text = " ".join(result.stdout.replace("│", " ").split())
    assert (
        "Own part (80% of the target bonus), on your own result: score 1.0000, grade A: ¥800.00 × 1.2 = ¥960.00."
        in text
    )
    assert "Team part (20%), on team North's result: score 0.8625, grade B: ¥200.00 × 1.0 = ¥200.00." in text
    assert "Team North (site Shanghai): 3 members counted, 2.5 in all (the minimum is 2.5): N1 1, N2 1, N3 0.5." in text
    assert "Its KPI values are its members' weighted means: csat 87% (score 0.8500), fcr 0.75 (score 0.8750)" in text


def test_a_small_teams_fallback_is_explained(runner):
    """E1's team part names East's size, the minimum, and the site whose result paid it."""
    result = runner.invoke(app, ["payslip", POLICY, MONTH, "E1"])
    text = " ".join(result.stdout.replace("│", " ").split())
    assert (
        "Team part (20%): team East counted 2 members, fewer than 2.5, so on site Shanghai's result: "
        "score 0.9295, grade B: ¥200.00 × 1.0 = ¥200.00." in text
    )


def test_team_output_in_chinese_has_no_english_word(runner, tmp_path):
    """compute and payslip --lang zh print no word of the English catalog for team results (the policy's own
    id and grades written in Chinese, so that any English left is cspay's)."""
    text = (DATA / "teams" / "policy.yaml").read_text(encoding="utf-8").replace("policy: teams-test", "policy: 团队")
    for grade, chinese in (("TA", "甲等"), ("TB", "乙等"), ("TC", "丙等"), ("A", "优"), ("B", "良"), ("D", "差")):
        text = text.replace(f"{{grade: {grade},", f"{{grade: {chinese},")
    policy = tmp_path / "policy.yaml"
    policy.write_text(text, encoding="utf-8")
    table = runner.invoke(app, ["compute", str(policy), MONTH, "--lang", "zh"])
    slips = runner.invoke(app, ["payslip", str(policy), MONTH, "E1", "T2", "P1", "--lang", "zh"])
    assert (0, 0) == (table.exit_code, slips.exit_code), table.output + slips.output
    assert "团队结果" in table.stdout
    assert "团队部分（20%）：团队 East 计入 2 人，不足 2.5 人，按站点 Shanghai 的结果" in slips.stdout
    assert set() == ascii_words(table.stdout + slips.stdout) & english_words()


def test_the_ledger_counts_the_team_part_as_bonus(runner, tmp_path):
    """Recorded, N1's bonus in the history is both lines, 960.00 + 200.00."""
    ledger = tmp_path / "pay.db"
    recorded = runner.invoke(
        app, ["compute", POLICY, MONTH, "--period", "2026-11", "--record", "--ledger", str(ledger), "--quiet"]
    )
    assert 0 == recorded.exit_code, recorded.output
    result = runner.invoke(app, ["history", "N1", "--ledger", str(ledger), "--format", "json"])
    assert 0 == result.exit_code, result.output
    assert [("2026-11", "1160.00", "6160.00")] == [
        (period["period"], period["bonus"], period["gross"]) for period in json.loads(result.stdout)
    ]


def test_a_payslip_asked_by_id_is_paid_with_the_whole_team(runner):
    """Asked for one agent, payslip pays every member still (a team's result counts them all): each agent's
    gross is the one compute pays."""
    computed = json.loads(runner.invoke(app, ["compute", POLICY, MONTH, "--format", "json"]).stdout)["payslips"]
    for slip in computed:
        result = runner.invoke(app, ["payslip", POLICY, MONTH, slip["agent_id"], "--format", "json"])
        assert 0 == result.exit_code, result.output
        assert slip["gross"] == json.loads(result.stdout)["payslips"][0]["gross"]
