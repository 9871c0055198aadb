"""What a policy can pay: the highest score holds for every agent the units allow."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from policy_strategies import loaded, policy_texts

from cspay.engine.compiled import Engine
from cspay.engine.reach import UNIT_RANGES, breakpoints, highest_score
from cspay.inputs.metrics import AgentRow
from cspay.policy.loader import load_policy


def cell_values(policy, code: str) -> st.SearchStrategy[Decimal | None]:
    """Values a cell of this KPI may hold: its breakpoints, its range ends, anything between, or none."""
    kpi = policy.kpis[code]
    low, high = UNIT_RANGES[kpi.unit]
    anywhere = st.decimals(
        min_value=low if low is not None else -1000, max_value=high if high is not None else 1000, places=3
    )
    known = [
        v
        for v in [*breakpoints(kpi.score), low, high]
        if v is not None and (low is None or v >= low) and (high is None or v <= high)
    ]
    values = st.one_of(st.sampled_from(known), anywhere) if known else anywhere
    return st.one_of(values, st.none()) if kpi.missing == "exclude" else values


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=policy_texts(), data=st.data())
def test_no_agent_scores_above_the_highest_score(tmp_path, text, data):
    """The engine never scores an agent above reach.highest_score, whatever the cells and volumes."""
    policy = loaded(tmp_path, text)
    kpis = {code: data.draw(cell_values(policy, code)) for code in policy.kpis}
    numbers = {"n": data.draw(st.sampled_from([Decimal(0), Decimal(10)])), "c": Decimal(0)}
    score = Engine(policy).payslip(AgentRow(2, "A1", "R", kpis=kpis, numbers=numbers)).score
    assert score is None or score <= highest_score(policy)


def test_highest_score_survives_a_rounded_average(tmp_path):
    """A KPI scoring 1.9826… alone is not dropped because 85 x s / 85 rounds to a last digit above s."""
    path = tmp_path / "policy.yaml"
    path.write_text(
        "policy: p\nversion: '1'\nagents: {id: i, role: r}\nroles:\n  R: {base_pay: 0, target_bonus: 0}\n"
        "kpis:\n  a: {column: a, unit: percent, weight: 15, score: {bands: [{from: 0, score: 0}]}, missing: exclude}\n"
        "  b: {column: b, unit: percent, weight: 85, missing: exclude, score: {threshold: -0.01, target: 1.14,"
        " stretch: 1.15, at_threshold: 2.00, at_target: 0.01, at_stretch: 0}}\n"
        "grades:\n  - {grade: G, min_score: 0, multiplier: 0}\n",
        encoding="utf-8",
    )
    assert Decimal("1.9827") == highest_score(load_policy(path)).quantize(Decimal("0.0001"))
