"""`cspay compute` over a quarter's monthly files, and `--period`: exit codes and the exact lines users see."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from helpers import period_policy_file, write_months

from cspay.cli import app
from cspay.cli.common import NOTES_SHOWN

DATA = Path(__file__).parent / "data"
POLICY = str(DATA / "quarterly.yaml")
MONTHLY = str(DATA / "standard.yaml")
QUARTER = DATA / "quarter"
MONTHS = [str(QUARTER / f"2026-{month}.csv") for month in (10, 11, 12)]
ROLE_NOTE = (
    "Note: agent Q004 changed role within the period (2026-10: L1, 2026-11: L2, 2026-12: L2); "
    "each role is paid for its part of the period: L1 1/3, L2 2/3.\n"
)


def with_policy_line(tmp_path: Path, old: str, new: str) -> str:
    path = tmp_path / "policy.yaml"
    path.write_text(Path(POLICY).read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    return str(path)


def month_file(tmp_path: Path, source: str, name: str, old: str, new: str) -> str:
    path = tmp_path / name
    path.write_text(Path(source).read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    return str(path)


def test_quarter_json_has_the_quarter_payslips(runner):
    """Three monthly files under a quarterly policy give one payslip per agent of the quarter."""
    result = runner.invoke(app, ["compute", POLICY, *MONTHS, "--period", "2026-Q4", "--format", "json"])
    assert 0 == result.exit_code, result.output
    slips = json.loads(result.stdout)["payslips"]
    assert ["Q001", "Q002", "Q004", "Q003"] == [slip["agent_id"] for slip in slips]
    assert "25800.00" == slips[0]["gross"]


def test_a_folder_stands_for_its_csv_files(runner):
    """A folder gives its *.csv files sorted by name, the same as naming them."""
    named = runner.invoke(app, ["compute", POLICY, *MONTHS, "--format", "csv"])
    folder = runner.invoke(app, ["compute", POLICY, str(QUARTER), "--format", "csv"])
    assert 0 == folder.exit_code, folder.output
    assert named.stdout == folder.stdout


def test_table_names_the_period_and_its_files(runner):
    """The table of a quarter starts with the period and the files it was computed from."""
    result = runner.invoke(app, ["compute", POLICY, *MONTHS])
    assert 0 == result.exit_code, result.output
    assert f"2026-Q4: 3 monthly files ({', '.join(MONTHS)})" == result.stdout.splitlines()[0]


def test_role_change_is_noted_on_stderr(runner):
    """An agent whose role changed during the quarter is noted, outside the payslips."""
    result = runner.invoke(app, ["compute", POLICY, *MONTHS, "--format", "csv"])
    assert ROLE_NOTE == result.stderr


def test_bonus_only_quarter_csv_has_no_base_columns(runner, tmp_path):
    """A quarter that pays bonus and adjustments has no base pay or allowance columns."""
    policy = with_policy_line(tmp_path, "pays: [base_pay, allowances, bonus, adjustments]\n", "")
    result = runner.invoke(app, ["compute", policy, *MONTHS, "--format", "csv"])
    assert 0 == result.exit_code, result.output
    assert (
        "agent_id,name,role,team,score,grade,action,bonus,adjustment.complaints,adjustment.volume,gross"
        == result.stdout.splitlines()[0]
    )


def test_period_of_another_kind_is_a_usage_error(runner):
    """A month label for a quarterly policy exits 2 and says what the policy expects."""
    result = runner.invoke(app, ["compute", POLICY, *MONTHS, "--period", "2026-11"])
    assert 2 == result.exit_code
    assert (
        f"Error: Invalid value for --period: 2026-11 is a month, but the policy {POLICY} has period: quarter; "
        f"expected a quarter like 2026-Q4"
    ) == result.stderr.strip().splitlines()[-1]


def test_unreadable_period_is_a_usage_error(runner):
    """A --period that is no month, quarter or year exits 2."""
    result = runner.invoke(app, ["compute", POLICY, *MONTHS, "--period", "Q4"])
    assert 2 == result.exit_code
    assert (
        'Error: Invalid value for --period: period "Q4": expected a month like 2021-01, a quarter like '
        "2021-Q1 or a year"
    ) == result.stderr.strip().splitlines()[-1]


def test_quarter_label_for_monthly_policy_is_a_usage_error(runner):
    """A monthly policy given --period 2026-Q4 exits 2."""
    result = runner.invoke(app, ["compute", MONTHLY, str(DATA / "month.csv"), "--period", "2026-Q4"])
    assert 2 == result.exit_code
    assert (
        f"Error: Invalid value for --period: 2026-Q4 is a quarter, but the policy {MONTHLY} has period: "
        f"month; expected a month like 2026-11"
    ) == result.stderr.strip().splitlines()[-1]


def test_month_label_for_monthly_policy_runs(runner):
    """A monthly policy with a matching --period (and no period column) computes as before."""
    result = runner.invoke(app, ["compute", MONTHLY, str(DATA / "month.csv"), "--period", "2026-11", "--format", "csv"])
    assert 0 == result.exit_code, result.output
    assert 5 == len(result.stdout.splitlines())


def test_several_files_for_monthly_policy_is_a_usage_error(runner):
    """A monthly policy reads one file; three exit 2, pointing to a quarterly policy."""
    result = runner.invoke(app, ["compute", MONTHLY, *MONTHS])
    assert 2 == result.exit_code
    assert (
        f"Error: Invalid value for METRICS: the policy {MONTHLY} has period: month and reads one metrics "
        f"file, got 3; to pay a quarter from its months, use a policy with period: quarter"
    ) == result.stderr.strip().splitlines()[-1]


def test_more_files_than_months_is_a_usage_error(runner, tmp_path):
    """Four files for a quarter exit 2 and list the files."""
    extra = shutil.copy(MONTHS[0], tmp_path / "2027-01.csv")
    result = runner.invoke(app, ["compute", POLICY, *MONTHS, str(extra)])
    assert 2 == result.exit_code
    assert (
        f"Error: Invalid value for METRICS: a quarter has 3 months, got 4 metrics files: "
        f"{', '.join([*MONTHS, str(extra)])}"
    ) == result.stderr.strip().splitlines()[-1]


def test_same_file_twice_is_a_usage_error(runner):
    """Naming a month's file twice exits 2."""
    result = runner.invoke(app, ["compute", POLICY, MONTHS[0], MONTHS[0]])
    assert 2 == result.exit_code
    assert (
        f"Error: Invalid value for METRICS: {MONTHS[0]}: given twice; expected each month's file once"
        == result.stderr.strip().splitlines()[-1]
    )


def test_empty_folder_is_a_usage_error(runner, tmp_path):
    """A folder without *.csv files exits 2."""
    result = runner.invoke(app, ["compute", POLICY, str(tmp_path)])
    assert 2 == result.exit_code
    assert (
        f"Error: Invalid value for METRICS: {tmp_path}: the folder holds no *.csv files"
        == result.stderr.strip().splitlines()[-1]
    )


def test_a_copied_month_is_refused(runner, tmp_path):
    """Two files with the same bytes (a month copied as another) exit 1."""
    copy = shutil.copy(MONTHS[0], tmp_path / "copy.csv")
    result = runner.invoke(app, ["compute", POLICY, MONTHS[0], str(copy)])
    assert 1 == result.exit_code
    assert f"Error: {copy}: has the same content as {MONTHS[0]}; expected one file per month\n" == result.stderr


def test_row_outside_the_period_names_file_and_row(runner, tmp_path):
    """A row whose period column falls outside --period is an error naming its file, row and cell."""
    december = month_file(
        tmp_path, MONTHS[2], "12.csv", "Q003,Zhou Yan,L1,South,2026/12/31", "Q003,Zhou Yan,L1,South,2027/01/02"
    )
    result = runner.invoke(app, ["compute", POLICY, MONTHS[0], MONTHS[1], december, "--period", "2026-Q4"])
    assert 1 == result.exit_code
    assert (
        f'Error: {december}: row 4, column "month": got "2027/01/02", expected a month in 2026-Q4 '
        f"(2026-10 to 2026-12) (--period)\n"
    ) == result.stderr


def test_a_file_holds_one_month(runner, tmp_path):
    """A file whose rows name two months is an error naming the row that differs."""
    november = month_file(
        tmp_path, MONTHS[1], "11.csv", "Q002,Li Na,L1,South,2026-11-30", "Q002,Li Na,L1,South,2026-10-31"
    )
    result = runner.invoke(app, ["compute", POLICY, MONTHS[0], november, MONTHS[2]])
    assert 1 == result.exit_code
    assert (
        f'Error: {november}: row 3, column "month": got "2026-10-31", expected 2026-11 like row 2; '
        f"a file holds one month\n"
    ) == result.stderr


def test_two_files_of_one_month_are_refused(runner, tmp_path):
    """Two files naming the same month are an error naming both."""
    again = month_file(
        tmp_path,
        MONTHS[1],
        "again.csv",
        "Q001,Wang Fang,L1,North,2026-11-30,21.75,96",
        "Q001,Wang Fang,L1,North,2026-11-30,21.75,95",
    )
    result = runner.invoke(app, ["compute", POLICY, MONTHS[1], again])
    assert 1 == result.exit_code
    assert f"Error: {again}: holds 2026-11, like {MONTHS[1]}; expected one file per month\n" == result.stderr


def test_months_of_two_quarters_are_refused(runner, tmp_path):
    """Without --period, the files must fall in the quarter of the earliest month."""
    january = month_file(tmp_path, MONTHS[2], "01.csv", "2026/12/31", "2027-01")
    result = runner.invoke(app, ["compute", POLICY, MONTHS[0], MONTHS[1], january])
    assert 1 == result.exit_code
    assert (
        f"Error: {january}: holds 2027-01, outside 2026-Q4 of {MONTHS[0]}; the files of a quarter must "
        f"fall in one quarter\n"
    ) == result.stderr


def test_files_are_ordered_by_their_month(runner):
    """With a period column, files given out of order are read in month order (the table heading shows it)."""
    result = runner.invoke(app, ["compute", POLICY, MONTHS[2], MONTHS[0], MONTHS[1]])
    assert 0 == result.exit_code, result.output
    assert f"2026-Q4: 3 monthly files ({', '.join(MONTHS)})" == result.stdout.splitlines()[0]


def test_bad_period_cell_names_file_and_row(runner, tmp_path):
    """A period cell that names no month is an error saying what is expected."""
    october = month_file(tmp_path, MONTHS[0], "10.csv", "Q002,Li Na,L1,South,2026-10", "Q002,Li Na,L1,South,Oct")
    result = runner.invoke(app, ["compute", POLICY, october, MONTHS[1], MONTHS[2]])
    assert 1 == result.exit_code
    assert (
        f'Error: {october}: row 3, column "month": got "Oct", expected a month like 2026-11 or a date like 2026-11-30\n'
    ) == result.stderr


def test_monthly_run_checks_its_period_column(runner, tmp_path):
    """A monthly policy with a period column checks every row against --period as the rows stream."""
    policy = with_policy_line(
        tmp_path, "period: quarter\npays: [base_pay, allowances, bonus, adjustments]\n", "period: month\n"
    )
    result = runner.invoke(app, ["compute", policy, MONTHS[1], "--period", "2026-10", "--format", "csv"])
    assert 1 == result.exit_code
    assert [
        f'Error: {MONTHS[1]}: row {row}, column "month": got "2026-11-30", expected a date in 2026-10 (--period)'
        for row in (2, 3, 4)
    ] == result.stderr.splitlines()
    assert "" == result.stdout


def test_fewer_months_note(runner):
    """Two files of a quarter compute, with a note that proration counts three months."""
    result = runner.invoke(app, ["compute", POLICY, *MONTHS[:2], "--format", "csv"])
    assert 0 == result.exit_code, result.output
    assert (
        "Note: 2 of the period's 3 monthly files were given; agents are evaluated on those months, and "
        "proration counts all 3."
    ) == result.stderr.splitlines()[0]


def test_notes_in_chinese(runner):
    """Notes come from the catalog, so --lang zh gives them in Chinese."""
    result = runner.invoke(app, ["compute", POLICY, *MONTHS, "--format", "csv", "--lang", "zh"])
    assert (
        "注意：坐席 Q004 在本期内更换了岗位（2026-10: L1, 2026-11: L2, 2026-12: L2），"
        "各岗位按其在本期所占的部分计薪：L1 1/3, L2 2/3。\n"
    ) == result.stderr


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_many_role_changes_are_counted_past_the_first_notes(runner, tmp_path, lang):
    """A quarter in which many agents change role notes the first NOTES_SHOWN of them one by one, then one
    line counting the rest, instead of a line per agent."""
    paths = write_months(tmp_path, 3, 120)
    roles: dict[str, set[str]] = {}
    for path in paths:
        for row in csv.DictReader(path.open(encoding="utf-8")):
            roles.setdefault(row["agent_id"], set()).add(row["role"])
    changed = sum(len(held) > 1 for held in roles.values())
    policy = period_policy_file(tmp_path, "mean", "mean")
    result = runner.invoke(app, ["compute", str(policy), *map(str, paths), "--format", "csv", "--lang", lang])
    assert 0 == result.exit_code, result.output
    lines = result.stderr.splitlines()
    marker = "changed role" if lang == "en" else "更换了岗位"
    assert NOTES_SHOWN < changed
    assert NOTES_SHOWN + 1 == sum(marker in line for line in lines)
    assert str(changed - NOTES_SHOWN) in lines[-1] and str(changed) in lines[-1]


def test_payslip_given_the_months_one_by_one_says_to_give_their_folder(runner):
    """`payslip` takes one metrics file or one folder: monthly files named after the first are not taken for
    agent ids, the usage error says to give the folder."""
    result = runner.invoke(app, ["payslip", POLICY, *MONTHS, "Q001", "--period", "2026-Q4"])
    assert 2 == result.exit_code, result.output
    assert f"{MONTHS[1]}, {MONTHS[2]}: a file, not an agent id" in " ".join(result.stderr.split())
    assert "give the folder" in " ".join(result.stderr.split())
