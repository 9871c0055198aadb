"""cspay calibrate: numbers from the history at their percentiles, a file that keeps its layout and passes
--strict, too few agents refused, and compare of old against new at the end."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from cspay.cli import app
from cspay.errors import MetricsError
from cspay.policy.loader import load_policy
from cspay.rollout.calibrate import calibrate, parse_grades, parse_points

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
