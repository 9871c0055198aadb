"""cspay.inputs.derived_file: a file of derived metrics made elsewhere, checked against the policy's metric
list, its quotients made again by cspay's own rules."""

from __future__ import annotations

import io
from pathlib import Path

import duckdb
import pytest
from helpers import CALLS, spec_of, write_export

from cspay.errors import MetricsError
from cspay.inputs.derived_file import read_derived
from cspay.inputs.exports import Derived, derive
from cspay.outputs.audit import write_figures_csv
from cspay.periods import parse_period
from cspay.policy.metrics_spec import MetricsSpec

SPEC = spec_of({
    "calls": {"count": {}},
    "fcr": {"share": {"of": {"column": "resolved", "equals": True}, "among": {"column": "answered", "equals": True}}},
    "csat": {"mean": {"column": "rating"}},
    "talk": {"sum": {"column": "talk"}},
    "median": {"median": {"column": "rating"}},
    "per": {"ratio": {"numerator": "talk", "denominator": "calls", "per": 100}},
})  # fmt: skip
JANUARY = parse_period("2021-01")
HEADER = ("agent_id,rows,calls,calls.numerator,calls.denominator,fcr,fcr.numerator,fcr.denominator,csat,"
          "csat.numerator,csat.denominator,talk,talk.numerator,talk.denominator,median,median.numerator,"
          "median.denominator,per,per.numerator,per.denominator")  # fmt: skip
ROW_A = "A,3,3,3,3,0.5,1,2,4,8,2,270,270,2,4,,2,9000,270,3"


def exactly(derived: Derived) -> list[tuple[object, ...]]:
    return [(table.period.label, agent.agent_id, agent.rows, *(tuple(map(str, f)) for f in agent.figures.values()))
            for table in derived.months for agent in table.agents]  # fmt: skip


def audit_csv(tmp_path: Path, spec: MetricsSpec, period: str) -> Path:
    """What `cspay metrics --format csv` writes for the synthetic calls."""
    buffer = io.StringIO()
    write_figures_csv(buffer, derive(spec, write_export(tmp_path, CALLS), period))
    return write_export(tmp_path, buffer.getvalue(), "derived.csv")


def read(tmp_path: Path, text: str, period: str = "2021-01") -> Derived:
    return read_derived(SPEC, write_export(tmp_path, text, "derived.csv"), parse_period(period))


def problems(tmp_path: Path, text: str, period: str = "2021-01") -> list[str]:
    with pytest.raises(MetricsError) as error:
        read(tmp_path, text, period)
    return error.value.lines()


@pytest.mark.parametrize("period", ["2021-01", "2021-Q1"])
def test_the_audit_csv_reads_back_as_the_same_figures(tmp_path: Path, period: str) -> None:
    """What `cspay metrics --format csv` writes is read back digit for digit, month by month."""
    derived = read_derived(SPEC, audit_csv(tmp_path, SPEC, period), parse_period(period))
    assert exactly(derive(SPEC, write_export(tmp_path, CALLS), period)) == exactly(derived)


def test_a_parquet_file_reads_as_its_csv(tmp_path: Path) -> None:
    """The same figures saved as Parquet (typed as a warehouse writes them) read as the CSV does."""
    csv = audit_csv(tmp_path, SPEC, "2021-01")
    parquet = tmp_path / "derived.parquet"
    duckdb.execute(f"COPY (SELECT * FROM read_csv('{csv}')) TO '{parquet}' (FORMAT parquet)")
    assert [row[:4] for row in exactly(read_derived(SPEC, csv, JANUARY))] == [
        row[:4] for row in exactly(read_derived(SPEC, parquet, JANUARY))
    ]


def test_quotients_are_made_again_by_cspays_rules(tmp_path: Path) -> None:
    """A warehouse's floating-point mean is replaced by numerator / denominator in Decimal."""
    derived = read(tmp_path, f"{HEADER}\n{ROW_A.replace(',4,8,2,', ',4.000000000000001,8,2,')}\n")
    assert "4" == str(derived.months[0].agents[0].figures["csat"].value)


@pytest.mark.parametrize(
    ("row", "column", "expected"),
    [
        (ROW_A.replace(",0.5,1,2,", ",0.6,1,2,"), "fcr", "0.5 (numerator × 1 / denominator, to 9 significant digits)"),
        (ROW_A.replace("A,3,3,3,3,", "A,3,3,3,4,"), "calls.denominator", "3 (the agent's rows)"),
        (ROW_A.replace(",4,,2,", ",4,4,2,"), "median.numerator", "an empty cell (an order statistic has none)"),
        (
            ROW_A.replace(",9000,270,3", ",9000,271,3"),
            "per.numerator",
            "270 (the value of talk, to 9 significant digits)",
        ),
        (ROW_A.replace(",0.5,1,2,", ",0.5,1.5,2,"), "fcr.numerator", "a whole number"),
    ],
    ids=["share", "count's rows", "order statistic", "ratio", "whole counts"],
)
def test_parts_that_disagree_with_cspays_rules_are_named(tmp_path: Path, row: str, column: str, expected: str) -> None:
    """Each part the file gets wrong is named at its row and column, with what cspay expected."""
    found = problems(tmp_path, f"{HEADER}\n{row}\n")
    assert 1 == len(found) and found[0].endswith(
        f'row 2, column "{column}": got "{_cell(row, column)}", expected {expected}'
    )


def _cell(row: str, column: str) -> str:
    return row.split(",")[HEADER.split(",").index(column)]


def test_columns_are_checked_against_the_policys_metrics(tmp_path: Path) -> None:
    """Missing metrics and columns no metric of the policy has are reported together, at row 1."""
    header = HEADER.replace("median,median.numerator,median.denominator", "wait,wait.numerator,wait.denominator")
    path = tmp_path / "derived.csv"
    assert [f"{path}: row 1: missing required columns: median, median.numerator, median.denominator (the header "
            f"has: {header.replace(',', ', ')})",
            f"{path}: row 1: columns wait, wait.numerator, wait.denominator are not metrics of the policy's metrics: "
            f"section (calls, fcr, csat, talk, median, per); expected the columns `cspay metrics --format csv` writes",
            ] == problems(tmp_path, f"{header}\n{ROW_A}\n")  # fmt: skip


def test_a_period_of_several_months_needs_the_month_column(tmp_path: Path) -> None:
    """A quarter's file names each row's month."""
    assert "missing required columns: month" in problems(tmp_path, f"{HEADER}\n{ROW_A}\n", "2021-Q1")[0]


def test_a_month_outside_the_period_is_refused(tmp_path: Path) -> None:
    """A row of a month the period does not hold is an error, not silently left out."""
    found = problems(tmp_path, f"month,{HEADER}\n2021-04,{ROW_A}\n", "2021-Q1")
    assert [f'{tmp_path / "derived.csv"}: row 2, column "month": got "2021-04", expected a month of 2021-Q1 '
            f"(2021-01, 2021-02, 2021-03)"] == found  # fmt: skip


def test_an_agent_twice_in_a_month_names_both_rows(tmp_path: Path) -> None:
    """The same agent and month on two rows is refused, naming the first."""
    assert [f'{tmp_path / "derived.csv"}: row 3: agent "A" in 2021-01 is already on row 2'] == problems(
        tmp_path, f"{HEADER}\n{ROW_A}\n{ROW_A}\n"
    )


def test_bad_numbers_are_named(tmp_path: Path) -> None:
    """A cell that is no number names its row and column."""
    found = problems(tmp_path, f"{HEADER}\n{ROW_A.replace(',270,270,2,', ',lots,270,2,')}\n")
    assert [f'{tmp_path / "derived.csv"}: row 2, column "talk": got "lots", expected a number'] == found


def test_the_figures_have_no_rows_read(tmp_path: Path) -> None:
    """Rows aggregated elsewhere were never read here: rows_read is None, the rows per agent kept."""
    derived = read(tmp_path, f"{HEADER}\n{ROW_A}\n")
    assert (None, 3) == (derived.rows_read, derived.months[0].agents[0].rows)
