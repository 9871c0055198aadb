"""Is a file a ledger, and a sound one: the checks made as a ledger opens, and what a problem says.

Opened to record a run, a ledger is checked whole with SQLite's `PRAGMA quick_check`: every page of every
table and index is read, about a twentieth of the record's own time (benchmarks/ledger_check.py). Opened
for a control step (approve, close, adjust …), which neither reads nor writes payslips, only the tables it
does use are checked, at a cost that does not grow with the headcount: a whole check of a year of a million
agents (some 1.9 GiB) would take seconds per step, and more every month. Opened for reading, it is checked
cheaply: the file's header (SQLite's, and not cut short), its schema version and its tables. Wherever a
check did not look, a damaged page that a command reaches is reported as SQLite meets it, never shown as
data.
"""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path

from cspay.errors import LedgerError
from cspay.ledger.schema import MIGRATIONS
from cspay.lockfiles import LockedError, held_by, held_here, lock_path

MAGIC = b"SQLite format 3\x00"
HEADER = 100  # bytes of the database header
BUSY_SECONDS = 30.0  # how long a command waits for another program's transaction before giving up (exit 75)
SHOWN = 5  # quick_check's findings shown in the error
# The tables that grow with the headcount: the payslips, their parts and actions (and, in a ledger not yet
# migrated to one row per payslip, its `lines` and `kpis`, which the migration reads whole anyway).
BULK = frozenset({"payslips", "run_lines", "run_kpis", "triggered_actions", "lines", "kpis"})

_CHECKED: dict[Path, tuple[int, tuple[int, int, int, int]]] = {}  # checked whole under hold number, as it was


def connect(path: Path, *, read_only: bool) -> sqlite3.Connection:
    """A connection to the ledger, opened read-only (SQLite's `mode=ro`) when asked: it then never writes."""
    if read_only:
        uri = f"{path.absolute().as_uri()}?mode=ro"
        return sqlite3.connect(uri, uri=True, isolation_level=None, timeout=BUSY_SECONDS)
    return sqlite3.connect(path, isolation_level=None, timeout=BUSY_SECONDS)


def check_file(path: Path) -> None:
    """A file that is there must be a regular, non-empty file that starts as a SQLite database does."""
    if not path.exists():
        return  # a new ledger, made by a writing command that may create one
    if not path.is_file():
        raise LedgerError(f"{path}: is not a regular file; expected a ledger file (SQLite)")
    with path.open("rb") as handle:
        start = handle.read(len(MAGIC))
    if not start:
        raise LedgerError(
            f"{path}: is empty, so it is not a ledger (a ledger cut down to nothing?); restore it from your "
            f"backup, or name another file with --ledger (a new ledger starts where no file is)"
        )
    if start != MAGIC:
        raise LedgerError(
            f"{path}: is not a cspay ledger (not a SQLite database); check that --ledger names your ledger, "
            f"or restore it from your backup"
        )


def check_readable(db: sqlite3.Connection, path: Path, newest: int) -> None:
    """The cheap checks of a read: the header and size, and a ledger at this cspay's schema."""
    with _reading(db):
        _check_size(path)
        version = db.execute("PRAGMA user_version").fetchone()[0]
        _check_tables(db, path, version)
    if version < newest:
        raise LedgerError(
            f"{path}: was written by an older cspay (schema {version}); this cspay reads schema {newest}. "
            f"Commands that only read never change a ledger: run a writing command (compute --record, approve, "
            f"close …) with this cspay once to upgrade it, after a backup"
        )


def check_controls(db: sqlite3.Connection, path: Path) -> None:
    """The tables a control step reads and writes checked (`PRAGMA quick_check(TABLE)`: each with its
    indexes), not the payslips: a cost that does not grow with the headcount. The payslips' pages are
    checked whole by the next record, and a damaged one met by a read is an error, never data."""
    with _reading(db):
        _check_size(path)
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        found = [" ".join(str(row[0]).split()) for row in db.execute("PRAGMA quick_check(sqlite_schema)")]
        for table in sorted(tables - BULK):
            found += [" ".join(str(row[0]).split()) for row in db.execute(f"PRAGMA quick_check({table})")]
    problems = [text for text in found if text != "ok"]
    if problems:
        raise LedgerError(damaged(path, "; ".join(problems[:SHOWN])))


def check_whole(db: sqlite3.Connection, path: Path) -> None:
    """Every page read and checked (`PRAGMA quick_check`), unless this process checked the file under the
    lock it still holds and the file has not changed since."""
    if path.stat().st_size == 0:
        return  # made just now by this connection: a new ledger (an empty file that was there is refused)
    remembered = _CHECKED.get(_real(path))
    hold = held_here(path)
    if remembered is not None and hold is not None and remembered == (hold, _stamp(path)):
        return
    with _reading(db):
        _check_size(path)
        found = quick_check(db)
    if found != ["ok"]:
        raise LedgerError(damaged(path, "; ".join(found)))


def quick_check(db: sqlite3.Connection) -> list[str]:
    """SQLite's findings over every page (["ok"] when there are none), each on one line."""
    return [" ".join(str(row[0]).split()) for row in db.execute(f"PRAGMA quick_check({SHOWN})").fetchall()]


def remember_checked(path: Path) -> None:
    """Note that the file, as it is now, was checked whole under this process's hold of its lock."""
    hold = held_here(path)
    if hold is not None:
        _CHECKED[_real(path)] = (hold, _stamp(path))


def check_new(db: sqlite3.Connection, path: Path) -> None:
    """Only a file this connection made becomes a ledger: never add tables to another program's database,
    nor adopt a database someone else made."""
    if db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
        raise LedgerError(
            f"{path}: is a SQLite database of another program, not a cspay ledger; name the ledger with --ledger"
        )
    if path.stat().st_size:  # a file made by this connection is still empty: this one was there before
        raise LedgerError(f"{path}: is an empty SQLite database, not a cspay ledger; name the ledger with --ledger")


def damaged(path: Path, what: str) -> str:
    return (
        f"{path}: the ledger is damaged ({what}); nothing was written to it. Restore it from your backup, or "
        f"rescue what SQLite can still read with `sqlite3 {path} .recover | sqlite3 rescued.db` and check the "
        f"result with `cspay runs --ledger rescued.db` before using it"
    )


def is_about_the_file(error: sqlite3.DatabaseError) -> bool:
    """Whether an error of SQLite says something about the file (damaged, busy, unreadable) rather than
    about a statement of cspay's."""
    return not isinstance(error, sqlite3.IntegrityError | sqlite3.ProgrammingError | sqlite3.InterfaceError)


def problem(path: Path, error: sqlite3.DatabaseError) -> LedgerError | LockedError:
    """What an error of SQLite on the ledger means for the person running cspay."""
    text = str(error)
    if "locked" in text or "busy" in text:
        holder = None if held_here(path) is not None else held_by(lock_path(path))  # this run's own lock: not it
        who = f" ({holder})" if holder and holder != "unknown" else ""
        return LockedError(f"{path}: busy: another program holds the ledger{who}; try again when it has finished")
    if "readonly" in text or "read-only" in text:
        return LedgerError(
            f"{path}: an interrupted write left {path.name}-journal beside it, which only a writing command may "
            f"roll back; run a writing command (compute --record, approve …) first, or restore your backup"
        )
    if re.search(r"disk I/O|disk is full|unable to open", text):
        return LedgerError(
            f"{path}: cannot read or write the ledger ({text}); check the disk and the file's permissions"
        )
    if "not a database" in text:
        return LedgerError(
            f"{path}: is not a cspay ledger, or its first page is damaged ({text}); check that --ledger names "
            f"your ledger, or restore it from your backup"
        )
    return LedgerError(damaged(path, text))


def _check_size(path: Path) -> None:
    """The header's page count against the file's size: a ledger cut short (a copy stopped half-way, a full
    disk) is found before any of its missing pages is needed. Called under SQLite's shared lock, so no
    writer is half-way through."""
    with path.open("rb") as handle:
        header = handle.read(HEADER)
    size = path.stat().st_size
    if len(header) < HEADER:
        raise LedgerError(damaged(path, f"only {size} bytes, shorter than a SQLite header"))
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    counted = header[24:28] == header[92:96]  # SQLite keeps the page count valid while these two agree
    if page_size < 512 or (counted and pages * page_size > size) or size % page_size:
        expected = f"{pages * page_size} bytes" if counted else f"a multiple of {page_size} bytes"
        raise LedgerError(damaged(path, f"cut short: {size} bytes, expected {expected}"))


def _check_tables(db: sqlite3.Connection, path: Path, version: int) -> None:
    if version > len(MIGRATIONS):
        raise LedgerError(
            f"{path}: written by a newer cspay (schema {version}); this cspay reads schemas up to {len(MIGRATIONS)}"
        )
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if version == 0:
        what = "a SQLite database of another program" if tables else "an empty SQLite database"
        raise LedgerError(f"{path}: is {what}, not a cspay ledger; name the ledger with --ledger")
    missing = sorted(tables_of(version) - tables)
    if missing:
        raise LedgerError(
            f"{path}: is not a cspay ledger, or a damaged one: schema {version} but no table {', '.join(missing)}; "
            f"restore it from your backup"
        )


def tables_of(version: int) -> set[str]:
    """The tables a ledger at schema `version` has: those its steps made, less those they dropped, under the
    names they were last given."""
    tables: set[str] = set()
    for statement in (step for steps in MIGRATIONS[:version] for step in steps if isinstance(step, str)):
        if made := _MADE.match(statement):
            tables.add(made.group(1))
        elif dropped := _DROPPED.match(statement):
            tables.discard(dropped.group(1))
        elif renamed := _RENAMED.match(statement):
            tables.discard(renamed.group(1))
            tables.add(renamed.group(2))
    return tables


_MADE = re.compile(r"\s*CREATE TABLE (\w+)")
_DROPPED = re.compile(r"\s*DROP TABLE (\w+)")
_RENAMED = re.compile(r"\s*ALTER TABLE (\w+) RENAME TO (\w+)")


class _reading:
    """A read transaction for the block: SQLite's shared lock keeps writers out, so the file is whole."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN")
        self.db.execute("SELECT count(*) FROM sqlite_master").fetchone()  # takes the shared lock

    def __exit__(self, *exc: object) -> None:
        if self.db.in_transaction:
            self.db.execute("COMMIT")


def _real(path: Path) -> Path:
    return Path(os.path.realpath(path))


def _stamp(path: Path) -> tuple[int, int, int, int]:
    found = path.stat()
    return found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns
