"""From gross to net: bounded bases, contributions, and income tax by the cumulative, monthly and one-time
methods, each at its boundaries, against the tax authority's published example and figures by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from helpers import CN_IIT, gross_payslip

from cspay.engine.statutory import Withholder, YearToDate, bounded, row_for, tax_by_table
from cspay.policy.in_force import BaseInForce, ContributionInForce, RulesInForce, TaxInForce, rows_of
from cspay.policy.loader import load_pack
from cspay.policy.model import Rounding
from cspay.rollout.lint_statutory import dead_zones

D = Decimal
CENTS = Rounding()
PACK = load_pack(CN_IIT)
ANNUAL = rows_of(PACK.income_tax.brackets[date(2019, 1, 1)])  # type: ignore[union-attr]
MONTHLY = rows_of(PACK.one_time_bonus.brackets[date(2019, 1, 1)])  # type: ignore[union-attr]
CUMULATIVE = TaxInForce(None, "cumulative", D(5000), ANNUAL, True, CENTS)


def rules(
    *contributions: ContributionInForce,
    tax: TaxInForce | None = CUMULATIVE,
    floor: str | None = None,
    cap: str | None = None,
    of: str = "column",
) -> RulesInForce:
    """The rules of one base `wage` (the column `base`, or gross), the contributions and the tax given."""
    base = BaseInForce("wage", None, of, "base", None if floor is None else D(floor), None if cap is None else D(cap))
    return RulesInForce(date(2026, 1, 1), {"wage": base}, contributions, tax, "special", None)


def contribution(code: str, employee: str, employer: str = "0", rounding: Rounding = CENTS) -> ContributionInForce:
    return ContributionInForce(code, None, "wage", D(employee), D(employer), rounding)


def months(withholder_of: Rules, grosses: list[str], **numbers: str) -> list[Decimal]:
    """The tax withheld month after month, each month's year to date the months before it added up."""
    so_far, withheld = YearToDate(), []
    for gross in grosses:
        slip = Withholder(withholder_of, {"A001": so_far}).withhold(gross_payslip(gross, **numbers))
        withheld.append(slip.deductions[-1].amount)
        so_far = so_far + slip.withholding.this_month(slip.gross)
    return withheld


Rules = RulesInForce


def test_the_tax_authoritys_example_withholds_555_625_and_1850() -> None:
    """Wage 30,000 a month, contributions 4,500, special deductions 2,000: 555 in January, 625 in February,
    1,850 in March (the State Taxation Administration's example of the cumulative method)."""
    social = contribution("social", "0.15")
    withheld = months(rules(social), ["30000", "30000", "30000"], base="30000", special="2000")
    assert [D("555.00"), D("625.00"), D("1850.00")] == withheld


@pytest.mark.parametrize("index", range(len(ANNUAL) - 1))
def test_an_annual_edge_is_taxed_by_the_row_below_and_the_tax_does_not_jump(index: int) -> None:
    """At each edge of the annual table the lower row holds, a cent above it the next one, and the tax of
    the two differs by no more than the higher rate on that cent: cumulative withholding has no cliff."""
    edge = ANNUAL[index][0]
    assert edge is not None
    below, above = tax_by_table(ANNUAL, edge), tax_by_table(ANNUAL, edge + D("0.01"))
    assert (ANNUAL[index], ANNUAL[index + 1]) == (below[1], above[1])
    assert D(0) <= above[0] - below[0] <= ANNUAL[index + 1][1] * D("0.01")


@pytest.mark.parametrize("index", range(len(MONTHLY) - 1))
def test_a_one_time_bonus_on_an_edge_takes_the_lower_rate_and_a_cent_more_nets_less(index: int) -> None:
    """A bonus of 12 × an edge of the monthly table is taxed at that row's rate on the whole bonus; a cent
    more takes the next rate on the whole bonus, so it nets less: the well-known dead zone."""
    edge = MONTHLY[index][0]
    assert edge is not None
    bonus = edge * 12
    at_edge = tax_by_table(MONTHLY, bonus, bonus / 12)
    above = tax_by_table(MONTHLY, bonus + D("0.01"), (bonus + D("0.01")) / 12)
    assert (MONTHLY[index][1], MONTHLY[index + 1][1]) == (at_edge[1][1], above[1][1])
    assert bonus + D("0.01") - above[0] < bonus - at_edge[0]


def test_the_one_time_bonus_at_36000_and_a_cent_above() -> None:
    """36,000 ÷ 12 = 3,000 takes 3%: 1,080.00; 36,000.01 takes 10% less 210 on all of it: 3,390.00."""
    one_time = TaxInForce(None, "one_time", D(0), MONTHLY, False, CENTS, 12)
    taxed = [Withholder(rules(tax=one_time)).withhold(gross_payslip(bonus)).deductions[-1].amount
             for bonus in ("36000", "36000.01")]  # fmt: skip
    assert [D("1080.00"), D("3390.00")] == taxed


def test_the_dead_zones_of_the_one_time_bonus() -> None:
    """Each edge's dead zone ends where a larger bonus nets what the edge nets: the published list."""
    found = [(edge, end.quantize(D("0.01"))) for edge, end in dead_zones(MONTHLY, 12)]
    expected = [(36000, "38566.67"), (144000, "160500.00"), (300000, "318333.33"), (420000, "447500.00"),
                (660000, "706538.46"), (960000, "1120000.00")]  # fmt: skip
    assert [(D(edge), D(end)) for edge, end in expected] == found


def test_a_mid_year_hire_deducts_5000_for_each_month_employed() -> None:
    """Hired in June, with nothing earlier in the year: June deducts 5,000, July 10,000 (two months)."""
    social = contribution("social", "0")
    slip = Withholder(rules(social)).withhold(gross_payslip("8000", base="8000", special="0"))
    tax = slip.withholding.tax
    later = Withholder(rules(social), {"A001": slip.withholding.this_month(slip.gross)}).withhold(
        gross_payslip("8000", base="8000", special="0")
    )
    assert [(1, D(5000), D("90.00")), (2, D(10000), D("90.00"))] == [
        (tax.months, tax.basic_deduction, slip.deductions[-1].amount),
        (later.withholding.tax.months, later.withholding.tax.basic_deduction, later.deductions[-1].amount),
    ]


def test_a_lower_month_after_a_bonus_month_withholds_nothing_and_refunds_nothing() -> None:
    """A month whose year-to-date tax falls below what was withheld withholds 0, never a negative amount;
    the next month withholds the year's tax less everything withheld."""
    withheld = months(rules(contribution("social", "0")), ["20000", "2000", "9000"], base="5000", special="0")
    # January (20,000 − 5,000) × 3% = 450; February 12,000 × 3% = 360 < 450: 0; March 16,000 × 3% = 480 − 450.
    assert [D("450.00"), D("0.00"), D("30.00")] == withheld


@pytest.mark.parametrize(
    ("declared", "used"),
    [("7459.99", "7460"), ("7460", "7460"), ("20000", "20000"), ("37302", "37302"), ("37302.01", "37302")],
)
def test_a_base_below_the_floor_is_raised_above_the_cap_cut_and_on_either_kept(declared: str, used: str) -> None:
    """The declared base is bounded by the floor and cap; a base equal to either is kept as it is."""
    assert D(used) == bounded(D(declared), D(7460), D(37302))


def test_contributions_are_shares_of_the_bounded_base() -> None:
    """A declared base above the cap pays on the cap: 8% of 37,302 is 2,984.16; the employer's 16%, 5,968.32."""
    pension = contribution("pension", "0.08", "0.16")
    slip = Withholder(rules(pension, tax=None, floor="7460", cap="37302")).withhold(
        gross_payslip("22000", base="40000", special="0")
    )
    assert ([D("2984.16")], [D("5968.32")]) == ([line.amount for line in slip.deductions],
                                                [line.amount for line in slip.employer])  # fmt: skip


def test_each_deduction_is_rounded_by_its_own_rule() -> None:
    """A housing fund rounded to the yuan: 7% of 7,460 is 522.20, paid as 522; of 7,500, 525."""
    fund = contribution("housing_fund", "0.07", "0.07", Rounding(step=D(1)))
    amounts = [
        Withholder(rules(fund, tax=None)).withhold(gross_payslip("9000", base=base, special="0")).deductions[0].amount
        for base in ("7460", "7500")
    ]
    assert [D("522"), D("525")] == amounts


def test_net_is_gross_less_the_deductions_and_employer_contributions_stay_off_gross() -> None:
    """Gross is still the sum of the pay lines; net is gross less each rounded deduction."""
    slip = Withholder(rules(contribution("pension", "0.08", "0.16"))).withhold(
        gross_payslip("12345.67", base="10000", special="1000")
    )
    assert (D("12345.67"), D("12345.67") - sum(line.amount for line in slip.deductions)) == (slip.gross, slip.net)


def test_a_flat_rule_of_another_country() -> None:
    """A flat 22% above a monthly allowance of 700, after contributions of 1.6% and 2% of gross (deductible):
    gross 3,000 pays 48.00 and 60.00; (3,000 − 700 − 108) × 22% = 482.24."""
    flat = TaxInForce(None, "monthly", D(700), ((None, D("0.22"), D(0)),), True, CENTS)
    unemployment, pension = contribution("unemployment", "0.016"), contribution("pension", "0.02")
    slip = Withholder(rules(unemployment, pension, tax=flat, of="gross")).withhold(gross_payslip("3000"))
    assert [D("48.00"), D("60.00"), D("482.24")] == [line.amount for line in slip.deductions]


def test_a_bracketed_monthly_rule_of_another_country() -> None:
    """0% to 1,000, 10% to 5,000, 20% above, each month on its own: 6,000 taxable pays 0 + 400 + 200."""
    table = ((D(1000), D(0), D(0)), (D(5000), D("0.10"), D(100)), (None, D("0.20"), D(600)))
    monthly = TaxInForce(None, "monthly", D(0), table, False, CENTS)
    withheld = months(rules(contribution("social", "0"), tax=monthly), ["6000", "6000"], base="0", special="0")
    assert [D("600.00"), D("600.00")] == withheld


def test_the_row_for_an_amount_above_every_edge_is_the_open_top_row() -> None:
    """An amount past the last edge is taxed by the open-ended top row."""
    assert ANNUAL[-1] == row_for(ANNUAL, D("5000000"))
