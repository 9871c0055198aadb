"""Settling across periods: differences of a corrected run, correction lines, true-ups, one-off lines."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cspay.engine.rules import line_codes, one_off_problem, run_line_codes
from cspay.engine.settlement import (
    OneOffPay,
    Pending,
    add_corrections,
    add_one_offs,
    add_true_ups,
    differences,
    extra_codes,
    one_off_line,
)
from cspay.engine.types import Line
from cspay.inputs.metrics import read_metrics
from cspay.policy.loader import load_policy
from cspay.run.pay import compute

DATA = Path(__file__).parent / "data"


def payslips():
    policy = load_policy(DATA / "standard.yaml")
    return compute(policy, read_metrics(DATA / "month.csv", policy)).payslips


def test_differences_are_per_agent_and_line():
    """Only lines whose amount changed give a difference, corrected minus paid."""
    slips = payslips()
    paid = {slip.agent_id: list(slip.lines) for slip in slips}
    paid["A001"] = [
        Line("bonus", "Performance bonus", Decimal("1800.00")) if line.code == "bonus" else line
        for line in paid["A001"]
    ]
    assert [("A001", "bonus", Decimal("360.00"))] == [(d.agent_id, d.code, d.amount) for d in differences(paid, slips)]


def test_an_agent_missing_from_the_paid_run_is_owed_every_line():
    """An agent left out of the paid run gets all of their corrected lines as differences."""
    slips = payslips()
    paid = {slip.agent_id: list(slip.lines) for slip in slips if slip.agent_id != "A001"}
    found = differences(paid, slips)
    assert slips[0].gross == sum(d.amount for d in found)
    assert {"A001"} == {d.agent_id for d in found}


def test_an_agent_dropped_by_the_correction_owes_it_back():
    """An agent paid but absent from the corrected run gets negative differences."""
    slips = payslips()
    paid = {slip.agent_id: list(slip.lines) for slip in slips}
    assert -slips[0].gross == sum(d.amount for d in differences(paid, slips[1:]))


def test_pending_corrections_become_one_line_naming_their_periods():
    """An agent's pending differences of two periods are one adjustment.correction line."""
    slips = payslips()
    pending = [Pending(1, "2026-09", "A001", Decimal("-20.00")), Pending(2, "2026-10", "A001", Decimal("540.00"))]
    settled = add_corrections(slips, pending)
    line = slips[0].lines[-1]
    assert ("adjustment.correction", "Correction for 2026-09, 2026-10", Decimal("520.00")) == (
        line.code,
        line.label,
        line.amount,
    )
    assert pending == settled


def test_a_correction_for_an_agent_who_left_stays_pending():
    """A difference whose agent is not in the run is not settled."""
    slips = payslips()
    assert [] == add_corrections(slips, [Pending(1, "2026-10", "Z999", Decimal("10.00"))])


def test_true_up_pays_the_bonus_less_what_was_paid():
    """The bonus line becomes a true_up line of the period's bonus less the months' bonuses."""
    slips = payslips()
    add_true_ups(slips, {"A001": Decimal("2000.00")}, claw_back=False)
    assert Decimal("160.00") == slips[0].amount("true_up")
    assert "bonus" not in [line.code for line in slips[0].lines]


def test_true_up_is_never_negative_without_claw_back():
    """Without claw_back an overpaid agent gets a true-up of 0.00, not a deduction."""
    slips = payslips()
    add_true_ups(slips, {"A001": Decimal("3000.00")}, claw_back=False)
    assert "0.00" == str(slips[0].amount("true_up"))


def test_true_up_claws_back_when_the_policy_says_so():
    """With claw_back the true-up line is negative when the months paid more than the period earns."""
    slips = payslips()
    add_true_ups(slips, {"A001": Decimal("3000.00")}, claw_back=True)
    assert Decimal("-840.00") == slips[0].amount("true_up")


def test_extra_codes_lists_lines_beyond_the_policy():
    """Codes not in the policy's list are found in order of first appearance."""
    policy = load_policy(DATA / "standard.yaml")
    slips = payslips()
    add_corrections(slips, [Pending(1, "2026-10", "007", Decimal("1.00"))])
    assert ["adjustment.correction"] == extra_codes((code for code, _ in line_codes(policy)), slips)


@given(st.lists(st.decimals(min_value=-5000, max_value=5000, places=2, allow_nan=False), min_size=4, max_size=4))
def test_differences_add_up_to_the_change_in_gross(changes):
    """Whatever lines change, the differences of each agent add up to corrected gross less paid gross."""
    slips = payslips()
    paid = {slip.agent_id: list(slip.lines) for slip in slips}
    for slip, change in zip(slips, changes, strict=True):
        slip.lines = [
            Line(line.code, line.label, line.amount + change) if line.code == "bonus" else line for line in slip.lines
        ]
    found = differences(paid, slips)
    for slip in slips:
        before = sum((line.amount for line in paid[slip.agent_id]), Decimal(0))
        assert slip.gross - before == sum((d.amount for d in found if d.agent_id == slip.agent_id), Decimal(0))


def controls_policy():
    return load_policy(DATA / "controls.yaml")


def test_a_one_off_is_its_own_line_with_the_policy_label_and_the_reason():
    """An approved one-off adjustment becomes the line one_off.<code>, labelled `label: reason`, after the
    policy's lines, and gross grows by its amount."""
    policy = controls_policy()
    slips = compute(policy, read_metrics(DATA / "month.csv", policy)).payslips
    before = slips[0].gross
    item = OneOffPay(7, "A001", "retention_bonus", "Stayed through the peak", Decimal("800.00"))
    assert [item] == add_one_offs(policy, slips, [item])
    assert (
        Line("one_off.retention_bonus", "Retention bonus: Stayed through the peak", Decimal("800.00"))
        == (slips[0].lines[-1])
    )
    assert before + Decimal("800.00") == slips[0].gross


def test_a_one_off_for_an_agent_not_in_the_run_is_not_paid():
    """add_one_offs returns only the adjustments that found a payslip."""
    policy = controls_policy()
    slips = compute(policy, read_metrics(DATA / "month.csv", policy)).payslips
    assert [] == add_one_offs(policy, slips, [OneOffPay(1, "Z999", "retention_bonus", "x", Decimal("1.00"))])


def test_a_one_off_is_written_with_the_places_of_the_rounding_step():
    """A whole amount is paid as 800.00, as every line of a cent policy is."""
    item = OneOffPay(1, "A001", "retention_bonus", "Peak", Decimal("800"))
    assert "800.00" == str(one_off_line(controls_policy(), item).amount)


def test_a_correction_line_names_the_disputes_it_settles():
    """Differences recorded by a run that settled disputes carry their ids into the line's label."""
    slips = payslips()
    pending = [
        Pending(1, "2026-10", "A001", Decimal("540.00"), disputes=(3,)),
        Pending(2, "2026-10", "A001", Decimal("5")),
    ]
    add_corrections(slips, pending)
    assert "Correction for 2026-10 (dispute 3)" == slips[0].lines[-1].label


@pytest.mark.parametrize(
    ("code", "amount", "problem"),
    [
        ("retention_bonus", "3000.00", None),
        ("retention_bonus", "-3000.00", None),
        ("retention_bonus", "3000.01", "beyond the policy's max_amount of 3000"),
        ("overpayment_recovery", "-3000.01", "beyond the policy's max_amount of 3000"),
        ("retention_bonus", "0", "expected an amount other than 0"),
        ("retention_bonus", "10.005", "is not a multiple of the policy's rounding step 0.01"),
        ("signing_bonus", "10", "has no one-off code 'signing_bonus'; expected one of retention_bonus"),
    ],
)
def test_one_off_limits_hold_either_way_and_at_the_limit(code, amount, problem):
    """max_amount bounds a payment and a deduction alike (at it, it pays); codes and the step are checked."""
    found = one_off_problem(controls_policy(), code, Decimal(amount))
    assert (problem is None) == (found is None), found
    if problem is not None:
        assert problem in found


def test_a_policy_without_one_offs_allows_none():
    """Without one_off_adjustments no one-off adjustment is allowed."""
    found = one_off_problem(load_policy(DATA / "standard.yaml"), "retention_bonus", Decimal(1))
    assert "allows no one-off adjustments" in found


def test_one_off_lines_are_headed_by_the_code_label():
    """A run's one_off.<code> column is headed by the policy's label of the code."""
    assert ("one_off.retention_bonus", "Retention bonus") == run_line_codes(
        controls_policy(), ["one_off.retention_bonus"]
    )[-1]
