"""Settling across periods: differences of a corrected run, correction lines, true-ups."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from cspay.engine.rules import line_codes
from cspay.engine.settlement import Pending, add_corrections, add_true_ups, differences, extra_codes
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
