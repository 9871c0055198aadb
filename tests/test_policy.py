"""The policy models: what a valid policy means, and every way a policy file can be refused."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from helpers import DATA, by_queue, policy_from

from cspay.errors import PolicyError
from cspay.policy.checks import cross_checks
from cspay.policy.loader import load_policy
from cspay.policy.model import BandScore, LinearScore, Policy

INVALID = DATA / "policies" / "invalid"

# One file per failure mode, and the fragments its error must contain; the first fragment is
# always `file:line:col:` so the user can jump to the place.
EXPECTED_PROBLEMS: dict[str, list[str]] = {
    "yaml_syntax": ["yaml_syntax.yaml:7:5: not valid YAML: expected ',' or '}', but got ':'"],
    "empty": ["empty.yaml:1:1: the file is empty; expected a policy mapping"],
    "not_a_mapping": ["not_a_mapping.yaml:2:1: expected a policy mapping (key: value lines)"],
    "duplicate_key": ["duplicate_key.yaml:12:5: duplicate key 'unit'; it was first given at line 10"],
    "anchor_alias": ["anchor_alias.yaml:6:7: anchors and aliases (&, *) are not allowed in a policy"],
    "merge_key": ["merge_key.yaml:7:5: merge keys (<<) are not allowed"],
    "python_tag": [
        "python_tag.yaml:2:9: the tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed in a policy"
    ],
    "deep_nesting": ["deep_nesting.yaml:3:39: nested deeper than 32 levels"],
    "unknown_key": ["unknown_key.yaml:13:23: bonus.capp: unknown key 'capp'; did you mean 'cap'?"],
    "unknown_key_far": [
        "unknown_key_far.yaml:4:1: zzz: unknown key 'zzz'; expected one of policy, title,",
        "rounding, agents, roles, kpis, grades, bonus, gates, adjustments, proration, floor",
    ],
    "missing_key": ["missing_key.yaml:2:1: (top): missing required key 'agents'"],
    "nan_number": ["nan_number.yaml:11:13: kpis.csat.weight: expected a number, got '.nan'"],
    "inf_number": ["inf_number.yaml:13:14: bonus.cap: expected a number, got '.inf'"],
    "yes_is_text": ["yes_is_text.yaml:11:13: kpis.csat.weight: expected a number, got 'yes'"],
    "negative_amount": ["negative_amount.yaml:6:18: roles.L1.base_pay: expected a number of at least 0, got -5000"],
    "bad_share": [
        "bad_share.yaml:6:38: roles.L1.target_bonus: expected an amount or a share of base_pay like 30%, got 'lots%'"
    ],
    "bad_unit": [
        "bad_unit.yaml:10:11: kpis.csat.unit: expected one of 'percent', 'ratio', 'seconds', "
        "'points' or 'count', got 'percentage'"
    ],
    "bad_rounding_mode": [
        "bad_rounding_mode.yaml:4:30: rounding.mode: expected one of 'half_up' or 'half_even', got 'half_down'"
    ],
    "zero_step": ["zero_step.yaml:4:18: rounding.step: expected a number above 0, got 0"],
    "weights_not_100": ["weights_not_100.yaml:8:3: kpis: KPI weights must add up to 100, they add up to 90"],
    "curve_not_monotone": [
        "curve_not_monotone.yaml:12:12: kpis.csat.score: threshold, target and stretch "
        "must be strictly increasing or strictly decreasing, got 80, 96, 90"
    ],
    "curve_flat": [
        "curve_flat.yaml:12:12: kpis.csat.score:",
        "strictly increasing or strictly decreasing, got 90, 90, 96",
    ],
    "curve_incomplete": [
        "curve_incomplete.yaml:12:12: kpis.csat.score: expected threshold, target and stretch (a linear curve) or bands"
    ],
    "curve_and_bands": [
        "curve_and_bands.yaml:12:12: kpis.csat.score: give either bands or threshold/target/stretch, not both"
    ],
    "bands_unsorted": [
        "bands_unsorted.yaml:14:9: kpis.csat.score.bands: bands must be sorted by `from`, "
        "strictly ascending; 70 follows 80"
    ],
    "bands_repeated_from": [
        "bands_repeated_from.yaml:14:9: kpis.csat.score.bands:",
        "strictly ascending; 70 follows 70",
    ],
    "grades_same_min_score": [
        "grades_same_min_score.yaml:15:27: grades[1].min_score: min_score 1.0 is also "
        "the min_score of grade A; each grade needs its own"
    ],
    "grades_without_zero": [
        "grades_without_zero.yaml:14:3: grades: one grade must have min_score 0, so every score gets a grade"
    ],
    "grade_twice": ["grade_twice.yaml:15:13: grades[1].grade: grade 'A' is listed twice"],
    "gate_unknown_kpi": ["gate_unknown_kpi.yaml:17:11: gates[0].kpi: unknown KPI 'qa'; the KPIs are csat"],
    "gate_two_conditions": [
        "gate_two_conditions.yaml:17:5: gates[0]: a gate has exactly one condition of "
        "below, above, at_least, at_most; got 2"
    ],
    "gate_no_condition": ["gate_no_condition.yaml:17:5: gates[0]: a gate has exactly one condition", "got 0"],
    "gate_kpi_and_column": ["gate_kpi_and_column.yaml:17:5: gates[0]: a gate names exactly one of `kpi` or `column`"],
    "gate_bad_then": ["gate_bad_then.yaml:17:34: gates[0].then: expected \"forfeit\" or {multiply: k}, got 'halve'"],
    "adjustment_zero_limit": [
        "adjustment_zero_limit.yaml:17:15: adjustments.complaints: limit must be "
        "negative (a floor) or positive (a ceiling), not 0"
    ],
    "proration_zero_full": ["proration_zero_full.yaml:16:40: proration.full: expected a number above 0, got 0"],
    "proration_unknown_line": [
        "proration_unknown_line.yaml:16:70: proration.applies_to[1]: expected one of "
        "'base_pay', 'allowances' or 'bonus', got 'overtime'"
    ],
    "group_without_by": [
        "group_without_by.yaml:14:7: kpis.csat.groups: groups need `by`, the column whose text puts each agent "
        "in a group"
    ],
    "by_without_groups": [
        "by_without_groups.yaml:13:9: kpis.csat.by: by: queue needs `groups`, a curve for each group with targets"
    ],
    "group_unnamed": [
        "group_unnamed.yaml:16:14: kpis.csat.groups.N/A: 'N/A' reads as an empty cell, which takes the KPI's own "
        "score; name the group"
    ],
    "groups_same_name": [
        "groups_same_name.yaml:16:22: kpis.csat.groups. Complaints: ' Complaints' is the group 'complaints' again "
        "(names are compared ignoring case, width and spacing)"
    ],
    "group_curve_other_way": [
        "group_curve_other_way.yaml:15:19: kpis.csat.groups.complaints: this curve pays lower values more, unlike "
        "the KPI's own score"
    ],
    "group_curve_misspelt": [
        "group_curve_misspelt.yaml:15:19: kpis.csat.groups.complaints: expected threshold, target and stretch "
        "(a linear curve) or bands"
    ],
    "kpis_as_list": ["kpis_as_list.yaml:7:7: kpis: expected a mapping (key: value), got a list"],
    "several_problems": [
        "several_problems.yaml:6:18: roles.L1.base_pay: expected a number of at least 0, got -5000",
        "several_problems.yaml:10:11: kpis.csat.unit: expected one of",
        "several_problems.yaml:13:23: bonus.capp: unknown key 'capp'; did you mean 'cap'?",
    ],
    "several_cross_checks": [
        "several_cross_checks.yaml:8:3: kpis: KPI weights must add up to 100, they add up to 90",
        "several_cross_checks.yaml:15:27: grades[1].min_score: min_score 1.0 is also the min_score of grade A",
        "several_cross_checks.yaml:14:3: grades: one grade must have min_score 0",
        "several_cross_checks.yaml:17:11: gates[0].kpi: unknown KPI 'qa'; the KPIs are csat",
    ],
    "dated_overlap": [
        "dated_overlap.yaml:9:16: roles.L1.base_pay[1].from: 2026-07-10 overlaps roles.L1.base_pay[0], which "
        "holds to 2026-07-15"
    ],
    "dated_gap": [
        "dated_gap.yaml:9:16: roles.L1.base_pay[1].from: a gap from 2026-07-01 to 2026-07-14: "
        "roles.L1.base_pay[0] holds to 2026-06-30"
    ],
    "dated_out_of_order": [
        "dated_out_of_order.yaml:9:16: roles.L1.base_pay[1].from: entries go in date order; 2026-01-01 follows "
        "2026-07-01"
    ],
    "dated_starts_late": [
        "dated_starts_late.yaml:12:16: roles.L2.base_pay[0].from: a gap from 2026-01-01 to 2026-02-28: the "
        "policy's dated values start on 2026-01-01, and this value is needed every day"
    ],
    "dated_ends": [
        "dated_ends.yaml:8:32: roles.L1.base_pay[0].to: a gap after 2026-12-31: this value is needed every day"
    ],
    "dated_curve_mid_period": [
        "dated_curve_mid_period.yaml:15:16: kpis.csat.score[1].from: 2026-02-01 is not the first day of a quarter"
    ],
    "dated_bad_entry": [
        "dated_bad_entry.yaml:8:16: roles.L1.base_pay[0].from: expected a date like 2026-07-01, got '2026-13-01'",
        "dated_bad_entry.yaml:9:17: roles.L1.base_pay[1]: unknown key 'since'; an entry has from, to and value",
        "dated_bad_entry.yaml:9:9: roles.L1.base_pay[1]: missing required key 'from'",
        "dated_bad_entry.yaml:11:9: roles.L1.target_bonus[0]: missing required key 'value'",
    ],
    "dated_bad_value": [
        "dated_bad_value.yaml:9:35: roles.L1.base_pay[1].value: expected a number of at least 0, got -5200"
    ],
    "team_share_without_teams": [
        "team_share_without_teams.yaml:6:56: roles.L1.team_share: needs a `teams:` section saying how a team's "
        "result is made"
    ],
    "teams_without_team_column": [
        "teams_without_team_column.yaml:7:54: roles.SUP.paid_on: paid on a site's result needs teams.site",
        "teams_without_team_column.yaml:9:3: teams: team results need agents.team",
    ],
    "leader_grades": [
        "leader_grades.yaml:9:13: roles.L1.grades: own grades are for a role paid on a team's or site's result",
        "leader_grades.yaml:14:17: roles.TL.team_share: a role paid on its team's result has no own part to share",
        "leader_grades.yaml:15:13: roles.TL.grades: one grade must have min_score 0",
    ],
    "team_share_over_100": [
        "team_share_over_100.yaml:6:56: roles.L1.team_share: expected a share between 0% and 100%, like 25%, "
        "got '120%'",
        "team_share_over_100.yaml:8:10: teams.score: expected one of 'member_kpis', 'member_scores' or "
        "'team_metrics', got 'best_member'",
    ],
}


@pytest.mark.parametrize("name", sorted(EXPECTED_PROBLEMS))
def test_invalid_policy_is_refused_with_located_messages(name: str) -> None:
    """Each broken policy is refused with one `file:line:col: message` per problem, all at once."""
    with pytest.raises(PolicyError) as caught:
        load_policy(INVALID / f"{name}.yaml")
    report = "\n".join(caught.value.lines())
    missing = [fragment for fragment in EXPECTED_PROBLEMS[name] if fragment not in report]
    assert [] == missing, report
    located = [fragment for fragment in EXPECTED_PROBLEMS[name] if fragment.startswith(f"{name}.yaml:")]
    assert len(located) == len(caught.value.lines()), report


def test_every_invalid_policy_file_has_expected_problems() -> None:
    """No file in the invalid folder goes untested, and no expectation names a missing file."""
    assert sorted(EXPECTED_PROBLEMS) == sorted(path.stem for path in INVALID.glob("*.yaml"))


def test_every_problem_line_starts_with_the_file_path() -> None:
    """Messages start with where: the path as given, then line and column."""
    path = INVALID / "several_problems.yaml"
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert all(line.startswith(f"{path}:") for line in caught.value.lines())


def test_contract_policy_loads_with_its_values(standard: Policy) -> None:
    """The contract loads as written: roles, KPIs in file order, grades, gates, adjustments."""
    summary = (
        standard.policy,
        standard.version,
        list(standard.roles),
        list(standard.kpis),
        [grade.grade for grade in standard.grades],
        len(standard.gates),
        list(standard.adjustments),
    )
    assert (
        "cs-standard",
        "2026.11",
        ["L1", "L2"],
        ["csat", "fcr", "aht", "qa"],
        ["S", "A", "B", "C", "D"],
        2,
        ["complaints", "volume"],
    ) == summary


def test_target_bonus_amount_is_taken_as_is(standard: Policy) -> None:
    """`target_bonus: 1800` is an amount."""
    assert Decimal("1800") == standard.roles["L1"].target_bonus_amount()


def test_target_bonus_share_is_a_percentage_of_base_pay(standard: Policy) -> None:
    """`target_bonus: 30%` with base pay 6500 is 1950."""
    assert Decimal("1950") == standard.roles["L2"].target_bonus_amount()


def test_target_bonus_share_keeps_every_digit(standard_data: dict[str, Any]) -> None:
    """A fractional share of an odd base pay is exact, not rounded at the policy."""
    standard_data["roles"]["L2"]["target_bonus"] = "12.5%"
    standard_data["roles"]["L2"]["base_pay"] = Decimal("6501")
    assert Decimal("812.625") == policy_from(standard_data).roles["L2"].target_bonus_amount()


def test_defaults_of_optional_keys(standard_data: dict[str, Any]) -> None:
    """Without rounding, bonus basis, applies_to, missing and at_* keys, the documented defaults apply."""
    del standard_data["rounding"], standard_data["bonus"], standard_data["proration"]["applies_to"]
    policy = policy_from(standard_data)
    csat = policy.kpis["csat"]
    defaults = (
        policy.rounding.step,
        policy.rounding.mode,
        policy.bonus.basis,
        policy.bonus.cap,
        policy.proration.applies_to,
        csat.missing,
        (csat.score.at_threshold, csat.score.at_target, csat.score.at_stretch),
    )
    assert (
        Decimal("0.01"),
        "half_up",
        "grade",
        None,
        ["base_pay", "allowances", "bonus"],
        "error",
        (Decimal("0.5"), Decimal("1.0"), Decimal("1.5")),
    ) == defaults


def test_weights_adding_up_to_exactly_100_with_decimals_are_valid(standard_data: dict[str, Any]) -> None:
    """Weights 35.1 + 24.9 + 15 + 25 add up to exactly 100: no float drift makes them invalid."""
    standard_data["kpis"]["csat"]["weight"] = Decimal("35.1")
    standard_data["kpis"]["fcr"]["weight"] = Decimal("24.9")
    assert Decimal(100) == sum(kpi.weight for kpi in policy_from(standard_data).kpis.values())


def test_weights_off_by_a_hundredth_are_invalid(standard_data: dict[str, Any]) -> None:
    """Weights adding up to 100.01 break the rule and say so at `kpis`."""
    standard_data["kpis"]["csat"]["weight"] = Decimal("35.01")
    problems = cross_checks(Policy.model_validate(standard_data))
    assert [(("kpis",), "KPI weights must add up to 100, they add up to 100.01")] == problems


def test_grades_are_tried_from_the_highest_min_score(standard_data: dict[str, Any]) -> None:
    """Grades may be listed in any order; they are tried from the highest min_score down."""
    standard_data["grades"].reverse()
    assert ["S", "A", "B", "C", "D"] == [g.grade for g in policy_from(standard_data).grades_high_to_low()]


def test_decreasing_curve_means_lower_is_better() -> None:
    """threshold > target > stretch is a lower-is-better curve; bands are always higher-is-better."""
    directions = (
        LinearScore(threshold=420, target=360, stretch=300).higher_is_better,
        LinearScore(threshold=80, target=90, stretch=96).higher_is_better,
        BandScore(bands=[{"from": 0, "score": 0}]).higher_is_better,
    )
    assert (False, True, True) == directions


def test_policy_remembers_its_path_and_digest(tmp_path: Path) -> None:
    """A loaded policy knows its file and the SHA-256 of its bytes, for audit trails."""
    import hashlib

    path = tmp_path / "p.yaml"
    path.write_bytes((DATA / "standard.yaml").read_bytes())
    policy = load_policy(path)
    assert (str(path), hashlib.sha256(path.read_bytes()).hexdigest()) == (policy.path, policy.sha256)


def test_group_curves_are_read_with_the_kpi_own_score_first(standard_data: dict[str, Any]) -> None:
    """A KPI by queue lists its own score (group None), then each group's curve as the policy writes them."""
    csat = policy_from(by_queue(standard_data)).kpis["csat"]
    forms = [(group, curve.form) for group, curve in csat.curves()]
    assert ("queue", [(None, "linear"), ("complaints", "linear"), ("sales", "bands")]) == (csat.by, forms)


@pytest.mark.parametrize(
    ("text", "group"),
    [
        ("complaints", "complaints"),
        ("Complaints", "complaints"),
        ("  complaints ", "complaints"),
        ("ｃｏｍｐｌａｉｎｔｓ", "complaints"),
        ("SALES", "sales"),
        ("retail", None),
        ("complaint", None),
        ("", None),
        ("N/A", None),
        ("-", None),
    ],
)
def test_a_cell_picks_the_group_named_alike_else_the_kpi_own_score(
    standard_data: dict[str, Any], text: str, group: str | None
) -> None:
    """A `by` cell picks the group named alike (case, width and spacing aside); a value not listed or an
    empty cell picks the KPI's own score (None)."""
    assert group == policy_from(by_queue(standard_data)).kpis["csat"].curve_group(text)


def test_a_kpi_without_groups_always_scores_on_its_own_curve(standard: Policy) -> None:
    """Without `by`, every agent is on the KPI's own score, whatever their cells hold."""
    csat = standard.kpis["csat"]
    assert (None, csat.score) == (csat.curve_group("complaints"), csat.curve(None))


def test_text_columns_add_each_kpi_by_column_once(standard_data: dict[str, Any]) -> None:
    """The rows carry the review's group columns and each KPI's `by` column, each once."""
    by_queue(standard_data, "csat")
    by_queue(standard_data, "aht")
    standard_data["kpis"]["aht"]["groups"] = {"complaints": {"threshold": 540, "target": 460, "stretch": 400}}
    standard_data["review"] = {"by": ["shift", "queue", "team"]}
    assert ["shift", "queue"] == policy_from(standard_data).text_columns()
