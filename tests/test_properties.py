"""Invariants of pay under the contract policy, checked on generated agents (hypothesis)."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from helpers import STANDARD, agent_row, policy_from
from hypothesis import given
from hypothesis import strategies as st

from cspay.cells import parse_percent, parse_ratio
from cspay.engine.compiled import Engine
from cspay.engine.curves import linear_scorer
from cspay.engine.types import Payslip
from cspay.policy.loader import load_document, load_policy
from cspay.policy.model import LinearScore, Policy

POLICY = load_policy(STANDARD)
ENGINE = Engine(POLICY)
STANDARD_DATA = load_document(STANDARD).data

# Each KPI's range of values and the direction that is better.
KPI_RANGES: dict[str, tuple[Decimal, Decimal, int, int]] = {
    # code: (lowest, highest, decimal places, +1 when higher is better / -1 when lower is)
    "csat": (Decimal(0), Decimal(100), 2, 1),
    "fcr": (Decimal(0), Decimal(1), 3, 1),
    "aht": (Decimal(0), Decimal(900), 1, -1),
    "qa": (Decimal(0), Decimal(100), 1, 1),
}
# Other columns the standard policy reads, with the direction in which pay should never fall.
COLUMN_RANGES: dict[str, tuple[Decimal, Decimal, int, int]] = {
    "surveys": (Decimal(0), Decimal(80), 0, 1),
    "attendance": (Decimal(80), Decimal(100), 2, 1),
    "worked_days": (Decimal(0), Decimal(25), 2, 1),
    "valid_complaints": (Decimal(0), Decimal(8), 0, -1),
    "tickets": (Decimal(0), Decimal(1400), 0, 1),
}
RANGES = {**KPI_RANGES, **COLUMN_RANGES}


def _value(name: str) -> st.SearchStrategy[Decimal]:
    low, high, places, _ = RANGES[name]
    return st.decimals(min_value=low, max_value=high, places=places, allow_nan=False, allow_infinity=False)


agents = st.fixed_dictionaries({"role": st.sampled_from(["L1", "L2"]), **{name: _value(name) for name in RANGES}})


def pay(values: dict[str, Any], engine: Engine = ENGINE) -> Payslip:
    return engine.payslip(agent_row(**values))


def _better(values: dict[str, Any], name: str, step: Decimal) -> dict[str, Any]:
    """The same agent with `name` moved by `step` in its better direction, within its range."""
    low, high, _, direction = RANGES[name]
    moved = values[name] + step * direction
    return {**values, name: min(max(moved, low), high)}


@given(agents, st.sampled_from(sorted(KPI_RANGES)), st.decimals(min_value=0, max_value=100, places=2))
def test_a_better_kpi_value_never_lowers_gross(values: dict[str, Any], kpi: str, step: Decimal) -> None:
    """Improving one KPI (up for csat, fcr, qa; down for aht) never lowers gross pay."""
    low, high, _, _ = RANGES[kpi]
    step = step * (high - low) / 100
    assert pay(values).gross <= pay(_better(values, kpi, step)).gross


# Not surveys: reaching min_volume brings a KPI into the score, and a poor value there may lower it.
MONOTONE_COLUMNS = sorted(set(COLUMN_RANGES) - {"surveys"})


@given(agents, st.sampled_from(MONOTONE_COLUMNS), st.decimals(min_value=0, max_value=100, places=2))
def test_better_attendance_volume_or_days_never_lower_gross(values: dict[str, Any], column: str, step: Decimal) -> None:
    """More attendance, days or tickets, or fewer complaints, never lower gross pay."""
    low, high, _, _ = RANGES[column]
    step = step * (high - low) / 100
    assert pay(values).gross <= pay(_better(values, column, step)).gross


def test_more_surveys_can_lower_pay_when_they_bring_a_poor_kpi_in() -> None:
    """Surveys reaching min_volume count a csat of 0 again, so the score and pay may fall: by design."""
    few, enough = pay({"surveys": "19", "csat": "0"}), pay({"surveys": "20", "csat": "0"})
    assert few.gross > enough.gross


@given(agents)
def test_bonus_never_exceeds_the_prorated_cap(values: dict[str, Any]) -> None:
    """The bonus line is at most cap × target_bonus × proration, give or take half a rounding step."""
    slip = pay(values)
    limit = POLICY.bonus.cap * slip.target_bonus * slip.proration
    assert slip.amount("bonus") <= limit + POLICY.rounding.step / 2


def _policy(step: str, mode: str, floor: str) -> Policy:
    data = copy.deepcopy(STANDARD_DATA)
    data["rounding"] = {"step": Decimal(step), "mode": mode}
    data["floor"]["gross"] = Decimal(floor)
    return policy_from(data)


ENGINES = {
    (step, mode, floor): Engine(_policy(step, mode, floor))
    for step in ("0.01", "0.05", "1", "10")
    for mode in ("half_up", "half_even")
    for floor in ("2690", "6000")
}


@given(agents, st.sampled_from(sorted(ENGINES)))
def test_lines_are_rounded_and_add_up_to_gross(values: dict[str, Any], key: tuple[str, str, str]) -> None:
    """Every line is a whole number of rounding steps, and gross is their sum, floor line included."""
    step = Decimal(key[0])
    slip = pay(values, ENGINES[key])
    off_step = [line for line in slip.lines if line.amount % step != 0]
    assert ([], sum(line.amount for line in slip.lines)) == (off_step, slip.gross)


@given(agents, st.sampled_from(sorted(ENGINES)))
def test_gross_is_never_below_the_floor(values: dict[str, Any], key: tuple[str, str, str]) -> None:
    """Gross is the larger of the floor and the sum of the other lines."""
    slip = pay(values, ENGINES[key])
    others = sum(line.amount for line in slip.lines if line.code != "floor")
    assert max(others, Decimal(key[2])) == slip.gross


@given(st.decimals(min_value=0, max_value=100, places=3))
def test_percent_sign_is_optional_for_percent_and_divides_for_ratio(value: Decimal) -> None:
    """For any 0-100 value v: percent reads "v%" as v, and ratio reads "v%" as v / 100."""
    assert (value, value / 100) == (parse_percent(f"{value}%"), parse_ratio(f"{value}%"))


@st.composite
def curves(draw: st.DrawFn) -> LinearScore:
    """A linear curve in either direction with increasing at_* values."""
    points = sorted(draw(st.lists(st.integers(0, 1000), min_size=3, max_size=3, unique=True)))
    if draw(st.booleans()):
        points.reverse()
    at = sorted(draw(st.lists(st.decimals(0, 3, places=2), min_size=3, max_size=3)))
    return LinearScore(
        threshold=points[0], target=points[1], stretch=points[2], at_threshold=at[0], at_target=at[1], at_stretch=at[2]
    )


@given(curves(), st.integers(-100, 1100), st.integers(-100, 1100))
def test_linear_score_is_monotone_and_bounded(score: LinearScore, a: int, b: int) -> None:
    """A better value never scores lower, and no score leaves [0, at_stretch]."""
    scorer = linear_scorer(score)
    worse, better = sorted([Decimal(a), Decimal(b)], reverse=not score.higher_is_better)
    low, high = scorer(worse)[0], scorer(better)[0]
    assert (True, True) == (low <= high, Decimal(0) <= low and high <= score.at_stretch)
