"""cspay.inputs.sql_engine: DuckDB runs the metrics query over CSV and Parquet exports, reads every file
cell for cell as the csv module does, keeps numbers exact, and stays within its settings."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from helpers import CALLS, spec_of, write_export
from reference_derive import reference_derive

from cspay.errors import MetricsError, UsageProblem
from cspay.inputs.exports import Derived, derive
from cspay.inputs.sql_engine import EngineSettings

COUNT = {"m": {"count": {}}}
RATING = {"m": {"mean": {"column": "rating"}}}


def figures(derived: Derived, metric: str = "m") -> dict[str, tuple[Decimal | None, ...]]:
    """Each agent's figure of a one-month period: value, numerator, denominator."""
    return {agent.agent_id: tuple(agent.figures[metric]) for agent in derived.months[0].agents}


def parquet(tmp_path: Path, select: str, name: str = "calls.parquet") -> Path:
    """A Parquet file written by DuckDB from a SELECT."""
    path = tmp_path / name
    duckdb.execute(f"COPY ({select}) TO '{path}' (FORMAT parquet)")
    return path


# ---- Parquet -----------------------------------------------------------------------------------


def test_parquet_export_gives_the_csvs_figures(tmp_path: Path) -> None:
    """The same calls saved as Parquet (every column text) derive the same figures as the CSV."""
    csv = write_export(tmp_path, CALLS)
    path = parquet(tmp_path, f"SELECT * FROM read_csv('{csv}', all_varchar = true)")
    spec = spec_of(RATING | {"talk": {"sum": {"column": "talk"}}})
    assert figures(derive(spec, csv, "2021-01")) == figures(derive(spec, path, "2021-01"))


def test_parquet_with_typed_columns_reads_dates_flags_and_numbers(tmp_path: Path) -> None:
    """A DATE column is read in the policy's format, BOOLEAN flags as yes/no, integers as numbers."""
    rows = "('A', DATE '2021-01-04', TRUE, 5), ('A', DATE '2021-01-05', FALSE, 3), ('A', DATE '2021-02-01', TRUE, 1)"
    path = parquet(tmp_path, f"SELECT * FROM (VALUES {rows}) AS t(agent, date, answered, rating)")
    spec = spec_of(RATING | {"n": {"count": {"where": {"column": "answered", "equals": True}}}}, flags=["answered"],
                   durations=[], date={"column": "date", "format": "%d/%m/%Y"})  # fmt: skip
    derived = derive(spec, path, "2021-01")
    assert ((Decimal(4), Decimal(8), Decimal(2)), (1, 2)) == (
        figures(derived)["A"],
        (derived.rows_outside, derived.months[0].agents[0].rows),
    )


def test_parquet_bad_cell_names_its_row(tmp_path: Path) -> None:
    """A bad cell in a Parquet export is reported at its record number, the first record being row 1."""
    path = parquet(tmp_path, "SELECT * FROM (VALUES ('A', '2021-01-04', '5'), ('A', '2021-01-05', 'good')) "
                              "AS t(agent, date, rating)")  # fmt: skip
    spec = spec_of(RATING, flags=[], durations=[])
    with pytest.raises(MetricsError) as error:
        derive(spec, path, "2021-01")
    assert [f'{path}: row 2, column "rating": got "good", expected a number'] == error.value.problems


def test_parquet_missing_column_is_named(tmp_path: Path) -> None:
    """A Parquet export without a column the metrics read is an error listing its columns."""
    path = parquet(tmp_path, "SELECT 'A' AS agent, '2021-01-04' AS date")
    with pytest.raises(MetricsError, match=r"row 1: missing required columns: rating \(the header has: agent, date\)"):
        derive(spec_of(RATING, flags=[], durations=[]), path, "2021-01")


# ---- CSV files DuckDB would read otherwise -------------------------------------------------------

CSV_LAYOUTS = {
    "quotes after a delimiter and a space": 'agent,date,rating\nA,2021-01-04, "5"\nA,2021-01-05,3\n',
    "quote inside a cell": 'agent,date,rating\nA,2021-01-04,5\nA"x,2021-01-05,3\n',
    "text after a closing quote": 'agent,date,rating\nA,2021-01-04,"5"x\nA,2021-01-05,3\n',
    "lone carriage return": "agent,date,rating\nA,2021-01-04,5\rA,2021-01-05,3\n",
    "mixed line ends": "agent,date,rating\r\nA,2021-01-04,5\nA,2021-01-05,3\r\n",
    "blank lines before the header": "\n\nagent,date,rating\nA,2021-01-04,5\n",
    "trailing empty cells": "agent,date,rating\nA,2021-01-04,5,,\nA,2021-01-05,3\n",
    "rows of empty cells": "agent,date,rating\nA,2021-01-04,5\n,,\n  , ,\t\n",
    "quoted line break": 'agent,date,rating\nA,2021-01-04,"5"\n"B\nC",2021-01-05,3\n',
    "no final line end": "agent,date,rating\nA,2021-01-04,5",
    "CRLF": "agent,date,rating\r\nA,2021-01-04,5\r\nA,2021-01-05,3\r\n",
}


@pytest.mark.parametrize("text", CSV_LAYOUTS.values(), ids=CSV_LAYOUTS.keys())
def test_csv_layouts_read_as_the_csv_module_reads_them(tmp_path: Path, text: str) -> None:
    """Quotes, line ends and blank records DuckDB takes otherwise give the csv module's figures or errors."""
    path = tmp_path / "calls.csv"
    path.write_bytes(text.encode("utf-8"))
    spec = spec_of(RATING | {"n": {"count": {}}}, flags=[], durations=[])

    def outcome(derive_with: object) -> object:
        try:
            return figures(derive_with(spec, path, "2021-01"), "m"), figures(derive_with(spec, path, "2021-01"), "n")  # type: ignore[operator]
        except MetricsError as error:
            return error.lines()

    assert outcome(reference_derive) == outcome(derive)


def test_short_row_is_reported_with_every_bad_cell_in_file_order(tmp_path: Path) -> None:
    """A record of the wrong width and a bad cell after it are reported together, in file order."""
    path = write_export(tmp_path, CALLS + "B,2021-01-08,Y\nB,2021-01-09,Y,Y,bad,0:01:00,Tech\n")
    with pytest.raises(MetricsError) as error:
        derive(spec_of(RATING), path, "2021-01")
    assert [f"{path}: row 6: has 3 cells, expected 7 like the header",
            f'{path}: row 7, column "rating": got "bad", expected a number'] == error.value.problems  # fmt: skip


def test_gb18030_export_is_transcoded_and_errors_name_the_original_rows(tmp_path: Path) -> None:
    """A GB18030 export is read through a UTF-8 copy; a bad cell is still reported at its own row."""
    text = "坐席,日期,评分\n张三,2021-01-04,5\n李四,2021-01-05,好\n"
    path = write_export(tmp_path, text, encoding="gb18030")
    spec = spec_of({"m": {"mean": {"column": "评分"}}}, agent="坐席", date={"column": "日期"}, flags=[], durations=[])
    with pytest.raises(MetricsError) as error:
        derive(spec, path, "2021-01")
    assert [f'{path}: row 3, column "评分": got "好", expected a number'] == error.value.problems


# ---- exact numbers --------------------------------------------------------------------------------


def test_cells_with_many_places_are_summed_exactly(tmp_path: Path) -> None:
    """Cells with 12 decimal places, beyond the fast DECIMAL(18, 3), are summed to the last place."""
    path = write_export(tmp_path, "agent,date,x\nA,2021-01-04,0.000000000001\nA,2021-01-05,2.5\n")
    spec = spec_of({"m": {"sum": {"column": "x"}}}, flags=[], durations=[])
    assert (Decimal("2.500000000001"),) * 2 == figures(derive(spec, path, "2021-01"))["A"][:2]


def test_a_condition_with_many_places_compares_exactly(tmp_path: Path) -> None:
    """A threshold of 4.0000001 keeps a rating of 4 out, as Python's Decimal comparison does."""
    path = write_export(tmp_path, "agent,date,rating\nA,2021-01-04,4\nA,2021-01-05,4.5\n")
    spec = spec_of({"m": {"count": {"where": {"column": "rating", "at_least": "4.0000001"}}}}, flags=[], durations=[])
    assert Decimal(1) == figures(derive(spec, path, "2021-01"))["A"][0]


def test_unusual_spellings_of_numbers_are_read_by_cspays_readers(tmp_path: Path) -> None:
    """1,234, ¥12, 1e3 and full-width digits are read as cspay reads them, inside the query's sums."""
    path = write_export(tmp_path, "agent,date,x\nA,2021-01-04,\"1,234\"\nA,2021-01-05,¥12\nA,2021-01-06,1e3\n"
                                  "A,2021-01-07,９５\n")  # fmt: skip
    spec = spec_of({"m": {"sum": {"column": "x"}}}, flags=[], durations=[])
    assert (Decimal(2341), Decimal(2341), Decimal(4)) == figures(derive(spec, path, "2021-01"))["A"]


def test_a_sum_too_large_to_keep_exactly_is_an_error(tmp_path: Path) -> None:
    """Durations summing past 20 digits of seconds are refused, never rounded."""
    path = write_export(tmp_path, "agent,date,x\n" + "A,2021-01-04,9999999999999999:00:00\n" * 3)
    spec = spec_of({"m": {"sum": {"column": "x"}}}, flags=[], durations=["x"])
    with pytest.raises(MetricsError, match="too large to keep exactly"):
        derive(spec, path, "2021-01")


# ---- settings -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("settings", "option"), [(EngineSettings("lots"), "--memory-limit"),
                                                  (EngineSettings("1GB", 0), "--threads")])  # fmt: skip
def test_settings_are_checked(tmp_path: Path, settings: EngineSettings, option: str) -> None:
    """A memory limit that is no amount, or no threads, is a usage problem naming the option."""
    with pytest.raises(UsageProblem) as problem:
        derive(spec_of(COUNT), write_export(tmp_path, CALLS), "2021-01", engine=settings)
    assert option == problem.value.option


def test_small_memory_limit_and_one_thread_give_the_same_figures(tmp_path: Path) -> None:
    """The engine's memory and threads change how it works, never what it finds."""
    path = write_export(tmp_path, CALLS)
    spec = spec_of(RATING)
    assert figures(derive(spec, path, "2021-01")) == figures(
        derive(spec, path, "2021-01", engine=EngineSettings("64MB", 1))
    )


def test_the_engine_never_writes_in_the_current_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Spilled data goes to a temporary folder, not the folder cron runs in."""
    monkeypatch.chdir(tmp_path)
    derive(spec_of(RATING), write_export(tmp_path, CALLS), "2021-01", engine=EngineSettings("64MB", 1))
    assert ["calls.csv"] == sorted(path.name for path in tmp_path.iterdir())
