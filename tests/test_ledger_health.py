"""A ledger that is damaged, cut short, empty or not a ledger at all: every command that opens it says so
in one Error line naming it and what to do, exits 1, and leaves the file exactly as it was."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from cspay.cli import app
from cspay.ledger.book import Ledger, LedgerError
from cspay.ledger.schema import MIGRATIONS

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"
POLICY = str(DATA / "controls.yaml")
MONTH = str(DATA / "month.csv")
JOURNAL = str(ROOT / "profiles" / "journal.yaml")
PAGE = 4096  # SQLite's default page size, which cspay's ledgers use


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> Path:
    """A real ledger: November recorded by Qin Hai (a draft), with one open dispute."""
    from typer.testing import CliRunner

    runner = CliRunner()
    path = tmp_path_factory.mktemp("recorded") / "pay.db"
    for args in (
        ["compute", POLICY, MONTH, "--record", "--period", "2026-11", "--ledger", str(path), "--by", "Qin Hai"],
        ["dispute", "open", "2026-11", "A001", "--kpi", "csat", "--claim", "Surveys", "--ledger", str(path)],
    ):
        result = runner.invoke(app, args)
        assert 0 == result.exit_code, result.output
    return path


def pages(path: Path) -> int:
    return path.stat().st_size // PAGE


def overwrite(path: Path, page: int) -> None:
    """Page `page` (from 1) filled with garbage, as a failing disk or a stray write leaves it."""
    with path.open("r+b") as handle:
        handle.seek((page - 1) * PAGE)
        handle.write(bytes([0xA5, 0x17] * (PAGE // 2)))


def cut(path: Path, size: int) -> None:
    with path.open("r+b") as handle:
        handle.truncate(size)


def other_database(path: Path) -> None:
    path.unlink()
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)")
    db.commit()
    db.close()


def empty_database(path: Path) -> None:
    path.unlink()
    db = sqlite3.connect(path)
    db.execute("VACUUM")  # writes the header of a database with no table
    db.close()


# Each damage, and what its Error line says after the file's name.
DAMAGES = {
    "first page": (lambda p: overwrite(p, 1), "is not a cspay ledger (not a SQLite database)"),
    "second page": (lambda p: overwrite(p, 2), "the ledger is damaged"),
    "a middle page": (lambda p: overwrite(p, pages(p) // 2), "the ledger is damaged"),
    "the last page": (lambda p: overwrite(p, pages(p)), "the ledger is damaged"),
    "cut by half": (lambda p: cut(p, p.stat().st_size // 2), "the ledger is damaged"),
    "cut by one page": (lambda p: cut(p, p.stat().st_size - PAGE), "the ledger is damaged"),
    "cut mid-page": (lambda p: cut(p, p.stat().st_size - 100), "the ledger is damaged"),
    "cut in the header": (lambda p: cut(p, 50), "the ledger is damaged"),
    "text": (lambda p: p.write_text("period,gross\n2026-11,100\n" * 300, encoding="utf-8"), "is not a cspay ledger"),
    "an image": (lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(5000)), "is not a cspay ledger"),
    "another program's database": (other_database, "is a SQLite database of another program"),
    "an empty database": (empty_database, "is an empty SQLite database, not a cspay ledger"),
    "an empty file": (lambda p: p.write_bytes(b""), "is empty, so it is not a ledger"),
}

READING = {
    "runs": ["runs"],
    "history": ["history", "A001"],
    "adjust list": ["adjust", "list"],
    "dispute list": ["dispute", "list"],
    "actions": ["actions", "2026-11"],
    "compute --ledger": ["compute", POLICY, MONTH, "--period", "2026-12"],
}
WRITING = {
    "compute --record": ["compute", POLICY, MONTH, "--period", "2026-12", "--record"],
    "approve": ["approve", "2026-11", "--by", "Kong Wen"],
    "close": ["close", "2026-11"],
    "reopen": ["reopen", "2026-11", "--reason", "Resent"],
    "adjust add": [
        "adjust",
        "add",
        "2026-11",
        "A001",
        "100",
        "--code",
        "retention_bonus",
        "--reason",
        "Peak",
        "--policy",
        POLICY,
    ],
    "adjust approve": ["adjust", "approve", "1"],
    "dispute open": ["dispute", "open", "2026-11", "A001", "--kpi", "csat", "--claim", "Surveys"],
    "dispute resolve": ["dispute", "resolve", "1", "--accept", "--note", "Agreed"],
    "export-pay": [
        "export-pay",
        "2026-11",
        "--profile",
        JOURNAL,
        "--roster",
        "{tmp}/roster.csv",
        "-o",
        "{tmp}/journal.csv",
    ],
}


def damaged_copy(recorded: Path, tmp_path: Path, damage: str) -> tuple[Path, bytes]:
    path = tmp_path / "pay.db"
    shutil.copyfile(recorded, path)
    DAMAGES[damage][0](path)
    (tmp_path / "roster.csv").write_text("agent_id,cost_centre\nA001,CC101\n", encoding="utf-8")
    return path, path.read_bytes()


def invoke(runner, args: list[str], ledger: Path, tmp_path: Path):
    return runner.invoke(app, [arg.replace("{tmp}", str(tmp_path)) for arg in args] + ["--ledger", str(ledger)])


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_a_record_refuses_a_damaged_ledger(runner, recorded, tmp_path, damage):
    """compute --record checks every page first: exit 1, one Error line naming the ledger, the file as it was."""
    path, before = damaged_copy(recorded, tmp_path, damage)
    result = invoke(runner, WRITING["compute --record"], path, tmp_path)
    assert 1 == result.exit_code, result.output
    assert result.stderr.startswith(f"Error: {path}: {DAMAGES[damage][1]}"), result.stderr
    assert 1 == len(result.stderr.splitlines())
    assert before == path.read_bytes()


# A control step checks the tables it uses, the header and the size: these damages never get past it.
FOUND_BY_A_STEP = sorted(set(DAMAGES) - {"a middle page", "the last page"})


@pytest.mark.parametrize("damage", FOUND_BY_A_STEP)
@pytest.mark.parametrize("command", sorted(set(WRITING) - {"compute --record"}))
def test_a_control_step_refuses_a_damaged_ledger(runner, recorded, tmp_path, command, damage):
    """A control step refuses a ledger cut short, not a ledger, or damaged in the tables it reads and writes:
    exit 1, one Error line naming it, the file as it was, no payment file."""
    path, before = damaged_copy(recorded, tmp_path, damage)
    result = invoke(runner, WRITING[command], path, tmp_path)
    assert 1 == result.exit_code, result.output
    assert result.stderr.startswith(f"Error: {path}: {DAMAGES[damage][1]}"), result.stderr
    assert 1 == len(result.stderr.splitlines())
    assert before == path.read_bytes()
    assert not (tmp_path / "journal.csv").exists()


@pytest.mark.parametrize("damage", ["a middle page", "the last page"])
@pytest.mark.parametrize("command", sorted(set(WRITING) - {"compute --record"}))
def test_a_control_step_never_acts_on_damaged_data(runner, recorded, tmp_path, command, damage):
    """Where the damage lies in payslip pages a step's check does not read, the step either meets it (an
    Error line, the file as it was) or does exactly what it does on the sound ledger."""
    shutil.copyfile(recorded, tmp_path / "pay.db")
    sound = invoke(runner, WRITING[command], tmp_path / "pay.db", tmp_path)
    (tmp_path / "journal.csv").unlink(missing_ok=True)
    path, before = damaged_copy(recorded, tmp_path, damage)
    result = invoke(runner, WRITING[command], path, tmp_path)
    if result.exit_code == 1 and "damaged" in result.stderr:
        assert result.stderr.startswith(f"Error: {path}: the ledger is damaged"), result.stderr
        assert before == path.read_bytes()
    else:
        assert (sound.exit_code, sound.stdout) == (result.exit_code, result.stdout)


@pytest.mark.parametrize("damage", sorted(DAMAGES))
@pytest.mark.parametrize("command", sorted(READING))
def test_a_reading_command_never_shows_a_damaged_ledger_as_data(runner, recorded, tmp_path, command, damage):
    """A command that reads says the ledger is damaged, or, when the damage lies where it never reads,
    shows exactly what the sound ledger shows; the file stays as it was."""
    shutil.copyfile(recorded, tmp_path / "pay.db")
    sound = invoke(runner, READING[command], tmp_path / "pay.db", tmp_path)
    path, before = damaged_copy(recorded, tmp_path, damage)
    result = invoke(runner, READING[command], path, tmp_path)
    if result.exit_code == 0:
        assert sound.stdout == result.stdout
    else:
        assert 1 == result.exit_code, result.output
        assert result.stderr.startswith(f"Error: {path}: "), result.stderr
        assert "Traceback" not in result.output and "internal error" not in result.output
    assert before == path.read_bytes()


@pytest.mark.parametrize("damage", ["second page", "cut by one page", "text", "an empty file"])
@pytest.mark.parametrize("command", ["runs", "history"])
def test_runs_and_history_refuse_a_damaged_ledger(runner, recorded, tmp_path, command, damage):
    """runs and history read the table of runs: a page of it overwritten, or the file cut, is an error."""
    path, _ = damaged_copy(recorded, tmp_path, damage)
    result = invoke(runner, READING[command], path, tmp_path)
    assert 1 == result.exit_code, result.output
    assert result.stderr.startswith(f"Error: {path}: "), result.stderr


def test_a_damaged_ledger_says_to_restore_the_backup_or_recover(runner, recorded, tmp_path):
    """The Error line of a damaged page says what to do: restore the backup, or sqlite3's .recover."""
    path, _ = damaged_copy(recorded, tmp_path, "a middle page")
    result = invoke(runner, WRITING["compute --record"], path, tmp_path)
    assert "Restore it from your backup" in result.stderr
    assert f"sqlite3 {path} .recover | sqlite3 rescued.db" in result.stderr


def test_the_library_refuses_a_damaged_ledger_for_writing(recorded, tmp_path):
    """Ledger(path) checks the whole file: a garbage page is a LedgerError, never a write."""
    path, before = damaged_copy(recorded, tmp_path, "the last page")
    with pytest.raises(LedgerError, match="the ledger is damaged"):
        Ledger(path)
    assert before == path.read_bytes()


# ---- read-only commands never create, migrate or change a ledger ------------------------------------------


@pytest.mark.parametrize("command", sorted(READING))
def test_a_reading_command_leaves_an_empty_file_empty(runner, tmp_path, command):
    """`runs --ledger empty.db` and every other reading command leave an empty file empty."""
    path = tmp_path / "empty.db"
    path.write_bytes(b"")
    result = invoke(runner, READING[command], path, tmp_path)
    assert 1 == result.exit_code, result.output
    assert b"" == path.read_bytes()


@pytest.mark.parametrize("command", sorted(READING))
def test_a_reading_command_makes_no_ledger_where_there_is_none(runner, tmp_path, command):
    """A missing ledger is an error naming it, and no file is made."""
    path = tmp_path / "missing.db"
    result = invoke(runner, READING[command], path, tmp_path)
    assert 1 == result.exit_code, result.output
    assert f"Error: {path}: no ledger here; record a run with --record to start one\n" == result.stderr
    assert [] == list(tmp_path.iterdir())


@pytest.mark.parametrize("command", sorted(READING))
def test_a_reading_command_does_not_upgrade_an_older_ledger(runner, recorded, tmp_path, command):
    """A ledger at an older schema is not migrated by a command that only reads: it says to run a writing
    command, and the file stays as it was."""
    path = tmp_path / "old.db"
    shutil.copyfile(recorded, path)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) - 1}")
    db.close()
    before = path.read_bytes()
    result = invoke(runner, READING[command], path, tmp_path)
    assert 1 == result.exit_code, result.output
    assert f"Error: {path}: was written by an older cspay (schema {len(MIGRATIONS) - 1})" in result.stderr
    assert "run a writing command" in result.stderr
    assert before == path.read_bytes()


def test_a_writing_command_upgrades_an_older_ledger(runner, tmp_path):
    """The first writing command brings an older ledger to this cspay's schema."""
    path = tmp_path / "old.db"
    db = sqlite3.connect(path, isolation_level=None)
    for statement in MIGRATIONS[0]:
        db.execute(statement)
    db.execute("PRAGMA user_version = 1")
    db.close()
    result = invoke(runner, WRITING["compute --record"], path, tmp_path)
    assert 0 == result.exit_code, result.output
    with Ledger(path, read_only=True) as book:
        assert len(MIGRATIONS) == book.schema_version


def test_a_read_only_ledger_file_can_be_listed(runner, recorded, tmp_path):
    """A reading command needs no write permission: a ledger made read-only (an archive) is listed."""
    path = tmp_path / "archive.db"
    shutil.copyfile(recorded, path)
    path.chmod(0o444)
    result = invoke(runner, READING["runs"], path, tmp_path)
    assert 0 == result.exit_code, result.output
    assert [] == sorted(p.name for p in tmp_path.iterdir() if p.name != "archive.db")


def test_a_record_reads_every_page_once(runner, recorded, tmp_path, monkeypatch):
    """compute --record checks the ledger before it pays and does not check it again to record, since it
    has held the ledger's lock all along and the file has not changed."""
    from cspay.ledger import health

    path = tmp_path / "pay.db"
    shutil.copyfile(recorded, path)
    checks = []
    real = health.quick_check
    monkeypatch.setattr(health, "quick_check", lambda db: checks.append(1) or real(db))
    result = invoke(runner, WRITING["compute --record"], path, tmp_path)
    assert 0 == result.exit_code, result.output
    assert 1 == len(checks)


def test_each_record_checks_the_ledger_anew(runner, recorded, tmp_path, monkeypatch):
    """A check remembered by one run is not trusted by the next: each record reads every page."""
    from cspay.ledger import health

    path = tmp_path / "pay.db"
    shutil.copyfile(recorded, path)
    checks = []
    real = health.quick_check
    monkeypatch.setattr(health, "quick_check", lambda db: checks.append(1) or real(db))
    for _ in range(2):
        assert 0 == invoke(runner, WRITING["compute --record"], path, tmp_path).exit_code
    assert 2 == len(checks)
