"""Reading a month of metrics from CSV: encodings, headers, units, and a message for every bad cell."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from helpers import (
    HEADER,
    POLICIES,
    QUEUE_HEADER,
    WORKED_CELLS,
    WORKED_KPIS,
    WORKED_NUMBERS,
    by_queue,
    csv_text,
    policy_from,
    write_yaml,
)

from cspay.engine.types import Summary
from cspay.errors import MetricsError
from cspay.inputs.metrics import MetricsReader, read_metrics
from cspay.outputs.fast_csv import pay_to_csv
from cspay.policy.loader import load_policy
from cspay.policy.model import Policy

WriteCsv = Callable[..., Path]

CHINESE_POLICY = """\
policy: 客服-简版
version: "1"
agents: {id: 工号, name: 姓名, role: 岗位, team: 组别}
roles:
  初级: {base_pay: 4000, target_bonus: 20%}
kpis:
  满意度: {column: 满意度, unit: percent, weight: 60, score: {threshold: 80, target: 90, stretch: 96}}
  一次解决率: {column: 一次解决率, unit: ratio, weight: 40, score: {threshold: 0.65, target: 0.78, stretch: 0.88}}
grades:
  - {grade: 甲, min_score: 1.0, multiplier: 1.2}
  - {grade: 乙, min_score: 0, multiplier: 0.5}
adjustments:
  投诉: {column: 有效投诉, per_unit: -100}
"""
CHINESE_CSV = "工号,姓名,岗位,组别,满意度,一次解决率,有效投诉\n0042,王芳,初级,一组,92.5%,81%,1\n"


def problems_of(path: Path, policy: Policy, **options: str) -> list[str]:
    """The lines of the MetricsError that reading `path` must raise."""
    with pytest.raises(MetricsError) as caught:
        read_metrics(path, policy, **options)
    return caught.value.lines()


# ---- reading values -------------------------------------------------------------------------------


def test_worked_example_row_is_read_exactly(write_csv: WriteCsv, standard: Policy) -> None:
    """The worked example's cells become the exact KPI values and numbers, and its identity as text."""
    (row,) = read_metrics(write_csv([{}]), standard)
    assert (2, "A001", "L1", "Ada Lin", "North", WORKED_KPIS, WORKED_NUMBERS) == (
        row.line,
        row.agent_id,
        row.role,
        row.name,
        row.team,
        row.kpis,
        row.numbers,
    )


def test_spreadsheet_forms_read_as_the_same_values(write_csv: WriteCsv, standard: Policy) -> None:
    """ "92.5%", "81%", "0:05:35" and "98.5%" read as 92.5, 0.81, 335 and 98.5."""
    path = write_csv([{"csat": "92.5%", "fcr": "81%", "aht_sec": "0:05:35", "attendance": "98.5%"}])
    (row,) = read_metrics(path, standard)
    assert (WORKED_KPIS, Decimal("98.5")) == (row.kpis, row.numbers["attendance"])


@pytest.mark.parametrize(
    ("column", "text", "expected"),
    [
        ("attendance", "98.5%", "98.5"),
        ("worked_days", "20.5%", "20.5"),
        ("surveys", "64%", "64"),
        ("tickets", "940%", "940"),
        ("valid_complaints", "2%", "2"),
    ],
)
def test_plain_columns_drop_a_trailing_percent_sign(
    write_csv: WriteCsv, standard: Policy, column: str, text: str, expected: str
) -> None:
    """Gate, proration, min_volume and adjustment columns read "98.5%" as 98.5, never as 0.985."""
    (row,) = read_metrics(write_csv([{column: text}]), standard)
    assert Decimal(expected) == row.numbers[column]


def test_minutes_and_seconds_read_as_seconds(write_csv: WriteCsv, standard: Policy) -> None:
    """An m:ss cell in a seconds column is minutes and seconds."""
    (row,) = read_metrics(write_csv([{"aht_sec": "5:35"}]), standard)
    assert Decimal(335) == row.kpis["aht"]


def test_agent_ids_stay_text(write_csv: WriteCsv, standard: Policy) -> None:
    """An id like 007 keeps its leading zeros."""
    (row,) = read_metrics(write_csv([{"agent_id": "007"}]), standard)
    assert "007" == row.agent_id


def test_empty_adjustment_cell_counts_as_zero(write_csv: WriteCsv, standard: Policy) -> None:
    """No complaints written down means zero complaints."""
    (row,) = read_metrics(write_csv([{"valid_complaints": ""}]), standard)
    assert Decimal(0) == row.numbers["valid_complaints"]


def test_excluded_kpi_with_empty_cell_reads_as_no_value(
    write_csv: WriteCsv, standard_data: dict, tmp_path: Path
) -> None:
    """With `missing: exclude`, an empty KPI cell is None, to be left out of the score."""
    from helpers import policy_from

    standard_data["kpis"]["csat"]["missing"] = "exclude"
    (row,) = read_metrics(write_csv([{"csat": ""}]), policy_from(standard_data))
    assert row.kpis["csat"] is None


def test_header_only_file_is_an_error(write_csv: WriteCsv, standard: Policy) -> None:
    """A file with only the header pays no one: it is refused, so it never replaces a recorded month."""
    path = write_csv([])
    assert [f"{path}: no agent rows after the header; expected a row per agent (a file with only a header "
            f"would pay no one and, recorded, replace the month)"] == problems_of(path, standard)  # fmt: skip


def test_blank_rows_are_skipped(tmp_path: Path, standard: Policy) -> None:
    """Blank lines and rows of empty cells are skipped, and line numbers still count them."""
    text = csv_text([{}])
    text += "\n" + ",,,,,,,,,,,,\n" + csv_text([{"agent_id": "A002"}]).split("\n", 1)[1]
    path = tmp_path / "m.csv"
    path.write_text(text, encoding="utf-8")
    reader = MetricsReader(path, standard)
    rows = list(reader)
    assert ([("A001", 2), ("A002", 5)], 2) == ([(r.agent_id, r.line) for r in rows], reader.parser.blank_rows)


# ---- encodings and delimiters -----------------------------------------------------------------------


def test_utf8_with_bom_is_read(write_csv: WriteCsv, standard: Policy) -> None:
    """Excel's "CSV UTF-8" writes a BOM; the first column is still found by its name."""
    (row,) = read_metrics(write_csv([{"name": "Zoë"}], encoding="utf-8-sig"), standard)
    assert ("A001", "Zoë") == (row.agent_id, row.name)


def test_gb18030_with_chinese_headers_is_read_without_flags(tmp_path: Path) -> None:
    """A Chinese Excel file (GB18030) with Chinese headers is detected and read."""
    policy = load_policy(write_yaml(tmp_path, CHINESE_POLICY))
    path = tmp_path / "月度.csv"
    path.write_bytes(CHINESE_CSV.encode("gb18030"))
    (row,) = read_metrics(path, policy)
    assert (
        "0042",
        "王芳",
        "初级",
        "一组",
        {"满意度": Decimal("92.5"), "一次解决率": Decimal("0.81")},
        {"有效投诉": Decimal(1)},
    ) == (row.agent_id, row.name, row.role, row.team, row.kpis, row.numbers)


def test_chinese_headers_in_utf8_are_read(tmp_path: Path) -> None:
    """The same Chinese file saved as UTF-8 reads the same."""
    policy = load_policy(write_yaml(tmp_path, CHINESE_POLICY))
    path = tmp_path / "m.csv"
    path.write_text(CHINESE_CSV, encoding="utf-8")
    (row,) = read_metrics(path, policy)
    assert ("王芳", Decimal("0.81")) == (row.name, row.kpis["一次解决率"])


def test_forced_encoding_is_used(write_csv: WriteCsv, standard: Policy) -> None:
    """--encoding latin-1 reads a Latin-1 file that detection would take for GB18030."""
    path = write_csv([{"name": "José"}], encoding="latin-1")
    (row,) = read_metrics(path, standard, encoding="latin-1")
    assert "José" == row.name


def test_forced_utf8_on_a_file_with_bom_still_finds_the_first_column(write_csv: WriteCsv, standard: Policy) -> None:
    """--encoding utf-8 on Excel's "CSV UTF-8" (with BOM) does not glue the BOM to "agent_id"."""
    (row,) = read_metrics(write_csv([{}], encoding="utf-8-sig"), standard, encoding="utf-8")
    assert "A001" == row.agent_id


def test_utf16_with_bom_is_read(write_csv: WriteCsv, standard: Policy) -> None:
    """Excel's "Unicode text" (UTF-16 with BOM, tab-separated) is detected and read."""
    (row,) = read_metrics(write_csv([{"name": "王芳"}], encoding="utf-16", delimiter="\t"), standard)
    assert ("王芳", WORKED_KPIS) == (row.name, row.kpis)


def test_unknown_encoding_is_an_error(write_csv: WriteCsv, standard: Policy) -> None:
    """A misspelt --encoding is reported, with the usual choices."""
    path = write_csv([{}])
    assert [f"{path}: unknown encoding 'utf-9'; expected a text encoding such as utf-8 or gb18030"] == problems_of(
        path, standard, encoding="utf-9"
    )


def test_invalid_bytes_mid_file_are_reported_at_their_row(tmp_path: Path, standard: Policy) -> None:
    """A row with bytes that are not UTF-8 is reported at its own line, and the other rows are read."""
    lines = csv_text([{"agent_id": f"A{i}"} for i in range(6)]).encode().split(b"\n")
    lines[4] = lines[4].replace(b"Ada Lin", b"Ada \xff\xfe Lin")
    path = tmp_path / "m.csv"
    path.write_bytes(b"\n".join(lines))
    assert [
        f"{path}: row 5: bytes that are not valid utf-8 text; save the file in one encoding, or pass --encoding"
    ] == problems_of(path, standard, encoding="utf-8")


def test_invalid_bytes_after_the_sniffed_start_are_reported_at_their_row(tmp_path: Path, standard: Policy) -> None:
    """Detection reads the first 64 KiB; a bad row far beyond is still reported at its own line."""
    rows = [{"agent_id": f"A{i:05d}"} for i in range(1500)]
    lines = csv_text(rows).encode().split(b"\n")
    lines[1400] = lines[1400].replace(b"Ada Lin", b"Ada \xff Lin")
    path = tmp_path / "m.csv"
    path.write_bytes(b"\n".join(lines))
    assert [
        f"{path}: row 1401: bytes that are not valid utf-8 text; save the file in one encoding, or pass --encoding"
    ] == problems_of(path, standard)


def test_semicolon_delimiter_is_detected(write_csv: WriteCsv, standard: Policy) -> None:
    """European Excel writes ';' between cells; it is detected from the header."""
    reader = MetricsReader(write_csv([{}], delimiter=";"), standard)
    (row,) = list(reader)
    assert (";", WORKED_KPIS) == (reader.delimiter, row.kpis)


def test_tab_delimiter_is_detected(write_csv: WriteCsv, standard: Policy) -> None:
    """Tab-separated files are read too."""
    (row,) = read_metrics(write_csv([{}], delimiter="\t"), standard)
    assert WORKED_NUMBERS == row.numbers


def test_forced_delimiter_is_used(write_csv: WriteCsv, standard: Policy) -> None:
    """--delimiter "|" reads a pipe-separated file that detection does not recognise."""
    (row,) = read_metrics(write_csv([{}], delimiter="|"), standard, delimiter="|")
    assert WORKED_KPIS == row.kpis


# ---- headers --------------------------------------------------------------------------------------


def test_missing_columns_are_listed_together(write_csv: WriteCsv, standard: Policy) -> None:
    """Every missing column is named in one message with the header as found."""
    header = [name for name in HEADER if name not in ("csat", "tickets")]
    path = write_csv([{}], header=header)
    assert [
        f"{path}: row 1: missing required columns: csat, tickets (the header has: {', '.join(header)})"
    ] == problems_of(path, standard)


def test_a_kpi_by_column_is_read_as_text_on_each_row(write_csv: WriteCsv, standard_data: dict) -> None:
    """The column of a KPI's `by` is read as text, stripped, as written (blank and NA included)."""
    policy = policy_from(by_queue(standard_data))
    cells = [{"queue": text, "agent_id": f"A{i}"} for i, text in enumerate([" Complaints ", "", "N/A", "销售"])]
    rows = read_metrics(write_csv(cells, header=QUEUE_HEADER), policy)
    assert [{"queue": "Complaints"}, {"queue": ""}, {"queue": "N/A"}, {"queue": "销售"}] == [row.groups for row in rows]


def test_a_missing_by_column_is_a_missing_required_column(write_csv: WriteCsv, standard_data: dict) -> None:
    """A file without the column a KPI is scored by is refused, never paid on the general curve."""
    path = write_csv([{}])
    assert [f"{path}: row 1: missing required columns: queue (the header has: {', '.join(HEADER)})"] == problems_of(
        path, policy_from(by_queue(standard_data))
    )


DOUBLED = "headers match ignoring case, spacing and width, so rename or remove all but one"


@pytest.mark.parametrize("other", ["csat", "CSAT", " Csat ", "ｃｓａｔ", "CsAt"])
def test_column_named_twice_is_an_error(write_csv: WriteCsv, standard: Policy, other: str) -> None:
    """A second column that reads as csat, spelt exactly so or not: which one is meant is not guessed."""
    path = write_csv([{}], header=[*HEADER, other])
    assert [
        f"{path}: row 1: column 'csat' appears more than once (columns 6 ('csat') and 14 ({other.strip()!r})); "
        f"{DOUBLED}"
    ] == problems_of(path, standard)


def test_header_in_other_case_and_width_is_matched(write_csv: WriteCsv, standard: Policy) -> None:
    """ "CSAT", " Agent_ID " and full-width "ｆｃｒ" match the policy's column names."""
    header = [{"csat": "CSAT", "agent_id": " Agent_ID ", "fcr": "ｆｃｒ"}.get(name, name) for name in HEADER]
    rows = [dict(WORKED_CELLS, **{"CSAT": "92.5", " Agent_ID ": "A001", "ｆｃｒ": "0.81"})]
    (row,) = read_metrics(write_csv(rows, header=header), standard)
    assert ("A001", WORKED_KPIS) == (row.agent_id, row.kpis)


def test_empty_file_is_an_error(tmp_path: Path, standard: Policy) -> None:
    """A file without even a header says so."""
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    assert [f"{path}: row 1: expected a header row naming the columns, the file is empty"] == problems_of(
        path, standard
    )


def test_missing_file_is_an_error(tmp_path: Path, standard: Policy) -> None:
    """A path that does not exist is a MetricsError, not a traceback."""
    path = tmp_path / "nope.csv"
    assert [f"{path}: cannot read the metrics file: No such file or directory"] == problems_of(path, standard)


# ---- bad cells and rows -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "text", "expected"),
    [
        ("csat", "105", "a percentage between 0 and 100, like 92.5 or 92.5%"),
        ("csat", "-1%", "a percentage between 0 and 100, like 92.5 or 92.5%"),
        ("fcr", "81", "a ratio between 0 and 1, like 0.81 or 81%"),
        ("fcr", "1.5", "a ratio between 0 and 1, like 0.81 or 81%"),
        ("aht_sec", "-5", 'seconds (a number of at least 0) or a duration like "0:05:35"'),
        ("aht_sec", "5 min", 'seconds (a number of at least 0) or a duration like "0:05:35"'),
        ("qa_score", "good", "a number"),
        ("csat", "", "a value (the cell has none; the KPI needs one, unless the policy says missing: exclude)"),
        ("qa_score", "N/A", "a value (the cell has none; the KPI needs one, unless the policy says missing: exclude)"),
        ("attendance", "", "a number (the cell is empty)"),
        ("worked_days", "", "a number (the cell is empty)"),
        ("surveys", "many", "a number"),
        ("surveys", "", "a number (the cell is empty)"),
        ("tickets", "lots", "a number"),
    ],
)
def test_bad_cell_names_file_row_column_value_and_expectation(
    write_csv: WriteCsv, standard: Policy, column: str, text: str, expected: str
) -> None:
    """A bad cell is reported as `file: row N, column "X": got "…", expected …`."""
    path = write_csv([{}, {"agent_id": "A002", column: text}])
    assert [f'{path}: row 3, column "{column}": got "{text}", expected {expected}'] == problems_of(path, standard)


def test_row_number_is_the_line_in_the_file(tmp_path: Path, standard: Policy) -> None:
    """After a name spanning two lines (refused: a line break is a control character) and a blank line,
    the bad row is reported at its line."""
    text = csv_text([{"name": "Ada\nLin"}]) + "\n" + csv_text([{"agent_id": "A002", "csat": "x"}]).split("\n", 1)[1]
    path = tmp_path / "m.csv"
    path.write_text(text, encoding="utf-8")
    assert [
        f'{path}: row 2, column "name": holds the control character U+000A; expected text without control characters',
        f'{path}: row 5, column "csat": got "x", expected a percentage between 0 and 100, like 92.5 or 92.5%',
    ] == problems_of(path, standard)


def test_every_bad_cell_of_every_row_is_reported(write_csv: WriteCsv, standard: Policy) -> None:
    """Two bad cells in one row and one in another give three messages, in file order."""
    path = write_csv([{"csat": "x", "fcr": "2"}, {"agent_id": "A002"}, {"agent_id": "A003", "tickets": "?"}])
    assert [
        f'{path}: row 2, column "csat": got "x", expected a percentage between 0 and 100, like 92.5 or 92.5%',
        f'{path}: row 2, column "fcr": got "2", expected a ratio between 0 and 1, like 0.81 or 81%',
        f'{path}: row 4, column "tickets": got "?", expected a number',
    ] == problems_of(path, standard)


def test_more_than_fifty_bad_cells_are_counted(write_csv: WriteCsv, standard: Policy) -> None:
    """The first 50 problems are shown, then how many more there are."""
    path = write_csv([{"agent_id": f"A{i:03d}", "csat": "high"} for i in range(63)])
    lines = problems_of(path, standard)
    assert (51, f'{path}: row 51, column "csat": got "high"', "... and 13 more problems") == (
        len(lines),
        lines[49].split(", expected")[0],
        lines[50],
    )


def test_exactly_fifty_bad_cells_are_all_shown(write_csv: WriteCsv, standard: Policy) -> None:
    """At exactly 50 problems there is no count line."""
    path = write_csv([{"agent_id": f"A{i:03d}", "csat": "high"} for i in range(50)])
    lines = problems_of(path, standard)
    assert (50, False) == (len(lines), any(line.startswith("...") for line in lines))


def test_long_bad_cell_is_clipped(write_csv: WriteCsv, standard: Policy) -> None:
    """A huge cell is shown by its first 40 characters and its length."""
    path = write_csv([{"qa_score": "y" * 100}])
    assert [f'{path}: row 2, column "qa_score": got "{"y" * 40}… (100 characters)", expected a number'] == problems_of(
        path, standard
    )


def test_unknown_role_names_the_row_and_the_known_roles(write_csv: WriteCsv, standard: Policy) -> None:
    """A role the policy does not define is an error listing the roles it does."""
    path = write_csv([{}, {"agent_id": "A002", "role": "L3"}])
    assert [f'{path}: row 3, column "role": unknown role "L3", expected one of L1, L2'] == problems_of(path, standard)


def test_duplicate_agent_id_names_both_rows(write_csv: WriteCsv, standard: Policy) -> None:
    """The same agent twice is an error naming the first row and the repeat."""
    path = write_csv([{"agent_id": "007"}, {"agent_id": "A002"}, {"agent_id": "007"}])
    assert [f"{path}: row 4: agent '007' appears twice, in rows 2 and 4"] == problems_of(path, standard)


def test_ids_differing_only_in_leading_zeros_are_different_agents(write_csv: WriteCsv, standard: Policy) -> None:
    """007 and 7 are two agents: ids are text."""
    rows = read_metrics(write_csv([{"agent_id": "007"}, {"agent_id": "7"}]), standard)
    assert ["007", "7"] == [row.agent_id for row in rows]


def test_empty_agent_id_is_an_error(write_csv: WriteCsv, standard: Policy) -> None:
    """A row without an agent id cannot be paid."""
    path = write_csv([{"agent_id": " "}])
    assert [f'{path}: row 2, column "agent_id": the agent id is empty'] == problems_of(path, standard)


@pytest.mark.parametrize("marker", ["Total", "TOTALS", "合计"])
def test_totals_row_is_reported(write_csv: WriteCsv, standard: Policy, marker: str) -> None:
    """A spreadsheet's totals row is not an agent; it is reported so it is removed."""
    path = write_csv([{}, {"agent_id": marker}])
    assert [
        f"{path}: row 3: looks like a totals row ({marker!r}); remove it, cspay adds up the totals itself"
    ] == problems_of(path, standard)


def test_row_with_too_many_cells_is_an_error(tmp_path: Path, standard: Policy) -> None:
    """An extra cell (a shifted row) is reported instead of guessing which cell is extra."""
    path = tmp_path / "m.csv"
    path.write_text(csv_text([{}]) + csv_text([{}]).split("\n")[1] + ",x\n", encoding="utf-8")
    assert [f"{path}: row 3: has 14 cells, expected 13 like the header"] == problems_of(path, standard)


def test_row_with_too_few_cells_is_an_error(tmp_path: Path, standard: Policy) -> None:
    """A short row is reported, not padded with empty cells."""
    path = tmp_path / "m.csv"
    path.write_text(csv_text([]) + "A001,Ada,L1\n", encoding="utf-8")
    assert [f"{path}: row 2: has 3 cells, expected 13 like the header"] == problems_of(path, standard)


def test_unclosed_quote_is_reported_at_its_row(tmp_path: Path, standard: Policy) -> None:
    """A quote that never closes swallows the rest of the file; the row where it starts is named."""
    path = tmp_path / "m.csv"
    path.write_text(csv_text([{}]) + 'A002,"Ada\n', encoding="utf-8")
    assert [f"{path}: row 3: has 2 cells, expected 13 like the header"] == problems_of(path, standard)


def test_negative_worked_days_is_an_error(write_csv: Callable[..., Path], standard: Policy) -> None:
    """Worked days below 0 would make pay negative; the cell is reported."""
    path = write_csv([{"worked_days": "-3"}])
    assert [f'{path}: row 2, column "worked_days": got "-3", expected a number of at least 0'] == problems_of(
        path, standard
    )


def test_negative_survey_count_is_an_error(write_csv: Callable[..., Path], standard: Policy) -> None:
    """A min_volume column holds a count: below 0 is reported."""
    path = write_csv([{"surveys": "-1"}])
    assert [f'{path}: row 2, column "surveys": got "-1", expected a number of at least 0'] == problems_of(
        path, standard
    )


def test_empty_cells_after_the_last_column_are_ignored(tmp_path: Path, standard: Policy) -> None:
    """Excel's trailing empty cells do not make a row too long."""
    lines = csv_text([{}]).splitlines()
    path = tmp_path / "m.csv"
    path.write_text(lines[0] + "\n" + lines[1] + ",,\n", encoding="utf-8")
    assert ["A001"] == [row.agent_id for row in read_metrics(path, standard)]


def test_text_after_the_last_column_makes_a_row_too_long(tmp_path: Path, standard: Policy) -> None:
    """A non-empty extra cell is still an error, since the columns may be shifted."""
    lines = csv_text([{}]).splitlines()
    path = tmp_path / "m.csv"
    path.write_text(lines[0] + "\n" + lines[1] + ",x\n", encoding="utf-8")
    assert [f"{path}: row 2: has 14 cells, expected 13 like the header"] == problems_of(path, standard)


def test_a_decimal_comma_is_named_in_the_error(write_csv: Callable[..., Path], standard: Policy) -> None:
    """21,75 (a decimal comma from a European spreadsheet) is refused with the number it likely means."""
    path = write_csv([{"worked_days": "21,75"}])
    assert [
        f'{path}: row 2, column "worked_days": got "21,75", expected a number, written with a decimal point (21.75)'
    ] == problems_of(path, standard)


def test_a_totals_row_is_one_problem(tmp_path: Path, standard: Policy) -> None:
    """An Excel totals row is reported once, not once per empty cell."""
    text = csv_text([{}]) + "合计" + "," * (len(HEADER) - 1) + "\n"
    path = tmp_path / "m.csv"
    path.write_text(text, encoding="utf-8")
    assert [
        f"{path}: row 3: looks like a totals row ('合计'); remove it, cspay adds up the totals itself"
    ] == problems_of(path, standard)


# ---- files that are not what they seem ------------------------------------------------------------


def both_ways(path: Path, policy: Policy) -> list[str]:
    """The problems of reading `path` row by row and column by column (as `compute --format csv` does),
    which must be the same."""
    with pytest.raises(MetricsError) as by_row:
        read_metrics(path, policy)
    with pytest.raises(MetricsError) as by_column:
        pay_to_csv(MetricsReader(path, policy), io.StringIO(), Summary())
    assert by_row.value.lines() == by_column.value.lines()
    return by_row.value.lines()


def test_latin1_names_are_never_read_as_gb18030(tmp_path: Path, standard: Policy) -> None:
    """A Windows-1252 file is refused at each row whose name would be garbled, never read as Chinese."""
    names = ["Müller", "François", "Ångström", "Gødel", "Piñata", "Björn", "Zoë", "José"]
    text = csv_text([{"agent_id": f"A{i:03}", "name": name} for i, name in enumerate(names)])
    path = tmp_path / "m.csv"
    path.write_bytes(text.encode("cp1252"))
    problems = both_ways(path, standard)
    assert [f"{path}: row {row}" for row in range(2, 2 + len(names))] == [
        p.split(":", 2)[0] + ":" + p.split(":", 2)[1] for p in problems
    ]
    assert all("pass --encoding" in problem for problem in problems)


def test_latin1_file_reads_with_its_encoding(tmp_path: Path, standard: Policy) -> None:
    """Told the encoding, the same file reads its names as written."""
    path = tmp_path / "m.csv"
    path.write_bytes(csv_text([{"name": "Müller"}, {"agent_id": "A002", "name": "François"}]).encode("cp1252"))
    assert ["Müller", "François"] == [row.name for row in read_metrics(path, standard, encoding="cp1252")]


@pytest.mark.parametrize("at", [3, 2000])  # within the bytes the encoding is guessed from, and after them
def test_one_gb18030_row_in_a_utf8_file_is_named(tmp_path: Path, standard: Policy, at: int) -> None:
    """A row pasted in from a GB18030 file is reported at its row, with how it reads as GB18030."""
    rows = [{"agent_id": f"A{i:04}", "name": "王芳"} for i in range(2500)]
    lines = csv_text(rows).encode().split(b"\n")
    lines[at - 1] = lines[at - 1].decode().encode("gb18030")
    path = tmp_path / "m.csv"
    path.write_bytes(b"\n".join(lines))
    assert [
        f"{path}: row {at}: bytes that are not valid utf-8 text (as GB18030 it reads "
        f"'A{at - 2:04},王芳,L1,North,21.75,92.5,64,0.81,335…'); save the file in one encoding, or pass --encoding"
    ] == both_ways(path, standard)


@pytest.mark.parametrize("at", [3, 2000])
def test_one_utf8_row_in_a_gb18030_file_is_named(tmp_path: Path, standard: Policy, at: int) -> None:
    """A UTF-8 row in a file read as GB18030 is reported at its row as a mix of encodings, not garbled."""
    rows = [{"agent_id": f"A{i:04}", "name": "王芳", "team": "北区"} for i in range(2500)]
    lines = csv_text(rows).encode("gb18030").split(b"\n")
    lines[at - 1] = lines[at - 1].decode("gb18030").encode()
    path = tmp_path / "m.csv"
    path.write_bytes(b"\n".join(lines))
    assert [
        f"{path}: row {at}: it is UTF-8 text while the rest of the file reads as GB18030: the file mixes "
        f"encodings; save the file in one encoding, or pass --encoding"
    ] == both_ways(path, standard)


def test_gb18030_file_of_chinese_names_reads_cleanly(tmp_path: Path, standard: Policy) -> None:
    """The guess is checked, and a real GB18030 file passes the check."""
    names = ["王芳", "张伟", "李娜", "刘喆", "陈堃", "Amy王"]
    rows = [{"agent_id": f"A{i:03}", "name": name, "team": "客服一组"} for i, name in enumerate(names)]
    path = tmp_path / "m.csv"
    path.write_bytes(csv_text(rows).encode("gb18030"))
    assert names == [row.name for row in read_metrics(path, standard)]


@pytest.mark.parametrize(
    "spelling", ["a001", "Ａ００１", "A\u200b001", "A001\u2060", "A٠٠١", "A𝟎𝟎𝟏", "A 001", "\ufeffA001", "A\u00ad001"]
)
def test_ids_a_person_reads_as_the_same_are_one_agent(write_csv: WriteCsv, standard: Policy, spelling: str) -> None:
    """An id that differs from an earlier one only in case, width, spaces, invisible characters or the
    script of its digits is reported as that agent again, naming both rows and both spellings."""
    path = write_csv([{"agent_id": "A001"}, {"agent_id": "A002"}, {"agent_id": spelling}])
    assert [
        f"{path}: row 4: agent {spelling!r} is agent 'A001' of row 2 written another way (ids match ignoring "
        f"case, width, spaces and invisible characters); expected each agent once"
    ] == both_ways(path, standard)


def test_six_spellings_of_one_id_are_five_repeats(write_csv: WriteCsv, standard: Policy) -> None:
    """Each later spelling is reported against the first row; none is paid."""
    spellings = ["A001", "a001", "Ａ００１", "A\u200b001", "A٠٠١", "A𝟎𝟎𝟏"]
    path = write_csv([{"agent_id": spelling} for spelling in spellings])
    problems = both_ways(path, standard)
    assert [
        f"row {row}: agent {spelling!r} is agent 'A001' of row 2"
        for row, spelling in zip(range(3, 8), spellings[1:], strict=True)
    ] == [problem.split(": ", 1)[1].split(" written")[0] for problem in problems]


@pytest.mark.parametrize("column", ["agent_id", "name", "team", "role"])
@pytest.mark.parametrize("character", ["\x00", "\x1b", "\t", "\n", "\x7f", "\x85", "\u202e", "\u2028"])
def test_control_characters_in_text_cells_are_refused(
    write_csv: WriteCsv, standard: Policy, column: str, character: str
) -> None:
    """NUL, escapes, tabs, line breaks and direction overrides in an id, name, team or role are refused
    with the row, the column and the character."""
    value = {"agent_id": "A002", "name": "Li", "team": "North", "role": "L1"}[column]
    path = write_csv([{}, {"agent_id": "A002", column: value[:1] + character + value[1:]}])
    assert [
        f'{path}: row 3, column "{column}": holds the control character U+{ord(character):04X}; '
        f"expected text without control characters"
    ] == both_ways(path, standard)


@pytest.mark.parametrize("text", ["9²", "①", "٩٥", "𝟗𝟓", "95\u200b"])
def test_characters_that_look_like_digits_are_refused_in_cells(
    write_csv: WriteCsv, standard: Policy, text: str
) -> None:
    """A KPI cell of superscripts, circled or other-script digits is an error, not a number."""
    path = write_csv([{"csat": text}])
    assert [
        f'{path}: row 2, column "csat": got "{text}", expected a percentage between 0 and 100, like 92.5 or 92.5%'
    ] == both_ways(path, standard)


@pytest.mark.parametrize("after_header", ["", "\n", "\n\n,,,,\n", " , , \n"])
def test_a_file_without_agent_rows_is_an_error(tmp_path: Path, standard: Policy, after_header: str) -> None:
    """A header alone, or with blank rows, pays no one: refused, so it never replaces a recorded month."""
    path = tmp_path / "m.csv"
    path.write_text(",".join(HEADER) + "\n" + after_header, encoding="utf-8")
    (problem,) = both_ways(path, standard)
    assert problem.startswith(f"{path}: no agent rows after the header")


def test_reading_stops_after_a_thousand_problems(write_csv: WriteCsv, standard: Policy) -> None:
    """A file of bad rows is read no further than a thousand problems, and says it stopped."""
    path = write_csv([{"agent_id": f"A{i:05}", "csat": "bad"} for i in range(5000)])
    problems = both_ways(path, standard)
    assert f"{path}: stopped reading after 1,000 problems; is this the metrics file?" == problems[-1]


def test_a_device_as_the_metrics_file_is_bounded(standard: Policy) -> None:
    """/dev/zero never ends a line: its header is refused after a bounded read."""
    with pytest.raises(MetricsError, match="row 1: longer than 1,048,576 characters; expected a header row"):
        read_metrics(Path("/dev/zero"), standard)


def test_a_pipe_or_a_device_is_refused_as_the_metrics_file() -> None:
    """A pipe cannot be read twice (to fingerprint it, then to pay it): exit 2, naming it, nothing paid."""
    result = subprocess.run(
        [sys.executable, "-m", "cspay", "compute", str(POLICIES / "standard.yaml"), "/dev/stdin", "--format", "csv"],
        input=csv_text([{}]).encode(), capture_output=True, check=False,
    )  # fmt: skip
    assert (2, b"") == (result.returncode, result.stdout)
    assert "/dev/stdin: is not a regular file (a pipe, a device or a socket)" in " ".join(
        result.stderr.decode().split()
    )


def _fifo(tmp_path: Path, data: Callable[[], Iterator[bytes]]) -> tuple[Path, threading.Thread]:
    """A named pipe fed from a thread until the reader stops reading."""
    path = tmp_path / "pipe.csv"
    os.mkfifo(path)

    def feed() -> None:
        try:
            with path.open("wb") as pipe:
                for block in data():
                    pipe.write(block)
        except BrokenPipeError:
            pass

    thread = threading.Thread(target=feed, daemon=True)
    thread.start()
    return path, thread


def test_a_pipe_read_once_still_names_both_rows_of_a_repeat(tmp_path: Path, standard: Policy) -> None:
    """Rows that cannot be read again have their ids kept whole, so a repeat names its first row too."""
    path, thread = _fifo(tmp_path, lambda: iter([csv_text([{}, {"agent_id": "A002"}, {"agent_id": "a001"}]).encode()]))
    with pytest.raises(MetricsError) as caught:
        read_metrics(path, standard)
    thread.join()
    assert [
        f"{path}: row 4: agent 'a001' is agent 'A001' of row 2 written another way (ids match ignoring case, "
        f"width, spaces and invisible characters); expected each agent once"
    ] == caught.value.lines()


def test_an_endless_pipe_of_bad_rows_stops(tmp_path: Path, standard: Policy) -> None:
    """A header followed by endless random bytes stops at the problem limit, and says so last."""

    def endless() -> Iterator[bytes]:
        yield (",".join(HEADER) + "\n").encode()
        while True:
            yield os.urandom(1 << 16)

    path, thread = _fifo(tmp_path, endless)
    with pytest.raises(MetricsError) as caught:
        read_metrics(path, standard)
    thread.join()
    assert f"{path}: stopped reading after 1,000 problems; is this the metrics file?" == caught.value.lines()[-1]


@pytest.mark.parametrize("agent_id", ["", " ", "\u3000"])
def test_an_empty_id_is_refused_both_ways(write_csv: WriteCsv, standard: Policy, agent_id: str) -> None:
    """A row without an agent id is an error on the row and the column path alike, never paid."""
    path = write_csv([{"agent_id": agent_id}])
    assert [f'{path}: row 2, column "agent_id": the agent id is empty'] == both_ways(path, standard)
