"""Tests for cspay.derive: the metrics spec, conditions and aggregations, and the published PwC figures."""

from __future__ import annotations

import csv
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
import yaml
from helpers import CALLS, spec_of, write_export
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from reference_derive import percentile

from cspay.inputs.exports import Derived, DerivedTable, derive
from cspay.policy.metrics_spec import MetricsSpec

PWC_SPEC = """
source:
  agent: Agent
  date: {column: Date, format: "%Y-%m-%d"}
  flags: ["Answered (Y/N)", Resolved]
  durations: [AvgTalkDuration]
derived:
  calls: {count: {}}
  answered: {count: {where: {column: "Answered (Y/N)", equals: true}}}
  resolved:
    count: {where: {all: [{column: "Answered (Y/N)", equals: true}, {column: Resolved, equals: true}]}}
  fcr: {share: {of: {column: Resolved, equals: true}, among: {column: "Answered (Y/N)", equals: true}}}
  csat: {mean: {column: Satisfaction rating}}
  csat_top2: {top_box: {column: Satisfaction rating, at_least: 4}}
  aht_sec: {mean: {column: AvgTalkDuration, where: {column: "Answered (Y/N)", equals: true}}}
  asa_sec: {mean: {column: Speed of answer in seconds, where: {column: "Answered (Y/N)", equals: true}}}
"""

ANSWERED = {"column": "answered", "equals": True}
RESOLVED = {"column": "resolved", "equals": True}


def month_of(*args: object, **options: object) -> DerivedTable:
    """The derived table of a period that is one month."""
    return derive(*args, **options).months[0]  # type: ignore[arg-type]


def values(table: DerivedTable, metric: str) -> dict[str, Decimal | None]:
    return {agent.agent_id: agent.figures[metric].value for agent in table.agents}


def one(tmp_path: Path, metric: dict, agent: str = "A", text: str = CALLS) -> Decimal | None:
    """The value of a single metric for one agent over the synthetic calls of January 2021."""
    table = month_of(spec_of({"m": metric}), write_export(tmp_path, text), "2021-01")
    return values(table, "m")[agent]


# ---- the PwC export: published figures and an independent recount --------------------------------


@pytest.fixture(scope="module")
def quarter(pwc_csv: Path) -> Derived:
    return derive(MetricsSpec.model_validate(yaml.safe_load(PWC_SPEC)), pwc_csv, "2021-Q1")


def totals(derived: Derived, metric: str) -> tuple[Decimal, Decimal]:
    """The sums of a metric's numerators and denominators over all agents and months."""
    figures = [agent.figures[metric] for table in derived.months for agent in table.agents]
    return sum(f.numerator for f in figures), sum(f.denominator for f in figures)


def cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), ROUND_HALF_UP)


def test_pwc_quarter_reads_every_call(quarter: Derived) -> None:
    """All 5,000 calls of the export fall in 2021-Q1, spread over the 8 agents, each in all three months."""
    assert (5000, 0) == (quarter.rows_read, quarter.rows_outside)
    assert ["2021-01", "2021-02", "2021-03"] == [table.period.label for table in quarter.months]
    for table in quarter.months:
        assert ["Becky", "Dan", "Diane", "Greg", "Jim", "Joe", "Martha", "Stewart"] == [
            agent.agent_id for agent in table.agents
        ]


def test_pwc_answered_calls_match_published(quarter: Derived) -> None:
    """4,054 of the 5,000 calls were answered."""
    assert (4054, 5000) == totals(quarter, "answered")


def test_pwc_resolved_calls_match_published(quarter: Derived) -> None:
    """3,646 of the 4,054 answered calls were resolved."""
    assert (3646, 4054) == totals(quarter, "fcr")


def test_pwc_resolved_count_agrees_with_fcr_numerator(quarter: Derived) -> None:
    """The resolved count and the first-contact-resolution numerator are the same 3,646 calls."""
    assert 3646 == totals(quarter, "resolved")[0]


@pytest.mark.parametrize(
    ("metric", "published", "over"),
    [("csat", "3.40", 4054), ("aht_sec", "224.92", 4054), ("asa_sec", "67.52", 4054)],
)
def test_pwc_means_match_published(quarter: Derived, metric: str, published: str, over: int) -> None:
    """Mean satisfaction, talk time and speed of answer over the quarter match the published figures."""
    numerator, denominator = totals(quarter, metric)
    assert (Decimal(published), over) == (cents(numerator / denominator), denominator)


def recount(path: Path, month: str) -> dict[str, tuple]:
    """Per agent: answered, resolved, mean rating, mean talk and answer seconds, with plain loops."""
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0])
    with path.open(encoding="utf-8-sig", newline="") as file:
        for row in csv.DictReader(file):
            if not row["Date"].startswith(month) or row["Answered (Y/N)"] != "Y":
                continue
            hours, minutes, seconds = (int(part) for part in row["AvgTalkDuration"].split(":"))
            sums[row["Agent"]][0] += 1
            sums[row["Agent"]][1] += row["Resolved"] == "Y"
            if row["Satisfaction rating"]:
                sums[row["Agent"]][2] += int(row["Satisfaction rating"])
                sums[row["Agent"]][3] += 1
            sums[row["Agent"]][4] += hours * 3600 + minutes * 60 + seconds
            sums[row["Agent"]][5] += int(row["Speed of answer in seconds"])
    return {
        agent: (n, resolved, Decimal(rating) / rated, Decimal(talk) / n, Decimal(speed) / n)
        for agent, (n, resolved, rating, rated, talk, speed) in sums.items()
    }


@pytest.mark.parametrize("month", ["2021-01", "2021-02", "2021-03"])
def test_pwc_monthly_agents_match_recount(pwc_csv: Path, month: str) -> None:
    """Each agent's monthly answered, resolved, csat, aht and asa equal a plain csv-module recount."""
    table = derive(MetricsSpec.model_validate(yaml.safe_load(PWC_SPEC)), pwc_csv, month).months[0]
    names = ["answered", "resolved", "csat", "aht_sec", "asa_sec"]
    derived = {agent.agent_id: tuple(agent.figures[name].value for name in names) for agent in table.agents}
    assert recount(pwc_csv, month) == derived


# ---- aggregations ------------------------------------------------------------------------------


def test_count_counts_every_row_of_the_agent(tmp_path: Path) -> None:
    """count without where counts all the agent's rows in the period."""
    assert Decimal(3) == one(tmp_path, {"count": {}})


def test_count_where_keeps_its_rows_as_denominator(tmp_path: Path) -> None:
    """count with where gives the matching rows over all the agent's rows for the audit."""
    table = month_of(spec_of({"m": {"count": {"where": {"column": "answered", "equals": True}}}}),
                   write_export(tmp_path, CALLS), "2021-01")  # fmt: skip
    figure = table.agents[0].figures["m"]
    assert (Decimal(2), Decimal(2), Decimal(3)) == (figure.value, figure.numerator, figure.denominator)


def test_sum_adds_durations_in_seconds(tmp_path: Path) -> None:
    """sum reads h:mm:ss durations as seconds and adds them."""
    assert Decimal(270) == one(tmp_path, {"sum": {"column": "talk"}})


def test_mean_leaves_empty_cells_out(tmp_path: Path) -> None:
    """An empty rating is not applicable: the mean is over rated rows only, never counting a zero."""
    table = month_of(spec_of({"m": {"mean": {"column": "rating"}}}), write_export(tmp_path, CALLS), "2021-01")
    figure = table.agents[0].figures["m"]
    assert (Decimal(4), Decimal(8), Decimal(2)) == (figure.value, figure.numerator, figure.denominator)


@pytest.mark.parametrize(("kind", "expected"), [("median", "4"), ("min", "3"), ("max", "5")])
def test_order_statistics(tmp_path: Path, kind: str, expected: str) -> None:
    """median, min and max are taken over the non-empty cells."""
    assert Decimal(expected) == one(tmp_path, {kind: {"column": "rating"}})


def test_percentile_of_a_column(tmp_path: Path) -> None:
    """percentile p of ratings 3 and 5 interpolates linearly: p=25 gives 3.5."""
    assert Decimal("3.5") == one(tmp_path, {"percentile": {"column": "rating", "p": 25}})


@pytest.mark.parametrize(
    ("p", "expected"),
    [("0", "1"), ("10", "1.3"), ("50", "2.5"), ("90", "3.7"), ("100", "4"), ("33.3", "1.999")],
)
def test_percentile_is_exact_linear_interpolation(p: str, expected: str) -> None:
    """Percentiles of 1, 2, 3, 4 follow numpy's linear method exactly, with no float rounding."""
    assert Decimal(expected) == percentile([Decimal(4), Decimal(2), Decimal(1), Decimal(3)], Decimal(p))


@given(
    st.lists(st.decimals(-1000, 1000, places=2), min_size=1, max_size=30),
    st.decimals(0, 100, places=1),
    st.decimals(0, 100, places=1),
)
def test_percentile_is_monotone_and_within_range(values: list[Decimal], p: Decimal, q: Decimal) -> None:
    """A higher p never gives a lower percentile, and every percentile lies between min and max."""
    low, high = sorted([p, q])
    assert min(values) <= percentile(values, low) <= percentile(values, high) <= max(values)


def test_share_counts_of_among(tmp_path: Path) -> None:
    """share gives resolved rows among answered rows, with both counts kept for the audit."""
    metric = {"share": {"of": RESOLVED, "among": ANSWERED}}
    table = month_of(spec_of({"m": metric}), write_export(tmp_path, CALLS), "2021-01")
    figure = table.agents[0].figures["m"]
    assert (Decimal("0.5"), Decimal(1), Decimal(2)) == (figure.value, figure.numerator, figure.denominator)


def test_share_over_no_rows_is_missing(tmp_path: Path) -> None:
    """A share whose `among` matches no row is missing, not zero."""
    metric = {"share": {"of": RESOLVED, "among": {"column": "answered", "equals": False}}}
    assert None is one(tmp_path, metric, agent="B")


def test_top_box_counts_ratings_at_least_k(tmp_path: Path) -> None:
    """top_box is the share of rated rows with a rating of at least k, here 1 of 2, as a percentage."""
    assert Decimal(50) == one(tmp_path, {"top_box": {"column": "rating", "at_least": 4, "per": 100}})


def test_ratio_of_two_earlier_metrics_per_thousand(tmp_path: Path) -> None:
    """ratio divides one derived metric by another and scales it by `per`."""
    derived = {
        "calls": {"count": {}},
        "resolved": {"count": {"where": {"column": "resolved", "equals": True}}},
        "per_1000": {"ratio": {"numerator": "resolved", "denominator": "calls", "per": 1000}},
    }
    table = month_of(spec_of(derived), write_export(tmp_path, CALLS), "2021-01")
    assert {"A": Decimal(1000) / 3, "B": Decimal(1000)} == values(table, "per_1000")


def test_ratio_with_a_zero_denominator_is_missing(tmp_path: Path) -> None:
    """A ratio whose denominator is zero is missing, never zero or an error."""
    derived = {
        "calls": {"count": {}},
        "unanswered": {"count": {"where": {"column": "answered", "equals": False}}},
        "m": {"ratio": {"numerator": "calls", "denominator": "unanswered"}},
    }
    table = month_of(spec_of(derived), write_export(tmp_path, CALLS), "2021-01")
    assert None is values(table, "m")["B"]


# ---- conditions --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ({"all": [{"column": "answered", "equals": True}, {"column": "topic", "equals": "Billing"}]}, 1),
        ({"any": [{"column": "resolved", "equals": True}, {"column": "topic", "equals": "Tech"}]}, 2),
        ({"column": "topic", "in": ["Billing", "Sales"]}, 2),
        ({"column": "topic", "not_equals": "Billing"}, 1),
        ({"column": "rating", "at_least": 3}, 2),
        ({"column": "rating", "above": 3}, 1),
        ({"column": "talk", "below": "0:02:00"}, 1),
        ({"column": "rating", "empty": True}, 1),
        ({"column": "answered", "equals": "N"}, 1),
    ],
)
def test_conditions_select_rows(tmp_path: Path, where: dict, expected: int) -> None:
    """Each kind of condition, and all/any combinations, keep the expected rows of agent A."""
    assert Decimal(expected) == one(tmp_path, {"count": {"where": where}})


def test_comparisons_are_false_on_empty_cells(tmp_path: Path) -> None:
    """An empty rating neither equals nor differs from a value: only `empty` matches it."""
    assert Decimal(2) == one(tmp_path, {"count": {"where": {"column": "rating", "not_equals": 4}}})


def test_chinese_flags_are_read(tmp_path: Path) -> None:
    """是/否 flags count like Y/N."""
    text = CALLS.replace(",Y,Y,", ",是,是,").replace(",Y,N,", ",是,否,").replace(",N,N,", ",否,否,")
    assert Decimal(2) == one(tmp_path, {"count": {"where": ANSWERED}}, text=text)


# ---- the spec ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("derived", "fragment"),
    [
        ({"m": {"ratio": {"numerator": "n", "denominator": "m"}}, "n": {"count": {}}}, "defined above it"),
        ({"m": {"mean": {"column": "answered"}}}, 'column "answered" holds flags'),
        ({"m": {"count": {}, "mean": {"column": "rating"}}}, "give exactly one of count"),
        ({"m": {"top_box": {"column": "rating", "at_least": 4.5}}}, "a float cannot be exact"),
        ({"m": {"count": {"where": {"column": "topic", "equals": True}}}}, "list it under source.flags"),
        ({"m": {"count": {"where": {"column": "answered", "equals": "perhaps"}}}}, 'got "perhaps"'),
        ({"m": {"count": {"where": {"column": "rating", "above": 3, "below": 4}}}}, "exactly one of equals"),
        ({"m": {"count": {"where": {"all": []}}}}, "with at least one condition"),
        ({"m": {"percentile": {"column": "rating", "p": 101}}}, "less than or equal to 100"),
        ({"m": {"mean": {"column": "rating", "weight": 2}}}, "Extra inputs are not permitted"),
    ],
)
def test_invalid_spec_is_refused(derived: dict, fragment: str) -> None:
    """Each kind of broken metric is refused with a message naming the problem."""
    with pytest.raises(ValidationError, match=fragment):
        spec_of(derived)


class LoadedNumber(Decimal):
    """Stands in for a policy loader's Decimal subclass that remembers the YAML text."""


def test_decimal_subclasses_from_a_loader_count_as_numbers(tmp_path: Path) -> None:
    """Numbers a YAML loader gives as Decimal subclasses compare like numbers."""
    where = {"column": "rating", "in": [LoadedNumber("4"), LoadedNumber("5")]}
    assert Decimal(1) == one(tmp_path, {"count": {"where": where}})


def test_column_kinds_follow_declarations_and_use() -> None:
    """Declared flags and durations keep their kind; other columns are numbers if used as numbers."""
    spec = spec_of({"m": {"mean": {"column": "rating", "where": {"column": "topic", "equals": "Tech"}}}})
    expected = {"answered": "flag", "resolved": "flag", "talk": "duration"}
    assert expected | {"rating": "number", "topic": "text"} == spec.column_kinds()
