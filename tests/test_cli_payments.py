"""`cspay export-pay` from the command line: approved runs only, nothing written on a problem, every
export an audited step."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from pathlib import Path

import pytest

from cspay.cli import app

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"
POLICY = str(DATA / "controls.yaml")
MONTH = str(DATA / "month.csv")
IMPORT = str(ROOT / "profiles" / "payroll-import-zh.yaml")
JOURNAL = str(ROOT / "profiles" / "journal.yaml")


@pytest.fixture
def ledger(tmp_path, runner) -> str:
    """A ledger with November recorded by Qin Hai, still a draft."""
    path = str(tmp_path / "pay.db")
    result = runner.invoke(app, ["compute", POLICY, MONTH, "--record", "--period", "2026-11", "--ledger", path,
                                 "--by", "Qin Hai"])  # fmt: skip
    assert 0 == result.exit_code, result.output
    return path


@pytest.fixture
def roster(tmp_path) -> str:
    path = tmp_path / "roster.csv"
    rows = [
        f"{agent},Example Bank,6200 {index:04d},CC10{index}"
        for index, agent in enumerate(("A001", "007", "A003", "A004"))
    ]
    path.write_text("agent_id,bank,bank_account,cost_centre\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return str(path)


def approve(runner, ledger):
    assert 0 == runner.invoke(app, ["approve", "2026-11", "--ledger", ledger, "--by", "Kong Wen"]).exit_code


def export(runner, ledger, roster, output, profile=IMPORT, *extra):
    return runner.invoke(app, ["export-pay", "2026-11", "--profile", profile, "--roster", roster, "--ledger", ledger,
                               "-o", str(output), "--by", "Kong Wen", *extra])  # fmt: skip


def test_a_draft_is_not_exported(runner, ledger, roster, tmp_path):
    """export-pay of a draft exits 1 and writes nothing."""
    out = tmp_path / "pay.csv"
    result = export(runner, ledger, roster, out)
    assert 1 == result.exit_code
    assert (
        f"Error: {ledger}: 2026-11 version 1 is a draft; only an approved run is exported for payment "
        f"(cspay approve 2026-11)\n"
    ) == result.stderr
    assert [] == sorted(item.name for item in tmp_path.iterdir() if item.name in ("pay.csv", "pay.csv.sha256"))


def test_an_approved_run_is_exported_with_its_checksum(runner, ledger, roster, tmp_path):
    """The file and its .sha256 are written; the sentence names the rows, the version and the total."""
    approve(runner, ledger)
    out = tmp_path / "pay.csv"
    result = export(runner, ledger, roster, out)
    assert 0 == result.exit_code, result.output
    assert (
        f"Wrote 4 rows to {out} with the profile payroll-import-zh: 2026-11 version 1, 4 agents, total gross "
        f"¥23,945.00.\nWrote its SHA-256 to {out}.sha256.\n"
    ) == result.stdout
    assert f"{hashlib.sha256(out.read_bytes()).hexdigest()}  pay.csv\n" == (tmp_path / "pay.csv.sha256").read_text()


def test_the_export_is_a_step_of_the_run(runner, ledger, roster, tmp_path):
    """runs shows the export: who, and the profile, file, rows and SHA-256 as its note."""
    approve(runner, ledger)
    out = tmp_path / "pay.csv"
    export(runner, ledger, roster, out)
    (run,) = json.loads(runner.invoke(app, ["runs", "--ledger", ledger, "--format", "json"]).stdout)
    step = run["steps"][-1]
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    assert ("exported", "Kong Wen", f"payroll-import-zh: pay.csv, 4 rows, sha256 {digest}") == (
        step["action"],
        step["name"],
        step["note"],
    )


def test_a_journal_export_says_it_balances(runner, ledger, roster, tmp_path):
    """The journal's debits and credits are equal, and compute's total is in it."""
    approve(runner, ledger)
    result = export(runner, ledger, roster, tmp_path / "journal.csv", JOURNAL)
    assert 0 == result.exit_code, result.output
    debit = result.stdout.splitlines()[1]
    assert debit.startswith("Debits and credits balance: ¥")
    lines = (tmp_path / "journal.csv").read_text(encoding="utf-8").splitlines()
    total = lines[-1].split(",")
    assert total[-1] == total[-2] == debit.split("¥")[1].rstrip(" each.").replace(",", "")
    assert Decimal("23945.00") == sum(
        Decimal(row.split(",")[5]) - Decimal(row.split(",")[6]) for row in lines[1:-1] if ",2211.01," not in row
    )


def test_a_roster_problem_writes_nothing_and_records_no_export(runner, ledger, tmp_path):
    """An agent missing from the roster exits 1: no file, no temporary file, no export step."""
    approve(runner, ledger)
    short = tmp_path / "short.csv"
    short.write_text("agent_id,bank,bank_account,cost_centre\nA001,B,1,CC\n", encoding="utf-8")
    result = export(runner, ledger, str(short), tmp_path / "pay.csv")
    assert 1 == result.exit_code
    assert f"Error: {short}: no row for agent 007, whom the run pays" in result.stderr
    assert ["pay.db", "short.csv"] == sorted(
        item.name for item in tmp_path.iterdir() if not item.name.endswith(".lock") and item.name != "roster.csv"
    )  # lock files stay, by design
    (run,) = json.loads(runner.invoke(app, ["runs", "--ledger", ledger, "--format", "json"]).stdout)
    assert "exported" not in [step["action"] for step in run["steps"]]


def test_a_profile_that_reads_a_roster_needs_one(runner, ledger, tmp_path):
    """Without --roster a profile with roster columns is a usage error naming them."""
    result = runner.invoke(app, ["export-pay", "2026-11", "--profile", IMPORT, "--ledger", ledger,
                                 "-o", str(tmp_path / "x.csv")])  # fmt: skip
    assert 2 == result.exit_code
    assert "reads agent_id, cost_centre, bank, bank_account from a roster" in result.stderr


def test_an_existing_file_is_kept_without_force(runner, ledger, roster, tmp_path):
    """The output exists: exit 1 before anything is read, and the file is as it was."""
    approve(runner, ledger)
    out = tmp_path / "pay.csv"
    out.write_text("last month\n", encoding="utf-8")
    result = export(runner, ledger, roster, out)
    assert (1, "last month\n") == (result.exit_code, out.read_text(encoding="utf-8"))
    assert f"Error: {out}: the file exists; pass --force to replace it" in result.stderr


def test_a_run_out_of_date_is_not_exported(runner, ledger, roster, tmp_path):
    """An adjustment approved after the approval of the run stops the export until the run is recorded again."""
    approve(runner, ledger)
    runner.invoke(app, ["adjust", "add", "2026-11", "A001", "100", "--code", "retention_bonus", "--reason", "x",
                        "--policy", POLICY, "--ledger", ledger, "--by", "Qin Hai"])  # fmt: skip
    runner.invoke(app, ["adjust", "approve", "1", "--ledger", ledger, "--by", "Kong Wen"])
    result = export(runner, ledger, roster, tmp_path / "pay.csv")
    assert 1 == result.exit_code
    assert "is out of date: adjustment 1 is approved but not paid by it" in result.stderr


def test_a_closed_period_is_exported_from_its_paid_version(runner, ledger, roster, tmp_path):
    """After the close and a correction, export-pay writes what the period paid (version 1)."""
    approve(runner, ledger)
    runner.invoke(app, ["close", "2026-11", "--ledger", ledger, "--by", "Kong Wen"])
    runner.invoke(app, ["compute", POLICY, MONTH, "--record", "--correction", "--period", "2026-11", "--ledger",
                        ledger, "--by", "Qin Hai"])  # fmt: skip
    result = export(runner, ledger, roster, tmp_path / "pay.csv")
    assert 0 == result.exit_code, result.output
    assert "2026-11 version 1, 4 agents" in result.stdout


def test_export_never_creates_a_ledger(runner, roster, tmp_path):
    """A ledger that does not exist is an error, and none appears."""
    path = tmp_path / "none.db"
    result = export(runner, str(path), roster, tmp_path / "pay.csv")
    assert 1 == result.exit_code
    assert not path.exists()
