"""Invariants of pay under generated policies and agents (tests/generated.py), not only the shipped ones."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

from generated import UNITS, Drawn, agents, metrics_files, policies
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from reference_pay import reference_payslip
from test_bulk import bulk_way, general_way

from cspay.engine.compiled import Engine
from cspay.engine.types import Summary
from cspay.inputs.metrics import AgentRow, read_metrics
from cspay.outputs.export import payslip_data, write_json

# Drawing a whole policy is slow next to drawing an agent; the file system is used for the CSV ways.
SLOW = settings(
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large]
)


def improved(drawn: Drawn, row: AgentRow, index: int, step: Decimal) -> AgentRow:
    """The same agent with one KPI moved by `step` (a share of its range) in its better direction."""
    code, unit, higher = drawn.kpis[index]
    low, high, _ = UNITS[unit]
    value = row.kpis[code]
    moved = value + step * (high - low) if higher else value - step * (high - low)
    kpis = {**row.kpis, code: min(max(moved, low), high)}
    return AgentRow(row.line, row.agent_id, row.role, row.name, row.team, kpis, row.numbers, groups=row.groups)


@SLOW
@given(st.data(), policies(), st.integers(0, 3), st.decimals(min_value=0, max_value=1, places=3))
def test_improving_one_kpi_never_lowers_gross(data: st.DataObject, drawn: Drawn, index: int, step: Decimal) -> None:
    """Under a policy whose curves, grades and gates follow each KPI's direction, a better value of one
    KPI, all else equal, never pays less."""
    index %= len(drawn.kpis)
    row = data.draw(agents(drawn))
    assume(row.kpis[drawn.kpis[index][0]] is not None)
    engine = Engine(drawn.policy)
    assert engine.payslip(row).gross <= engine.payslip(improved(drawn, row, index, step)).gross


@SLOW
@given(st.data(), policies())
def test_bonus_never_exceeds_cap_times_target(data: st.DataObject, drawn: Drawn) -> None:
    """The bonus line is at most cap × target_bonus (× proration when the bonus is prorated), give or take
    half a rounding step."""
    cap = drawn.policy.bonus.cap
    assume(cap is not None)
    slip = Engine(drawn.policy).payslip(data.draw(agents(drawn)))
    proration = drawn.policy.proration
    share = slip.proration if proration is not None and "bonus" in proration.applies_to else 1
    assert slip.amount("bonus") <= cap * slip.target_bonus * share + drawn.policy.rounding.step / 2


@SLOW
@given(st.data(), policies())
def test_lines_are_whole_steps_and_add_up_to_gross(data: st.DataObject, drawn: Drawn) -> None:
    """Every line but the floor's top-up is a whole number of rounding steps, and gross is their sum."""
    slip = Engine(drawn.policy).payslip(data.draw(agents(drawn)))
    step = drawn.policy.rounding.step
    off_step = [line.code for line in slip.lines if line.code != "floor" and line.amount % step]
    assert ([], sum((line.amount for line in slip.lines), Decimal(0))) == (off_step, slip.gross)


@SLOW
@given(st.data(), policies())
def test_gross_is_never_below_the_floor(data: st.DataObject, drawn: Drawn) -> None:
    """Gross is the larger of the floor and the sum of the other lines."""
    slip = Engine(drawn.policy).payslip(data.draw(agents(drawn)))
    others = sum((line.amount for line in slip.lines if line.code != "floor"), Decimal(0))
    floor = drawn.policy.floor.gross if drawn.policy.floor is not None else others
    assert max(others, floor) == slip.gross


@SLOW
@given(st.data(), policies())
def test_engine_agrees_with_the_reference(data: st.DataObject, drawn: Drawn) -> None:
    """Agent after agent through one engine (its tables filling up), every field is the reference's."""
    engine = Engine(drawn.policy)
    for row in data.draw(st.lists(agents(drawn), min_size=1, max_size=5)):
        assert payslip_data(reference_payslip(drawn.policy, row)) == payslip_data(engine.payslip(row))


def metrics_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "metrics.csv"
    path.write_text(text, encoding="utf-8")
    return path


@SLOW
@given(st.data(), policies())
def test_bulk_and_general_ways_agree_on_generated_files(tmp_path: Path, data: st.DataObject, drawn: Drawn) -> None:
    """`compute --format csv`'s way gives the general way's bytes and totals, with no problem reported."""
    path = metrics_file(tmp_path, data.draw(metrics_files(drawn, max_agents=60)))
    bulk = bulk_way(drawn.policy, path)
    assert (general_way(drawn.policy, path), []) == (bulk, bulk[2])


@SLOW
@given(st.data(), policies())
def test_the_same_input_gives_the_same_bytes(tmp_path: Path, data: st.DataObject, drawn: Drawn) -> None:
    """Paid twice, afresh each time, a file gives the same CSV bytes and the same JSON bytes."""
    path = metrics_file(tmp_path, data.draw(metrics_files(drawn)))
    assert bulk_way(drawn.policy, path) == bulk_way(drawn.policy, path)
    assert json_of(drawn, path) == json_of(drawn, path)


def json_of(drawn: Drawn, path: Path) -> str:
    engine, summary, out = Engine(drawn.policy), Summary(), io.StringIO()
    slips = [engine.payslip(row) for row in read_metrics(path, drawn.policy)]
    for slip in slips:
        summary.add(slip)
    write_json(out, drawn.policy, slips, summary)
    return out.getvalue()


@SLOW
@given(st.data(), policies())
def test_csv_read_back_gives_the_same_amounts(tmp_path: Path, data: st.DataObject, drawn: Drawn) -> None:
    """Each amount in the CSV, read back as a Decimal, is the payslip's line (0 when it has none) and gross."""
    path = metrics_file(tmp_path, data.draw(metrics_files(drawn)))
    engine = Engine(drawn.policy)
    slips = [engine.payslip(row) for row in read_metrics(path, drawn.policy)]
    rows = list(csv.DictReader(io.StringIO(bulk_way(drawn.policy, path)[0])))
    codes = [
        name for name in rows[0] if name.split(".")[0] in ("base_pay", "allowance", "bonus", "adjustment", "floor")
    ]
    expected: list[dict[str, Any]] = [
        {**{code: slip.amount(code) for code in codes}, "gross": slip.gross} for slip in slips
    ]
    assert expected == [{name: Decimal(row[name]) for name in [*codes, "gross"]} for row in rows]
