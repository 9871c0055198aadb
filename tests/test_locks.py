"""One lock per ledger and per output file, whatever path names it; a held lock or a busy ledger is exit 75
with a sentence naming who holds it."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from cspay.cli import app
from cspay.ledger import health
from cspay.lockfiles import FileLock, account, lock_path
from cspay.run.locks import locked

DATA = Path(__file__).parent / "data"
POLICY = str(DATA / "controls.yaml")
MONTH = str(DATA / "month.csv")


@pytest.fixture
def ledger(runner, tmp_path) -> Path:
    """A ledger with November recorded by Qin Hai (a draft), in its own folder."""
    folder = tmp_path / "books"
    folder.mkdir()
    path = folder / "pay.db"
    result = runner.invoke(app, ["compute", POLICY, MONTH, "--record", "--period", "2026-11", "--ledger", str(path),
                                 "--by", "Qin Hai"])  # fmt: skip
    assert 0 == result.exit_code, result.output
    return path


def other_names(ledger: Path, tmp_path: Path) -> dict[str, Path]:
    """Other paths to the same ledger: a symlink, one through `..`, a relative one, a hard link."""
    (tmp_path / "elsewhere").mkdir()
    symlink = tmp_path / "elsewhere" / "link.db"
    symlink.symlink_to(ledger)
    hard = tmp_path / "elsewhere" / "hard.db"
    os.link(ledger, hard)
    return {
        "symlink": symlink,
        "dot-dot": ledger.parent / ".." / ledger.parent.name / ".." / ledger.parent.name / ledger.name,
        "relative": Path(os.path.relpath(ledger)),
        "hard link": hard,
    }


NAMES = ["symlink", "dot-dot", "relative", "hard link"]


@pytest.mark.parametrize("name", NAMES)
def test_a_lock_held_under_one_name_holds_every_name(ledger, tmp_path, name):
    """While one run holds the ledger, a run naming it another way exits 75 at once."""
    other = other_names(ledger, tmp_path)[name]
    with locked([ledger]), pytest.raises(Exception) as caught:
        FileLock(other).acquire()
    assert 75 == caught.value.exit_code


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    "command",
    [
        ["compute", POLICY, MONTH, "--record", "--period", "2026-11"],
        ["approve", "2026-11", "--by", "Kong Wen"],
        ["close", "2026-11"],
        ["reopen", "2026-11", "--reason", "Resent"],
        ["adjust", "approve", "1"],
        ["dispute", "resolve", "1", "--accept", "--note", "Agreed"],
    ],
)
def test_every_writing_command_exits_75_while_another_name_is_held(runner, ledger, tmp_path, name, command):
    """A writing command given any other name of a held ledger exits 75, naming the lock and its holder."""
    other = other_names(ledger, tmp_path)[name]
    before = ledger.read_bytes()
    with locked([ledger]):
        result = runner.invoke(app, [*command, "--ledger", str(other)])
    assert 75 == result.exit_code, result.output
    assert result.stderr.startswith("Error: "), result.stderr
    assert "already running" in result.stderr
    assert before == ledger.read_bytes()


def test_the_held_lock_names_who_holds_it(runner, ledger, tmp_path):
    """The sentence names the holder's process, account and command."""
    with locked([ledger]):
        result = runner.invoke(app, ["approve", "2026-11", "--ledger", str(ledger)])
    assert f"{lock_path(ledger)}: already running: another cspay run holds this lock (held by pid {os.getpid()}, " \
           f"{account()} on " in result.stderr  # fmt: skip


def test_a_hard_link_is_named_as_another_name_of_the_file(runner, ledger, tmp_path):
    """Through a hard link, whose lock file is another, the sentence says the file is in use under another name."""
    hard = other_names(ledger, tmp_path)["hard link"]
    with locked([ledger]):
        result = runner.invoke(app, ["approve", "2026-11", "--ledger", str(hard)])
    assert 75 == result.exit_code
    assert "under another name" in result.stderr


def test_two_names_of_one_file_in_one_run_take_its_lock_once(ledger, tmp_path):
    """A run given the same file twice (the ledger and a symlink to it) does not lock itself out."""
    with locked([ledger, other_names(ledger, tmp_path)["symlink"]]):
        pass


def test_the_lock_file_sits_beside_the_real_file(ledger, tmp_path):
    """The lock of a symlink is the lock of the file it points to."""
    assert lock_path(ledger) == lock_path(other_names(ledger, tmp_path)["symlink"])
    assert Path(f"{os.path.realpath(ledger)}.lock") == lock_path(ledger)


@pytest.mark.parametrize(
    "command",
    [["runs"], ["history", "A001"], ["approve", "2026-11", "--by", "Kong Wen"], ["adjust", "list"]],
)
def test_a_ledger_another_program_keeps_busy_is_exit_75(runner, ledger, monkeypatch, command):
    """SQLite's "database is locked" (another program in a write) becomes exit 75 and a sentence, not an
    internal error."""
    monkeypatch.setattr(health, "BUSY_SECONDS", 0.05)
    other = sqlite3.connect(ledger, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        result = runner.invoke(app, [*command, "--ledger", str(ledger)])
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert 75 == result.exit_code, result.output
    assert f"Error: {ledger}: busy: another program holds the ledger; try again when it has finished\n" == result.stderr


HOLDER = """
import sys
from pathlib import Path
from cspay.lockfiles import FileLock
FileLock(Path(sys.argv[1])).acquire()
print("held", flush=True)
sys.stdin.read()
"""


def test_a_busy_ledger_names_the_cspay_run_holding_it(runner, ledger, monkeypatch):
    """When another cspay run holds the ledger's lock while SQLite says busy, the sentence names that run."""
    monkeypatch.setattr(health, "BUSY_SECONDS", 0.05)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(ledger)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    other = sqlite3.connect(ledger, isolation_level=None)
    try:
        assert b"held\n" == holder.stdout.readline()
        other.execute("BEGIN EXCLUSIVE")
        result = runner.invoke(app, ["runs", "--ledger", str(ledger)])
        other.execute("ROLLBACK")
    finally:
        other.close()
        holder.communicate(b"")
    assert 75 == result.exit_code
    assert f"busy: another program holds the ledger (pid {holder.pid}, {account()} on " in result.stderr
