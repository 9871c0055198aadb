"""The XLSX workbook: numbers as numbers, text as text, same bytes for the same input, bounded sheets."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import zipfile
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

import cspay.outputs.sheets
from cspay import __version__
from cspay.cli import app
from cspay.outputs.sheets import display_width, money_format

DATA = Path(__file__).parent / "data"
POLICY = DATA / "standard.yaml"
MONTH = DATA / "month.csv"
ZH_POLICY = DATA / "zh-hotline.yaml"
ZH_MONTH = DATA / "zh-hotline-2026-11.csv"


@pytest.fixture(autouse=True)
def no_source_date(monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)


def build(tmp_path: Path, *args: str, policy: Path = POLICY, metrics: Path = MONTH, name: str = "pay.xlsx") -> Path:
    target = tmp_path / name
    result = CliRunner().invoke(app, ["compute", str(policy), str(metrics), "-f", "xlsx", "-o", str(target), *args])
    assert 0 == result.exit_code, result.output
    return target


def sheet_rows(path: Path, index: int) -> list[tuple]:
    return list(openpyxl.load_workbook(path).worksheets[index].iter_rows(values_only=True))


def test_sheets_in_order(tmp_path):
    """The workbook has the Payslips, KPIs, Summary and About sheets, in that order."""
    assert ["Payslips", "KPIs", "Summary", "About"] == openpyxl.load_workbook(build(tmp_path)).sheetnames


def test_payslips_header_has_line_labels_in_payslip_order(tmp_path):
    """The header names each payslip line by its label, between the agent's grade and gross."""
    header = sheet_rows(build(tmp_path), 0)[0]
    assert (
        "Agent",
        "Name",
        "Role",
        "Team",
        "Score",
        "Grade",
        "Action",
        "Base pay",
        "meal",
        "transport",
        "Performance bonus",
        "Valid complaint deduction",
        "Ticket volume bonus",
        "Minimum wage top-up",
        "Gross",
    ) == header


def test_money_is_a_number_with_the_currency_format(tmp_path):
    """Amounts are numeric cells shown with the policy's currency, never text."""
    sheet = openpyxl.load_workbook(build(tmp_path))["Payslips"]
    gross = sheet["O2"]
    assert (7940, "n", '"¥"#,##0.00') == (gross.value, gross.data_type, gross.number_format)


def test_chinese_money_format_puts_the_unit_after(tmp_path):
    """In Chinese, amounts of CNY are shown as 7,940.00 元."""
    sheet = openpyxl.load_workbook(build(tmp_path, "--lang", "zh")).worksheets[0]
    assert '#,##0.00" 元"' == sheet["O2"].number_format


def test_header_row_is_frozen_and_filtered(tmp_path):
    """Payslips and KPIs keep their header in view and carry a filter over the whole table."""
    book = openpyxl.load_workbook(build(tmp_path))
    assert ("A2", "A1:O5") == (book["Payslips"].freeze_panes, book["Payslips"].auto_filter.ref)
    assert ("A2", "A1:H17") == (book["KPIs"].freeze_panes, book["KPIs"].auto_filter.ref)


def test_columns_are_wide_enough_for_their_text(tmp_path):
    """Each column is at least as wide as its longest value."""
    sheet = openpyxl.load_workbook(build(tmp_path))["Payslips"]
    assert sheet.column_dimensions["B"].width >= len('=HYPERLINK("http://x")')


def test_formula_looking_name_stays_text(tmp_path):
    """A name like =HYPERLINK(...) is a text cell, and the sheet holds no formula at all."""
    target = build(tmp_path)
    cell = openpyxl.load_workbook(target)["Payslips"]["B3"]
    assert ('=HYPERLINK("http://x")', "s") == (cell.value, cell.data_type)
    with zipfile.ZipFile(target) as package:
        assert "<f>" not in package.read("xl/worksheets/sheet1.xml").decode("utf-8")


def test_leading_zero_id_stays_text(tmp_path):
    """The agent id 007 stays the text 007."""
    assert "007" == openpyxl.load_workbook(build(tmp_path))["Payslips"]["A3"].value


def test_two_runs_give_identical_bytes(tmp_path):
    """The same policy and metrics give the same file, byte for byte."""
    first = build(tmp_path, name="one.xlsx").read_bytes()
    assert first == build(tmp_path, name="two.xlsx").read_bytes()


def test_source_date_epoch_sets_the_date(tmp_path, monkeypatch):
    """SOURCE_DATE_EPOCH becomes the document's created date and the About date."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1798761600")
    target = build(tmp_path)
    assert datetime(2027, 1, 1) == openpyxl.load_workbook(target).properties.created
    assert ("Date (UTC)", datetime(2027, 1, 1)) == sheet_rows(target, 3)[10]


def test_date_comes_from_the_period_in_the_metrics_file_name(tmp_path):
    """Without SOURCE_DATE_EPOCH, a metrics file named for 2026-11 dates the workbook 2026-11-01."""
    metrics = tmp_path / "pay-2026-11.csv"
    shutil.copy(MONTH, metrics)
    assert datetime(2026, 11, 1) == openpyxl.load_workbook(build(tmp_path, metrics=metrics)).properties.created


def test_date_is_fixed_without_a_period(tmp_path):
    """A metrics file name without a period gives the fixed date 2000-01-01, never today."""
    assert datetime(2000, 1, 1) == openpyxl.load_workbook(build(tmp_path)).properties.created


def test_bad_source_date_epoch_exits_1(tmp_path, monkeypatch):
    """A SOURCE_DATE_EPOCH that is not whole seconds is an error and nothing is written."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    target = tmp_path / "pay.xlsx"
    result = CliRunner().invoke(app, ["compute", str(POLICY), str(MONTH), "-f", "xlsx", "-o", str(target)])
    assert 1 == result.exit_code
    assert (
        "Error: SOURCE_DATE_EPOCH: expected whole seconds since 1970-01-01 (e.g. 1798761600), got 'yesterday'\n"
    ) == result.stderr
    assert not target.exists()


def test_xlsx_without_output_is_usage_error():
    """A workbook needs --output: without it the run exits 2."""
    result = CliRunner().invoke(app, ["compute", str(POLICY), str(MONTH), "-f", "xlsx"])
    assert 2 == result.exit_code
    assert "--format xlsx needs --output FILE" in result.stderr


def test_kpis_sheet_has_one_row_per_agent_and_kpi(tmp_path):
    """Each KPI of each agent has its value, score, weight and contribution."""
    rows = sheet_rows(build(tmp_path), 1)
    assert 1 + 4 * 4 == len(rows)
    agent, _, kpi, value, score, weight, contribution, left_out = rows[1]
    assert ("A001", "Customer satisfaction", 92.5, 35, None) == (agent, kpi, value, weight, left_out)
    assert pytest.approx(1.2083333) == score and pytest.approx(0.4229167) == contribution


def test_kpis_sheet_says_why_a_kpi_was_left_out(tmp_path):
    """A KPI left out for too few surveys names the count and the minimum, in the reader's language."""
    rows = {(row[0], row[2]): row for row in sheet_rows(build(tmp_path), 1)}
    assert (None, "surveys 12 is below the minimum of 20") == rows["007", "Customer satisfaction"][6:]
    zh = {(row[0], row[2]): row for row in sheet_rows(build(tmp_path, "--lang", "zh", name="zh.xlsx"), 1)}
    assert "surveys 12，低于最低要求 20" == zh["007", "Customer satisfaction"][7]


def test_kpis_sheet_says_whose_targets_scored_a_kpi_by_group(tmp_path):
    """Under a policy with a KPI by group, each KPI row says whose targets scored it, as the payslip does:
    a group's own, the general ones and why, or nothing for a KPI with one curve."""
    path = build(tmp_path, policy=DATA / "queues.yaml", metrics=DATA / "queue-month.csv")
    rows = sheet_rows(path, 1)
    found = {(row[0], row[2]): row[8] for row in rows[1:]}
    assert [
        "Targets applied",
        "on the targets of queue complaints",
        "on the general targets: queue retail has none of its own",
        "on the general targets: queue is empty",
        None,
    ] == [
        rows[0][8],
        found["A001", "Customer satisfaction"],
        found["A003", "Customer satisfaction"],
        found["A004", "Customer satisfaction"],
        found["A001", "First-contact resolution"],
    ]


def test_kpis_sheet_says_whose_targets_in_chinese(tmp_path):
    """The column and its sentences are in the reader's language; the policy's own names stay as written."""
    path = build(tmp_path, "--lang", "zh", policy=DATA / "queues.yaml", metrics=DATA / "queue-month.csv")
    rows = sheet_rows(path, 1)
    found = {(row[0], row[2]): row[8] for row in rows[1:]}
    assert ["适用目标", "按queue“complaints”的目标", "按通用目标：queue为空"] == [
        rows[0][8],
        found["A001", "Customer satisfaction"],
        found["A004", "Customer satisfaction"],
    ]


def test_summary_sheet_totals_and_groups(tmp_path):
    """The Summary sheet has the run's totals, then headcount, gross and bonus per role, team and grade."""
    rows = sheet_rows(build(tmp_path, policy=ZH_POLICY, metrics=ZH_MONTH), 2)
    assert ("全体人员", None, 5, 30919.15, 4529.25) == rows[1][:5]
    assert ("岗位", "客服组长", 2, 13048.46, 2498.56) == rows[4][:5]
    groups = [row[:3] for row in rows[1:] if row[0] in ("岗位", "班组", "等级")]
    assert [
        ("岗位", "初级客服", 2),
        ("岗位", "高级客服", 1),
        ("岗位", "客服组长", 2),
        ("班组", "一组", 3),
        ("班组", "二组", 1),
        ("班组", "三组", 1),
        ("等级", "良好", 1),
        ("等级", "合格", 3),
        ("等级", "待改进", 1),
    ] == groups


def test_summary_sheet_totals_each_line(tmp_path):
    """Below the groups, each payslip line has its total, the top-ups included."""
    rows = sheet_rows(build(tmp_path, policy=ZH_POLICY, metrics=ZH_MONTH), 2)
    start = rows.index(("工资项目", None, None, "合计", None, None)) + 1
    lines = {row[0]: row[3] for row in rows[start:]}
    assert (22524.14, 4529.25, -250, 906.33) == (
        lines["基本工资"],
        lines["绩效奖金"],
        lines["有效投诉扣款"],
        lines["最低工资补差"],
    )


def test_about_sheet_names_inputs_and_version(tmp_path):
    """The About sheet has the policy, the SHA-256 of both input files and the cspay version."""
    about = dict(sheet_rows(build(tmp_path), 3))
    assert ("cs-standard", "2026.11") == (about["Policy"], about["Policy version"])
    assert hashlib.sha256(POLICY.read_bytes()).hexdigest() == about["Policy file SHA-256"]
    assert hashlib.sha256(MONTH.read_bytes()).hexdigest() == about["Metrics file SHA-256"]
    assert __version__ == about["cspay version"]


def test_full_sheet_goes_on_in_a_second_sheet(tmp_path, monkeypatch):
    """A table longer than a sheet's rows goes on in a second sheet with the same header."""
    monkeypatch.setattr(cspay.outputs.sheets, "MAX_ROWS", 3)
    book = openpyxl.load_workbook(build(tmp_path))
    second = [row[0] for row in book["Payslips (2)"].iter_rows(values_only=True)]
    assert ["Agent", "A003", "A004"] == second
    kpi_sheets = [sheet for sheet in book if sheet.title.startswith("KPIs")]
    assert 4 * 4 == sum(sheet.max_row - 1 for sheet in kpi_sheets)


def test_bad_rows_leave_no_workbook_and_no_scratch_files(tmp_path, monkeypatch):
    """When a metrics row is bad, neither the workbook nor its temporary sheet files remain."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    metrics = tmp_path / "m.csv"
    metrics.write_text(MONTH.read_text(encoding="utf-8") + "A009,X,L9,N,1,1,1,1,1,1,1,1,1\n", encoding="utf-8")
    target = tmp_path / "pay.xlsx"
    result = CliRunner().invoke(app, ["compute", str(POLICY), str(metrics), "-f", "xlsx", "-o", str(target)])
    assert 1 == result.exit_code
    assert not target.exists()
    assert [] == list(scratch.iterdir())


@pytest.mark.parametrize(
    ("before", "after", "places", "expected"),
    [
        ("¥", "", 2, '"¥"#,##0.00'),
        ("", " 元", 2, '#,##0.00" 元"'),
        ("$", "", 0, '"$"#,##0'),
        ("", ' X"Y', 1, '#,##0.0" X"\\""Y"'),
    ],
)
def test_money_format(before, after, places, expected):
    """The Excel format quotes the currency text and has the policy's decimals."""
    assert expected == money_format(before, after, places)


def test_display_width_counts_chinese_as_two():
    """Chinese characters take two columns, Latin letters one."""
    assert 6 == display_width("李娜Li")


@pytest.mark.parametrize(
    ("base_pay", "as_text"),
    [("123456789012345.67", True), ("98765432109876.54", True), ("1234567890123.45", False), ("99999999999.99", False)],
)
def test_amounts_beyond_fifteen_digits_are_written_as_text(tmp_path, base_pay, as_text):
    """An amount a spreadsheet number cannot hold to the cent is its exact text, with a note on the cell
    and a count in About; amounts of 15 digits or fewer stay numbers."""
    policy = tmp_path / "p.yaml"
    policy.write_text(POLICY.read_text(encoding="utf-8").replace("base_pay: 5200", f"base_pay: {base_pay}"), "utf-8")
    book = openpyxl.load_workbook(build(tmp_path, policy=policy))
    header = [cell.value for cell in book["Payslips"][1]]
    cell = book["Payslips"].cell(row=2, column=header.index("Base pay") + 1)
    about = dict(book["About"].iter_rows(values_only=True))
    if as_text:
        assert (base_pay, True) == (cell.value, cell.comment is not None)
        assert int(about["Amounts written as text (more than 15 digits)"]) >= 1
    else:
        assert (Decimal(base_pay), None) == (Decimal(str(cell.value)), cell.comment)
