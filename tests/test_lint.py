"""Pitfall warnings: each rule fires on its pitfall, at its line, and not at its boundary."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from policy_strategies import loaded, policy_texts

from cspay.errors import PolicyError
from cspay.i18n import Words
from cspay.policy.loader import load_policy
from cspay.rollout.lint import RULES, lint, warnings_of

POLICIES = Path(__file__).parent / "data" / "policies"
QUIET = (POLICIES / "quiet.yaml").read_text(encoding="utf-8")


def findings_of(tmp_path: Path, text: str, words: Words | None = None):
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return lint(load_policy(path), words)


def changed(*replacements: tuple[str, str]) -> str:
    """The quiet policy with some of its text replaced; each old text must be there."""
    text = QUIET
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    return text


# AHT weighs 40 and csat 15: no quality KPI weighs as much as speed.
AHT_AT_40 = (("weight: 40", "weight: 15"), ("weight: 15, score: {threshold: 420", "weight: 40, score: {threshold: 420"))


def codes_at(findings) -> set[tuple[str, int]]:
    return {(finding.code, finding.line) for finding in findings}


def line_of(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


def test_quiet_policy_has_no_findings(tmp_path):
    """The fixture every other test changes is free of pitfalls, under both bonus bases."""
    assert [] == findings_of(tmp_path, QUIET)
    assert [] == findings_of(tmp_path, changed(("basis: score", "basis: grade")))


def test_poor_policy_gets_each_warning_on_its_line():
    """A 60% AHT weight, a 70% bonus share, cliffs and a high floor are each reported where they are."""
    findings = lint(load_policy(POLICIES / "poor.yaml"))
    assert {("CSP107", 8), ("CSP101", 9), ("CSP102", 14), ("CSP103", 14), ("CSP104", 15), ("CSP104", 23)} == codes_at(
        findings
    )


def test_poor_policy_bonus_share_message():
    """The bonus share warning names the role, the amounts, the share and the limit, then why it matters."""
    finding = next(f for f in lint(load_policy(POLICIES / "poor.yaml")) if f.code == "CSP101")
    assert (
        f"{POLICIES / 'poor.yaml'}:9:5: CSP101: role L1: the target bonus (¥7,000.00) is 70% of target "
        "total pay (¥10,000.00: base pay + allowances + target bonus), above 40%. Too small a share does "
        "not change behaviour; too large a share makes agents' income unstable from month to month. Move "
        "target_bonus or base_pay into the range, or set lint.bonus_share if this role needs another."
    ) == str(finding)


def test_bonus_share_at_the_limit_is_accepted(tmp_path):
    """A target bonus of exactly 40% of target total pay (4000 of 10000) gives no warning."""
    text = changed(("base_pay: 6000, target_bonus: 1500", "base_pay: 5500, target_bonus: 4000"))
    assert [] == [f for f in findings_of(tmp_path, text) if f.code == "CSP101"]


def test_bonus_share_just_above_the_limit_warns(tmp_path):
    """4001 of 10001 is above 40%."""
    text = changed(("base_pay: 6000, target_bonus: 1500", "base_pay: 5500, target_bonus: 4001"))
    assert {("CSP101", 6)} == codes_at(f for f in findings_of(tmp_path, text) if f.code == "CSP101")


def test_bonus_share_below_the_minimum_warns(tmp_path):
    """A 5% share is too weak to motivate."""
    text = changed(("target_bonus: 1500", "target_bonus: 5%"))
    finding = next(f for f in findings_of(tmp_path, text) if f.code == "CSP101")
    assert (
        "is 4.4% of target total pay (¥6,800.00: base pay + allowances + target bonus), below 10%." in finding.message
    )


def test_bonus_share_range_comes_from_the_lint_section(tmp_path):
    """lint.bonus_share moves the accepted range: 70% passes under a 75% maximum."""
    text = (POLICIES / "poor.yaml").read_text(encoding="utf-8") + "lint: {bonus_share: {min: 10%, max: 75%}}\n"
    assert "CSP101" not in {f.code for f in findings_of(tmp_path, text)}


def test_kpi_weight_at_the_limit_is_accepted_and_above_it_warns(tmp_path):
    """A weight of 40 is fine; with lint.max_kpi_weight 35 it is reported on its line."""
    assert [] == findings_of(tmp_path, QUIET)
    text = QUIET + "lint: {max_kpi_weight: 35}\n"
    assert {("CSP102", line_of(text, "csat:"))} == codes_at(findings_of(tmp_path, text))


def test_speed_without_quality_warns(tmp_path):
    """AHT at 40 while no quality KPI is gated or weighs as much is reported."""
    text = changed(*AHT_AT_40, ("  - {kpi: qa, below: 50", "  - {column: qa_score, below: 50"))
    findings = [f for f in findings_of(tmp_path, text) if f.code == "CSP103"]
    assert {("CSP103", line_of(text, "aht:"))} == codes_at(findings)


def test_speed_with_a_quality_gate_is_accepted(tmp_path):
    """A gate on a quality KPI answers the speed rule, whatever the weights."""
    text = changed(*AHT_AT_40)
    assert "CSP103" not in {f.code for f in findings_of(tmp_path, text)}


def test_speed_with_a_quality_kpi_of_equal_weight_is_accepted(tmp_path):
    """A quality KPI weighing exactly as much as the speed KPI is enough."""
    text = changed(
        ("weight: 40", "weight: 30"),
        ("fcr, unit: ratio, weight: 25", "fcr, unit: ratio, weight: 20"),
        ("weight: 15, score: {threshold: 420", "weight: 30, score: {threshold: 420"),
        ("  - {kpi: qa, below: 50", "  - {column: qa_score, below: 50"),
    )
    assert "CSP103" not in {f.code for f in findings_of(tmp_path, text)}


def test_grade_cliff_reports_score_and_money(tmp_path):
    """Under basis grade, a grade step of 0.4 x target bonus is reported at the grade's min_score."""
    text = changed(("basis: score", "basis: grade"), ("multiplier: 0.8}", "multiplier: 0.6}"))
    finding = next(f for f in findings_of(tmp_path, text) if f.code == "CSP104")
    assert line_of(text, "grade: B") == finding.line
    assert finding.message.startswith(
        "grade B: at a score of 0.9 the bonus moves by 40% of target bonus from grade C (L1 ¥600.00 for a full month)."
    )


def test_cliff_at_exactly_the_limit_is_accepted(tmp_path):
    """A threshold jump of exactly 25% of target bonus (0.625 x weight 40) is not a cliff."""
    text = changed(
        (
            "score: {threshold: 80, target: 90, stretch: 96}",
            "score: {threshold: 80, target: 90, stretch: 96, at_threshold: 0.625}",
        )
    )
    assert [] == findings_of(tmp_path, text)


def test_cliff_just_above_the_limit_warns(tmp_path):
    """A threshold jump of 0.63 x weight 40 is 25.2% of target bonus, reported at the threshold."""
    text = changed(
        (
            "score: {threshold: 80, target: 90, stretch: 96}",
            "score: {threshold: 80, target: 90, stretch: 96, at_threshold: 0.63}",
        )
    )
    (finding,) = findings_of(tmp_path, text)
    assert ("CSP104", line_of(text, "csat:")) == (finding.code, finding.line)
    assert "KPI csat: at the threshold 80 the score jumps from 0 to 0.63, moving the bonus by up to 25.2%" in (
        finding.message
    )


def test_cliff_limit_comes_from_the_lint_section(tmp_path):
    """lint.cliff raises the limit, and the warning's advice quotes the limit in force."""
    text = changed(
        ("{from: 70, score: 0.8}", "{from: 70, score: 2}"), ("{from: 85, score: 1.2}", "{from: 85, score: 2.4}")
    )
    text += "lint: {cliff: 30%}\n"
    (finding,) = findings_of(tmp_path, text)
    assert "moves the bonus by up to 40% of target bonus" in finding.message
    assert "moves pay by more than 30% of target bonus" in finding.message


def test_forfeit_gate_is_a_cliff_with_the_bonus_reachable_at_its_limit(tmp_path):
    """A forfeit at qa 50 takes away the highest bonus possible with qa at 50: 1.2 x target bonus."""
    text = changed(("then: {multiply: 0.8}", "then: forfeit"))
    (finding,) = findings_of(tmp_path, text)
    assert ("CSP104", line_of(text, "- {kpi: qa")) == (finding.code, finding.line)
    assert finding.message.startswith(
        "gate qa below 50: at 50 the bonus moves by up to 120% of target bonus (L1 ¥1,800.00 for a full month)."
    )


def test_grade_reachable_at_exactly_the_highest_score(tmp_path):
    """The highest score is 1.44 (csat, fcr, aht at 1.5, qa at 1.2): a grade from 1.44 is reachable."""
    assert [] == findings_of(tmp_path, changed(("min_score: 1.1", "min_score: 1.44")))


def test_grade_above_the_highest_score_is_dead(tmp_path):
    """A grade from 1.45 can never be earned."""
    text = changed(("min_score: 1.1", "min_score: 1.45"))
    (finding,) = findings_of(tmp_path, text)
    assert ("CSP105", line_of(text, "grade: A")) == (finding.code, finding.line)
    assert finding.message.startswith(
        "grade A needs a score of 1.45, but the highest score an agent can reach is 1.44."
    )


def test_left_out_kpi_raises_the_highest_score(tmp_path):
    """When qa (at most 1.2) may be left out by min_volume, the others alone reach 1.5: a grade from 1.45 lives."""
    text = changed(
        ("min_score: 1.1", "min_score: 1.45"),
        ("    weight: 20\n", "    weight: 20\n    min_volume: {column: reviews, at_least: 3}\n"),
    )
    assert [] == [f for f in findings_of(tmp_path, text) if f.code == "CSP105"]


def test_percent_band_above_100_is_dead(tmp_path):
    """A percent band from 120 is beyond the unit's range; a band from exactly 100 is not."""
    text = changed(("unit: points", "unit: percent"), ("{from: 85, score: 1.2}", "{from: 120, score: 1.2}"))
    dead = [f for f in findings_of(tmp_path, text) if f.code == "CSP105"]
    assert {("CSP105", line_of(text, "from: 120"))} == codes_at(dead)
    assert "the band from 120 lies beyond what a cell can hold (percent values run from 0 to 100)" in dead[0].message
    text = changed(("unit: points", "unit: percent"), ("{from: 85, score: 1.2}", "{from: 100, score: 1.2}"))
    assert [] == [f for f in findings_of(tmp_path, text) if f.code == "CSP105"]


def test_ratio_stretch_above_one_is_dead(tmp_path):
    """A ratio stretch of 1.1 can never be reached."""
    text = changed(("stretch: 0.88", "stretch: 1.1"))
    finding = next(f for f in findings_of(tmp_path, text) if f.code == "CSP105")
    assert line_of(text, "fcr:") == finding.line
    assert finding.message.startswith(
        "KPI fcr: stretch 1.1 lies beyond what a cell can hold (ratio values run from 0 to 1)."
    )


def test_gate_that_can_never_fire(tmp_path):
    """A gate below 0 on a percent KPI never fires."""
    text = changed(("{kpi: qa, below: 50, then: {multiply: 0.8}", "{kpi: csat, below: 0, then: forfeit"))
    (finding,) = findings_of(tmp_path, text)
    assert finding.message.startswith("gate csat below 0 can never fire: percent values run from 0 to 100.")


def test_gate_that_always_fires(tmp_path):
    """A ratio gate written as a percent (below 60) fires for every agent; it is dead, not a cliff."""
    text = changed(("{kpi: qa, below: 50, then: {multiply: 0.8}", "{kpi: fcr, below: 60, then: forfeit"))
    (finding,) = findings_of(tmp_path, text)
    assert ("CSP105", line_of(text, "kpi: fcr")) == (finding.code, finding.line)
    assert finding.message.startswith("gate fcr below 60 fires for every agent: ratio values run from 0 to 1.")


def test_band_going_down_is_non_monotone(tmp_path):
    """A band scoring less than the one before it, after rising bands, is reported on its line."""
    text = changed(("{from: 85, score: 1.2}", "{from: 85, score: 0.6}"))
    (finding,) = findings_of(tmp_path, text)
    assert ("CSP106", line_of(text, "from: 85")) == (finding.code, finding.line)
    assert finding.message.startswith("KPI qa: the band from 85 scores 0.6, less than the band before it (0.8)")


def test_falling_bands_are_a_lower_is_better_kpi(tmp_path):
    """Bands that only fall (as for handle time) are monotone: no warning."""
    text = changed(("{from: 0, score: 0}", "{from: 0, score: 1.2}"), ("{from: 85, score: 1.2}", "{from: 85, score: 0}"))
    assert [] == [f for f in findings_of(tmp_path, text) if f.code == "CSP106"]


def test_curve_scoring_more_at_threshold_than_target_is_non_monotone(tmp_path):
    """at_threshold above at_target makes a better value score less."""
    text = changed(("stretch: 0.88}", "stretch: 0.88, at_threshold: 1.2}"))
    finding = next(f for f in findings_of(tmp_path, text) if f.code == "CSP106")
    assert finding.message.startswith("KPI fcr: at_threshold 1.2 is above at_target 1, so a better result scores less.")


def test_grade_paying_less_than_the_grade_below_is_non_monotone(tmp_path):
    """Under basis grade, a higher grade with a smaller multiplier is reported."""
    text = changed(
        ("basis: score", "basis: grade"), ("min_score: 0.9, multiplier: 1.0", "min_score: 0.9, multiplier: 0.7")
    )
    assert ("CSP106", line_of(text, "grade: B")) in codes_at(findings_of(tmp_path, text))


def test_floor_equal_to_base_pay_is_accepted_and_above_it_warns(tmp_path):
    """A floor of exactly the base pay is fine; a floor above it is reported on the role's base pay."""
    assert [] == findings_of(tmp_path, changed(("gross: 2690", "gross: 6000")))
    text = changed(("gross: 2690", "gross: 6000.01"))
    assert {("CSP107", line_of(text, "L1:"))} == codes_at(findings_of(tmp_path, text))


def test_ignore_silences_a_rule_and_keeps_the_reason(tmp_path):
    """A silenced rule's findings carry the policy's reason and are not warnings."""
    text = changed(("then: {multiply: 0.8}", "then: forfeit"))
    text += 'lint: {ignore: {CSP104: "Quality floor agreed with the union"}}\n'
    findings = findings_of(tmp_path, text)
    assert ["Quality floor agreed with the union"] == [f.reason for f in findings]
    assert [] == warnings_of(findings)


def test_ignore_of_an_unknown_code_warns(tmp_path):
    """A silence naming no rule is reported at its key, with the known codes."""
    text = QUIET + 'lint:\n  ignore:\n    CSP999: "typo"\n'
    (finding,) = findings_of(tmp_path, text)
    assert ("CSP100", line_of(text, "CSP999")) == (finding.code, finding.line)
    assert finding.message.startswith("lint.ignore names CSP999, which is not a cspay rule (the rules are CSP101, ")


def test_ignore_of_a_rule_that_does_not_fire_warns(tmp_path):
    """A silence that silences nothing is reported, so old reasons do not linger."""
    (finding,) = findings_of(tmp_path, QUIET + 'lint: {ignore: {CSP103: "AHT is informative only here"}}\n')
    assert "CSP100" == finding.code and finding.reason is None
    assert finding.message.startswith("lint.ignore silences CSP103, but the policy no longer triggers it.")


@pytest.mark.parametrize(("reason", "column"), [('""', 13), ('"  "', 13), ("", 12)])
def test_ignore_needs_a_reason(tmp_path, reason, column):
    """An empty reason is an error located at the silenced code."""
    path = tmp_path / "policy.yaml"
    path.write_text(QUIET + f"lint:\n  ignore:\n    CSP104: {reason}\n", encoding="utf-8")
    with pytest.raises(PolicyError) as error:
        load_policy(path)
    line = len(QUIET.splitlines()) + 3
    assert [
        f"{path}:{line}:{column}: lint.ignore.CSP104: expected a reason why the rule does not apply to this "
        "policy; a rule is silenced only with a reason"
    ] == error.value.lines()


def test_lint_thresholds_are_written_as_shares(tmp_path):
    """A bare 25 for lint.cliff is refused: 25 and 0.25 would both look plausible."""
    path = tmp_path / "policy.yaml"
    path.write_text(QUIET + "lint: {cliff: 25}\n", encoding="utf-8")
    with pytest.raises(PolicyError) as error:
        load_policy(path)
    assert error.value.lines()[0].endswith("lint.cliff: expected a share between 0% and 100%, like 25%, got '25'")


def test_bonus_share_range_must_be_ordered(tmp_path):
    """lint.bonus_share with min above max is an error."""
    path = tmp_path / "policy.yaml"
    path.write_text(QUIET + "lint: {bonus_share: {min: 50%, max: 40%}}\n", encoding="utf-8")
    with pytest.raises(PolicyError) as error:
        load_policy(path)
    assert error.value.lines()[0].endswith("lint.bonus_share: min must be below max, got 50% and 40%")


def test_warnings_in_chinese(tmp_path):
    """With Chinese words, the message, money and list separators are Chinese."""
    (finding,) = findings_of(tmp_path, changed(("gross: 2690", "gross: 7000")), Words("zh"))
    assert (
        "岗位 L1：整月基本工资（6,000.00 元）低于最低工资线（7,000.00 元）。"
        "无论员工表现如何，最低工资补差都会补足差额，"
        "表现差的月份损失很小，部分奖金也就感受不到；请把 base_pay 提高到不低于最低工资线。"
    ) == finding.message


def test_findings_are_in_file_order():
    """Findings come sorted by line, then column, then code."""
    findings = lint(load_policy(POLICIES / "poor.yaml"))
    assert sorted(findings, key=lambda f: (f.line, f.column, f.code)) == findings


def test_absurd_amounts_are_reported_not_crashed_on(tmp_path):
    """A base pay just under the loader's limit of 10**15 is still checked: the share is reported."""
    (finding,) = findings_of(tmp_path, changed(("base_pay: 6000", "base_pay: 9.99e14")))
    assert "CSP101" == finding.code


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=policy_texts())
def test_lint_never_fails_on_a_valid_policy(tmp_path, text):
    """Whatever a valid policy's numbers, lint finishes and locates every finding inside the file."""
    policy = loaded(tmp_path, text)
    for finding in lint(policy):
        assert 1 <= finding.line <= len(text.splitlines()) and finding.code in {"CSP100", *RULES}


# ---- group targets: every rule about a curve runs on each group's curve ------------------------------

CSAT = "  csat: {column: csat, unit: percent, weight: 40, score: {threshold: 80, target: 90, stretch: 96}}\n"


def by_queue(curve: str, *replacements: tuple[str, str]) -> str:
    """The quiet policy with satisfaction scored by queue, the complaints queue on `curve` (and some of its
    text replaced)."""
    grouped = (
        "  csat:\n    column: csat\n    unit: percent\n    weight: 40\n"
        "    score: {threshold: 80, target: 90, stretch: 96}\n    by: queue\n"
        f"    groups:\n      complaints: {curve}\n"
    )
    return changed((CSAT, grouped), *replacements)


def test_quiet_group_curve_has_no_findings(tmp_path):
    """A group's own curve as gentle as the KPI's adds no warning."""
    assert [] == findings_of(tmp_path, by_queue("{threshold: 70, target: 80, stretch: 88}"))


@pytest.mark.parametrize(
    ("curve", "code", "start"),
    [
        (
            "{threshold: 70, target: 80, stretch: 101}",
            "CSP105",
            "KPI csat (queue complaints): stretch 101 lies beyond what a cell can hold",
        ),
        (
            "{threshold: 70, target: 80, stretch: 88, at_threshold: 0.63}",
            "CSP104",
            "KPI csat (queue complaints): at the threshold 70 the score jumps from 0 to 0.63",
        ),
        (
            "{threshold: 70, target: 80, stretch: 88, at_target: 1.6}",
            "CSP106",
            "KPI csat (queue complaints): at_target 1.6 is above at_stretch 1.5",
        ),
        (
            "{bands: [{from: 0, score: 1.5}, {from: 70, score: 1}, {from: 90, score: 0.5}]}",
            "CSP106",
            "KPI csat (queue complaints): this curve runs against the KPI's own score, on which higher values",
        ),
    ],
)
def test_each_curve_rule_runs_on_a_group_curve_and_names_the_group(tmp_path, curve, code, start):
    """Out-of-range points, cliffs and curves running backwards are found on a group's own curve, at its
    line, naming the column and the group."""
    text = by_queue(curve)
    found = [f for f in findings_of(tmp_path, text) if f.code == code]
    assert [(code, line_of(text, "complaints:"), True)] == [
        (f.code, f.line, f.message.startswith(start)) for f in found
    ], [f.message for f in found]


def test_group_curve_warning_in_chinese_names_the_group(tmp_path):
    """In Chinese the group is named in Chinese punctuation, with no English word of cspay's own."""
    (finding,) = findings_of(tmp_path, by_queue("{threshold: 70, target: 80, stretch: 101}"), Words("zh"))
    assert finding.message.startswith("指标 csat（queue“complaints”）：stretch 101 超出了单元格可能的取值")


def test_a_grade_reachable_only_on_a_group_curve_is_not_dead(tmp_path):
    """The highest score counts each KPI's best curve: complaints' at_stretch 2 lifts it from 1.44 to 1.64,
    so a grade from 1.64 can be earned and one from 1.65 cannot."""
    curve = "{threshold: 70, target: 80, stretch: 88, at_stretch: 2}"
    reachable = findings_of(tmp_path, by_queue(curve, ("min_score: 1.1", "min_score: 1.64")))
    assert [] == [f for f in reachable if f.code == "CSP105"]
    (finding,) = [
        f for f in findings_of(tmp_path, by_queue(curve, ("min_score: 1.1", "min_score: 1.65"))) if f.code == "CSP105"
    ]
    assert finding.message.startswith(
        "grade A needs a score of 1.65, but the highest score an agent can reach is 1.64."
    )


def test_a_gate_on_a_kpi_by_group_weighs_its_drop_on_each_curve(tmp_path):
    """A forfeit at csat 75 takes the most on complaints' curve, where 75 already scores: (0.75 × 40 + 1.5 × 25
    + 1.2 × 20 + 1.5 × 15) / 100 = 1.14 of target bonus, against 0.84 on the KPI's own curve (75 scores 0)."""
    gate = ("  - {kpi: qa, below: 50, then: {multiply: 0.8}", "  - {kpi: csat, below: 75, then: forfeit")
    on_own = [f.message for f in findings_of(tmp_path, changed(gate)) if f.code == "CSP104"]
    on_group = [
        f.message
        for f in findings_of(tmp_path, by_queue("{threshold: 70, target: 80, stretch: 88}", gate))
        if f.code == "CSP104"
    ]
    assert [True, True] == [
        on_own[0].startswith("gate csat below 75: at 75 the bonus moves by up to 84% of target bonus"),
        on_group[0].startswith("gate csat below 75: at 75 the bonus moves by up to 114% of target bonus"),
    ], (on_own, on_group)
