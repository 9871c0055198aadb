"""compare: two policies on the same months, the cost, who gains and loses, and the rollout guards."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from cspay.cli import app
from cspay.errors import MetricsError, PolicyError
from cspay.policy.loader import load_policy
from cspay.rollout.compare import Totals, compare, limit_problems, parse_limit

DATA = Path(__file__).parent / "data"
OLD = DATA / "standard.yaml"
MONTH = DATA / "month.csv"


def variant(tmp_path: Path, name: str, old: str, new: str) -> Path:
    """A copy of the test policy with one piece of text replaced."""
    text = OLD.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / name
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


@pytest.fixture
def raised(tmp_path: Path) -> Path:
    """The test policy with L1's target bonus raised from 1800 to 2000: A001 (grade A) gains 240.00."""
    return variant(tmp_path, "raised.yaml", "target_bonus: 1800", "target_bonus: 2000")


def test_totals_under_each_policy(raised):
    """Total gross and bonus under each policy, with the difference in money and percent."""
    total = compare(load_policy(OLD), load_policy(raised), [MONTH]).total()
    assert (Decimal("23945.00"), Decimal("24185.00")) == (total.old_gross, total.new_gross)
    assert (Decimal("5085.00"), Decimal("5325.00")) == (total.old_bonus, total.new_bonus)
    assert Decimal("240.00") == total.delta
    assert Decimal("240.00") / Decimal("23945.00") * 100 == total.percent


def test_counts_agents_who_gain_lose_or_stay(raised):
    """Only A001 (grade A, L1) gains; the L2 agents and the D-grade L1 agent stay the same."""
    assert {"gain": 1, "lose": 0, "same": 3} == compare(load_policy(OLD), load_policy(raised), [MONTH]).counts()


def test_largest_gains_and_losses(raised):
    """The gains list A001 with its 240.00; swapping the policies makes it the largest loss."""
    gains = compare(load_policy(OLD), load_policy(raised), [MONTH]).largest_gains()
    losses = compare(load_policy(raised), load_policy(OLD), [MONTH]).largest_losses()
    assert [("A001", Decimal("240.00"))] == [(c.old.agent_id, c.delta) for c in gains]
    assert [("A001", Decimal("-240.00"))] == [(c.old.agent_id, c.delta) for c in losses]


def test_per_role_and_per_team(raised):
    """The raise shows under role L1 and team North only."""
    comparison = compare(load_policy(OLD), load_policy(raised), [MONTH])
    assert {"L1": (2, Decimal("240.00")), "L2": (2, Decimal("0.00"))} == {
        group.name: (group.headcount, group.delta) for group in comparison.by_role()
    }
    assert {"North": Decimal("240.00"), "South": Decimal("0.00"), "East": Decimal("0.00"), "West": Decimal("0.00")} == {
        group.name: group.delta for group in comparison.by_team()
    }


def test_grade_distribution_before_and_after(tmp_path):
    """A higher bar for grade S moves 007 (score 1.25) from S to A."""
    harder = variant(tmp_path, "harder.yaml", "{grade: S, min_score: 1.2,", "{grade: S, min_score: 1.3,")
    grades = compare(load_policy(OLD), load_policy(harder), [MONTH]).grades()
    assert [("S", 1, 0), ("A", 1, 2), ("B", 0, 0), ("C", 0, 0), ("D", 2, 2)] == grades


def test_months_add_up_and_key_on_file_and_agent(raised, tmp_path):
    """Two month files: totals add up over both, and each agent appears once per file."""
    second = tmp_path / "month-2.csv"
    shutil.copy(MONTH, second)
    comparison = compare(load_policy(OLD), load_policy(raised), [MONTH, second])
    assert Decimal("480.00") == comparison.total().delta
    assert [(str(MONTH), "A001"), (str(second), "A001")] == [
        (c.month, c.old.agent_id) for c in comparison.largest_gains()
    ]


def test_missing_column_names_the_policy_that_needs_it(tmp_path):
    """A metrics file without a column the new policy reads is an error naming the new policy."""
    nps = variant(tmp_path, "nps.yaml", "column: qa_score", "column: nps")
    with pytest.raises(MetricsError) as error:
        compare(load_policy(OLD), load_policy(nps), [MONTH])
    assert [
        f"{MONTH}: row 1: missing required columns: nps (the header has: agent_id, name, role, team, "
        f"worked_days, csat, surveys, fcr, aht_sec, qa_score, attendance, valid_complaints, tickets); "
        f"the new policy {nps} needs them"
    ] == error.value.lines()


def test_policies_in_different_currencies_are_refused(tmp_path):
    """Comparing a CNY policy with a USD one is an error naming both."""
    usd = variant(tmp_path, "usd.yaml", "currency: CNY", "currency: USD")
    with pytest.raises(PolicyError) as error:
        compare(load_policy(OLD), load_policy(usd), [MONTH])
    assert [
        f"{usd}: currency USD differs from CNY in {OLD}; expected two policies paying in the same currency"
    ] == error.value.lines()


def totals(old: str, new: str) -> Totals:
    return Totals("", 1, Decimal(old), Decimal(new), Decimal(0), Decimal(0))


def test_increase_of_exactly_the_limit_passes():
    """A rise of exactly 3% is not more than --max-increase 3%."""
    assert [] == limit_problems(totals("100.00", "103.00"), "CNY", Decimal(3), None)


def test_increase_above_the_limit_is_reported():
    """A rise of 3.01% against --max-increase 3% says which limit and by how much."""
    assert ["total gross rises by 3.01% (+3.01 CNY: 100.00 -> 103.01), more than --max-increase 3%"] == (
        limit_problems(totals("100.00", "103.01"), "CNY", Decimal(3), None)
    )


def test_decrease_above_the_limit_is_reported():
    """A fall of 5% against --max-decrease 3% says which limit and by how much."""
    assert ["total gross falls by 5.00% (-5.00 CNY: 100.00 -> 95.00), more than --max-decrease 3%"] == (
        limit_problems(totals("100.00", "95.00"), "CNY", None, Decimal(3))
    )


def test_decrease_is_not_held_against_max_increase():
    """--max-increase alone lets any fall pass."""
    assert [] == limit_problems(totals("100.00", "50.00"), "CNY", Decimal(3), None)


def test_limit_reads_percent_with_or_without_sign():
    """ "3%", "3" and " 2.5 % " are percentages."""
    assert [Decimal(3), Decimal(3), Decimal("2.5")] == [parse_limit(t) for t in ("3%", "3", " 2.5 % ")]


def test_cli_max_increase_exits_1_with_the_limit_and_the_move(runner, raised):
    """The guard prints the report, then an Error line naming the limit and the move, and exits 1."""
    result = runner.invoke(app, ["compare", str(OLD), str(raised), str(MONTH), "--max-increase", "1%"])
    assert 1 == result.exit_code, result.output
    assert (
        "Error: total gross rises by 1.00% (+240.00 CNY: 23,945.00 -> 24,185.00), more than --max-increase 1%\n"
    ) == result.stderr
    assert "Largest gains" in result.stdout


def test_cli_within_limits_exits_0(runner, raised):
    """A 1.0023% rise passes --max-increase 1.01%."""
    result = runner.invoke(app, ["compare", str(OLD), str(raised), str(MONTH), "--max-increase", "1.01%"])
    assert 0 == result.exit_code, result.output


def test_cli_max_decrease_guards_a_cheaper_policy(runner, raised):
    """Going back from the raised policy falls by 0.99%, more than --max-decrease 0.5%."""
    result = runner.invoke(app, ["compare", str(raised), str(OLD), str(MONTH), "--max-decrease", "0.5"])
    assert 1 == result.exit_code
    assert result.stderr.startswith("Error: total gross falls by 0.99% (-240.00 CNY")


def test_cli_bad_limit_is_usage_error(runner, raised):
    """A limit that is not a percentage exits 2."""
    result = runner.invoke(app, ["compare", str(OLD), str(raised), str(MONTH), "--max-increase", "lots"])
    assert 2 == result.exit_code


def test_cli_csv_is_the_per_agent_table(runner, raised):
    """CSV: one row per agent with gross under each policy, the difference and both grades."""
    result = runner.invoke(app, ["compare", str(OLD), str(raised), str(MONTH), "--format", "csv"])
    assert 0 == result.exit_code, result.output
    lines = result.stdout.splitlines()
    assert "agent_id,name,role,team,old_gross,new_gross,delta,old_grade,new_grade" == lines[0]
    assert "A001,Wang Fang,L1,North,7940.00,8180.00,240.00,A,A" == lines[1]
    assert "A004,'-Zhao Li,L2,West,2690.00,2690.00,0.00,D,D" == lines[4]


def test_cli_csv_has_a_month_column_for_several_months(runner, raised, tmp_path):
    """With two month files, the per-agent table starts with the month file."""
    second = tmp_path / "month-2.csv"
    shutil.copy(MONTH, second)
    result = runner.invoke(app, ["compare", str(OLD), str(raised), str(MONTH), str(second), "-f", "csv"])
    lines = result.stdout.splitlines()
    assert lines[0].startswith("month,agent_id,")
    assert 9 == len(lines)
    assert lines[5].startswith(f"{second},A001,")


def test_cli_json_has_the_agents_and_the_summary(runner, raised):
    """JSON: both policies, the totals as decimal strings, the counts and the per-agent rows."""
    result = runner.invoke(app, ["compare", str(OLD), str(raised), str(MONTH), "--format", "json"])
    data = json.loads(result.stdout)
    assert "240.00" == data["summary"]["total"]["delta"]
    assert {"gain": 1, "lose": 0, "same": 3} == data["summary"]["agents"]
    assert {
        "agent_id": "A001",
        "name": "Wang Fang",
        "role": "L1",
        "team": "North",
        "old_gross": "7940.00",
        "new_gross": "8180.00",
        "delta": "240.00",
        "old_grade": "A",
        "new_grade": "A",
    } == data["agents"][0]
    assert str(raised) == data["new_policy"]["path"]


def test_cli_output_file_is_not_replaced_without_force(runner, raised, tmp_path):
    """--output writes the file; a second run without --force leaves it and exits 1."""
    target = tmp_path / "what-if.csv"
    first = runner.invoke(app, ["compare", str(OLD), str(raised), str(MONTH), "-f", "csv", "-o", str(target)])
    assert 0 == first.exit_code, first.output
    again = runner.invoke(app, ["compare", str(OLD), str(raised), str(MONTH), "-f", "csv", "-o", str(target)])
    assert 1 == again.exit_code
    assert f"Error: {target}: the file exists; pass --force to replace it\n" == again.stderr


def test_cli_table_shows_every_part(runner, raised):
    """The table report has the cost, agents, per role and team, gains, losses and grades."""
    result = runner.invoke(app, ["compare", str(OLD), str(raised), str(MONTH)])
    assert 0 == result.exit_code, result.output
    for title in ("Cost", "Agents", "By role", "By team", "Largest gains", "Largest losses", "Agents per grade"):
        assert f"\n{title}" in result.stdout, title
    assert "│ Total gross │  23,945.00 │  24,185.00 │    +240.00 │ +1.00% │" in result.stdout


def test_change_shows_sign_and_no_sign_for_zero():
    """Rises and falls carry their sign; no change reads 0.00%, never +0.00%; no old total reads -."""
    from cspay.rollout.terminal_compare import change, signed

    assert ["+1.84%", "-0.46%", "0.00%", "-"] == [
        change(Decimal(v) if v else None) for v in ("1.8444", "-0.4649", "0", None)
    ]
    assert ["+1,234.50", "-80.00", "0.00"] == [signed(Decimal(v)) for v in ("1234.50", "-80.00", "0.00")]


def test_heading_names_the_files_when_both_policies_read_alike(runner, raised):
    """Two policies with the same title and version are told apart by their files in the heading."""
    result = runner.invoke(app, ["compare", str(OLD), str(raised), str(MONTH)])
    assert (
        f"Customer service pay plan 2026.11 ({OLD}) → Customer service pay plan 2026.11 ({raised}) (CNY)"
        == result.stdout.splitlines()[0].rstrip()
    )


def test_compare_reads_a_tab_separated_month_with_delimiter_tab(runner, tmp_path):
    """`--delimiter tab` names a tab here as in every command (it was refused as two characters)."""
    tabbed = tmp_path / "month.tsv"
    tabbed.write_text(MONTH.read_text(encoding="utf-8").replace(",", "\t"), encoding="utf-8")
    result = runner.invoke(app, ["compare", str(OLD), str(OLD), str(tabbed), "--delimiter", "tab", "-f", "csv"])
    assert 0 == result.exit_code, result.output
    assert 5 == len(result.stdout.splitlines())
