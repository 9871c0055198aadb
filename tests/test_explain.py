"""The explanation of one payslip: every line, KPI, gate, cap and floor traced to its rule."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from cspay.engine.compiled import Engine
from cspay.engine.explain import explain_row, explanation_data
from cspay.inputs.metrics import read_metrics
from cspay.policy.loader import load_policy

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def policy():
    return load_policy(DATA / "standard.yaml")


@pytest.fixture(scope="module")
def rows(policy):
    return {row.agent_id: row for row in read_metrics(DATA / "month.csv", policy)}


def test_lines_are_the_payslip_lines(policy, rows):
    """The explanation carries every payslip line with the engine's amount, and the gross."""
    slip = Engine(policy).payslip(rows["A001"])
    explained = explain_row(policy, rows["A001"])
    assert [(line.code, line.amount) for line in slip.lines] == [(line.code, line.amount) for line in explained.lines]
    assert Decimal("7940.00") == explained.gross


def test_kpi_contributions_add_up_to_the_score(policy, rows):
    """Each counted KPI's contribution is weight × score / counted weights; they add up to the score."""
    explained = explain_row(policy, rows["A001"])
    total = sum(kpi.contribution for kpi in explained.kpis)
    assert explained.bonus.score == total
    assert Decimal(35) * explained.kpis[0].score / 100 == explained.kpis[0].contribution


def test_positions_agree_with_the_engine(policy, rows):
    """Where each value sits on its curve names the same stretch as the engine's own position text."""
    engine_words = {
        "short_of_threshold": "short of threshold",
        "threshold_to_target": "between threshold and target",
        "target_to_stretch": "between target and stretch",
        "at_stretch": "at or beyond stretch",
    }
    for row in rows.values():
        slip = Engine(policy).payslip(row)
        for kpi, result in zip(explain_row(policy, row).kpis, slip.kpis, strict=True):
            expected = f"band from {kpi.band_from}" if kpi.position == "band" else engine_words[kpi.position]
            assert expected == result.position


def test_kpi_left_out_for_too_few_surveys_says_how_many(policy, rows):
    """A KPI left out by min_volume names the column, the count and the minimum."""
    csat = explain_row(policy, rows["007"]).kpis[0]
    assert ("too_few", "surveys", Decimal(12), Decimal(20)) == (
        csat.left_out.kind,
        csat.left_out.column,
        csat.left_out.count,
        csat.left_out.at_least,
    )
    assert csat.contribution is None


def test_gate_that_fired_names_value_condition_and_reason(policy, rows):
    """A fired gate carries the value it tested, its condition, its reason and the bonus before and after."""
    gate = explain_row(policy, rows["A004"]).bonus.gates[0]
    assert ("attendance", Decimal(90), "below", Decimal(95)) == (gate.subject, gate.value, gate.condition, gate.limit)
    assert "Attendance below 95%" == gate.reason
    assert (Decimal("0.5"), False) == (gate.multiply, gate.forfeit)


def test_prorated_line_keeps_its_full_amount(policy, rows):
    """A prorated line shows the amount before proration, so the panel can write 5,200.00 × 8.5/21.75."""
    explained = explain_row(policy, rows["A003"])
    base = explained.lines[0]
    assert (Decimal(5200), True, Decimal("2032.18")) == (base.full_amount, base.prorated, base.amount)
    assert Decimal("8.5") == explained.proration.worked_days


def test_adjustment_over_a_limit_says_it_was_limited(policy, rows):
    """Six complaints at -100 each are limited to -500, and the explanation says so."""
    complaints = next(line for line in explain_row(policy, rows["A003"]).lines if line.code == "adjustment.complaints")
    assert (Decimal(6), Decimal(-100), Decimal(-500), True) == (
        complaints.adjustment.units,
        complaints.adjustment.per_unit,
        complaints.adjustment.limit,
        complaints.adjustment.limited,
    )


def test_floor_top_up_is_the_difference_to_the_minimum(policy, rows):
    """The floor explanation gives the minimum, what the lines add up to, and the top-up."""
    floor = explain_row(policy, rows["A003"]).floor
    assert (Decimal(2690), Decimal("1766.66"), Decimal("923.34")) == (floor.minimum, floor.lines_total, floor.top_up)


def test_cap_equal_to_the_bonus_is_not_applied(policy, rows):
    """A bonus exactly at the cap is paid as it is, and the explanation says the cap was not applied."""
    bonus = explain_row(policy, rows["007"]).bonus
    assert (Decimal("2925.0"), False) == (bonus.cap_amount, bonus.capped)


def test_explanation_data_is_json_with_decimal_strings(policy, rows):
    """The data form has amounts as decimal strings and survives a JSON round trip."""
    data = json.loads(json.dumps(explanation_data(explain_row(policy, rows["A001"]))))
    assert "7940.00" == data["gross"]
    assert "94.5" == data["moves"]["kpis"][0]["next_grade"]["value"]


# ---- group targets ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def queued():
    """The contract with satisfaction by queue, and its month: A001 complaints, 007 Sales, A003 retail (not
    listed), A004 an empty cell."""
    policy = load_policy(DATA / "queues.yaml")
    return policy, {row.agent_id: row for row in read_metrics(DATA / "queue-month.csv", policy)}


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        ("A001", ("queue", "complaints", "complaints", "linear", ["70", "80", "88"])),
        ("007", ("queue", "Sales", "sales", "bands", ["85", "95"])),
        ("A003", ("queue", "retail", None, "linear", ["80", "90", "96"])),
        ("A004", ("queue", "", None, "linear", ["80", "90", "96"])),
    ],
)
def test_a_kpi_by_group_is_explained_on_the_curve_that_scored_it(queued, agent, expected):
    """The explanation names the column, the agent's cell and the group whose curve applied (None: the
    KPI's own), and shows that curve's points."""
    policy, rows = queued
    csat = explain_row(policy, rows[agent]).kpis[0]
    assert expected == (csat.by, csat.group, csat.curve_group, csat.curve, [str(p.at) for p in csat.points])


def test_explanation_data_names_the_curve_only_of_a_kpi_by_group(queued):
    """In JSON, satisfaction says by, group and curve_group; the other KPIs carry no such keys."""
    policy, rows = queued
    kpis = explanation_data(explain_row(policy, rows["A001"]))["kpis"]
    assert [("queue", "complaints", "complaints"), None, None, None] == [
        (kpi["by"], kpi["group"], kpi["curve_group"]) if "by" in kpi else None for kpi in kpis
    ]
