"""The engine's tables give exactly what computing afresh gives (tests/reference_pay.py), digits included."""

from __future__ import annotations

import copy
import pickle
from decimal import Decimal
from typing import Any

from helpers import STANDARD, agent_row, by_queue, policy_from
from hypothesis import given
from hypothesis import strategies as st
from reference_pay import reference_payslip

from cspay.engine.compiled import Engine
from cspay.engine.plans import SCORED_LIMIT, Scored
from cspay.engine.types import Payslip
from cspay.outputs.export import payslip_data
from cspay.policy.loader import load_document, load_policy
from cspay.policy.model import Policy

POLICY = load_policy(STANDARD)
STANDARD_DATA = load_document(STANDARD).data


def _variant(**changes: Any) -> Any:
    data = copy.deepcopy(STANDARD_DATA)
    for key, value in changes.items():
        data[key] = value
    return policy_from(data)


def _by_group() -> Any:
    """Satisfaction by queue (QUEUE_CURVES), handle time by queue too, and quality by the team column."""
    data = by_queue(copy.deepcopy(STANDARD_DATA))
    aht = {"complaints": {"threshold": Decimal(540), "target": Decimal(460), "stretch": Decimal(400)}}
    data["kpis"]["aht"] |= {"by": "queue", "groups": aht}
    data["kpis"]["qa"] |= {"by": "team", "groups": {"North": {"bands": [{"from": Decimal(60), "score": Decimal(1)}]}}}
    return policy_from(data)


POLICIES = {
    "standard": POLICY,
    "score basis, half_even, step 0.05": _variant(
        bonus={"basis": "score", "cap": Decimal("1.3")}, rounding={"step": Decimal("0.05"), "mode": "half_even"}
    ),
    "bonus alone prorated, high floor": _variant(
        proration={"column": "worked_days", "full": Decimal("21.75"), "applies_to": ["bonus"]},
        floor={"gross": Decimal("6000")},
    ),
    "satisfaction and handle time by queue, quality by team": _by_group(),
}
ENGINES = {name: Engine(policy) for name, policy in POLICIES.items()}
QUEUES = st.sampled_from(["complaints", "Complaints", "sales", "retail", ""])

# Values spelled as exports spell them, several with equal values written differently (92.5 and 92.50).
values = st.fixed_dictionaries(
    {
        "csat": st.sampled_from(["92.5", "92.50", "80", "80.0", "79.99", "96", "100", "55"]),
        "fcr": st.sampled_from(["0.81", "0.810", "0.65", "0.9", "0.5"]),
        "aht": st.sampled_from(["335", "335.0", "420", "300", "299", "500"]),
        "qa": st.sampled_from(["88", "88.00", "59.5", "60", "90", "70"]),
        "surveys": st.sampled_from(["19", "20", "64"]),
        "attendance": st.sampled_from(["94.99", "95", "98.5"]),
        "worked_days": st.sampled_from(["21.75", "21.750", "0", "10", "23"]),
        "valid_complaints": st.sampled_from(["0", "1", "7"]),
        "tickets": st.sampled_from(["900", "901", "1400", "0"]),
    }
)


@given(
    st.sampled_from(sorted(ENGINES)),
    st.lists(st.tuples(values, QUEUES), min_size=1, max_size=6),
    st.sampled_from(["L1", "L2"]),
)
def test_engine_agrees_with_the_reference_on_every_field(
    name: str, agents: list[tuple[dict[str, str], str]], role: str
) -> None:
    """Agent after agent (so tables fill and are reused), every field as JSON prints it is the reference's,
    whatever queue each agent is in."""
    engine, policy = ENGINES[name], POLICIES[name]
    for cells, queue in agents:
        row = agent_row(role=role, groups={"queue": queue, "team": "North"}, **cells)
        assert payslip_data(reference_payslip(policy, row)) == payslip_data(engine.payslip(row))


def test_engine_payslip_equals_a_plain_payslip() -> None:
    """A payslip from the engine is equal to a Payslip with the same fields, and prints as one."""
    row = agent_row(surveys="19")
    slip = Engine(POLICY).payslip(row)
    plain = reference_payslip(POLICY, row)
    assert (True, True, "Payslip(agent_id='A001'") == (plain == slip, slip == plain, repr(slip)[:23])


def test_engine_payslip_pickles_as_a_payslip() -> None:
    """Pickled and read back, an engine payslip is a plain Payslip equal to it."""
    slip = Engine(POLICY).payslip(agent_row())
    copied = pickle.loads(pickle.dumps(slip))
    assert (Payslip, slip) == (type(copied), copied)


def test_kpis_set_on_an_engine_payslip_are_kept() -> None:
    """KPI results set by hand replace the ones the engine would put together."""
    slip = Engine(POLICY).payslip(agent_row())
    slip.kpis = ()
    assert () == slip.kpis


def test_scored_values_remembered_are_bounded(standard: Policy) -> None:
    """Scoring more distinct values than SCORED_LIMIT keeps at most that many, and each score is what scoring
    afresh gives."""
    plan = Engine(standard).kpi_plans[0]
    values = [Decimal(80) + Decimal(i) / 1000 for i in range(SCORED_LIMIT + 50)]
    scored = [plan.scored(value) for value in values]
    assert SCORED_LIMIT == len(plan.own.memo)
    assert [plan.own.scorer(value)[0] for value in values] == [entry.points for entry in scored]


@given(st.lists(st.decimals(min_value=0, max_value=600, places=4, allow_nan=False), min_size=1, max_size=30))
def test_a_column_scored_at_once_is_scored_as_value_by_value(values: list[Decimal]) -> None:
    """Curve.scored_column gives each value the points, position and weighted score Curve.scored gives it,
    on every curve of the contract policy (linear, lower-is-better, bands)."""
    engine = Engine(load_policy(STANDARD))
    for plan in engine.kpi_plans:
        fields = [(s.value, s.points, s.position, s.weighted, s.curve_group) for s in plan.own.scored_column(values)]
        one_by_one = [plan.own.scored(value) for value in values]
        assert [(s.value, s.points, s.position, s.weighted, s.curve_group) for s in one_by_one] == fields  # type: ignore[union-attr]


@given(st.lists(st.decimals(min_value=0, max_value=600, places=6, allow_nan=False), max_size=30))
def test_a_scored_columns_columns_hold_what_each_value_scores(values: list[Decimal]) -> None:
    """A ScoredColumn's columns (values, points, positions, weighted scores) are the fields Curve.scored gives
    each value, row for row, on every curve of the contract policy; its rows, counted from either end, too."""
    engine = Engine(load_policy(STANDARD))
    for plan in engine.kpi_plans:
        column = plan.own.scored_column(values)
        one_by_one: list[Scored] = [plan.own.scored(value) for value in values]  # type: ignore[misc]  # all valued
        expected = [(s.value, s.points, s.position, s.weighted) for s in one_by_one]
        assert expected == list(zip(column.values, column.points, column.positions, column.weighted, strict=True))
        assert [(s.value, s.points) for s in one_by_one[::-1]] == [
            (column[-1 - i].value, column[-1 - i].points) for i in range(len(values))
        ]
