"""Team results: a team's KPI values and score from its members, who counts and how much, the own and team
parts of an agent's bonus, small teams, leaders paid on the teams or site they lead, and the explanation.

The numbers are tests/data/teams/ worked by hand. North: N1 (90% on 60 surveys, fcr 0.80), N2 (80% on 20,
0.70) and N3 (85% on 20, 0.75, 10 of 20 days worked, so counting half). Its satisfaction is weighted by
surveys, (90 × 60 + 80 × 20 + 85 × 20) / 100 = 87, scoring 0.85; its fcr by membership,
(0.80 + 0.70 + 0.75 × 0.5) / 2.5 = 0.75, scoring 0.875; its score (0.85 + 0.875) / 2 = 0.8625, grade B.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from helpers import DATA

from cspay.engine.explain import explain
from cspay.engine.types import Payslip
from cspay.errors import MetricsError, UsageProblem
from cspay.inputs.resolve import open_inputs
from cspay.policy.loader import load_policy
from cspay.run.pay import PayRun, pay

TEAMS = DATA / "teams"
POLICY = TEAMS / "policy.yaml"
MONTH = TEAMS / "month.csv"


def run_of(policy: Path = POLICY, month: Path = MONTH, **options: object) -> PayRun:
    """The month paid under a team policy, its payslips in a list."""
    run = pay(open_inputs(load_policy(policy), [month], **options))  # type: ignore[arg-type]
    run.payslips = list(run.payslips)
    return run


def slip_of(run: PayRun, agent: str) -> Payslip:
    return next(slip for slip in run.payslips if slip.agent_id == agent)


def bonus_lines(slip: Payslip) -> list[tuple[str, Decimal]]:
    return [(line.code, line.amount) for line in slip.lines if line.code.startswith("bonus")]


def changed(tmp_path: Path, old: str, new: str) -> Path:
    """The test policy with one piece of text replaced (checked to be there)."""
    text = POLICY.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "policy.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def run() -> PayRun:
    return run_of()


def test_a_teams_kpi_is_its_members_weighted_mean(run):
    """North's satisfaction is weighted by surveys, its fcr by how much each member counts."""
    north = run.engine.teams.team("North")
    assert (Decimal(87), Decimal("0.75")) == (north.kpis[0].value, north.kpis[1].value)


def test_a_team_is_scored_on_the_policys_curves(run):
    """North scores (0.85 + 0.875) / 2 = 0.8625."""
    assert Decimal("0.8625") == run.engine.teams.team("North").score


def test_a_leaver_counts_for_the_days_worked(run):
    """N3 worked 10 of 20 days: North counts 2.5 members."""
    north = run.engine.teams.team("North")
    assert [("N1", Decimal(1)), ("N2", Decimal(1)), ("N3", Decimal("0.5"))] == [
        (member.agent_id, member.weight) for member in north.members
    ]
    assert Decimal("2.5") == north.size


def test_an_agent_is_paid_an_own_part_and_a_team_part(run):
    """N1 scores 1.0 (grade A): 80% of 1000 × 1.2 on their own, 20% of 1000 × 1.0 on North's B."""
    assert [("bonus", Decimal("960.00")), ("bonus.team", Decimal("200.00"))] == bonus_lines(slip_of(run, "N1"))


def test_a_leavers_parts_are_prorated(run):
    """N3 (grade B, half the days): 800 × 1.0 × 0.5 own and 200 × 1.0 × 0.5 on the team."""
    assert [("bonus", Decimal("400.00")), ("bonus.team", Decimal("100.00"))] == bonus_lines(slip_of(run, "N3"))


def test_a_team_at_exactly_the_minimum_size_counts(run):
    """North counts 2.5 members, the minimum: its members are paid on its result."""
    assert (False, "team") == (run.engine.teams.team("North").small, slip_of(run, "N1").pieces[1].basis)


def test_a_team_below_the_minimum_pays_on_the_site(run):
    """East counts 2 of the minimum 2.5, so E1's team part is paid on Shanghai's result (grade B)."""
    piece = slip_of(run, "E1").pieces[1]
    assert ("site", "small", "East", "B") == (piece.basis, piece.fallback, piece.group, piece.grade)


def test_a_team_below_the_minimum_may_pay_on_own_results(tmp_path):
    """With small_team: own, E1's team part is paid on their own A: 200 × 1.2."""
    run = run_of(changed(tmp_path, "small_team: site", "small_team: own"))
    assert [("bonus", Decimal("960.00")), ("bonus.team", Decimal("240.00"))] == bonus_lines(slip_of(run, "E1"))


def test_a_team_of_one_is_its_members_result(tmp_path):
    """Without a minimum, Solo's one member makes its result: the team part at S1's own grade A."""
    run = run_of(changed(tmp_path, "min_size: 2.5", "min_size: 0"))
    solo = run.engine.teams.team("Solo")
    assert (Decimal("1.5"), Decimal(1)) == (solo.score, solo.size)
    assert [("bonus", Decimal("960.00")), ("bonus.team", Decimal("240.00"))] == bonus_lines(slip_of(run, "S1"))


def test_a_gate_cuts_both_parts(run):
    """E2's attendance of 94 halves the team part too (the own part is 0 at grade D)."""
    assert [("bonus", Decimal("0.00")), ("bonus.team", Decimal("100.00"))] == bonus_lines(slip_of(run, "E2"))


def test_whole_membership_counts_a_leaver_as_one(tmp_path):
    """membership: whole: N3 counts as a whole member, North as 3."""
    run = run_of(changed(tmp_path, "min_size: 2.5", "min_size: 2.5, membership: whole"))
    assert Decimal(3) == run.engine.teams.team("North").size


def test_member_scores_make_a_team_score(tmp_path):
    """member_scores: North's score is (1.0 + 0.625 + 0.8125 × 0.5) / 2.5 = 0.8125."""
    run = run_of(changed(tmp_path, "score: member_kpis", "score: member_scores"))
    assert Decimal("0.8125") == run.engine.teams.team("North").score


def test_team_metrics_come_from_their_file(tmp_path):
    """team_metrics: North's row (90%, 0.80) scores 1.0 (grade A): N1's team part is 200 × 1.2."""
    policy = changed(tmp_path, "score: member_kpis", "score: team_metrics")
    run = run_of(policy, team_metrics=TEAMS / "team-metrics.csv")
    assert Decimal("1.0") == run.engine.teams.team("North").score
    assert ("bonus.team", Decimal("240.00")) == bonus_lines(slip_of(run, "N1"))[1]


def test_a_team_without_a_team_metrics_row_is_refused(tmp_path):
    """A team the agents are in but the team metrics do not list is an error naming the file and team."""
    policy = changed(tmp_path, "score: member_kpis", "score: team_metrics")
    short = tmp_path / "teams.csv"
    short.write_text("team,csat,surveys,fcr\nNorth,90,100,0.80\nSolo,100,50,1.0\n", encoding="utf-8")
    with pytest.raises(MetricsError) as caught:
        run_of(policy, team_metrics=short)
    assert [f"{short}: no row for team 'East', which agents E1, E2 are in; expected one row per team"] == (
        caught.value.lines()
    )


def test_team_metrics_are_needed_when_the_policy_scores_on_them(tmp_path):
    """A team_metrics policy without the file is a usage error naming --team-metrics."""
    policy = changed(tmp_path, "score: member_kpis", "score: team_metrics")
    with pytest.raises(UsageProblem) as caught:
        run_of(policy)
    assert "--team-metrics" == caught.value.option


def test_team_metrics_are_refused_when_the_policy_does_not_use_them():
    """Team metrics given to a policy that makes team results from its members are a usage error."""
    with pytest.raises(UsageProblem, match="does not score teams on team metrics"):
        run_of(team_metrics=TEAMS / "team-metrics.csv")


def test_a_leader_is_paid_on_the_team_they_lead_by_their_grades(run):
    """T1 leads North (0.8625): the leader's grade TB, 2000 × 1.0."""
    slip = slip_of(run, "T1")
    assert ("TB", Decimal("0.8625"), [("bonus", Decimal("2000.00"))]) == (slip.grade, slip.score, bonus_lines(slip))


def test_a_leader_of_two_teams_is_paid_on_them_together(run):
    """T2 leads North and East: their five members counted together score 0.9295…, grade TA, 2000 × 1.25."""
    slip = slip_of(run, "T2")
    assert ("TA", [("bonus", Decimal("2500.00"))]) == (slip.grade, bonus_lines(slip))
    assert ["N1", "N2", "N3", "E1", "E2"] == [member.agent_id for member in slip.pieces[0].result.members]


def test_a_supervisor_is_paid_on_the_site(run):
    """P1 leads Shanghai (North and East together, grade B): 3000 × 1.0."""
    assert [("bonus", Decimal("3000.00"))] == bonus_lines(slip_of(run, "P1"))


def test_a_leader_is_not_a_member_of_the_team_they_lead(run):
    """North's members are its agents; T1 and T2, who lead it, are not counted."""
    assert ["N1", "N2", "N3"] == [member.agent_id for member in run.engine.teams.team("North").members]


def test_a_leaders_kpi_cells_may_be_empty_but_an_agents_may_not(tmp_path):
    """T1's empty KPI cells are read as no value; the same empty cells on an agent's row are errors."""
    month = tmp_path / "month.csv"
    month.write_text(MONTH.read_text(encoding="utf-8").replace("T1,TL,", "T1,L1,"), encoding="utf-8")
    with pytest.raises(MetricsError) as caught:
        run_of(month=month)
    assert 3 == len(caught.value.lines())
    assert all("row 8" in line for line in caught.value.lines())


def test_a_team_in_two_sites_is_refused(tmp_path):
    """A team's members all belong to one site: otherwise an error names the team and both sites."""
    month = tmp_path / "month.csv"
    month.write_text(
        MONTH.read_text(encoding="utf-8").replace("N2,L1,North,Shanghai", "N2,L1,North,Beijing"), encoding="utf-8"
    )
    with pytest.raises(MetricsError) as caught:
        run_of(month=month)
    assert ["team 'North' has agents in sites 'Shanghai' (N1) and 'Beijing' (N2); a team belongs to one site"] == (
        caught.value.lines()
    )


def test_a_member_who_changes_team_counts_in_both(tmp_path):
    """N2 moves to East on 2026-11-16: North and East each count half of N2."""
    changes = tmp_path / "changes.csv"
    changes.write_text("agent_id,from,to,role,team\nN2,2026-11-16,,,East\n", encoding="utf-8")
    run = run_of(period="2026-11", changes=changes)
    weights = {
        team: next(member.weight for member in run.engine.teams.team(team).members if member.agent_id == "N2")
        for team in ("North", "East")
    }
    assert {"North": Decimal("0.5"), "East": Decimal("0.5")} == weights
    assert [("North", Fraction(1, 2)), ("East", Fraction(1, 2))] == [
        (part.team, part.share) for part in slip_of(run, "N2").parts
    ]


def test_the_explanation_names_who_counted(run):
    """N1's explanation carries North: its members and weights, its KPI values and score."""
    explanation = explain(slip_of(run, "N1"), run.pricing())
    north = next(group for group in explanation.groups if group.name == "North")
    assert (("N1", Decimal(1)), ("N2", Decimal(1)), ("N3", Decimal("0.5"))) == north.members
    assert (Decimal("0.8625"), "member_kpis") == (north.score, north.rule)
    assert [("bonus", "own", Decimal("960.00")), ("bonus.team", "team", Decimal("200.00"))] == [
        (piece.code, piece.basis, piece.amount) for piece in explanation.pieces
    ]


def test_what_moves_counts_the_team_again(run):
    """N2 at 90% satisfaction would lift North to grade A too: the move adds to both parts of N2's bonus."""
    explanation = explain(slip_of(run, "N2"), run.pricing())
    lever = next(lever for lever in explanation.moves.kpis if lever.code == "csat")
    # N2 at 90%: own score (1.0 + 0.75) / 2 = 0.875, grade B: 800; North's satisfaction (5400 + 1800 + 1700)
    # / 100 = 89 scores 0.95 and its score (0.95 + 0.875) / 2 = 0.9125, still B: the team part stays 200.
    assert lever.next_point is not None
    assert Decimal("800.00") == lever.next_point.outcome.gain


def test_an_agent_without_a_team_is_paid_the_team_part_on_their_own_result(tmp_path):
    """N1 with an empty team cell: no team to count in, so the team part is paid on N1's own A, 200 × 1.2."""
    month = tmp_path / "month.csv"
    month.write_text(MONTH.read_text(encoding="utf-8").replace("N1,L1,North,", "N1,L1,,"), encoding="utf-8")
    piece = slip_of(run_of(month=month), "N1").pieces[1]
    assert ("own", "no_team", Decimal("240.00")) == (piece.basis, piece.fallback, piece.amount)


def test_without_a_minimum_no_team_is_small(tmp_path):
    """min_size defaults to 0: East's two members and Solo's one are paid on their own teams' results."""
    run = run_of(changed(tmp_path, "min_size: 2.5, ", ""))
    assert [False, False, False] == [run.engine.teams.team(name).small for name in ("North", "East", "Solo")]


# ---- targets by group in a team policy -----------------------------------------------------------------

SHANGHAI_FCR = """\
  fcr:
    column: fcr
    unit: ratio
    weight: 50
    score: {threshold: 0.6, target: 0.8, stretch: 1.0}
    by: BY
    groups:
      GROUP: {threshold: 0.5, target: 0.7, stretch: 0.9}
"""
OWN_FCR = "  fcr: {column: fcr, unit: ratio, weight: 50, score: {threshold: 0.6, target: 0.8, stretch: 1.0}}\n"


def by_group(tmp_path: Path, by: str, group: str, score: str = "member_kpis") -> Path:
    """The test policy with fcr scored by `by`, `group` having a curve of its own 0.1 lower throughout."""
    path = changed(tmp_path, OWN_FCR, SHANGHAI_FCR.replace("BY", by).replace("GROUP", group))
    text = path.read_text(encoding="utf-8").replace("score: member_kpis", f"score: {score}")
    path.write_text(text, encoding="utf-8")
    return path


def with_queues(tmp_path: Path) -> Path:
    """The test month with a queue column: N2 answers complaints, everyone else sales."""
    lines = MONTH.read_text(encoding="utf-8").splitlines()
    rows = [lines[0] + ",queue"] + [
        line + (",complaints" if line.startswith("N2,") else ",sales") for line in lines[1:]
    ]
    path = tmp_path / "month.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_a_team_within_one_group_is_scored_on_that_groups_curve(tmp_path):
    """fcr by site, Shanghai's curve 0.5/0.7/0.9: North (all Shanghai) pools 0.75, which scores 1.125 there
    (0.875 on the KPI's own curve); Solo, in Beijing, keeps the own curve."""
    run = run_of(by_group(tmp_path, "site", "Shanghai"))
    north, solo = run.engine.teams.team("North"), run.engine.teams.team("Solo")
    assert (Decimal("0.75"), Decimal("1.125"), "Shanghai") == (
        north.kpis[1].value,
        north.kpis[1].score,
        north.kpis[1].curve_group,
    )
    assert (Decimal("1.5"), None) == (solo.kpis[1].score, solo.kpis[1].curve_group)


def test_members_on_different_groups_curves_score_a_team_on_their_own_scores(tmp_path):
    """Under member_scores each member is scored on their group's curve: N2's fcr of 0.70 scores 1.0 on the
    complaints curve, so North is (1.0 + 0.75 + 0.5 × 0.8125) / 2.5 = 0.8625 (0.8125 with one curve)."""
    run = run_of(by_group(tmp_path, "queue", "complaints", "member_scores"), with_queues(tmp_path))
    assert Decimal("0.8625") == run.engine.teams.team("North").score


def test_pooled_values_of_members_on_different_groups_curves_are_refused(tmp_path):
    """A team's pooled fcr has one value, so when its members are on different groups' curves the run is
    refused with a sentence naming the team, the KPI and what to do instead."""
    with pytest.raises(UsageProblem) as refused:
        run_of(by_group(tmp_path, "queue", "complaints"), with_queues(tmp_path))
    message = str(refused.value)
    assert message.startswith("North: KPI fcr gives targets by queue")
    assert "teams.score: member_scores" in message
