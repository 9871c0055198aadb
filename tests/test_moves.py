"""What moves the bonus: every amount agrees with editing the metrics file and computing again."""

from __future__ import annotations

import csv
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from helpers import agent_row, metric_rows
from hypothesis import given, settings
from hypothesis import strategies as st

from cspay.engine.explain import explain_row, row_of
from cspay.engine.moves import MovesMemo, clearing_value, what_moves
from cspay.inputs.metrics import read_metrics
from cspay.policy.loader import load_policy
from cspay.run.pay import compute

DATA = Path(__file__).parent / "data"
MONTH = DATA / "month.csv"


@pytest.fixture(scope="module")
def policy():
    return load_policy(DATA / "standard.yaml")


@pytest.fixture(scope="module")
def rows(policy):
    return read_metrics(MONTH, policy)


def gross_with(policy, tmp_path: Path, agent_id: str, column: str, value: Decimal) -> tuple[Decimal, str | None]:
    """Gross and grade of the agent after writing `value` into one cell of a copy of the metrics file."""
    with MONTH.open(encoding="utf-8", newline="") as handle:
        table = list(csv.reader(handle))
    header = table[0]
    for cells in table[1:]:
        if cells[0] == agent_id:
            cells[header.index(column)] = str(value)
    edited = tmp_path / f"edited-{agent_id}-{column}.csv"
    with edited.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(table)
    slip = next(s for s in compute(policy, read_metrics(edited, policy)).payslips if s.agent_id == agent_id)
    return slip.gross, slip.grade


def test_every_kpi_move_agrees_with_a_recomputation(policy, rows, tmp_path):
    """For every agent and KPI, the money a move adds is the gross of the edited file minus today's gross."""
    checked = 0
    for row in rows:
        explanation = explain_row(policy, row)
        for lever in explanation.moves.kpis:
            column = policy.kpis[lever.code].column
            for step in (lever.next_point, lever.next_grade):
                if step is None:
                    continue
                gross, grade = gross_with(policy, tmp_path, row.agent_id, column, step.value)
                assert gross - explanation.gross == step.outcome.gain, (row.agent_id, lever.code, step.goal)
                assert grade == step.outcome.grade
                checked += 1
    assert 20 <= checked


def test_every_gate_move_agrees_with_a_recomputation(policy, rows, tmp_path):
    """The money clearing a gate restores is the gross with that cell at the clearing value, minus today's."""
    levers = [(row, lever) for row in rows for lever in explain_row(policy, row).moves.gates]
    assert {"A003", "A004"} == {row.agent_id for row, _ in levers}
    for row, lever in levers:
        column = policy.kpis[lever.subject].column if lever.subject in policy.kpis else lever.subject
        gross, _ = gross_with(policy, tmp_path, row.agent_id, column, lever.value)
        assert gross - explain_row(policy, row).gross == lever.outcome.gain


def test_a001_csat_needs_exactly_94_5_for_grade_s(policy, rows, tmp_path):
    """A001 reaches S with csat 94.5 (solved exactly), adds 540.00, and 94.49 stays A."""
    step = explain_row(policy, rows[0]).moves.kpis[0].next_grade
    assert (Decimal("94.5"), Decimal("94.5"), Decimal("540.00")) == (step.exact, step.value, step.outcome.gain)
    assert (Decimal("8480.00"), "S") == gross_with(policy, tmp_path, "A001", "csat", step.value)
    assert "A" == gross_with(policy, tmp_path, "A001", "csat", Decimal("94.49"))[1]


def test_next_grade_on_a_lower_is_better_kpi_goes_down(policy, rows, tmp_path):
    """A003 needs handle time down to 348.46 s for grade C; 348.47 s is not enough."""
    step = next(lever for lever in explain_row(policy, rows[2]).moves.kpis if lever.code == "aht").next_grade
    assert (Decimal("348.46"), Decimal("-51.54"), "C") == (step.value, step.change, step.outcome.grade)
    assert "D" == gross_with(policy, tmp_path, "A003", "aht_sec", Decimal("348.47"))[1]


def test_grade_out_of_reach_by_one_kpi_is_said_so(policy, rows, tmp_path):
    """A001 cannot reach S by handle time alone: even at stretch the grade stays A."""
    lever = next(lever for lever in explain_row(policy, rows[0]).moves.kpis if lever.code == "aht")
    assert (None, "unreachable") == (lever.next_grade, lever.grade_note)
    assert "A" == gross_with(policy, tmp_path, "A001", "aht_sec", Decimal(1))[1]


def test_kpi_at_its_best_point_has_no_next_point(policy, rows):
    """A value at stretch has nowhere further to go on its curve."""
    lever = next(lever for lever in explain_row(policy, rows[1]).moves.kpis if lever.code == "aht")
    assert (None, "at_best") == (lever.next_point, lever.note)


def test_left_out_kpi_has_no_moves(policy, rows):
    """A KPI left out for too few surveys offers no move this month."""
    lever = explain_row(policy, rows[1]).moves.kpis[0]
    assert (None, None, "left_out") == (lever.next_point, lever.next_grade, lever.note)


def test_top_grade_has_no_next_grade(policy, rows):
    """An agent in the top grade is told so, with no score to reach."""
    assert explain_row(policy, rows[1]).moves.next_grade is None


def test_next_grade_gap_is_min_score_minus_score(policy, rows):
    """The score needed for the next grade is its min_score minus the agent's score."""
    explanation = explain_row(policy, rows[0])
    assert ("S", Decimal("1.2") - explanation.bonus.score) == (
        explanation.moves.next_grade.grade,
        explanation.moves.next_grade.gap,
    )


@pytest.mark.parametrize(
    ("condition", "now", "expected"),
    [
        (("below", Decimal(95)), Decimal("93.5"), Decimal(95)),
        (("above", Decimal(3)), Decimal(5), Decimal(3)),
        (("at_least", Decimal(3)), Decimal(4), Decimal(2)),
        (("at_least", Decimal(3)), Decimal("3.5"), Decimal("2.9")),
        (("at_most", Decimal("1.5")), Decimal(1), Decimal("1.6")),
    ],
)
def test_clearing_value_is_the_nearest_value_where_the_gate_stops(condition, now, expected):
    """`below`/`above` clear at the limit itself; `at_least`/`at_most` one step past it."""
    assert expected == clearing_value(condition, now)


values = st.fixed_dictionaries(
    {
        "csat": st.decimals(min_value=60, max_value=100, places=1),
        "fcr": st.decimals(min_value="0.5", max_value=1, places=2),
        "aht": st.decimals(min_value=250, max_value=480, places=0),
        "qa": st.decimals(min_value=50, max_value=100, places=0),
    }
)


@settings(max_examples=60, deadline=None)
@given(values)
def test_every_next_grade_value_really_reaches_the_grade(policy, rows, kpis):
    """Whatever the KPI values, a value offered for the next grade gives that grade when computed."""
    row = replace(rows[0], kpis=kpis)
    explanation = explain_row(policy, row)
    for lever in explanation.moves.kpis:
        if lever.next_grade is not None:
            assert lever.next_grade.reached
            assert explanation.moves.next_grade.min_score <= lever.next_grade.outcome.score


def test_no_kpi_counted_means_no_grade_and_no_moves(policy, rows):
    """When every KPI cell is empty (as `missing: exclude` allows), there is no next grade and no KPI move."""
    explanation = explain_row(policy, replace(rows[0], kpis=dict.fromkeys(policy.kpis)))
    assert (None, None) == (explanation.bonus.score, explanation.moves.next_grade)
    assert {"no_value"} == {lever.note for lever in explanation.moves.kpis}


# ---- group targets: the moves follow the curve of the agent's group --------------------------------


@pytest.fixture(scope="module")
def queued():
    """Satisfaction by queue (complaints 70/80/88, sales bands), and the month's rows in queues."""
    policy = load_policy(DATA / "queues.yaml")
    return policy, read_metrics(DATA / "queue-month.csv", policy)


def test_the_next_point_is_on_the_curve_of_the_agent_group(queued):
    """At 85, A003 (retail, on the general curve) aims for its target 90; as complaints, the same 85 is past
    target 80 and aims for stretch 88."""
    policy, rows = queued
    retail = explain_row(policy, rows[2]).moves.kpis[0].next_point
    complaints = explain_row(policy, replace(rows[2], groups={"queue": "complaints"})).moves.kpis[0].next_point
    assert [("target", Decimal(90)), ("stretch", Decimal(88))] == [
        (retail.goal, retail.value),
        (complaints.goal, complaints.value),
    ]


@settings(max_examples=60, deadline=None)
@given(values, st.sampled_from(["complaints", "Sales", "retail", ""]))
def test_every_next_grade_value_really_reaches_the_grade_in_any_queue(queued, kpis, queue):
    """Whatever the values and the queue, a value offered for the next grade gives that grade when paid."""
    policy, rows = queued
    row = replace(rows[0], kpis=kpis, groups={"queue": queue})
    explanation = explain_row(policy, row)
    for lever in explanation.moves.kpis:
        if lever.next_grade is not None:
            assert lever.next_grade.reached
            assert explanation.moves.next_grade.min_score <= lever.next_grade.outcome.score


@pytest.mark.parametrize("repeating", [True, False], ids=["values-repeat", "values-rarely-repeat"])
def test_remembered_moves_are_those_worked_out_afresh(policy, write_csv, repeating):
    """Through the memo, every agent's moves are what working them out for that row alone gives."""
    rows = read_metrics(write_csv(metric_rows(300, repeating=repeating)), policy)
    run = compute(policy, rows)
    pricing, memo = run.pricing(), MovesMemo(limit=50)
    for slip in run.payslips:
        assert what_moves(pricing, row_of(slip)) == memo.moves(pricing, row_of(slip))


def test_values_written_differently_are_not_taken_for_one_another(policy):
    """92.5 and 92.50 are equal but shown as written: each gets moves of its own."""
    pricing, memo = compute(policy, []).pricing(), MovesMemo()
    written = [agent_row(attendance=text) for text in ("92.5", "92.50", "92.5")]
    moves = [memo.moves(pricing, row) for row in written]
    assert [Decimal("92.5"), Decimal("92.50"), Decimal("92.5")] == [m.gates[0].value_now for m in moves]
    assert ["92.5", "92.50", "92.5"] == [str(m.gates[0].value_now) for m in moves]
    assert moves[0] is moves[2] and moves[0] is not moves[1]


def test_the_memo_forgets_its_oldest_rows_past_its_limit(policy):
    """Memory stays flat: past `limit` rows the oldest is worked out again when asked."""
    pricing, memo = compute(policy, []).pricing(), MovesMemo(limit=2)
    first = memo.moves(pricing, agent_row(qa="70"))
    memo.moves(pricing, agent_row(qa="71"))
    memo.moves(pricing, agent_row(qa="72"))
    assert first is not memo.moves(pricing, agent_row(qa="70"))
    assert first == memo.moves(pricing, agent_row(qa="70"))


def test_remembered_moves_follow_the_agents_group(queued):
    """Two agents alike but for their queue aim at different points: the memo keeps a row per group."""
    policy, rows = queued
    run = compute(policy, [])
    pricing, memo = run.pricing(), MovesMemo()
    for queue in ("complaints", "retail", "complaints", "Sales"):
        row = replace(rows[2], groups={"queue": queue})
        assert what_moves(pricing, row) == memo.moves(pricing, row)
