"""cspay.rollout.review: what a run did to each group, the tests of independence, and the findings."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from helpers import REVIEW_HEADER, STANDARD, ascii_words, csv_text, english_words, policy_from, shift_month
from typer.testing import CliRunner

from cspay.cli import app
from cspay.i18n import Words
from cspay.policy.loader import load_document, load_policy
from cspay.rollout import review_stats
from cspay.rollout.review import Spread, review_inputs
from cspay.rollout.review_findings import findings

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "standard-2026-11.csv"
POLICY = ROOT / "policies" / "standard.yaml"


def reviewed(tmp_path: Path, seed: int, by: list[str] | None = None, **planted: bool):
    path = tmp_path / f"shifts-{seed}.csv"
    path.write_text(csv_text(shift_month(seed, **planted), header=REVIEW_HEADER), encoding="utf-8")
    _, result = review_inputs(load_policy(STANDARD), [path], by=by or ["shift", "team"])
    return result, findings(result, Words())


def codes_about(found, subject: str) -> list[str]:
    return [finding.code for finding in found if finding.subject == subject]


def test_chi_square_matches_scipys_documented_example():
    """The grade test gives chi2_contingency's documented statistic and p for [[10, 10, 20], [20, 20, 20]]."""
    test = review_stats.chi_square([[10, 10, 20], [20, 20, 20]])
    assert (2.7777777777777777, 0.24935220877729619) == pytest.approx((test.statistic, test.p))


def test_cramers_v_is_the_square_root_of_chi_square_over_n_times_the_smaller_side():
    """Cramér's V of the documented table is sqrt(2.7778 / (100 × 1)) = 0.1667."""
    assert (2.7777777777777777 / 100) ** 0.5 == pytest.approx(
        review_stats.chi_square([[10, 10, 20], [20, 20, 20]]).size
    )


def test_kruskal_matches_scipys_documented_example():
    """Kruskal-Wallis on [1, 3, 5, 7, 9] against [2, 4, 6, 8, 10]: H 0.2727, p 0.6015, as scipy documents."""
    test = review_stats.kruskal([[1, 3, 5, 7, 9], [2, 4, 6, 8, 10]])
    assert (0.2727272727272734, 0.6015081344405895, 0.2727272727272734 / 9) == pytest.approx(
        (test.statistic, test.p, test.size)
    )


def test_mann_whitney_matches_scipys_documented_example():
    """Mann-Whitney on scipy's example (males against females) gives U 17 and p 0.1111, rank-biserial 0.7."""
    test = review_stats.mann_whitney([19, 22, 16, 29, 24], [20, 11, 17, 12])
    assert (17.0, 0.1111111111111111, 2 * 17 / 20 - 1) == pytest.approx((test.statistic, test.p, test.size))


def test_spearman_matches_scipys_documented_example():
    """Spearman's rho of [1..5] against [5, 6, 7, 8, 7] is 0.8208 with p 0.0886, as scipy documents."""
    test = review_stats.spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])
    assert (0.8207826816681233, 0.0885870053135438) == pytest.approx((test.size, test.p))


def test_holm_adjusts_by_rank_and_keeps_the_order():
    """Holm on 0.01, 0.04, 0.03: 3 × 0.01, then max(0.03, 2 × 0.03), then max(0.06, 1 × 0.04)."""
    assert [0.03, 0.06, 0.06] == pytest.approx(review_stats.holm([0.01, 0.04, 0.03]))


def test_holm_never_goes_above_one():
    """An adjusted p-value is capped at 1."""
    assert [1.0, 1.0] == review_stats.holm([0.6, 0.9])


def test_tests_of_constant_values_find_nothing():
    """Values all alike (every score gap 0) give p 1 and no effect, not a division by zero."""
    assert (1.0, 0.0) == (review_stats.mann_whitney([0, 0], [0, 0, 0]).p, review_stats.mann_whitney([0], [0]).size)


def test_spread_uses_the_linear_percentile():
    """Of 1, 2, 3, 4: mean 2.5, median 2.5, p10 1.3 (rank 0.3), p90 3.7 (rank 2.7)."""
    values = [Decimal(v) for v in (4, 1, 3, 2)]
    assert Spread(Decimal("2.5"), Decimal("2.5"), Decimal("1.3"), Decimal("3.7")) == Spread.of(values)


def test_grade_table_of_the_example_by_team():
    """The example's grades per team, counted by hand from its payslips (S, A, B, C, D)."""
    _, result = review_inputs(load_policy(POLICY), [EXAMPLE], by=["team"])
    table = {group.name: [group.grades.get(g, 0) for g in "SABCD"] for group in result.groupings[0].groups}
    assert {
        "North": [0, 4, 5, 2, 1],
        "South": [1, 3, 7, 1, 0],
        "East": [0, 3, 7, 2, 0],
        "West": [0, 7, 3, 2, 0],
    } == table


def test_kpi_median_of_the_example():
    """The example's median satisfaction is (88.7 + 88.9) / 2, the 24th and 25th of its 48 values."""
    _, result = review_inputs(load_policy(POLICY), [EXAMPLE], by=["team"])
    assert Decimal("88.8") == result.kpis[0].median


def test_example_has_no_finding():
    """The shipped month's four teams of 12 differ by no more than chance allows."""
    _, result = review_inputs(load_policy(POLICY), [EXAMPLE], by=["role", "team"])
    assert [] == findings(result, Words())


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_shift_graded_lower_at_equal_performance_is_flagged(tmp_path, seed):
    """Night agents with the same KPI values whose satisfaction min_volume leaves out are flagged CSP202."""
    _, found = reviewed(tmp_path, seed, few_surveys_at_night=True)
    assert {"CSP201", "CSP202"} <= set(codes_about(found, "shift=night"))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fair_shifts_are_not_flagged(tmp_path, seed):
    """Three shifts drawn from one distribution: no group finding, whatever the seed."""
    _, found = reviewed(tmp_path, seed)
    assert [] == [finding.code for finding in found if finding.subject.startswith(("shift=", "team="))]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_shift_that_performed_worse_is_not_called_unfair(tmp_path, seed):
    """Night agents with lower values are graded lower (CSP201) but not at equal performance (no CSP202)."""
    _, found = reviewed(tmp_path, seed, night_worse=True)
    assert ["CSP201"] == [code for code in codes_about(found, "shift=night") if code in ("CSP201", "CSP202")]


def test_small_groups_are_named_and_never_flagged(tmp_path):
    """With groups below the minimum, the planted night shift is listed as too small and not tested."""
    path = tmp_path / "m.csv"
    path.write_text(csv_text(shift_month(1, few_surveys_at_night=True), header=REVIEW_HEADER), encoding="utf-8")
    _, result = review_inputs(load_policy(STANDARD), [path], by=["shift"], min_group=201)
    found = findings(result, Words())
    assert (["day", "evening", "night"], [], {}) == (
        [group.name for group in result.groupings[0].too_small],
        [finding.code for finding in found if finding.subject.startswith("shift=")],
        result.groupings[0].tests,
    )


def test_the_cause_of_a_raw_gap_is_named_with_how_to_give_group_targets(tmp_path):
    """A shift that performed worse is told which KPI's median sets it apart, and how to give that KPI
    targets of its own by shift, with the command that proposes them."""
    _, found = reviewed(tmp_path, 1, night_worse=True)
    message = next(f for f in found if f.code == "CSP201").message(Words())
    assert message.endswith(
        "its median Average handle time is 6.2% above the others'. At equal KPI values it is graded like the "
        "others, so the gap comes from its metrics. If its work is harder (complaints, night calls), give it "
        "targets of its own: in kpis.aht, add `by: shift` and a curve for night under `groups` (cspay calibrate "
        "--by shift proposes one from the history)."
    )


def test_findings_read_in_chinese(tmp_path):
    """The same finding in Chinese names the group and the grades."""
    _, found = reviewed(tmp_path, 1, few_surveys_at_night=True)
    message = next(f for f in found if f.code == "CSP202").message(Words("zh"))
    assert message.startswith("shift night：同等表现评级更低")


def test_chinese_review_has_no_english_word_of_cspays_own(runner):
    """review --lang zh on the Chinese example prints none of cspay's English words, statistics' names aside."""
    zh = Path(__file__).parent / "data"
    result = runner.invoke(
        app, ["review", str(zh / "zh-hotline.yaml"), str(zh / "zh-hotline-2026-11.csv"), "--lang", "zh"]
    )
    assert 0 == result.exit_code, result.output
    symbols = {"p", "v", "rho", "holm"}  # p-values, Cramér's V, Spearman's rho, Holm's correction
    assert set() == ascii_words(result.stdout) & english_words() - symbols


def test_one_time_bonuses_in_a_dead_zone_are_a_finding(tmp_path):
    """Under an annual policy taxing its bonus on its own, two bonuses of 37,800 (1.05 × 36,000) sit in the
    dead zone above 36,000: CSP208 names the agents and what they lose against a bonus at the edge."""
    from helpers import CN_IIT, DATA

    text = (
        (DATA / "net" / "annual.yaml")
        .read_text(encoding="utf-8")
        .replace("../../../policies/statutory/cn-iit-2026.yaml", str(CN_IIT))
    )
    policy = tmp_path / "annual.yaml"
    policy.write_text(text.replace("multiplier: 1.0}", "multiplier: 1.05}"), encoding="utf-8")
    _, result = review_inputs(load_policy(policy), [DATA / "net" / "annual-zone.csv"], period="2026")
    (found,) = [finding for finding in findings(result, Words("en")) if finding.code == "CSP208"]
    assert found.message(Words("en")).startswith(
        "2 agents' annual bonuses fall between ¥36,000.00 and ¥38,566.67, a dead zone of the one-time bonus's "
        "tax: A001, A002. Each nets less than a bonus of ¥36,000.00 would (¥1,380.00 less in all)."
    )


# ---- group targets in the review ---------------------------------------------------------------------


def by_shift(**groups: dict) -> object:
    """The contract with KPIs scored by shift: each keyword a KPI and its groups' curves."""
    data = load_document(STANDARD).data
    for code, curves in groups.items():
        data["kpis"][code] |= {"by": "shift", "groups": curves}
    return policy_from(data)


def reviewed_under(tmp_path: Path, policy, seed: int, **planted: bool):
    path = tmp_path / f"shifts-{seed}.csv"
    path.write_text(csv_text(shift_month(seed, **planted), header=REVIEW_HEADER), encoding="utf-8")
    _, result = review_inputs(policy, [path], by=["shift"])
    return result, findings(result, Words())


EASY = {"threshold": Decimal(10), "target": Decimal(20), "stretch": Decimal(30)}
SAME_AHT = {"threshold": Decimal(420), "target": Decimal(360), "stretch": Decimal(300)}


def test_kpi_saturation_is_measured_per_group_curve(tmp_path):
    """Satisfaction on day's own (too easy) curve: its 200 agents all reach that curve's top, the 400 others
    are measured against the general curve; each curve's row names it and counts its agents."""
    result, _ = reviewed_under(tmp_path, by_shift(csat={"day": EASY}), 1)
    rows = [(row.code, row.curve, row.agents, row.at_top) for row in result.curves]
    assert [("csat", "day", 200, Decimal(1)), ("csat", None, 400)] == [rows[0], rows[1][:3]]
    assert (("day", 200), (None, 400)) == result.kpis[0].curves


def test_a_group_curve_that_does_not_tell_agents_apart_is_a_finding_about_that_curve(tmp_path):
    """CSP205 on day's curve alone, naming the curve: every day agent scores 1.5 on it."""
    _, found = reviewed_under(tmp_path, by_shift(csat={"day": EASY}), 1)
    (finding,) = [f for f in found if f.code == "CSP205"]
    assert ("kpi=csat,shift=day", True) == (
        finding.subject,
        finding.message(Words()).startswith(
            "KPI Customer satisfaction, targets of shift day: 100% of agents get the same score (1.5;"
        ),
    )


def test_a_group_already_on_its_own_curve_is_told_to_check_it(tmp_path):
    """When the KPI that sets the night shift apart already has a night curve, CSP201 says to check that
    curve with calibrate --by, not to add one."""
    _, found = reviewed_under(tmp_path, by_shift(aht={"night": SAME_AHT}), 1, night_worse=True)
    message = next(f for f in found if f.code == "CSP201").message(Words())
    assert message.endswith(
        "though Average handle time already has targets of its own for shift night: check them against its "
        "agents with cspay calibrate --by shift."
    )


def _night_targets_json(tmp_path: Path, runner: CliRunner) -> dict[str, Any]:
    """The review as JSON, by shift, of the planted month under the contract policy with night's own csat."""
    path = tmp_path / "m.csv"
    path.write_text(csv_text(shift_month(1), header=REVIEW_HEADER), encoding="utf-8")
    policy = tmp_path / "p.yaml"
    text = STANDARD.read_text(encoding="utf-8").replace(
        "    score: {threshold: 80, target: 90, stretch: 96}\n",
        "    score: {threshold: 80, target: 90, stretch: 96}\n    by: shift\n    groups:\n"
        "      night: {threshold: 78, target: 88, stretch: 94}\n",
    )
    policy.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["review", str(policy), str(path), "--by", "shift", "--format", "json"])
    assert 0 == result.exit_code, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_review_json_counts_the_agents_of_each_curve(tmp_path, runner):
    """--format json gives a KPI by group its column and the agents each curve scored, and a row per curve."""
    data = _night_targets_json(tmp_path, runner)
    assert [{"curve_group": None, "agents": 400}, {"curve_group": "night", "agents": 200}] == sorted(
        data["kpis"][0]["curves"], key=lambda item: item["agents"], reverse=True
    )
    assert [("night", 200), (None, 400)] == [(row["curve_group"], row["agents"]) for row in data["kpis_per_curve"]]


def test_review_json_names_a_curve_only_on_the_rows_of_one_curve(tmp_path, runner):
    """A KPI over all its agents, overall or in a group, has no `curve_group` (it is no one curve's); each row
    per curve names its curve, null for the KPI's own score."""
    data = _night_targets_json(tmp_path, runner)
    night = next(group for group in data["groupings"][0]["groups"] if group["group"] == "night")
    assert [False, False, ["night", None]] == [
        "curve_group" in data["kpis"][0],
        "curve_group" in night["kpis"][0],
        [row["curve_group"] for row in data["kpis_per_curve"]],
    ]
