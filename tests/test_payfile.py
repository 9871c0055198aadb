"""Payment files from a recorded run: rows and journals that balance to the run to the cent, and every
agent checked for what the profile needs before anything is written."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest
from helpers import write_yaml
from hypothesis import given
from hypothesis import strategies as st

from cspay.engine.types import Line
from cspay.errors import ExportError, MetricsError
from cspay.ledger.controls import RunState
from cspay.ledger.reads import RunRow
from cspay.ledger.recorded import RecordedSlip
from cspay.outputs.payfile import Roster, amount_text, read_roster, write_payment_file
from cspay.outputs.profile import load_profile

ROOT = Path(__file__).resolve().parents[1]
IMPORT = ROOT / "profiles" / "payroll-import.yaml"
IMPORT_ZH = ROOT / "profiles" / "payroll-import-zh.yaml"
JOURNAL = ROOT / "profiles" / "journal.yaml"
TEAMS = ("North", "South")


def slip(agent_id: str, lines: list[tuple[str, str]], team: str = "North", name: str = "Wang Fang"):
    """A recorded payslip and its lines, (code, amount) each."""
    found = [Line(code, code, Decimal(amount)) for code, amount in lines]
    gross = sum((line.amount for line in found), Decimal(0))
    return RecordedSlip(agent_id, name, "L1", team, "A", Decimal("1.1"), gross), found


PAYSLIPS = [
    slip("A001", [("base_pay", "5200.00"), ("allowance.meal", "400.00"), ("bonus", "2160.00"),
                  ("adjustment.complaints", "-100.00"), ("one_off.retention_bonus", "800.00")]),
    slip("A002", [("base_pay", "5200.00"), ("allowance.meal", "400.00"), ("bonus", "900.00")], "South", "李娜"),
]  # fmt: skip


def state_of(payslips) -> RunState:
    gross = sum((found.gross for found, _ in payslips), Decimal(0))
    run = RunRow(
        id=1, period="2026-11", version=2, kind="pay", superseded=False, recorded_at="t", recorded_by="u", host="h",
        headcount=len(payslips), gross=gross, bonus=Decimal(0), currency="CNY", policy="p", policy_version="v",
    )  # fmt: skip
    return RunState(run, "approved", (), True)


def roster_of(payslips, **blank: str) -> Roster:
    rows = {}
    for index, (found, _) in enumerate(payslips):
        cells = {"agent_id": found.agent_id, "name": found.name, "bank": "Example Bank",
                 "bank_account": f"6200 {index:04d}", "cost_centre": f"CC{found.team}"}  # fmt: skip
        cells.update({key: "" for key, agent in blank.items() if agent == found.agent_id})
        rows[found.agent_id] = (index + 2, cells)
    return Roster("roster.csv", rows)


def write(profile_path, payslips=PAYSLIPS, roster=None, state=None):
    """The file's bytes, and what was written."""
    handle = io.BytesIO()
    profile = load_profile(profile_path)
    written = write_payment_file(
        handle, profile, state or state_of(payslips), iter(payslips), roster or roster_of(payslips)
    )
    return handle.getvalue(), written


def table(data: bytes, encoding: str = "utf-8") -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode(encoding), newline="")))


def test_rows_carry_each_agents_parts_and_gross():
    """One row per agent: roster cells, each group of lines, gross; the totals row adds each amount column."""
    rows = table(write(IMPORT)[0])
    assert ["A001", "Wang Fang", "CCNorth", "6200 0000", "2026-11", "5200.00", "400.00", "2160.00", "700.00",
            "8460.00", "CNY"] == rows[1]  # fmt: skip
    assert ["TOTAL", "", "", "", "", "10400.00", "800.00", "3060.00", "700.00", "14960.00", ""] == rows[-1]


def test_rows_end_lines_with_crlf_as_the_profile_says():
    """line_ending: crlf ends every row with CR LF."""
    data = write(IMPORT)[0]
    assert data.count(b"\r\n") == data.count(b"\n") == 4


def test_the_chinese_profile_writes_gb18030():
    """The Chinese payroll import is GB18030 with Chinese headers, and names stay as written."""
    data = write(IMPORT_ZH)[0]
    rows = table(data, "gb18030")
    assert ("工号", "李娜", "合计") == (rows[0][0], rows[2][1], rows[-1][0])
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")


def test_the_written_digest_is_the_files_sha256():
    """Written.sha256 is the SHA-256 of exactly the bytes written."""
    import hashlib

    data, written = write(IMPORT_ZH)
    assert hashlib.sha256(data).hexdigest() == written.sha256


def test_a_journal_balances_and_books_the_runs_gross():
    """Debits equal credits, and the expense entries net to the run's gross."""
    data, written = write(JOURNAL)
    entries = table(data)[1:-1]
    net = sum(Decimal(row[5]) - Decimal(row[6]) for row in entries if row[1] != "2211.01")
    assert (written.debit, Decimal("14960.00")) == (written.credit, net)
    assert ["TOTAL", "", "", "", "", str(written.debit), str(written.credit)] == table(data)[-1]


def test_a_journal_sums_by_cost_centre_and_line():
    """A deduction is a credit of its account; each cost centre's total is credited to payables."""
    entries = [row for row in table(write(JOURNAL)[0])[1:-1] if row[2] == "CCNorth"]
    assert ["2026-11-30", "6601.04", "CCNorth", "adjustment.complaints", "2026-11 adjustment.complaints", "0.00",
            "100.00"] == entries[3]  # fmt: skip
    assert ["2026-11-30", "2211.01", "CCNorth", "", "2026-11 Salaries payable", "0.00", "8460.00"] == entries[-1]


def test_a_journal_names_a_one_off_entry_by_its_code_not_an_agents_reason():
    """A per-agent label (a one-off's reason) never describes a journal entry."""
    north = [row for row in table(write(JOURNAL)[0])[1:-1] if row[3] == "one_off.retention_bonus"]
    assert "2026-11 one_off.retention_bonus" == north[0][4]


amounts = st.decimals(min_value=-5000, max_value=50000, places=2, allow_nan=False, allow_infinity=False)
codes = st.sampled_from(["base_pay", "allowance.meal", "bonus", "adjustment.volume", "one_off.retention_bonus"])


@given(
    st.lists(st.tuples(st.sampled_from(TEAMS), st.dictionaries(codes, amounts, min_size=1)), min_size=1, max_size=12)
)
def test_every_file_balances_to_the_run_to_the_cent(agents):
    """For any run: the import's gross column and its parts each add up to the run's gross, and the journal's
    debits equal its credits."""
    payslips = [slip(f"A{index:03d}", list(lines.items()), team) for index, (team, lines) in enumerate(agents)]
    total = sum((found.gross for found, _ in payslips), Decimal(0))
    rows = table(write(IMPORT, payslips)[0])
    assert total == sum(Decimal(row[9]) for row in rows[1:-1]) == Decimal(rows[-1][9])
    assert total == sum(Decimal(cell) for cell in rows[-1][5:9])
    _, written = write(JOURNAL, payslips)
    assert written.debit == written.credit


def test_an_agent_missing_from_the_roster_is_named():
    """An agent the run pays but the roster lacks is an error naming the agent and what the profile needs."""
    with pytest.raises(ExportError) as caught:
        write(IMPORT, roster=roster_of(PAYSLIPS[:1]))
    assert ["roster.csv: no row for agent A002, whom the run pays; the profile needs cost_centre, bank_account"] == (
        caught.value.lines()
    )


def test_an_empty_roster_cell_names_its_row_column_and_the_profiles_column():
    """A bank account left empty is located in the roster and in the profile."""
    with pytest.raises(ExportError) as caught:
        write(IMPORT, roster=roster_of(PAYSLIPS, bank_account="A002"))
    assert [
        f"roster.csv: row 3, column 'bank_account': empty for agent A002; the profile needs it ({IMPORT}:18:5)"
    ] == caught.value.lines()


def test_every_problem_is_reported_at_once():
    """Two agents without a bank account give two errors, not one."""
    roster = roster_of(PAYSLIPS)
    for agent in ("A001", "A002"):
        roster.rows[agent][1]["bank_account"] = ""
    with pytest.raises(ExportError) as caught:
        write(IMPORT, roster=roster)
    assert 2 == len(caught.value.lines())


def test_a_name_the_encoding_cannot_write_is_an_error(tmp_path):
    """A latin-1 target cannot take 李娜: the agent and column are named with the profile's encoding line."""
    profile = write_yaml(tmp_path, IMPORT.read_text(encoding="utf-8").replace("encoding: utf-8 ", "encoding: latin-1"))
    with pytest.raises(ExportError) as caught:
        write(profile)
    assert [f"agent A002, column 'employee_name': '李娜' cannot be written in iso8859-1 ({profile}:7:11)"] == (
        caught.value.lines()
    )


def test_a_cell_longer_than_its_width_is_an_error(tmp_path):
    """width: N refuses a longer cell, naming the agent and the column."""
    text = IMPORT.read_text(encoding="utf-8").replace("roster: bank_account}", "roster: bank_account, width: 8}")
    with pytest.raises(ExportError, match="agent A001, column 'bank_account': '6200 0000' is longer than its width 8"):
        write(write_yaml(tmp_path, text))


def test_an_amount_is_never_rounded_to_fit(tmp_path):
    """decimals: 0 cannot write 2160.50: an error, not 2161."""
    payslips = [slip("A001", [("bonus", "2160.50")])]
    profile = write_yaml(tmp_path, IMPORT.read_text(encoding="utf-8").replace("decimals: 2 ", "decimals: 0 "))
    with pytest.raises(ExportError, match=r"column 'bonus': 2160\.50 needs more than 0 decimals"):
        write(profile, payslips)


def test_a_line_no_column_takes_is_an_error_unless_allowed(tmp_path):
    """Line columns must add up to gross: a line code in none of them is refused at the profile's columns,
    unless the profile sets lines_add_up: false."""
    payslips = [slip("A001", [("base_pay", "100.00"), ("true_up", "5.00"), ("travel.taxi", "7.00")])]
    with pytest.raises(ExportError) as caught:
        write(IMPORT, payslips)
    assert [
        f"{IMPORT}:15:3: columns: the line travel.taxi is counted in no column; each line the run pays goes in "
        f"exactly one column, so that they add up to gross (or set lines_add_up: false)"
    ] == caught.value.lines()
    relaxed = write_yaml(tmp_path, IMPORT.read_text(encoding="utf-8") + "lines_add_up: false\n")
    assert 1 == write(relaxed, payslips)[1].rows


def test_a_journal_without_an_account_for_a_line_is_refused():
    """Each line code needs an account; the error points at journal.accounts."""
    payslips = [slip("A001", [("base_pay", "100.00"), ("travel.taxi", "7.00")])]
    with pytest.raises(ExportError, match=r"journal.accounts: no account for the line travel.taxi; add it, or a "):
        write(JOURNAL, payslips)


def test_payslips_that_do_not_add_up_to_the_run_are_refused():
    """A file whose payslips differ from the run's recorded total is never written."""
    short = state_of(PAYSLIPS[:1])
    with pytest.raises(ExportError, match=r"its payslips add up to 2 agents and 14960\.00, but the run records 1"):
        write(IMPORT, state=short)


@pytest.mark.parametrize(("amount", "separator", "text"), [("7940.5", ".", "7940.50"), ("-20.00", ",", "-20,00")])
def test_amounts_take_the_profiles_places_and_separator(tmp_path, amount, separator, text):
    """Amounts are written with the profile's decimals and decimal separator."""
    profile = load_profile(
        write_yaml(tmp_path, IMPORT.read_text(encoding="utf-8") + f'decimal_separator: "{separator}"\n')
    )
    assert text == amount_text(Decimal(amount), profile)


def test_a_roster_with_an_agent_twice_is_refused(tmp_path):
    """The same id on two roster rows names both rows."""
    path = tmp_path / "roster.csv"
    path.write_text("agent_id,bank_account,cost_centre\nA001,1,CC\nA001,2,CC\n", encoding="utf-8")
    with pytest.raises(MetricsError, match=f"{path}: row 3: agent 'A001' is also on row 2"):
        read_roster(path, load_profile(IMPORT))


def test_a_roster_without_a_column_the_profile_reads_is_refused(tmp_path):
    """A roster lacking bank_account is an error naming the columns it has."""
    path = tmp_path / "roster.csv"
    path.write_text("agent_id,cost_centre\nA001,CC\n", encoding="utf-8")
    with pytest.raises(MetricsError, match="missing required columns: bank_account"):
        read_roster(path, load_profile(IMPORT))
