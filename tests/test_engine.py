"""The pay rules of the policy contract, each at its boundary, and the worked example to the cent."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from helpers import STANDARD, agent_row, by_queue, iter_payslips, policy_from

from cspay.engine.compiled import Engine
from cspay.engine.curves import band_scorer, linear_scorer
from cspay.engine.rounding import round_to
from cspay.engine.rules import line_codes
from cspay.engine.types import Payslip, Summary
from cspay.policy.loader import load_document
from cspay.policy.model import BandScore, LinearScore, Policy
from cspay.run.pay import compute

D = Decimal


def payslip(policy: Policy, **values: str | None) -> Payslip:
    """The payslip of the worked example's agent with some values replaced."""
    return Engine(policy).payslip(agent_row(**values))


def amounts(slip: Payslip) -> dict[str, Decimal]:
    return {line.code: line.amount for line in slip.lines}


# ---- the worked example -----------------------------------------------------------------------------


def test_worked_example_gross(standard: Policy) -> None:
    """The contract's worked example is paid 7940.00."""
    slip = payslip(standard)
    assert Decimal("7940.00") == slip.gross


def test_worked_example_lines(standard: Policy) -> None:
    """Base, allowances, bonus 2160.00, complaints -100.00 and volume 80.00, in payslip order."""
    assert [
        ("base_pay", D("5200.00")),
        ("allowance.meal", D("400.00")),
        ("allowance.transport", D("200.00")),
        ("bonus", D("2160.00")),
        ("adjustment.complaints", D("-100.00")),
        ("adjustment.volume", D("80.00")),
    ] == [(line.code, line.amount) for line in payslip(standard).lines]


def test_worked_example_score_and_grade(standard: Policy) -> None:
    """The score is 1.1416… (exact to Decimal's 28 digits), grade A, multiplier 1.2, no action."""
    slip = payslip(standard)
    assert (D("1.141666666666666666666666667"), "A", D("1.2"), None) == (
        slip.score,
        slip.grade,
        slip.multiplier,
        slip.action,
    )


def test_worked_example_kpi_scores(standard: Policy) -> None:
    """csat 92.5 → 1.2083…, fcr 0.81 → 1.15, aht 335 → 1.2083… (lower is better), qa 88 → band 1.0."""
    slip = payslip(standard)
    assert [
        ("csat", D("1.208333333333333333333333333")),
        ("fcr", D("1.15")),
        ("aht", D("1.208333333333333333333333333")),
        ("qa", D("1.0")),
    ] == [(kpi.code, kpi.score) for kpi in slip.kpis]


def test_worked_example_score_matches_exact_fractions(standard: Policy) -> None:
    """The weighted score agrees with exact rational arithmetic to 26 places."""
    exact = (
        35 * (1 + Fraction(5, 2) / 6 / 2) + 25 * Fraction(115, 100) + 15 * (1 + Fraction(25, 60) / 2) + 25 * 1
    ) / 100
    assert round(exact, 26) == round(Fraction(payslip(standard).score), 26)


# ---- 1. roles ---------------------------------------------------------------------------------------


def test_role_with_share_target_bonus(standard: Policy) -> None:
    """An L2 agent's target is 30% of 6500 = 1950; grade A pays 1950 × 1.2 = 2340.00."""
    slip = payslip(standard, role="L2")
    assert (D("1950"), D("6500.00"), D("2340.00"), D("9420.00")) == (
        slip.target_bonus,
        slip.amount("base_pay"),
        slip.amount("bonus"),
        slip.gross,
    )


# ---- 3. linear score --------------------------------------------------------------------------------

HIGHER = LinearScore(threshold=80, target=90, stretch=96)
LOWER = LinearScore(threshold=420, target=360, stretch=300)
CUSTOM = LinearScore(threshold=80, target=90, stretch=96, at_threshold="0.2", at_target="0.8", at_stretch="2.0")


@pytest.mark.parametrize(
    ("score", "value", "expected"),
    [
        (HIGHER, "79.99", "0"),
        (HIGHER, "0", "0"),
        (HIGHER, "80", "0.5"),
        (HIGHER, "85", "0.75"),
        (HIGHER, "90", "1.0"),
        (HIGHER, "93", "1.25"),
        (HIGHER, "96", "1.5"),
        (HIGHER, "100", "1.5"),
        (LOWER, "420.01", "0"),
        (LOWER, "900", "0"),
        (LOWER, "420", "0.5"),
        (LOWER, "390", "0.75"),
        (LOWER, "360", "1.0"),
        (LOWER, "330", "1.25"),
        (LOWER, "300", "1.5"),
        (LOWER, "0", "1.5"),
        (CUSTOM, "79.99", "0"),
        (CUSTOM, "80", "0.2"),
        (CUSTOM, "85", "0.5"),
        (CUSTOM, "90", "0.8"),
        (CUSTOM, "93", "1.4"),
        (CUSTOM, "96", "2.0"),
        (CUSTOM, "99", "2.0"),
    ],
)
def test_linear_score_at_and_between_its_points(score: LinearScore, value: str, expected: str) -> None:
    """Below threshold 0; at threshold, target, stretch their at_* values; linear between; flat beyond."""
    assert Decimal(expected) == linear_scorer(score)(Decimal(value))[0]


def test_linear_score_just_below_threshold_by_a_hair_is_zero() -> None:
    """There is no rounding up to the threshold: 79.9999999 scores 0, not 0.5."""
    assert Decimal(0) == linear_scorer(HIGHER)(Decimal("79.9999999"))[0]


def test_linear_score_of_kpi_in_payslip(standard: Policy) -> None:
    """A csat of exactly 80 (the threshold) scores 0.5 on the payslip."""
    (csat,) = [kpi for kpi in payslip(standard, csat="80").kpis if kpi.code == "csat"]
    assert (D(80), D("0.5")) == (csat.value, csat.score)


# ---- 4. bands ---------------------------------------------------------------------------------------

QA_BANDS = BandScore(
    bands=[
        {"from": 0, "score": 0},
        {"from": 70, "score": "0.6"},
        {"from": 80, "score": "1.0"},
        {"from": 90, "score": "1.2"},
    ]
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("-1", "0"),
        ("0", "0"),
        ("69.99", "0"),
        ("70", "0.6"),
        ("79.99", "0.6"),
        ("80", "1.0"),
        ("90", "1.2"),
        ("150", "1.2"),
    ],
)
def test_band_score_on_a_boundary_takes_the_higher_band(value: str, expected: str) -> None:
    """A value on a band's `from` takes that band; below the first band scores 0."""
    assert Decimal(expected) == band_scorer(QA_BANDS)(Decimal(value))[0]


def test_value_below_a_first_band_above_zero_scores_zero() -> None:
    """When the first band starts at 50, 49.99 scores 0 and 50 scores the band's score."""
    scorer = band_scorer(BandScore(bands=[{"from": 50, "score": "0.7"}, {"from": 80, "score": "1.1"}]))
    assert (D(0), D("0.7")) == (scorer(D("49.99"))[0], scorer(D(50))[0])


# ---- 4b. group targets: a KPI scored on the curve of the agent's group ------------------------------


@pytest.fixture(scope="module")
def queued() -> Engine:
    """The contract with satisfaction scored by queue: complaints 70/80/88, sales bands from 85 and 95."""
    return Engine(policy_from(by_queue(load_document(STANDARD).data)))


def csat_of(engine: Engine, queue: str | None, csat: str) -> tuple[Decimal | None, str | None, str]:
    """The satisfaction score of the worked example's agent in a queue (None: a row without the column)."""
    groups = {} if queue is None else {"queue": queue}
    result = engine.payslip(agent_row(csat=csat, groups=groups)).kpis[0]
    return result.score, result.curve_group, result.position


@pytest.mark.parametrize(
    ("queue", "csat", "expected"),
    [
        ("complaints", "70", (D("0.5"), "complaints", "between threshold and target")),
        ("complaints", "69.99", (D(0), "complaints", "short of threshold")),
        ("complaints", "80", (D("1.0"), "complaints", "between target and stretch")),
        ("complaints", "88", (D("1.5"), "complaints", "at or beyond stretch")),
        ("sales", "95", (D("1.3"), "sales", "band from 95")),
        ("sales", "84.99", (D(0), "sales", "below the first band")),
        ("retail", "80", (D("0.5"), None, "between threshold and target")),
        ("", "80", (D("0.5"), None, "between threshold and target")),
        ("N/A", "79.99", (D(0), None, "short of threshold")),
        (None, "96", (D("1.5"), None, "at or beyond stretch")),
    ],
)
def test_a_kpi_by_group_scores_on_the_group_curve_at_its_points(
    queued: Engine, queue: str | None, csat: str, expected: tuple[Decimal, str | None, str]
) -> None:
    """A listed queue scores on its own curve, exactly at each point as the KPI's own would; a queue not
    listed, an empty cell or a row without the column scores on the KPI's own curve."""
    assert expected == csat_of(queued, queue, csat)


def test_a_group_curve_changes_the_score_and_the_pay(queued: Engine) -> None:
    """80 on complaints' curve scores 1.0 against 0.5 on the own curve: score (35 + 28.75 + 18.125 + 25) / 100
    = 1.06875 against 0.89375, grade A and 2160.00 against grade B and 1800.00."""
    paid = [queued.payslip(agent_row(csat="80", groups={"queue": q})) for q in ("complaints", "retail")]
    assert [(D("1.06875"), "A", D("2160.00")), (D("0.89375"), "B", D("1800.00"))] == [
        (slip.score, slip.grade, slip.amount("bonus")) for slip in paid
    ]


def test_a_kpi_result_names_its_column_and_the_group_whose_curve_applied(queued: Engine) -> None:
    """Each KPI result says which column groups it and whose curve scored it; ungrouped KPIs say None."""
    slip = queued.payslip(agent_row(groups={"queue": "Sales"}))
    assert [("queue", "sales"), (None, None), (None, None), (None, None)] == [
        (result.by, result.curve_group) for result in slip.kpis
    ]


def test_the_same_value_in_two_groups_is_not_mixed_up_by_the_engine_tables(queued: Engine) -> None:
    """Agents alternating between queues with one same value each get their own queue's score."""
    rows = [agent_row(agent_id=f"A{i}", csat="85", groups={"queue": q}) for i, q in enumerate(["sales", "x"] * 3)]
    assert [D(1), D("0.75")] * 3 == [queued.payslip(row).kpis[0].score for row in rows]


# ---- 5. min_volume and the weighted score -----------------------------------------------------------


def test_min_volume_exactly_reached_counts_the_kpi(standard: Policy) -> None:
    """20 surveys (at_least 20) keeps csat in the score: the worked example's score."""
    slip = payslip(standard, surveys="20")
    assert (None, D("1.141666666666666666666666667")) == (slip.kpis[0].left_out, slip.score)


def test_min_volume_one_below_leaves_the_kpi_out_and_rescales(standard: Policy) -> None:
    """19 surveys leaves csat out; score = (25×1.15 + 15×1.2083… + 25×1.0) / 65 = 1.10576923…"""
    slip = payslip(standard, surveys="19")
    assert ("surveys 19 is below the minimum 20", D("1.10576923076923076923")) == (
        slip.kpis[0].left_out,
        slip.score.quantize(D("1e-20")),
    )


def test_left_out_kpi_keeps_its_value_and_score_but_no_contribution(standard: Policy) -> None:
    """The payslip still shows the left-out KPI's value and score, with no contribution."""
    csat = payslip(standard, surveys="19").kpis[0]
    assert (D("92.5"), D("1.208333333333333333333333333"), None) == (csat.value, csat.score, csat.contribution)


def test_contributions_add_up_to_the_score(standard: Policy) -> None:
    """Each counted KPI's contribution is weight × score / Σ weights; they add up to the score."""
    slip = payslip(standard, surveys="19")
    total = sum(kpi.contribution for kpi in slip.kpis if kpi.contribution is not None)
    assert slip.score.quantize(D("1e-25")) == total.quantize(D("1e-25"))


def test_missing_excluded_kpi_is_left_out_and_weights_rescale(standard_data: dict[str, Any]) -> None:
    """With `missing: exclude` an empty csat is left out exactly like a low volume."""
    standard_data["kpis"]["csat"]["missing"] = "exclude"
    slip = payslip(policy_from(standard_data), csat=None)
    assert ("no value (the KPI allows a missing value)", D("1.10576923076923076923")) == (
        slip.kpis[0].left_out,
        slip.score.quantize(D("1e-20")),
    )


def test_all_kpis_left_out_gives_no_score_no_grade_and_no_bonus(standard_data: dict[str, Any]) -> None:
    """When no KPI counts there is no score to grade; the bonus is 0 and the fixed pay is still paid."""
    for kpi in standard_data["kpis"].values():
        kpi["missing"] = "exclude"
    slip = payslip(policy_from(standard_data), csat=None, fcr=None, aht=None, qa=None)
    assert (None, None, D("0.00"), D("5780.00")) == (slip.score, slip.grade, slip.amount("bonus"), slip.gross)


# ---- 6. grades --------------------------------------------------------------------------------------


def test_score_exactly_at_min_score_gets_the_grade(standard: Policy) -> None:
    """Every KPI at target scores exactly 1.0, which is grade A (min_score 1.0)."""
    slip = payslip(standard, csat="90", fcr="0.78", aht="360", qa="80")
    assert (D("1.0"), "A", D("2160.00")) == (slip.score, slip.grade, slip.amount("bonus"))


def test_score_just_below_min_score_gets_the_next_grade(standard: Policy) -> None:
    """csat 89.99 brings the score to 0.999825, grade B."""
    slip = payslip(standard, csat="89.99", fcr="0.78", aht="360", qa="80")
    assert (D("0.999825"), "B", D("1800.00")) == (slip.score, slip.grade, slip.amount("bonus"))


def test_grade_action_is_on_the_payslip(standard: Policy) -> None:
    """A grade C agent's payslip carries the action coaching."""
    slip = payslip(standard, csat="80", fcr="0.65", aht="420", qa="85")
    assert (D("0.625"), "C", "coaching", D("1080.00")) == (slip.score, slip.grade, slip.action, slip.amount("bonus"))


def test_score_zero_gets_the_grade_at_zero(standard: Policy) -> None:
    """A score of 0 gets grade D (min_score 0), no bonus, and the action training."""
    slip = payslip(standard, csat="50", fcr="0.1", aht="900", qa="65")
    assert (D(0), "D", "training", D("0.00")) == (slip.score, slip.grade, slip.action, slip.amount("bonus"))


def test_basis_grade_pays_target_times_multiplier(standard: Policy) -> None:
    """`basis: grade`: 1800 × 1.2 for grade A, whatever the exact score."""
    assert D("2160.00") == payslip(standard).amount("bonus")


def test_basis_score_pays_target_times_score(standard_data: dict[str, Any]) -> None:
    """`basis: score`: 1800 × 1.141666… = 2055.00."""
    standard_data["bonus"]["basis"] = "score"
    slip = payslip(policy_from(standard_data))
    assert (D("2055.00"), D("7835.00")) == (slip.amount("bonus"), slip.gross)


# ---- 7. gates and the cap ---------------------------------------------------------------------------


def test_forfeit_gate_holds_just_below_its_limit(standard: Policy) -> None:
    """qa 59.99 is below 60: the bonus is forfeit and the gate is on the payslip."""
    slip = payslip(standard, qa="59.99")
    assert (D("0.00"), [("qa below 60", "forfeit", "Quality below the floor")]) == (
        slip.amount("bonus"),
        [(hit.condition, hit.effect, hit.reason) for hit in slip.gates],
    )


def test_forfeit_gate_does_not_hold_at_its_limit(standard: Policy) -> None:
    """qa exactly 60 is not below 60: no gate fires (the grade's bonus stands)."""
    slip = payslip(standard, qa="60")
    assert ((), "B", D("1800.00")) == (slip.gates, slip.grade, slip.amount("bonus"))


def test_multiply_gate_halves_the_bonus(standard: Policy) -> None:
    """Attendance 94.99 (below 95) halves the 2160 bonus to 1080.00."""
    assert D("1080.00") == payslip(standard, attendance="94.99").amount("bonus")


def test_gates_apply_in_order_and_record_the_bonus_before_and_after(standard: Policy) -> None:
    """Both gates fire: the forfeit first (1800 → 0), then the halving (0 → 0)."""
    slip = payslip(standard, qa="59", attendance="90")
    assert [(0, D(1800), D(0)), (1, D(0), D(0))] == [
        (hit.index, hit.bonus_before, hit.bonus_after) for hit in slip.gates
    ]


def test_gates_are_applied_before_the_cap(standard_data: dict[str, Any]) -> None:
    """A gate doubling the 2160 bonus gives 4320, which the cap then brings to 1.5 × 1800 = 2700."""
    standard_data["gates"].append({"column": "attendance", "at_least": 95, "then": {"multiply": 2}})
    slip = payslip(policy_from(standard_data))
    assert (D("2700.00"), True) == (slip.amount("bonus"), slip.capped)


@pytest.mark.parametrize(
    ("condition", "attendance", "bonus"),
    [
        ("below", "94.99", "1080.00"),
        ("below", "95", "2160.00"),
        ("above", "95.01", "1080.00"),
        ("above", "95", "2160.00"),
        ("at_least", "95", "1080.00"),
        ("at_least", "94.99", "2160.00"),
        ("at_most", "95", "1080.00"),
        ("at_most", "95.01", "2160.00"),
    ],
)
def test_gate_condition_at_its_boundary(
    standard_data: dict[str, Any], condition: str, attendance: str, bonus: str
) -> None:
    """below is <, above is >, at_least is ≥, at_most is ≤."""
    standard_data["gates"][1] = {"column": "attendance", condition: 95, "then": {"multiply": D("0.5")}}
    assert D(bonus) == payslip(policy_from(standard_data), attendance=attendance).amount("bonus")


def test_gate_on_kpi_left_out_by_min_volume_still_applies(standard_data: dict[str, Any]) -> None:
    """csat is left out of the score for too few surveys, but its gate still sees its value."""
    standard_data["gates"].append({"kpi": "csat", "below": 95, "then": "forfeit"})
    slip = payslip(policy_from(standard_data), surveys="5")
    assert ("surveys 5 is below the minimum 20", D("0.00"), ["csat below 95"]) == (
        slip.kpis[0].left_out,
        slip.amount("bonus"),
        [hit.condition for hit in slip.gates],
    )


def test_gate_on_empty_excluded_kpi_does_not_apply(standard_data: dict[str, Any]) -> None:
    """With `missing: exclude` and no csat value, a gate on csat does not fire."""
    standard_data["kpis"]["csat"]["missing"] = "exclude"
    standard_data["gates"].append({"kpi": "csat", "below": 95, "then": "forfeit"})
    slip = payslip(policy_from(standard_data), csat=None)
    assert ((), "A", D("2160.00")) == (slip.gates, slip.grade, slip.amount("bonus"))


def test_gate_on_kpi_uses_the_value_in_its_unit(standard_data: dict[str, Any]) -> None:
    """A gate on the ratio KPI fcr compares 0.81 with 0.82, not 81 with 82."""
    standard_data["gates"].append({"kpi": "fcr", "below": D("0.82"), "then": "forfeit"})
    assert D("0.00") == payslip(policy_from(standard_data)).amount("bonus")


def test_bonus_exactly_at_the_cap_is_not_capped(standard: Policy) -> None:
    """A score of exactly 1.2 is grade S: 1800 × 1.5 = 2700 = cap × target, paid in full."""
    slip = payslip(standard, csat="92.4", fcr="0.82", aht="336", qa="90")
    assert (D("1.2"), "S", D("2700.00"), False) == (slip.score, slip.grade, slip.amount("bonus"), slip.capped)


def test_bonus_above_the_cap_is_capped(standard_data: dict[str, Any]) -> None:
    """Grade A with multiplier 1.6 would pay 2880; the cap holds it to 2700."""
    standard_data["grades"][1]["multiplier"] = D("1.6")
    slip = payslip(policy_from(standard_data))
    assert (D("2880"), D("2700.00"), True) == (slip.bonus_before_gates, slip.amount("bonus"), slip.capped)


def test_no_cap_lets_the_bonus_grow(standard_data: dict[str, Any]) -> None:
    """Without a cap, multiplier 1.6 pays 2880.00."""
    standard_data["grades"][1]["multiplier"] = D("1.6")
    del standard_data["bonus"]["cap"]
    assert D("2880.00") == payslip(policy_from(standard_data)).amount("bonus")


# ---- 8. proration -----------------------------------------------------------------------------------


def test_full_month_is_not_prorated(standard: Policy) -> None:
    """worked_days == full (21.75) gives factor 1."""
    slip = payslip(standard, worked_days="21.75")
    assert (D(1), D("5200.00")) == (slip.proration, slip.amount("base_pay"))


def test_more_than_a_full_month_is_not_paid_extra(standard: Policy) -> None:
    """worked_days above full is capped at factor 1."""
    slip = payslip(standard, worked_days="23")
    assert (D(1), D("7940.00")) == (slip.proration, slip.gross)


def test_partial_month_prorates_base_allowances_and_bonus(standard: Policy) -> None:
    """10 of 21.75 days: each prorated line is multiplied by 10/21.75 before it is rounded."""
    assert {
        "base_pay": D("2390.80"),
        "allowance.meal": D("183.91"),
        "allowance.transport": D("91.95"),
        "bonus": D("993.10"),
        "adjustment.complaints": D("-100.00"),
        "adjustment.volume": D("80.00"),
    } == amounts(payslip(standard, worked_days="10"))


@pytest.mark.parametrize(
    ("applies_to", "expected"),
    [
        (["base_pay"], ("2390.80", "400.00", "200.00", "2160.00")),
        (["allowances"], ("5200.00", "183.91", "91.95", "2160.00")),
        (["bonus"], ("5200.00", "400.00", "200.00", "993.10")),
        (["base_pay", "bonus"], ("2390.80", "400.00", "200.00", "993.10")),
        ([], ("5200.00", "400.00", "200.00", "2160.00")),
    ],
)
def test_proration_applies_only_to_the_lines_named(
    standard_data: dict[str, Any], applies_to: list[str], expected: tuple[str, ...]
) -> None:
    """`applies_to` picks which of base pay, allowances and bonus are prorated."""
    standard_data["proration"]["applies_to"] = applies_to
    got = amounts(payslip(policy_from(standard_data), worked_days="10"))
    assert tuple(map(D, expected)) == (got["base_pay"], got["allowance.meal"], got["allowance.transport"], got["bonus"])


def test_omitted_applies_to_prorates_all_three(standard_data: dict[str, Any]) -> None:
    """Without `applies_to`, base pay, allowances and bonus are all prorated."""
    del standard_data["proration"]["applies_to"]
    assert D("3639.76") == payslip(policy_from(standard_data), worked_days="10").gross


def test_no_proration_section_pays_in_full(standard_data: dict[str, Any]) -> None:
    """Without `proration`, worked days do not matter."""
    del standard_data["proration"]
    assert D("7940.00") == payslip(policy_from(standard_data), worked_days="1").gross


def test_prorated_bonus_is_capped_before_proration(standard_data: dict[str, Any]) -> None:
    """The cap holds the full-month bonus to 2700; half a month then pays 1350.00."""
    standard_data["grades"][1]["multiplier"] = D("1.6")
    standard_data["proration"]["full"] = D(20)
    assert D("1350.00") == payslip(policy_from(standard_data), worked_days="10").amount("bonus")


# ---- 9. adjustments ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("complaints", "expected"),
    [
        ("0", "0.00"),
        ("1", "-100.00"),
        ("4", "-400.00"),
        ("5", "-500.00"),
        ("6", "-500.00"),
        ("40", "-500.00"),
    ],
)
def test_negative_limit_is_a_floor(standard: Policy, complaints: str, expected: str) -> None:
    """Complaints cost 100 each, never more than 500 in total."""
    assert D(expected) == payslip(standard, valid_complaints=complaints).amount("adjustment.complaints")


@pytest.mark.parametrize(
    ("tickets", "expected"),
    [
        ("0", "0.00"),
        ("899", "0.00"),
        ("900", "0.00"),
        ("901", "2.00"),
        ("940", "80.00"),
        ("1199", "598.00"),
        ("1200", "600.00"),
        ("1201", "600.00"),
        ("5000", "600.00"),
    ],
)
def test_over_and_positive_limit_as_a_ceiling(standard: Policy, tickets: str, expected: str) -> None:
    """Tickets over 900 pay 2 each (never negative below 900), up to 600."""
    assert D(expected) == payslip(standard, tickets=tickets).amount("adjustment.volume")


def test_adjustment_without_over_or_limit_is_value_times_per_unit(standard_data: dict[str, Any]) -> None:
    """With neither `over` nor `limit`, 7 complaints at -100 cost 700."""
    del standard_data["adjustments"]["complaints"]["limit"]
    assert D("-700.00") == payslip(policy_from(standard_data), valid_complaints="7").amount("adjustment.complaints")


def test_adjustments_are_not_prorated_nor_gated(standard: Policy) -> None:
    """Half a month and a forfeit gate leave the complaint and volume lines unchanged."""
    slip = payslip(standard, worked_days="10", qa="50", valid_complaints="2", tickets="1000")
    assert (D("0.00"), D("-200.00"), D("200.00")) == (
        slip.amount("bonus"),
        slip.amount("adjustment.complaints"),
        slip.amount("adjustment.volume"),
    )


def test_fractional_adjustment_is_rounded_on_its_line(standard_data: dict[str, Any]) -> None:
    """3 units at 0.335 make 1.005, rounded half up to 1.01 only on the payslip line."""
    standard_data["adjustments"]["volume"] = {"column": "tickets", "per_unit": D("0.335")}
    assert D("1.01") == payslip(policy_from(standard_data), tickets="3").amount("adjustment.volume")


# ---- 10. lines, rounding and the floor ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "step", "mode", "expected"),
    [
        ("0.125", "0.01", "half_up", "0.13"),
        ("0.125", "0.01", "half_even", "0.12"),
        ("0.135", "0.01", "half_up", "0.14"),
        ("0.135", "0.01", "half_even", "0.14"),
        ("0.12499999", "0.01", "half_up", "0.12"),
        ("-0.125", "0.01", "half_up", "-0.13"),
        ("-0.125", "0.01", "half_even", "-0.12"),
        ("1.025", "0.05", "half_up", "1.05"),
        ("1.025", "0.05", "half_even", "1.00"),
        ("1.075", "0.05", "half_even", "1.10"),
        ("1.074", "0.05", "half_up", "1.05"),
        ("2.5", "1", "half_up", "3"),
        ("2.5", "1", "half_even", "2"),
        ("3.5", "1", "half_even", "4"),
        ("25", "10", "half_up", "30"),
        ("25", "10", "half_even", "20"),
        ("35", "10", "half_even", "40"),
        ("24.99", "10", "half_up", "20"),
        ("7940", "0.01", "half_up", "7940.00"),
    ],
)
def test_round_to_step_and_mode(amount: str, step: str, mode: str, expected: str) -> None:
    """Rounding goes to a multiple of the step; half_up and half_even differ only on exact halves."""
    rounded = round_to(D(amount), D(step), mode)
    assert (expected, D(expected)) == (str(rounded), rounded)


def test_rounding_a_tiny_negative_amount_gives_plain_zero() -> None:
    """-0.001 rounds to 0.00, never shown as "-0.00"."""
    assert "0.00" == str(round_to(D("-0.001"), D("0.01"), "half_up"))


@pytest.mark.parametrize(
    ("step", "mode", "expected"),
    [
        ("1", "half_up", ("2665", "205", "103", "1107")),
        ("1", "half_even", ("2665", "205", "102", "1107")),
        ("10", "half_up", ("2670", "210", "100", "1110")),
        ("10", "half_even", ("2660", "200", "100", "1110")),
        ("0.05", "half_even", ("2665.00", "205.00", "102.50", "1107.00")),
    ],
)
def test_policy_rounding_applies_to_each_line(
    standard_data: dict[str, Any], step: str, mode: str, expected: tuple[str, ...]
) -> None:
    """At 10.25 of 20 days: base 2665, meal 205, transport 102.5, bonus 1107, each rounded on its own."""
    standard_data["rounding"] = {"step": D(step), "mode": mode}
    standard_data["proration"]["full"] = D(20)
    got = amounts(payslip(policy_from(standard_data), worked_days="10.25"))
    assert expected == tuple(str(got[code]) for code in ("base_pay", "allowance.meal", "allowance.transport", "bonus"))


def test_gross_is_the_sum_of_the_rounded_lines(standard_data: dict[str, Any]) -> None:
    """Step 10, half_even: lines 2660 + 200 + 100 + 1110 - 100 + 80 = 4050, not the rounded total 4060."""
    standard_data["rounding"] = {"step": D(10), "mode": "half_even"}
    standard_data["proration"]["full"] = D(20)
    slip = payslip(policy_from(standard_data), worked_days="10.25")
    assert D(4050) == slip.gross


def test_floor_tops_up_a_low_gross(standard: Policy) -> None:
    """5 worked days pay 1809.88; a floor line of 880.12 brings gross to exactly 2690.00."""
    slip = payslip(standard, worked_days="5")
    assert (("floor", "Minimum wage top-up", D("880.12")), D("2690.00")) == (
        (slip.lines[-1].code, slip.lines[-1].label, slip.lines[-1].amount),
        slip.gross,
    )


def test_gross_exactly_at_the_floor_has_no_top_up(standard_data: dict[str, Any]) -> None:
    """A floor equal to the gross (7940) adds no line."""
    standard_data["floor"]["gross"] = D(7940)
    slip = payslip(policy_from(standard_data))
    assert ("adjustment.volume", D("7940.00")) == (slip.lines[-1].code, slip.gross)


def test_gross_a_cent_below_the_floor_is_topped_up_by_a_cent(standard_data: dict[str, Any]) -> None:
    """A floor of 7940.01 adds a floor line of 0.01."""
    standard_data["floor"]["gross"] = D("7940.01")
    slip = payslip(policy_from(standard_data))
    assert (("floor", D("0.01")), D("7940.01")) == ((slip.lines[-1].code, slip.lines[-1].amount), slip.gross)


def test_no_worked_days_pays_the_floor(standard: Policy) -> None:
    """0 worked days: prorated lines are 0, the adjustments stand, the floor makes up 2690.00."""
    slip = payslip(standard, worked_days="0")
    assert (D("2710.00"), D("2690.00")) == (slip.amount("floor"), slip.gross)


def test_line_codes_list_every_possible_line_in_order(standard: Policy) -> None:
    """Base pay, each allowance, bonus, each adjustment, then the floor."""
    assert [
        ("base_pay", "Base pay"),
        ("allowance.meal", "meal"),
        ("allowance.transport", "transport"),
        ("bonus", "Performance bonus"),
        ("adjustment.complaints", "Valid complaint deduction"),
        ("adjustment.volume", "Ticket volume bonus"),
        ("floor", "Minimum wage top-up"),
    ] == line_codes(standard)


def test_missing_line_amount_is_zero(standard: Policy) -> None:
    """Asking a payslip without a floor line for its floor amount gives 0."""
    assert D(0) == payslip(standard).amount("floor")


# ---- runs and purity ----------------------------------------------------------------------------------


def test_compute_keeps_row_order_and_sums_the_run(standard: Policy) -> None:
    """compute() returns payslips in row order with totals, grade counts and actions."""
    rows = [
        agent_row(agent_id="A1"),
        agent_row(agent_id="A2", role="L2"),
        agent_row(agent_id="A3", csat="80", fcr="0.65", aht="420", qa="85"),
    ]
    run = compute(standard, rows)
    summary = run.summary
    assert (
        ["A1", "A2", "A3"],
        3,
        D("7940.00") + D("9420.00") + D("6860.00"),
        D("2160.00") + D("2340.00") + D("1080.00"),
        {"A": 2, "C": 1},
        {"coaching": 1},
    ) == (
        [slip.agent_id for slip in run.payslips],
        summary.headcount,
        summary.gross,
        summary.bonus,
        summary.grades,
        summary.actions,
    )


def test_bonus_share_of_an_empty_run_is_none() -> None:
    """No payslips, no share (rather than a division by zero)."""
    assert Summary().bonus_share is None


def test_iter_payslips_is_lazy(standard: Policy) -> None:
    """Payslips are made as rows arrive, so a bad later row does not stop earlier ones."""

    def rows():
        yield agent_row()
        raise RuntimeError("the second row is never asked for")

    assert D("7940.00") == next(iter_payslips(standard, rows())).gross


def test_engine_imports_no_cli_or_rendering_library() -> None:
    """The engine is pure: importing it loads neither typer nor rich."""
    code = "import sys, cspay.run.pay; print(sorted(m for m in ('typer', 'rich') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "[]" == result.stdout.strip()


def test_floor_off_the_step_is_met_exactly(standard_data: dict[str, Any]) -> None:
    """A floor of 7940.005 adds exactly 0.005, so gross equals the floor as the contract says."""
    standard_data["floor"]["gross"] = D("7940.005")
    slip = payslip(policy_from(standard_data))
    assert (D("0.005"), D("7940.005")) == (slip.amount("floor"), slip.gross)
