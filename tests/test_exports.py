"""cspay.inputs.exports held to the pure-Python reference it replaced: the same figures, digit for digit,
and the same error lines, on the PwC export and on generated exports with every spelling and edge."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from export_strategies import METRICS, SOURCE, exports
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference_derive import reference_derive

from cspay.errors import MetricsError
from cspay.inputs.exports import Derived, derive
from cspay.policy.metrics_spec import MetricsSpec

ROOT = Path(__file__).resolve().parents[1]
PWC_METRICS = ROOT / "examples" / "pwc" / "metrics.yaml"
SPEC = MetricsSpec.model_validate({"source": SOURCE, "derived": METRICS})


def exactly(derived: Derived) -> list[tuple[str, ...]]:
    """Every month, agent, row count and figure part as text, so 4.0 and 4 differ."""
    found = [("rows", str(derived.rows_read), str(derived.rows_outside))]
    for table in derived.months:
        for agent in table.agents:
            found.append((table.period.label, agent.agent_id, str(agent.rows)))
            for name, figure in agent.figures.items():
                found.append((name, *(str(part) for part in (figure.value, figure.numerator, figure.denominator))))
    return found


def outcome(spec: MetricsSpec, path: Path, period: str) -> list[tuple[str, ...]]:
    """The derived figures as text, or the error lines, of one way of deriving."""
    try:
        return exactly(derive(spec, path, period))
    except MetricsError as error:
        return [("error", line) for line in error.lines()]


def reference(spec: MetricsSpec, path: Path, period: str) -> list[tuple[str, ...]]:
    try:
        return exactly(reference_derive(spec, path, period))
    except MetricsError as error:
        return [("error", line) for line in error.lines()]


def pwc_spec() -> MetricsSpec:
    """The shipped PwC metrics, and an order statistic, a sum and a ratio over the same columns."""
    data = yaml.safe_load(PWC_METRICS.read_text(encoding="utf-8"))["metrics"]
    data["derived"] |= {
        "median_talk": {"median": {"column": "AvgTalkDuration", "where": {"column": "Answered (Y/N)", "equals": True}}},
        "p90_answer": {"percentile": {"column": "Speed of answer in seconds", "p": 90}},
        "talk_total": {"sum": {"column": "AvgTalkDuration"}},
        "worst": {"min": {"column": "Satisfaction rating"}},
        "per_answered": {"ratio": {"numerator": "rated", "denominator": "answered", "per": 100}},
    }
    return MetricsSpec.model_validate(data)


@pytest.mark.parametrize("period", ["2021-01", "2021-02", "2021-03", "2021-Q1", "2021", "2020-12"])
def test_pwc_export_derives_as_the_reference_does(pwc_csv: Path, period: str) -> None:
    """The PwC export gives the reference's figures for each month, the quarter, the year and a month without calls."""
    spec = pwc_spec()
    assert reference(spec, pwc_csv, period) == outcome(spec, pwc_csv, period)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(text=exports(unusual=0.15), period=st.sampled_from(["2021-01", "2021-02", "2021-Q1"]))
def test_generated_exports_derive_as_the_reference_does(tmp_path: Path, text: str, period: str) -> None:
    """Every spelling of every cell, empty cells, unanswered calls, Chinese flags, h:mm:ss and dates at the
    period's edges give the reference's figures, or the reference's error lines."""
    path = tmp_path / "calls.csv"
    path.write_text(text, encoding="utf-8")
    assert reference(SPEC, path, period) == outcome(SPEC, path, period)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(text=exports(unusual=0.0, max_rows=60), period=st.sampled_from(["2021-01", "2021-03", "2021-Q1"]))
def test_plainly_spelled_exports_derive_as_the_reference_does(tmp_path: Path, text: str, period: str) -> None:
    """Exports whose cells are all spelled plainly (read by the query alone) give the reference's figures."""
    path = tmp_path / "calls.csv"
    path.write_text(text, encoding="utf-8")
    assert reference(SPEC, path, period) == outcome(SPEC, path, period)


def test_ties_between_spellings_keep_the_file_order(tmp_path: Path) -> None:
    """Equal ratings written 4 and 4.0 give the median the reference picks: the first in file order."""
    path = tmp_path / "calls.csv"
    lines = ["agent,date,rating", "A,2021-01-04,4.0", "A,2021-01-05,4", "A,2021-01-06,4.00", "B,2021-01-04,4"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    spec = MetricsSpec.model_validate({
        "source": {"agent": "agent", "date": {"column": "date"}},
        "derived": {"median": {"median": {"column": "rating"}}, "low": {"min": {"column": "rating"}},
                    "high": {"max": {"column": "rating"}}},
    })  # fmt: skip
    figures = derive(spec, path, "2021-01").months[0].agents[0].figures
    assert ["4", "4.0", "4.00"] == [str(figures[name].value) for name in ("median", "low", "high")]
    assert reference(spec, path, "2021-01") == outcome(spec, path, "2021-01")


def test_sums_keep_the_places_their_values_were_written_with(tmp_path: Path) -> None:
    """1.50 + 2.25 is 3.75 and 1.50 + 2.50 is 4.00, as Python's Decimal adds them: the file keeps every digit."""
    path = tmp_path / "calls.csv"
    path.write_text("agent,date,x\nA,2021-01-04,1.50\nA,2021-01-05,2.50\nB,2021-01-05,1e3\n", encoding="utf-8")
    spec = MetricsSpec.model_validate(
        {"source": {"agent": "agent", "date": {"column": "date"}}, "derived": {"total": {"sum": {"column": "x"}}}}
    )
    agents = derive(spec, path, "2021-01").months[0].agents
    assert ["4.00", "1000"] == [str(agent.figures["total"].value) for agent in agents]


def test_a_number_with_more_places_than_kept_exactly_is_a_bad_cell(tmp_path: Path) -> None:
    """A cell with 19 decimal places would be rounded by the engine, so it is refused at its row."""
    path = tmp_path / "calls.csv"
    path.write_text("agent,date,x\nA,2021-01-04,0.1234567890123456789\n", encoding="utf-8")
    spec = MetricsSpec.model_validate(
        {"source": {"agent": "agent", "date": {"column": "date"}}, "derived": {"total": {"sum": {"column": "x"}}}}
    )
    with pytest.raises(MetricsError) as error:
        derive(spec, path, "2021-01")
    assert [f'{path}: row 2, column "x": got "0.1234567890123456789", expected a number with at most 18 decimal '
            f"places"] == error.value.problems  # fmt: skip


def test_values_as_decimals(pwc_csv: Path) -> None:
    """Every figure is a Decimal (or missing), never a float."""
    derived = derive(pwc_spec(), pwc_csv, "2021-01")
    parts = [part for table in derived.months for agent in table.agents for figure in agent.figures.values()
             for part in (figure.value, figure.numerator, figure.denominator) if part is not None]  # fmt: skip
    assert parts and all(type(part) is Decimal for part in parts)
