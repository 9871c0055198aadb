"""The bonus budget: scaling every bonus to fit the month's pool exactly, to the cent."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from typer.testing import CliRunner

from cspay.cli import app
from cspay.engine.budget import share_out
from cspay.errors import PolicyError
from cspay.inputs.metrics import read_metrics
from cspay.policy.loader import load_policy
from cspay.run.pay import compute

DATA = Path(__file__).parent / "data"
MONTH = DATA / "budget-month.csv"
TIES = DATA / "budget-ties.csv"
STANDARD = (DATA / "standard.yaml").read_text(encoding="utf-8")


def policy_with(tmp_path: Path, budget: str) -> Path:
    """The test policy with a `budget:` section appended."""
    path = tmp_path / "budget.yaml"
    path.write_text(STANDARD + f"\nbudget: {budget}\n", encoding="utf-8")
    return path


def run(policy_path: Path, metrics: Path = MONTH):
    policy = load_policy(policy_path)
    return compute(policy, read_metrics(metrics, policy))


def bonus_total(payslips) -> Decimal:
    return sum((slip.amount("bonus") for slip in payslips), Decimal(0))


def test_fixed_pool_is_paid_out_exactly(tmp_path):
    """Over a fixed pool, the bonus lines add up to the pool exactly, to the cent."""
    result = run(policy_with(tmp_path, "{bonus_pool: 4000}"))
    assert Decimal("4000.00") == bonus_total(result.payslips)
    assert Decimal("8039.48") == result.summary.budget.demand


def test_share_pool_is_a_share_of_base_pay_as_paid(tmp_path):
    """A 15% pool is 15% of the prorated base_pay lines, rounded down to the cent, and paid out exactly."""
    result = run(policy_with(tmp_path, "{bonus_pool_share: 15%}"))
    assert Decimal("24012.64") == result.summary.budget.base_pay
    assert Decimal("3601.89") == result.summary.budget.pool
    assert Decimal("3601.89") == bonus_total(result.payslips)


def test_every_bonus_is_scaled_by_the_same_factor(tmp_path):
    """Each scaled bonus is within one cent of its old bonus times pool / demand."""
    plain = run(DATA / "standard.yaml")
    result = run(policy_with(tmp_path, "{bonus_pool: 4000}"))
    factor = Decimal(4000) / Decimal("8039.48")
    assert factor == result.summary.budget.factor
    for before, after in zip(plain.payslips, result.payslips, strict=True):
        assert abs(before.amount("bonus") * factor - after.amount("bonus")) < Decimal("0.01")
        assert factor == after.budget_factor


def test_remaining_cents_go_to_the_lowest_agent_id_on_a_tie(tmp_path):
    """Three equal bonuses sharing 100.00: the odd cent goes to T1, though it is the last row."""
    result = run(policy_with(tmp_path, "{bonus_pool: 100}"), TIES)
    bonuses = {slip.agent_id: slip.amount("bonus") for slip in result.payslips}
    assert {"T3": Decimal("33.33"), "T2": Decimal("33.33"), "T1": Decimal("33.34")} == bonuses


def test_fixed_pool_shares_by_largest_remainder(tmp_path):
    """Remainders (in cents) are B004 .925, B003 .800, B001 and B002 .637: three cents go to B004, B003, B001."""
    result = run(policy_with(tmp_path, "{bonus_pool: 4000}"))
    bonuses = {slip.agent_id: slip.amount("bonus") for slip in result.payslips}
    assert {
        "B001": Decimal("1074.70"),
        "B002": Decimal("1074.69"),
        "B003": Decimal("1455.32"),
        "B004": Decimal("395.29"),
        "B005": Decimal("0.00"),
    } == bonuses


def test_share_out_hands_remaining_steps_to_the_largest_remainders():
    """10.00 over asks of 1.00, 2.00, 4.00 (10/7 each): remainders .428, .857, .714 get the cents in that order."""
    asks = [("A", Decimal("1.00")), ("B", Decimal("2.00")), ("C", Decimal("4.00"))]
    assert [Decimal("1.43"), Decimal("2.86"), Decimal("5.71")] == share_out(Decimal("10.00"), asks, Decimal("0.01"))


def test_under_the_pool_nothing_changes(tmp_path):
    """When the bonuses ask for less than the pool, every payslip line stays as it was, with factor 1."""
    plain = run(DATA / "standard.yaml")
    result = run(policy_with(tmp_path, "{bonus_pool: 8039.48}"))
    assert [slip.lines for slip in plain.payslips] == [slip.lines for slip in result.payslips]
    assert {Decimal(1)} == {slip.budget_factor for slip in result.payslips}
    assert not result.summary.budget.scaled


def test_floor_is_worked_out_again_after_scaling(tmp_path):
    """B004 (8 worked days) is above the floor before scaling, below it after: a top-up makes up the rest."""
    plain = run(DATA / "standard.yaml")
    result = run(policy_with(tmp_path, "{bonus_pool: 4000}"))
    before, after = plain.payslips[3], result.payslips[3]
    assert Decimal(0) == before.amount("floor")
    assert Decimal("395.29") == after.amount("bonus")
    assert Decimal("2690.00") == after.gross
    assert Decimal("161.38") == after.amount("floor")


def test_gross_is_the_sum_of_the_lines_after_scaling(tmp_path):
    """Every scaled payslip still adds up: gross is the sum of its lines, and the summary the sum of grosses."""
    result = run(policy_with(tmp_path, "{bonus_pool: 4000}"))
    for slip in result.payslips:
        assert sum((line.amount for line in slip.lines), Decimal(0)) == slip.gross
    assert sum((slip.gross for slip in result.payslips), Decimal(0)) == result.summary.gross
    assert Decimal("4000.00") == result.summary.bonus


def test_policy_without_budget_keeps_payslips_without_factor():
    """A policy with no budget never sets a factor."""
    assert {None} == {slip.budget_factor for slip in run(DATA / "standard.yaml").payslips}


def test_budget_names_exactly_one_pool(tmp_path):
    """A budget that gives both pools is an error at the budget's line."""
    path = policy_with(tmp_path, "{bonus_pool: 100, bonus_pool_share: 5%}")
    with pytest.raises(PolicyError) as error:
        load_policy(path)
    assert [
        f"{path}:96:9: budget: a budget gives exactly one of `bonus_pool` (an amount) or `bonus_pool_share` (N%)"
    ] == error.value.lines()


def test_pool_share_must_be_written_as_a_percentage(tmp_path):
    """`bonus_pool_share: 12` (no %) is an error naming the expected form."""
    path = policy_with(tmp_path, "{bonus_pool_share: 12}")
    with pytest.raises(PolicyError) as error:
        load_policy(path)
    assert [
        f'{path}:96:28: budget.bonus_pool_share: expected a share written as "N%", like "12%", got \'12\''
    ] == error.value.lines()


def test_json_shows_the_factor_on_each_payslip_and_the_budget_in_the_summary(tmp_path):
    """compute --format json carries budget_factor per payslip and pool, demand, factor in the summary."""
    result = CliRunner().invoke(
        app, ["compute", str(policy_with(tmp_path, "{bonus_pool: 4000}")), str(MONTH), "--format", "json"]
    )
    assert 0 == result.exit_code, result.output
    data = json.loads(result.stdout)
    factor = str(Decimal(4000) / Decimal("8039.48"))
    assert {factor} == {slip["budget_factor"] for slip in data["payslips"]}
    assert {"pool": "4000.00", "demand": "8039.48", "factor": factor, "scaled": True, "base_pay": "24012.64"} == data[
        "summary"
    ]["budget"]


def test_csv_has_a_budget_factor_column(tmp_path):
    """compute --format csv ends each row with the budget factor under a policy with a budget."""
    result = CliRunner().invoke(
        app, ["compute", str(policy_with(tmp_path, "{bonus_pool: 4000}")), str(MONTH), "--format", "csv"]
    )
    assert 0 == result.exit_code, result.output
    header, first = result.stdout.splitlines()[:2]
    assert header.endswith(",gross,budget_factor")
    assert first.endswith("," + str(Decimal(4000) / Decimal("8039.48")))


def test_table_summary_shows_pool_demand_and_factor(tmp_path):
    """The summary table has the pool, what the bonuses asked for, and the factor."""
    result = CliRunner().invoke(app, ["compute", str(policy_with(tmp_path, "{bonus_pool: 4000}")), str(MONTH)])
    assert 0 == result.exit_code, result.output
    lines = {line.strip() for line in result.stdout.splitlines()}
    assert any(line.startswith("│ Bonus pool (CNY)") and line.endswith("4,000.00 │") for line in lines)
    assert any(line.startswith("│ Bonuses before the budget (CNY)") and line.endswith("8,039.48 │") for line in lines)
    assert any(line.startswith("│ Budget factor") and line.endswith("0.497545 │") for line in lines)


STEPS = st.sampled_from([Decimal("0.01"), Decimal("0.05"), Decimal("1"), Decimal("10")])


@given(STEPS, st.lists(st.integers(min_value=0, max_value=10**7), min_size=1, max_size=40), st.data())
def test_scaled_bonuses_always_add_up_to_the_pool(step, units, data):
    """For any bonuses in whole steps and any pool below their total, the shares add up to the pool exactly."""
    total = sum(units)
    assume(total > 0)
    pool_units = data.draw(st.integers(min_value=0, max_value=total - 1))
    asks = [(f"A{i:03}", n * step) for i, n in enumerate(units)]
    shares = share_out(pool_units * step, asks, step)
    assert pool_units * step == sum(shares, Decimal(0))
    for (_, asked), share in zip(asks, shares, strict=True):
        assert Decimal(0) <= share <= asked
        assert abs(asked * pool_units / total - share) < step
