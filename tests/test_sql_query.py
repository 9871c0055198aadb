"""cspay.inputs.sql_query: the metrics section as one SQL query, translated for warehouses by sqlglot, whose
result (run here by DuckDB itself) gives the figures cspay derives."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import sqlglot
from helpers import spec_of, write_export

from cspay.errors import MetricsError
from cspay.inputs.derived_file import read_derived
from cspay.inputs.exports import Derived, derive
from cspay.inputs.sql_cells import Inexact
from cspay.inputs.sql_query import DIALECTS, warehouse_sql
from cspay.periods import parse_period
from cspay.policy.loader import load_policy

ROOT = Path(__file__).resolve().parents[1]
PWC = load_policy(ROOT / "examples" / "pwc" / "policy.yaml")


def numbers(derived: Derived) -> list[tuple[object, ...]]:
    """Each month, agent, rows and figure, numerically (a warehouse may write 599.000000000 for 599)."""
    return [(table.period.label, agent.agent_id, agent.rows,
             *(tuple(None if part is None else Decimal(part).normalize() for part in figure)
               for figure in agent.figures.values()))
            for table in derived.months for agent in table.agents]  # fmt: skip


def run_in_duckdb(sql: str, export: Path, tmp_path: Path, table: str = "calls") -> Path:
    """The query run by DuckDB over the export loaded as a table of text, its result saved as CSV."""
    result = tmp_path / "derived.csv"
    with duckdb.connect() as con:
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_csv('{export}', all_varchar = true)")
        con.execute(f"COPY ({sql}) TO '{result}' (HEADER)")
    return result


@pytest.mark.parametrize("period", ["2021-01", "2021-Q1"])
def test_the_duckdb_query_gives_the_figures_cspay_derives(pwc_csv: Path, tmp_path: Path, period: str) -> None:
    """The --sql query for DuckDB, run by DuckDB on the PwC export, reads back as cspay's own figures."""
    sql = warehouse_sql(PWC.metrics, parse_period(period), "calls", "duckdb")
    result = run_in_duckdb(sql, pwc_csv, tmp_path)
    assert numbers(derive(PWC.metrics, pwc_csv, period)) == numbers(
        read_derived(PWC.metrics, result, parse_period(period))
    )


def test_order_statistics_and_ratios_come_out_of_the_warehouse_exactly(pwc_csv: Path, tmp_path: Path) -> None:
    """A median, a percentile, a sum and a ratio computed by the query agree with cspay's own."""
    spec = spec_of(
        {"answered": {"count": {"where": {"column": "Answered (Y/N)", "equals": True}}},
         "calls": {"count": {}},
         "median_talk": {"median": {"column": "AvgTalkDuration"}},
         "p90": {"percentile": {"column": "Speed of answer in seconds", "p": "90"}},
         "talk": {"sum": {"column": "AvgTalkDuration"}},
         "per_call": {"ratio": {"numerator": "answered", "denominator": "calls", "per": 100}}},
        agent="Agent", date={"column": "Date"}, flags=["Answered (Y/N)"], durations=["AvgTalkDuration"],
    )  # fmt: skip
    result = run_in_duckdb(warehouse_sql(spec, parse_period("2021-02"), "calls", "duckdb"), pwc_csv, tmp_path)
    assert numbers(derive(spec, pwc_csv, "2021-02")) == numbers(read_derived(spec, result, parse_period("2021-02")))


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_dialect_gets_a_query_it_parses(dialect: str) -> None:
    """The query translated for each warehouse parses again in that warehouse's dialect."""
    sql = warehouse_sql(PWC.metrics, parse_period("2021-Q1"), "raw.calls", dialect)
    assert sqlglot.parse_one(sql, read=dialect) is not None and "calls" in sql


def test_a_quarter_has_a_month_column_and_a_month_none(pwc_csv: Path, tmp_path: Path) -> None:
    """Like `cspay metrics --format csv`: a month column only when the period has several months."""
    heads = []
    for period in ("2021-01", "2021-Q1"):
        result = run_in_duckdb(warehouse_sql(PWC.metrics, parse_period(period), "calls"), pwc_csv, tmp_path)
        heads.append(result.read_text(encoding="utf-8").split(",", 2)[:2])
    assert [["agent_id", "rows"], ["month", "agent_id"]] == heads


def test_cells_the_query_cannot_read_are_counted_and_refused(tmp_path: Path) -> None:
    """A full-width Y the warehouse query cannot read makes its agent's row unreadable, which cspay refuses."""
    export = write_export(tmp_path, "agent,date,answered\nA,2021-01-04,Y\nA,2021-01-05,Ｙ\nB,2021-01-05,N\n", "x.csv")
    spec = spec_of({"m": {"count": {"where": {"column": "answered", "equals": True}}}}, durations=[],
                   flags=["answered"])  # fmt: skip
    result = run_in_duckdb(warehouse_sql(spec, parse_period("2021-01"), "calls"), export, tmp_path)
    with pytest.raises(MetricsError) as error:
        read_derived(spec, result, parse_period("2021-01"))
    expected = (f'{result}: row 2, column "unreadable": the query could not read 1 row of agent "A" (a cell of each '
                f"is bad or spelled unusually); run `cspay metrics` on the export to see each one")  # fmt: skip
    assert [expected] == error.value.problems


def test_a_condition_more_precise_than_the_warehouse_keeps_is_refused() -> None:
    """A threshold with 12 decimal places does not fit DECIMAL(38, 9): the query is not written."""
    spec = spec_of({"m": {"count": {"where": {"column": "rating", "above": "3.000000000001"}}}})
    with pytest.raises(Inexact, match=r"3\.000000000001"):
        warehouse_sql(spec, parse_period("2021-01"))


def test_the_table_name_may_be_qualified() -> None:
    """A schema-qualified table is written as the warehouse writes it."""
    assert "FROM `warehouse`.`calls`" in warehouse_sql(PWC.metrics, parse_period("2021-01"), "warehouse.calls", "spark")


def test_a_bigquery_project_with_a_hyphen_survives_the_translation() -> None:
    """Each part of the table name is quoted, so `my-project.dataset.calls` is one table, not a subtraction."""
    sql = warehouse_sql(PWC.metrics, parse_period("2021-01"), "my-project.dataset.calls", "bigquery")
    assert "FROM `my-project`.`dataset`.`calls`" in sql
