"""cspay calibrate: numbers from the history at their percentiles, a file that keeps its layout and passes
--strict, too few agents refused, compare of old against new at the end, and a curve per group with --by."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from helpers import REVIEW_HEADER, STANDARD, csv_text, shift_month

from cspay.cli import app
from cspay.errors import MetricsError, UsageProblem
from cspay.i18n import Words
from cspay.policy.loader import load_policy
from cspay.rollout.calibrate import calibrate, calibrated_text, parse_grades, parse_points
from cspay.rollout.review import review_inputs
from cspay.rollout.review_findings import findings

ROOT = Path(__file__).resolve().parents[1]
POLICY = ROOT / "policies" / "standard.yaml"
NOVEMBER = ROOT / "examples" / "standard-2026-11.csv"
QUARTER = [ROOT / "examples" / f"standard-2026-{month}.csv" for month in (10, 11, 12)]


def proposed(calibration) -> dict[str, tuple[Decimal, Decimal | None, int]]:
    return {".".join(map(str, p.path)): (p.new, p.percentile, p.sample) for p in calibration.proposals}


def test_threshold_is_the_value_ninety_percent_reach():
    """November's satisfaction, counted for 40 agents (20 surveys or more): the 10th percentile is rank
    39 × 0.1 = 3.9 of the sorted values 77.0, 78.4, 78.7, 83.1, 84.6 …, so 83.1 + 0.9 × (84.6 − 83.1) = 84.45,
    written one place finer than the policy's 80 (half to even): 84.4."""
    found = proposed(calibrate(load_policy(POLICY), [NOVEMBER], min_agents=30))
    assert (Decimal("84.4"), Decimal(10), 40) == found["kpis.csat.score.threshold"]


def test_lower_is_better_takes_the_other_end():
    """Handle time's threshold, reached by 90% of agents, is its 90th percentile (fewer seconds is better)."""
    found = proposed(calibrate(load_policy(POLICY), [NOVEMBER]))
    threshold, target, stretch = (found[f"kpis.aht.score.{name}"] for name in ("threshold", "target", "stretch"))
    assert (Decimal(90), Decimal(50), Decimal(10)) == (threshold[1], target[1], stretch[1])
    assert threshold[0] > target[0] > stretch[0]


def test_bands_are_kept():
    """A KPI scored by bands keeps them: calibration places linear curve points only."""
    assert ["qa"] == calibrate(load_policy(POLICY), [NOVEMBER]).kept


def test_grade_cut_offs_give_the_distribution_asked_for():
    """With the new curves, the cut-offs put about the asked share of agent-months in each grade."""
    policy = load_policy(POLICY)
    shares = parse_grades("S:5,A:30,B:45,C:15,D:5", policy)
    calibration = calibrate(policy, QUARTER, grades=shares)
    grades = {p.path[1]: p.new for p in calibration.proposals if p.path[0] == "grades"}
    assert [Decimal(95), Decimal(65), Decimal(20), Decimal(5)] == [
        p.percentile for p in calibration.proposals if p.path[0] == "grades"
    ]
    assert list(grades.values()) == sorted(grades.values(), reverse=True)


def test_too_few_agents_is_an_error_naming_each_kpi():
    """Fewer counted values than --min-agents is refused for every linear KPI, not guessed."""
    with pytest.raises(MetricsError) as error:
        calibrate(load_policy(POLICY), [NOVEMBER], min_agents=100)
    assert 3 == sum("needs at least 100 (--min-agents)" in line for line in error.value.lines())


def test_points_must_fall():
    """--points are three falling percentages."""
    with pytest.raises(ValueError, match="falling percentages"):
        parse_points("50,90,10")


def test_budget_scales_target_bonuses(tmp_path):
    """A budget below what the month pays (77,449.66) lowers the amount target (1800) and the share (30%)."""
    policy = load_policy(POLICY)
    found = proposed(calibrate(policy, [NOVEMBER], budget=Decimal("30000")))
    assert found["roles.L1.target_bonus"][0] < Decimal(1800) and found["roles.L2.target_bonus"][0] < Decimal(30)


def test_command_writes_a_strict_file_that_keeps_comments(runner, tmp_path):
    """The new file differs from the old only in the proposed numbers and the version, and passes --strict."""
    out = tmp_path / "calibrated.yaml"
    result = runner.invoke(app, ["calibrate", str(POLICY), *map(str, QUARTER), "--out", str(out)])
    assert 0 == result.exit_code, result.output
    old, new = POLICY.read_text().splitlines(), out.read_text().splitlines()
    changed = [n for o, n in zip(old, new, strict=True) if o != n]
    assert (4, True) == (len(changed), changed[0].startswith('version: "2026.11-calibrated"'))
    assert 0 == runner.invoke(app, ["validate-policy", "--strict", str(out)]).exit_code


def test_command_ends_with_compare(runner, tmp_path):
    """The report ends with the old policy against the new on the same three months."""
    result = runner.invoke(app, ["calibrate", str(POLICY), *map(str, QUARTER), "--out", str(tmp_path / "c.yaml")])
    assert ("Payslips compared (3 month file(s))" in result.stdout, "Largest losses" in result.stdout) == (True, True)


def test_json_lists_each_number_with_its_percentile(runner, tmp_path):
    """--format json: each proposal's key, old and new value, percentile and sample, and the comparison."""
    out = tmp_path / "c.yaml"
    result = runner.invoke(app, ["calibrate", str(POLICY), str(NOVEMBER), "--out", str(out), "-f", "json"])
    data = json.loads(result.stdout)
    first = data["proposals"][0]
    assert ("kpis.csat.score.threshold", "80", "84.4", "10", 40) == (
        first["key"],
        first["old"],
        first["new"],
        first["percentile"],
        first["sample"],
    )
    assert "summary" in data["comparison"]


def test_an_existing_file_is_not_replaced(runner, tmp_path):
    """--out naming an existing file without --force exits 1 and leaves it as it was."""
    out = tmp_path / "c.yaml"
    out.write_text("keep me")
    result = runner.invoke(app, ["calibrate", str(POLICY), str(NOVEMBER), "--out", str(out)])
    assert (1, "keep me") == (result.exit_code, out.read_text())


def test_too_few_agents_writes_nothing(runner, tmp_path):
    """The PwC month (8 agents) is refused with exit 1 and no file."""
    pwc = ROOT / "examples" / "pwc"
    out = tmp_path / "c.yaml"
    result = runner.invoke(
        app,
        [
            "calibrate",
            str(pwc / "policy.yaml"),
            str(pwc / "pwc-call-center-2021q1.csv"),
            "--period",
            "2021-01",
            "--roster",
            str(pwc / "roster.csv"),
            "--out",
            str(out),
        ],
    )
    assert (1, False) == (result.exit_code, out.exists())
    assert "kpis.fcr: 8 agent values counted" in result.stderr


# ---- calibrate --by: a curve per group ----------------------------------------------------------------

QUEUES = [ROOT / "examples" / f"queues-2026-{month}.csv" for month in (10, 11, 12)]
QUEUE_POLICY = ROOT / "policies" / "standard-queues.yaml"


def test_a_group_curve_is_placed_at_its_own_agents_percentiles():
    """The complaints queue's satisfaction, counted for 42 agent-months (20 surveys or more): the 10th
    percentile is rank 41 × 0.1 = 4.1 of the sorted 74.7, 76.3, 77.0, 77.0, 77.1, 78.4 …, so 77.1 + 0.1 ×
    (78.4 − 77.1) = 77.23, written one place finer than the policy's 78: 77.2; the median (rank 20.5) is
    85.7 and the 90th percentile (rank 36.9) 87.7."""
    found = proposed(calibrate(load_policy(QUEUE_POLICY), QUEUES, by="queue"))
    assert [
        (Decimal("77.2"), Decimal(10), 42),
        (Decimal("85.7"), Decimal(50), 42),
        (Decimal("87.7"), Decimal(90), 42),
    ] == [found[f"kpis.csat.groups.complaints.{point}"] for point in ("threshold", "target", "stretch")]


def test_every_group_seen_gets_a_curve_and_an_empty_cell_none():
    """Each linear KPI gains the queues of the history it has no curve for, by name; the new hires' empty
    queue cells form no group, and the KPI's own curve is placed over every agent as before."""
    calibration = calibrate(load_policy(QUEUE_POLICY), QUEUES, by="queue")
    found = proposed(calibration)
    assert {"csat": ["general", "sales"], "fcr": ["complaints", "general", "sales"]} == {
        code: names for code, names in calibration.added.items() if code != "aht"
    }
    assert (Decimal("84.3"), 124) == (found["kpis.csat.score.threshold"][0], found["kpis.csat.score.threshold"][2])
    assert not any(".groups.." in key or key.endswith(".groups") for key in found)


def test_the_new_groups_are_new_and_the_old_ones_keep_their_old_values():
    """A group the policy had shows its old point; a new group's old value is None."""
    proposals = {p.path: p for p in calibrate(load_policy(QUEUE_POLICY), QUEUES, by="queue").proposals}
    old = proposals[("kpis", "csat", "groups", "complaints", "threshold")].old
    new = proposals[("kpis", "csat", "groups", "sales", "threshold")].old
    assert (Decimal(78), None) == (old, new)


def test_too_few_agents_in_a_group_is_that_groups_error():
    """With --min-agents 40 the general queue's 38 satisfaction values are refused, naming the group;
    every other curve has enough."""
    with pytest.raises(MetricsError) as error:
        calibrate(load_policy(QUEUE_POLICY), QUEUES, by="queue", min_agents=40)
    assert [
        f"{QUEUE_POLICY}: kpis.csat.groups.general: 38 agent values of queue general counted in the history; "
        "calibration needs at least 40 (--min-agents) to place a percentile, not a guess"
    ] == error.value.lines()


def test_a_kpi_grouped_by_another_column_is_refused(tmp_path):
    """calibrate --by shift on a policy whose satisfaction is scored by queue exits 2: a KPI has one `by`."""
    with pytest.raises(UsageProblem, match=r"kpis\.csat of .* is scored by queue; a KPI has one `by` column"):
        calibrate(load_policy(QUEUE_POLICY), QUEUES, by="shift")


def test_command_by_queue_writes_groups_after_the_score_keeping_the_rest(runner, tmp_path):
    """The new file adds `by: queue` and a curve per queue after each linear KPI's score, flow style like
    the score, changes nothing else but numbers and the version, passes --strict, and says what it added."""
    out = tmp_path / "calibrated.yaml"
    result = runner.invoke(app, ["calibrate", str(POLICY), *map(str, QUEUES), "--by", "queue", "--out", str(out)])
    assert 0 == result.exit_code, result.output
    new = out.read_text(encoding="utf-8").splitlines()
    at = new.index("    by: queue")
    assert [
        "    by: queue",
        "    groups:",
        "      complaints: {threshold: 77.2, target: 85.7, stretch: 87.7}",
    ] == new[at : at + 3]
    assert 3 == sum(line == "    by: queue" for line in new)
    assert 0 == runner.invoke(app, ["validate-policy", "--strict", str(out)]).exit_code
    assert "KPI csat gains curves by queue for complaints, general, sales;" in result.stdout


def test_json_by_lists_the_groups_added(runner, tmp_path):
    """--format json with --by: each group's proposal with a null old value, and the groups each KPI gains."""
    out = tmp_path / "c.yaml"
    arguments = ["calibrate", str(QUEUE_POLICY), *map(str, QUEUES), "--by", "queue", "--out", str(out), "-f", "json"]
    data = json.loads(runner.invoke(app, arguments).stdout)
    sales = next(item for item in data["proposals"] if item["key"] == "kpis.csat.groups.sales.threshold")
    assert (None, "queue", ["general", "sales"], []) == (
        sales["old"],
        data["by"],
        data["added"]["csat"],
        data["unseen"],
    )


def test_a_policy_group_no_agent_is_in_is_kept_and_said_so(tmp_path):
    """A group of the policy that the history never shows keeps its curve, and the calibration says so."""
    text = QUEUE_POLICY.read_text(encoding="utf-8").replace(
        "      complaints: {threshold: 78, target: 85, stretch: 90}\n",
        "      complaints: {threshold: 78, target: 85, stretch: 90}\n"
        "      vip: {threshold: 85, target: 92, stretch: 97}\n",
    )
    policy = tmp_path / "p.yaml"
    policy.write_text(text, encoding="utf-8")
    calibration = calibrate(load_policy(policy), QUEUES, by="queue")
    assert ([("csat", "vip")], Decimal(85)) == (
        calibration.unseen,
        calibration.policy.kpis["csat"].groups["vip"].threshold,
    )


def test_group_targets_from_calibrate_by_close_a_gap_the_review_flags(tmp_path):
    """A night shift of lower skill is flagged CSP201 (and CSP203) under one curve for all; with the curves
    calibrate --by shift proposes from the same month, the review flags nothing about it."""
    month = tmp_path / "m.csv"
    month.write_text(csv_text(shift_month(1, night_worse=True), header=REVIEW_HEADER), encoding="utf-8")

    def night_codes(policy) -> list[str]:
        _, result = review_inputs(policy, [month], by=["shift"])
        return [f.code for f in findings(result, Words()) if f.subject == "shift=night"]

    before = load_policy(STANDARD)
    out = tmp_path / "by-shift.yaml"
    out.write_text(calibrated_text(before, calibrate(before, [month], by="shift")), encoding="utf-8")
    assert (["CSP201", "CSP203"], []) == (night_codes(before), night_codes(load_policy(out)))
