"""A run's input: month, quarter and year arithmetic, combining monthly rows, and a quarter's payslips."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from cspay.engine.period import period_policy
from cspay.engine.types import AgentRow
from cspay.errors import MetricsError, PolicyError
from cspay.inputs.combine import Month, combine, kpi_value
from cspay.inputs.months import open_period
from cspay.periods import parse_period, period_of, read_month_cell
from cspay.policy.loader import load_policy
from cspay.policy.model import Kpi, LinearScore
from cspay.run.pay import compute, pay

DATA = Path(__file__).parent / "data"
QUARTER = DATA / "quarter"
MONTHS = [QUARTER / "2026-10.csv", QUARTER / "2026-11.csv", QUARTER / "2026-12.csv"]
INVALID = DATA / "periods" / "invalid"


@pytest.fixture(scope="module")
def policy():
    return load_policy(DATA / "quarterly.yaml")


@pytest.fixture(scope="module")
def run(policy):
    return compute_period(open_period(policy, MONTHS))


def compute_period(source):
    """The run of a period's source, its payslips in a list."""
    run = pay(source)
    run.payslips = list(run.payslips)
    return run


def slip_of(run, agent_id):
    return next(slip for slip in run.payslips if slip.agent_id == agent_id)


def lines_of(slip):
    return {line.code: line.amount for line in slip.lines}


def kpi(aggregate: str = "mean", weight_column: str | None = None, unit: str = "percent") -> Kpi:
    return Kpi(
        column="v",
        unit=unit,
        weight=100,
        score={"threshold": 1, "target": 2, "stretch": 3},
        aggregate=aggregate,
        weight_column=weight_column,
    )


def rows(*values: str | None, weights: tuple[str, ...] = ()) -> list[AgentRow]:
    return [
        AgentRow(
            i + 2,
            "A1",
            "L1",
            kpis={"v": None if v is None else Decimal(v)},
            numbers={"n": Decimal(weights[i]) if weights else Decimal(1)},
        )
        for i, v in enumerate(values)
    ]


# ---- periods ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "label", "kind", "months"),
    [
        ("2026-11", "2026-11", "month", 1),
        ("2026-q4", "2026-Q4", "quarter", 3),
        ("2026", "2026", "year", 12),
    ],
)
def test_period_label_kind_and_months(text, label, kind, months):
    """A period's label is written the canonical way and knows its kind and its number of months."""
    period = parse_period(text)
    assert (label, kind, months) == (period.label, period.kind, period.months)


@pytest.mark.parametrize(("kind", "label"), [("month", "2026-11"), ("quarter", "2026-Q4"), ("year", "2026")])
def test_period_of_a_day(kind, label):
    """The month, quarter or year that holds 30 November 2026."""
    assert label == period_of(date(2026, 11, 30), kind).label


@pytest.mark.parametrize("text", ["2026-11", "2026-11-30", "2026/11/30", "2026/11", " 2026.11.01 ", "２０２６-１１"])
def test_month_cell_forms(text):
    """A period cell names its month, or a date in it, with -, / or . between the parts."""
    assert "2026-11" == read_month_cell(text).label


@pytest.mark.parametrize("text", ["Nov", "2026-13", "2026-02-30", "", "11/2026"])
def test_bad_month_cell_is_refused(text):
    """Anything but a year then a month (then a day) is refused, saying what is expected."""
    with pytest.raises(ValueError, match="a month like 2026-11 or a date like 2026-11-30"):
        read_month_cell(text)


# ---- combining a KPI's months -------------------------------------------------------------------


def test_mean_is_the_default_aggregate():
    """Without `aggregate`, a KPI's months combine by their mean."""
    assert Decimal(91) == kpi_value("v", kpi(), rows("90", "92"))


def test_weighted_mean_weighs_by_the_weight_column():
    """A weighted mean counts a month by its volume: (90 x 10 + 96 x 30) / 40 = 94.5."""
    assert Decimal("94.5") == kpi_value("v", kpi("weighted_mean", "n"), rows("90", "96", weights=("10", "30")))


def test_weighted_mean_without_any_volume_is_the_plain_mean():
    """When every month's weight is 0 there is nothing to weigh by, so the months count alike."""
    assert Decimal(93) == kpi_value("v", kpi("weighted_mean", "n"), rows("90", "96", weights=("0", "0")))


@pytest.mark.parametrize(("aggregate", "expected"), [("sum", "18"), ("last", "5"), ("min", "5"), ("max", "7")])
def test_other_aggregates(aggregate, expected):
    """sum, last, min and max over the months 6, 7, 5."""
    assert Decimal(expected) == kpi_value("v", kpi(aggregate, unit="count"), rows("6", "7", "5"))


def test_months_without_a_value_are_skipped():
    """A month where the KPI has no value (missing: exclude) does not count, not even as zero."""
    assert Decimal(80) == kpi_value("v", kpi(), rows("80", None))


def test_no_value_in_any_month_is_no_value():
    """A KPI with no value in any month has no value for the period."""
    assert kpi_value("v", kpi(), rows(None, None)) is None


# ---- combining an agent's rows -------------------------------------------------------------------


def test_columns_combine_by_their_rule(policy):
    """Volumes, adjustment units and worked days add up; a gate's column takes the mean by default."""
    month_rows = open_period(policy, MONTHS).rows
    first = next(iter(month_rows))
    assert "Q001" == first.agent_id
    assert Decimal(100) == first.numbers["surveys"]
    assert Decimal(3) == first.numbers["valid_complaints"]
    assert Decimal("65.25") == first.numbers["worked_days"]
    assert (Decimal(100) + Decimal(90) + Decimal("98.5")) / 3 == first.numbers["attendance"]


def test_gate_combine_says_how_its_column_combines(policy, tmp_path):
    """A gate with `combine: min` takes the month with the lowest value."""
    changed = tmp_path / "p.yaml"
    changed.write_text(
        (DATA / "quarterly.yaml")
        .read_text(encoding="utf-8")
        .replace("below: 95, then", "below: 95, combine: min, then"),
        encoding="utf-8",
    )
    first = next(iter(open_period(load_policy(changed), MONTHS).rows))
    assert Decimal(90) == first.numbers["attendance"]


def test_agents_come_in_order_of_first_appearance(policy):
    """Agents of the first month come first, then those who joined later."""
    assert ["Q001", "Q002", "Q004", "Q003"] == [row.agent_id for row in open_period(policy, MONTHS).rows]


def test_identity_comes_from_the_last_month(policy):
    """Role, team and row number are the agent's last month's: Q004 moved to L2 and to team West."""
    row = next(row for row in open_period(policy, MONTHS).rows if row.agent_id == "Q004")
    assert ("L2", "West", 3) == (row.role, row.team, row.line)


def test_a_kpi_by_group_scores_the_period_on_the_group_of_the_last_month(policy):
    """Q004 moved from team East to West in the quarter: fcr by team scores the quarter on West's curve."""
    fcr = policy.kpis["fcr"]
    west = {"West": LinearScore(threshold=Decimal("0.5"), target=Decimal("0.6"), stretch=Decimal("0.7"))}
    grouped = policy.model_copy(
        update={"kpis": {**policy.kpis, "fcr": fcr.model_copy(update={"by": "team", "groups": west})}}
    )
    rows = {row.agent_id: row for row in open_period(grouped, MONTHS).rows}
    slip = slip_of(compute_period(open_period(grouped, MONTHS)), "Q004")
    assert ({"team": "West"}, "West") == (rows["Q004"].groups, slip.kpis[1].curve_group)


def test_a_role_change_is_noted(policy):
    """An agent whose role changed gets a note listing each month's role and the part each role is paid for."""
    notes = open_period(policy, MONTHS).notes
    assert [
        (
            "note.role_changed",
            {"agent": "Q004", "roles": "2026-10: L1, 2026-11: L2, 2026-12: L2", "shares": "L1 1/3, L2 2/3"},
        )
    ] == [(note.key, note.values) for note in notes]


def test_fewer_files_than_months_is_noted(policy):
    """Two files for a quarter are computed, with a note that proration still counts three months."""
    notes = open_period(policy, MONTHS[:2]).notes
    assert ("note.fewer_months", {"files": 2, "months": 3}) == (notes[0].key, notes[0].values)


def test_negative_weight_names_file_and_row(policy, tmp_path):
    """A negative volume in a weighted mean's column is an error naming the month's file and row."""
    bad = tmp_path / "2026-11.csv"
    bad.write_text(MONTHS[1].read_text(encoding="utf-8").replace("96,40,", "96,-40,"), encoding="utf-8")
    with pytest.raises(MetricsError) as error:
        open_period(policy, [MONTHS[0], bad])
    assert [f'{bad}: row 2, column "surveys": got "-40", expected a number of at least 0'] == error.value.lines()


def test_bad_cells_of_every_month_are_reported_together(policy, tmp_path):
    """Problems in two months' files are all reported, each naming its file and row."""
    october, november = tmp_path / "10.csv", tmp_path / "11.csv"
    october.write_text(MONTHS[0].read_text(encoding="utf-8").replace("0.78,360,85", "1.78,360,85"), encoding="utf-8")
    november.write_text(
        MONTHS[1].read_text(encoding="utf-8").replace("Q002,Li Na,L1", "Q002,Li Na,L9"), encoding="utf-8"
    )
    with pytest.raises(MetricsError) as error:
        open_period(policy, [october, november])
    assert [
        f'{october}: row 2, column "fcr": got "1.78", expected a ratio between 0 and 1, like 0.81 or 81%',
        f'{november}: row 3, column "role": unknown role "L9", expected one of L1, L2',
    ] == error.value.lines()


def test_without_period_column_the_last_file_given_is_the_last_month(policy):
    """Without a period column the files count in the order given, whatever their names."""
    months = [Month(name, [full_row(policy, name=name)]) for name in ("b.csv", "a.csv")]
    combined, _ = combine(policy, months)
    assert "a.csv" == combined[0].name


def full_row(policy, name: str) -> AgentRow:
    numbers = dict.fromkeys(["surveys", "attendance", "worked_days", "valid_complaints", "tickets"], Decimal(1))
    return AgentRow(2, "A1", "L1", name, kpis=dict.fromkeys(policy.kpis, Decimal(85)), numbers=numbers)


# ---- the policy over a period -------------------------------------------------------------------


def test_role_amounts_are_monthly_times_three(policy):
    """A quarter counts three months of base pay, allowances and an amount target bonus."""
    quarter = period_policy(policy)
    assert (Decimal(15600), Decimal(5400), Decimal(1200)) == (
        quarter.roles["L1"].base_pay,
        quarter.roles["L1"].target_bonus_amount(),
        quarter.roles["L1"].allowances["meal"],
    )


def test_share_target_follows_the_tripled_base(policy):
    """A target bonus of 30% of base pay is 30% of three months' base: 5850."""
    assert Decimal(5850) == period_policy(policy).roles["L2"].target_bonus_amount()


def test_proration_counts_the_months_of_the_period(policy):
    """Proration's full is 21.75 days a month, 65.25 for a quarter."""
    assert Decimal("65.25") == period_policy(policy).proration.full


def test_period_policy_keeps_path_and_hash(policy):
    """The engine's copy of the policy is still the same file, with the same hash."""
    quarter = period_policy(policy)
    assert (policy.path, policy.sha256) == (quarter.path, quarter.sha256)


# ---- a quarter's payslips -----------------------------------------------------------------------


def test_hand_checked_quarter_payslip(run):
    """Q001 over the quarter, computed by hand.

    csat weighted by surveys (90x20 + 96x40 + 93x40) / 100 = 93.6 -> 1 + 3.6/6 x 0.5 = 1.3;
    fcr mean 0.83 -> 1.25; aht mean 330 -> 1.25; qa min 85 -> band 80 = 1.0;
    score (35x1.3 + 25x1.25 + 15x1.25 + 25x1.0) / 100 = 1.205 -> S (x1.5); attendance mean 96.17 passes;
    bonus 1800 x 3 x 1.5 = 8100; complaints 1+0+2 = 3 -> -300; tickets 3150 - 2700 = 450 x 2 -> limit 600;
    base 5200 x 3, meal 400 x 3, transport 200 x 3.
    """
    slip = slip_of(run, "Q001")
    assert (Decimal("1.205"), "S") == (slip.score, slip.grade)
    assert {
        "base_pay": Decimal("15600.00"),
        "allowance.meal": Decimal("1200.00"),
        "allowance.transport": Decimal("600.00"),
        "bonus": Decimal("8100.00"),
        "adjustment.complaints": Decimal("-300.00"),
        "adjustment.volume": Decimal("600.00"),
    } == lines_of(slip)
    assert Decimal("25800.00") == slip.gross


def test_a_leaver_is_prorated_on_the_months_present(run):
    """Q002 worked October and November only: 43.5 of 65.25 days, two thirds of the quarter."""
    slip = slip_of(run, "Q002")
    assert (Decimal("10400.00"), Decimal("4320.00")) == (slip.amount("base_pay"), slip.amount("bonus"))


def test_a_new_hire_is_evaluated_on_their_month(run):
    """Q003 joined in December for 10.875 days (a sixth of the quarter); 12 surveys leave csat out."""
    slip = slip_of(run, "Q003")
    assert (Decimal("2600.00"), Decimal("1080.00")) == (slip.amount("base_pay"), slip.amount("bonus"))
    assert "surveys 12 is below the minimum 30" == slip.kpis[0].left_out


def test_min_volume_compares_the_combined_volume(run):
    """Q002 had 15 surveys a month: 30 over the quarter meets at_least 30 exactly."""
    assert slip_of(run, "Q002").kpis[0].left_out is None


def test_a_quarter_pays_bonus_and_adjustments_by_default(tmp_path):
    """Without `pays`, a quarterly payslip has the bonus and adjustment lines, not base pay or allowances."""
    changed = tmp_path / "p.yaml"
    changed.write_text(
        (DATA / "quarterly.yaml")
        .read_text(encoding="utf-8")
        .replace("pays: [base_pay, allowances, bonus, adjustments]\n", ""),
        encoding="utf-8",
    )
    slip = compute_period(open_period(load_policy(changed), MONTHS)).payslips[0]
    assert ["bonus", "adjustment.complaints", "adjustment.volume"] == [line.code for line in slip.lines]
    assert Decimal("8400.00") == slip.gross


def test_three_identical_months_score_like_one(policy, tmp_path):
    """A quarter of three copies of one month gives each agent that month's score."""
    text = MONTHS[0].read_text(encoding="utf-8")
    copies = []
    for month in ("2026-10", "2026-11", "2026-12"):
        copies.append(tmp_path / f"{month}.csv")
        copies[-1].write_text(text.replace("2026-10", month), encoding="utf-8")
    quarter = compute_period(open_period(policy, copies))
    month = compute(policy, open_period(policy, [copies[0]]).rows)
    assert [s.score for s in month.payslips] == [s.score for s in quarter.payslips]


# ---- policy rules about periods -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("weighted-mean-without-weight", "kpis.csat: aggregate weighted_mean needs a weight_column"),
        ("weight-column-without-weighted-mean", "kpis.aht: weight_column is only used by aggregate: weighted_mean"),
        ("sum-of-percent", "kpis.csat.aggregate: a sum of percent values means nothing; use mean or weighted_mean"),
        ("combine-on-kpi-gate", "gates[0].combine: a gate on a KPI uses the KPI's `aggregate`"),
        (
            "gate-on-summed-column",
            "gates[2]: column 'valid_complaints' is summed over the months for "
            "adjustments.complaints; give this gate `combine: sum`",
        ),
        ("gates-combine-differently", "gates[2]: column 'attendance' is combined by mean in gates[1]"),
        ("floor-in-quarter", "floor: a floor is a monthly minimum; apply it in the monthly run"),
        (
            "floor-without-full-pay",
            "floor: a floor tops up the whole month's pay; it needs `pays` to list "
            "base_pay, allowances, bonus, adjustments",
        ),
        (
            "unknown-pays-entry",
            "pays[1]: expected one of 'base_pay', 'allowances', 'bonus' or 'adjustments', got 'allowance'",
        ),
        ("empty-pays", "pays: List should have at least 1 item"),
        (
            "unknown-aggregate",
            "kpis.qa.aggregate: expected one of 'mean', 'weighted_mean', 'sum', 'last', 'min' or 'max', got 'median'",
        ),
    ],
)
def test_invalid_period_policy(name, message):
    """Each invalid policy in tests/data/periods/invalid fails with its own located message."""
    with pytest.raises(PolicyError) as error:
        load_policy(INVALID / f"{name}.yaml")
    assert any(message in line for line in error.value.lines()), error.value.lines()


def test_every_invalid_period_policy_is_tested():
    """No file in tests/data/periods/invalid is left without its expected message."""
    tested = {
        "weighted-mean-without-weight",
        "weight-column-without-weighted-mean",
        "sum-of-percent",
        "combine-on-kpi-gate",
        "gate-on-summed-column",
        "gates-combine-differently",
        "floor-in-quarter",
        "floor-without-full-pay",
        "unknown-pays-entry",
        "empty-pays",
        "unknown-aggregate",
    }
    assert tested == {path.stem for path in INVALID.glob("*.yaml")}


def test_monthly_policy_may_gate_a_summed_column(tmp_path):
    """Gate `combine` rules concern months, so a monthly policy may gate on an adjustment's column."""
    changed = tmp_path / "p.yaml"
    changed.write_text(
        (DATA / "standard.yaml")
        .read_text(encoding="utf-8")
        .replace("  - {kpi: qa,", "  - {column: valid_complaints, above: 6, then: forfeit}\n  - {kpi: qa,"),
        encoding="utf-8",
    )
    assert 3 == len(load_policy(changed).gates)


def test_a_month_pays_everything_by_default():
    """Without `pays`, a monthly policy pays base pay, allowances, bonus and adjustments."""
    assert ["base_pay", "allowances", "bonus", "adjustments"] == load_policy(DATA / "standard.yaml").paid_lines


@pytest.mark.parametrize("spelling", ["q001", "Ｑ００１", "Q\u200b001"])
def test_an_agent_written_two_ways_in_two_months_is_refused(policy, tmp_path, spelling):
    """One agent whose id is spelt differently in another month is an error naming both places, never two
    agents paid a quarter each."""
    november = tmp_path / "2026-11.csv"
    november.write_text(
        (QUARTER / "2026-11.csv").read_text(encoding="utf-8").replace("\nQ001,", f"\n{spelling},"), encoding="utf-8"
    )
    with pytest.raises(MetricsError) as caught:
        open_period(policy, [MONTHS[0], november, MONTHS[2]])
    assert [
        f"{november}: row 2: agent {spelling!r} is written 'Q001' in {MONTHS[0]} row 2; expected one spelling "
        f"of an id in every month"
    ] == caught.value.lines()
