"""A payslip paid in parts: each part's share of the role's lines, its own lines rounded by the policy's
rule, the bonus through the same gates and cap, and what the budget, true-ups and corrections make of a
code with several lines."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from helpers import STANDARD, agent_row, period_policy_file, write_months
from hypothesis import given
from hypothesis import strategies as st

from cspay.engine.budget import apply_budget
from cspay.engine.compiled import Engine
from cspay.engine.period import period_policy
from cspay.engine.settlement import add_true_ups, differences
from cspay.engine.types import Line, Part, Payslip
from cspay.inputs.months import open_period
from cspay.policy.loader import load_policy

POLICY = load_policy(STANDARD)
ENGINE = Engine(POLICY)
FIRST_HALF = Part("L1", "North", Fraction(1, 2), date(2026, 11, 1), date(2026, 11, 15))
SECOND_HALF = Part("L2", "North", Fraction(1, 2), date(2026, 11, 16), date(2026, 11, 30))


def promoted(**values: str) -> Payslip:
    """The worked example's agent, L1 to the 15th and L2 from the 16th of a 30-day month."""
    row = agent_row(**values)
    row.parts = (FIRST_HALF, SECOND_HALF)
    return ENGINE.payslip(row)


def lines_of(slip: Payslip) -> list[tuple[str, Decimal, int | None]]:
    return [(line.code, line.amount, line.part) for line in slip.lines]


def test_a_promotion_pays_each_role_for_its_half():
    """Base pay 5200 / 2 + 6500 / 2, allowances alike, and the A grade's bonus on each role's target."""
    assert [
        ("base_pay", Decimal("2600.00"), 0),
        ("base_pay", Decimal("3250.00"), 1),
        ("allowance.meal", Decimal("200.00"), 0),
        ("allowance.meal", Decimal("200.00"), 1),
        ("allowance.transport", Decimal("100.00"), 0),
        ("allowance.transport", Decimal("100.00"), 1),
        ("bonus", Decimal("1080.00"), 0),  # 1800 × 1.2 / 2
        ("bonus", Decimal("1170.00"), 1),  # 30% of 6500 = 1950 × 1.2 / 2
        ("adjustment.complaints", Decimal("-100.00"), None),
        ("adjustment.volume", Decimal("80.00"), None),
    ] == lines_of(promoted())


def test_a_payslip_in_parts_adds_up():
    """Gross is the sum of the rounded lines, parts and all, and the payslip names its parts."""
    slip = promoted()
    assert Decimal("8680.00") == slip.gross  # 5850 + 400 + 200 + 2250 - 100 + 80
    assert (FIRST_HALF, SECOND_HALF) == slip.parts
    assert ("L2", "North") == (slip.role, slip.team)  # the role and team the period ends in


def test_the_target_bonus_is_each_parts_share():
    """The period's target bonus is half of L1's and half of L2's: 900 + 975."""
    assert Decimal("1875") == promoted().target_bonus


def test_each_part_line_is_rounded_on_its_own():
    """A third of 5200 is 1733.333…: each part's line is rounded, and gross adds the rounded lines."""
    row = agent_row()
    row.parts = (Part("L1", "North", Fraction(1, 3)), Part("L2", "North", Fraction(2, 3)))
    slip = ENGINE.payslip(row)
    assert [Decimal("1733.33"), Decimal("4333.33")] == [line.amount for line in slip.lines if line.code == "base_pay"]
    assert Decimal("6066.66") == slip.amount("base_pay")


def test_a_gate_halves_every_parts_bonus():
    """Attendance below 95 halves the bonus of both roles' parts alike."""
    assert [Decimal("540.00"), Decimal("585.00")] == [
        line.amount for line in promoted(attendance="94").lines if line.code == "bonus"
    ]


def test_the_gate_is_explained_on_the_whole_bonus():
    """The gate hit records the period's bonus before and after it: (2160 + 2340) / 2 → half of it."""
    hit = promoted(attendance="94").gates[0]
    assert (Decimal("2250.0"), Decimal("1125.00")) == (hit.bonus_before, hit.bonus_after)


def test_proration_applies_to_each_part():
    """Ten worked days of 21.75: each half of base pay is prorated by 10 / 21.75."""
    assert [Decimal("1195.40"), Decimal("1494.25")] == [
        line.amount for line in promoted(worked_days="10").lines if line.code == "base_pay"
    ]


def test_the_cap_holds_for_each_part():
    """An S grade's 1.5 is at the cap of 1.5: no part's bonus goes above cap × its target."""
    slip = promoted(csat="99", fcr="0.95", aht="250", qa="95")
    assert [Decimal("1350.00"), Decimal("1462.50")] == [line.amount for line in slip.lines if line.code == "bonus"]


agents = st.fixed_dictionaries(
    {
        "role": st.sampled_from(["L1", "L2"]),
        "csat": st.decimals(min_value=60, max_value=100, places=1),
        "fcr": st.decimals(min_value=Decimal("0.5"), max_value=1, places=2),
        "aht": st.decimals(min_value=200, max_value=500, places=0),
        "qa": st.decimals(min_value=50, max_value=100, places=0),
        "surveys": st.decimals(min_value=0, max_value=80, places=0),
        "attendance": st.decimals(min_value=90, max_value=100, places=1),
        "worked_days": st.decimals(min_value=0, max_value=25, places=2),
        "valid_complaints": st.decimals(min_value=0, max_value=8, places=0),
        "tickets": st.decimals(min_value=0, max_value=1400, places=0),
    }
)


@given(agents)
def test_one_part_of_the_whole_period_pays_as_no_parts(values):
    """A row with one part of share 1 at its own role pays exactly what the row without parts pays."""
    row = agent_row(**values)
    plain = ENGINE.payslip(row)
    row.parts = (Part(row.role, row.team, Fraction(1)),)
    parted = ENGINE.payslip(row)
    assert [(line.code, line.amount) for line in plain.lines] == [(line.code, line.amount) for line in parted.lines]
    assert (plain.score, plain.grade, plain.gross) == (parted.score, parted.grade, parted.gross)


def test_the_budget_scales_every_parts_bonus_to_the_pool(tmp_path):
    """Under a pool smaller than the bonuses, each part's bonus line is scaled and they add up to the pool."""
    text = STANDARD.read_text(encoding="utf-8") + "budget: {bonus_pool: 3000}\n"
    path = tmp_path / "budget.yaml"
    path.write_text(text, encoding="utf-8")
    policy = load_policy(path)
    engine = Engine(policy)
    rows = [agent_row(agent_id="A1"), agent_row(agent_id="A2")]
    rows[0].parts = (FIRST_HALF, SECOND_HALF)
    result = apply_budget(policy, [engine.payslip(row) for row in rows], engine)
    bonuses = [line.amount for slip in result.payslips for line in slip.lines if line.code == "bonus"]
    assert 3 == len(bonuses)
    assert Decimal("3000.00") == sum(bonuses, Decimal(0))


def test_a_true_up_replaces_every_bonus_line_with_one():
    """A quarter's true-up is the whole bonus, both parts', less what the months paid: one line."""
    slip = promoted()
    add_true_ups([slip], {"A001": Decimal("1000.00")}, claw_back=False)
    assert [("true_up", Decimal("1250.00"))] == [
        (line.code, line.amount) for line in slip.lines if line.code in ("bonus", "true_up")
    ]


def test_a_correction_compares_a_codes_lines_added_up():
    """A payslip paid in parts, corrected into one paid whole: only the codes whose totals moved differ."""
    paid = promoted()
    corrected = dataclasses.replace(
        paid,
        lines=[
            Line("base_pay", "Base pay", Decimal("5850.00")),
            *(line for line in paid.lines if line.code != "base_pay"),
        ],
    )
    assert [] == differences({"A001": paid.lines}, [corrected])
    moved = dataclasses.replace(
        corrected, lines=[Line("base_pay", "Base pay", Decimal("5900.00")), *corrected.lines[1:]]
    )
    assert [("base_pay", Decimal("50.00"))] == [
        (item.code, item.amount) for item in differences({"A001": paid.lines}, [moved])
    ]


@pytest.mark.parametrize("repeat", [1.0, 0.0])
def test_the_lines_before_the_adjustments_are_the_payslips_own(tmp_path, repeat):
    """On a payslip's own score and gates, every agent of a quarter in parts gets its lines and grade."""
    policy = load_policy(period_policy_file(tmp_path, "mean", "mean"))
    rows = [row for row in open_period(policy, write_months(tmp_path, 21, 600, repeat=repeat)).rows if row.parts]
    engine = Engine(period_policy(policy))
    adjustments = len(engine.adjustment_plans)
    assert len(rows) > 100
    for row in rows:
        slip = engine.payslip(row)
        scored = engine.scored(row.kpis, row.groups)
        _, _, score = engine.score(scored, row.numbers)
        lines, grade = engine.parted.lines_before_adjustments(row, score, engine.holds(scored, row.numbers))
        assert (slip.lines[: len(slip.lines) - adjustments], slip.grade) == (lines, grade and grade.grade)
