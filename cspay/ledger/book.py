"""The ledger: a SQLite file that remembers every recorded run, period by period, version by version."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cspay import __version__
from cspay.engine.types import Payslip, Summary
from cspay.errors import CspayError, LedgerError
from cspay.ledger import health
from cspay.ledger.control_book import ControlBook
from cspay.ledger.owing import Owing
from cspay.ledger.packing import PayslipWriter
from cspay.ledger.reads import RunRow, Who
from cspay.ledger.schema import MIGRATIONS
from cspay.ledger.year_reads import YearReads

DEFAULT_LEDGER = "cspay.db"


@dataclass
class Recording:
    """A computed run and what it came from, ready to be written as a version of its period."""

    period: str
    first: str
    last: str
    policy: Any
    inputs: list[tuple[str, str, str]]  # (kind, path, sha256) of each file read: metrics, export, roster
    payslips: Iterable[Payslip]  # a list for a correction, which is set against the version it corrects
    summary: Summary
    correction: bool = False
    settles: list[int] = field(default_factory=list)
    triggered: dict[str, list[str]] | None = None  # None: the policy's action rules were not evaluated
    one_offs: list[int] = field(default_factory=list)  # the one-off adjustments the run pays
    disputes: list[int] = field(default_factory=list)  # the accepted disputes the run settles
    withholding: str | None = None  # how the run withheld income tax (cumulative …), None: no deductions
    opening: Any = None  # the OpeningBalances the run was given, kept for the year's later months


def check_ledger_path(path: Path) -> None:
    """A ledger path must name a file (existing or not) in a folder that exists."""
    if path.is_dir():
        raise LedgerError(f"{path}: is a folder; expected a ledger file, e.g. {path / DEFAULT_LEDGER}")
    if not path.absolute().parent.is_dir():
        raise LedgerError(f"{path}: the folder {path.parent} does not exist")


def check_exists(path: Path) -> None:
    """A ledger to read or to take a step in must be there: no command but a record starts one."""
    check_ledger_path(path)
    if not path.is_file() and not path.exists():
        raise LedgerError(f"{path}: no ledger here; record a run with --record to start one")


def _create_private(path: Path) -> None:
    """A new ledger file readable by its owner only, as every file of pay data cspay writes (SQLite gives
    its journal the database file's permissions); an existing ledger keeps its own."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError as error:
        raise LedgerError(f"{path}: cannot create the ledger ({error.strerror or error})") from None


class Ledger(ControlBook, Owing, YearReads):
    """An open ledger file; every write happens in one `write()` transaction.

    Opened for writing (the default), the ledger is checked whole (`PRAGMA quick_check`; with `whole_check`
    False, for a control step, only the tables other than the payslips') and migrated to the newest schema;
    `create` makes a new one where there is none. Opened `read_only`, the file is opened
    read-only, never created, migrated or changed, and checked cheaply (see `cspay.ledger.health`). A damaged
    file, or one that is not a ledger, is a LedgerError saying what to do; a busy one a LockedError (exit 75).
    """

    def __init__(
        self, path: str | Path, *, create: bool = False, read_only: bool = False, whole_check: bool = True
    ) -> None:
        self.path = Path(path)
        check_ledger_path(self.path)
        if read_only or not create:
            check_exists(self.path)
        health.check_file(self.path)
        if create and not read_only:
            _create_private(self.path)
        try:
            self.db = health.connect(self.path, read_only=read_only)
        except sqlite3.DatabaseError as error:
            raise health.problem(self.path, error) from None
        try:
            self.db.execute("PRAGMA foreign_keys = ON")
            if read_only:
                health.check_readable(self.db, self.path, len(MIGRATIONS))
            elif whole_check:
                health.check_whole(self.db, self.path)
                self._migrate()
                health.remember_checked(self.path)
            else:
                health.check_controls(self.db, self.path)
                self._migrate()
        except CspayError:
            self.db.close()
            raise
        except sqlite3.DatabaseError as error:
            self.db.close()
            raise health.problem(self.path, error) from None

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, kind: object, error: BaseException | None, traceback: object) -> None:
        self.close()
        if isinstance(error, sqlite3.DatabaseError) and health.is_about_the_file(error):
            raise health.problem(self.path, error) from None

    @property
    def schema_version(self) -> int:
        version: int = self.db.execute("PRAGMA user_version").fetchone()[0]
        return version

    def _migrate(self) -> None:
        current = self.schema_version
        if current > len(MIGRATIONS):
            raise LedgerError(
                f"{self.path}: written by a newer cspay (schema {current}); this cspay "
                f"reads schemas up to {len(MIGRATIONS)}"
            )
        if current == 0:
            health.check_new(self.db, self.path)
        for version in range(current, len(MIGRATIONS)):
            with self.write():
                for step in MIGRATIONS[version]:
                    if isinstance(step, str):
                        self.db.execute(step)
                    else:
                        step(self.db)
                self.db.execute(f"PRAGMA user_version = {version + 1}")

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One transaction, taken before the first read so no other writer slips in between."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            if self.db.in_transaction:  # SQLite has already rolled back a transaction that met a damaged page
                self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def record(self, recording: Recording, who: Who) -> RunRow:
        """Write a run as the period's next version, superseding the current one, in one transaction."""
        with self.recording(recording, who) as writer:
            writer.write(recording.payslips)
        return self.recorded_run(recording.period)

    @contextmanager
    def recording(self, recording: Recording, who: Who) -> Iterator[PayslipWriter]:
        """The transaction that records a run as the period's next version: the writer it yields takes the
        payslips a batch at a time as they are read, and on leaving, with the summary now complete, the
        totals, controls and corrections are written and the transaction commits (or, on an error, nothing
        of the run stays). A correction's payslips are a list, as it is set against the version it corrects.
        """
        with self.write():
            previous = self._check_can_record(recording)
            version = 1 + max((run.version for run in self.runs(recording.period)), default=0)
            run_id = self._insert_run(recording, version, who)
            self._insert_opening(run_id, recording.opening)
            wanted = {item.agent_id for item in map(self.dispute, recording.disputes) if item is not None}
            writer = PayslipWriter(self.db, run_id, recording.triggered, wanted)
            yield writer
            writer.finish()
            if writer.written != recording.summary.headcount:  # a payslip paid must never go unrecorded
                raise LedgerError(
                    f"{self.path}: the run paid {recording.summary.headcount} payslips and {writer.written} were "
                    f"written; nothing was recorded"
                )
            self._insert_totals(run_id, recording)
            four_eyes = bool(getattr(getattr(recording.policy, "approval", None), "four_eyes", False))
            paying = (recording.one_offs, writer.found)
            self.record_controls(run_id, recording.period, four_eyes, paying, recording.disputes, who)
            if previous is not None:
                self.db.execute("UPDATE runs SET superseded_by = ? WHERE id = ?", (run_id, previous.id))
            if recording.correction and previous is not None:
                self._insert_differences(run_id, recording)
            elif not recording.correction:  # a new pay version pays the period in full: see ledger/owing.py
                self.take_back_carried(recording.period, recording.first, run_id)
            self.db.executemany(
                "UPDATE corrections SET settled_by = ? WHERE id = ?", [(run_id, item) for item in recording.settles]
            )
            self._last_recorded = run_id

    def recorded_run(self, period: str) -> RunRow:
        """The version the last `recording` of this connection wrote."""
        return next(run for run in self.runs(period) if run.id == self._last_recorded)

    def _check_can_record(self, recording: Recording) -> RunRow | None:
        """The version a record supersedes; a closed period takes only corrections, an open one none."""
        period, closed = recording.period, self.closed(recording.period)
        if closed is not None and not recording.correction:
            raise LedgerError(
                f"{self.path}: {period} was closed by {closed.user} on {closed.host} at "
                f'{closed.at}; reopen it with `cspay reopen {period} --reason "…"` first, '
                f"or record a correction with --correction"
            )
        if closed is None and recording.correction:
            raise LedgerError(
                f"{self.path}: {period} is not closed, so nothing was paid from it yet; "
                f"record it again without --correction"
            )
        return self.current(period)

    def _insert_differences(self, run_id: int, recording: Recording) -> None:
        if not isinstance(recording.payslips, list):
            raise TypeError("a correction's payslips are a list: they are set against the version it corrects")
        found = self.correction_differences(recording.period, run_id, recording.payslips)
        self.db.executemany(
            "INSERT INTO corrections (run_id, period, period_first, agent_id, code, label, amount, currency) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    run_id,
                    recording.period,
                    recording.first,
                    d.agent_id,
                    d.code,
                    d.label,
                    str(d.amount),
                    d.currency or None,
                )
                for d in found
            ],
        )

    def close_period(self, period: str, who: Who) -> None:
        """Lock a recorded period against further records; its current run must be approved."""
        with self.write():
            closed = self.closed(period)
            if closed is not None:
                raise LedgerError(
                    f"{self.path}: {period} is already closed (by {closed.user} on {closed.host} at {closed.at})"
                )
            current = self.current(period)
            if current is None:
                raise LedgerError(f"{self.path}: nothing is recorded for {period}; record it before closing it")
            self.check_closable(period)
            self._insert_close(period, "close", None, who)
            self.audit("run", current.id, "closed", who)

    def reopen_period(self, period: str, reason: str, who: Who) -> None:
        """Unlock a closed period; the reason is kept beside the close."""
        with self.write():
            if self.closed(period) is None:
                raise LedgerError(f"{self.path}: {period} is not closed; there is nothing to reopen")
            self._insert_close(period, "reopen", reason, who)
            current = self.current(period)
            if current is not None:
                self.audit("run", current.id, "reopened", who, reason)

    def _insert_close(self, period: str, action: str, reason: str | None, who: Who) -> None:
        self.db.execute(
            "INSERT INTO closes (period, action, reason, at, user, host) VALUES (?, ?, ?, ?, ?, ?)",
            (period, action, reason, who.at, who.user, who.host),
        )

    def _insert_run(self, recording: Recording, version: int, who: Who) -> int:
        """The run's row, its totals left empty until its payslips are written (`_insert_totals`)."""
        policy = recording.policy
        cursor = self.db.execute(
            "INSERT INTO runs (period, period_first, period_last, version, kind, policy, policy_version, "
            "policy_sha256, currency, cspay_version, recorded_at, recorded_by, host, headcount, gross, bonus, "
            "withholding) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, '', '', ?)",
            (
                recording.period,
                recording.first,
                recording.last,
                version,
                "correction" if recording.correction else "pay",
                policy.policy,
                policy.version,
                policy.sha256,
                policy.currency,
                __version__,
                who.at,
                who.user,
                who.host,
                recording.withholding,
            ),
        )
        run_id = _inserted(cursor)
        self.db.executemany(
            "INSERT INTO run_inputs (run_id, kind, path, sha256) VALUES (?, ?, ?, ?)",
            [(run_id, kind, path, digest) for kind, path, digest in recording.inputs],
        )
        return run_id

    def _insert_totals(self, run_id: int, recording: Recording) -> None:
        """The run's totals, complete once its payslips are written."""
        policy, summary = recording.policy, recording.summary
        totals = summary.by_currency()
        # A run paid in several currencies has no one gross: its totals are in run_totals only.
        gross, bonus = (str(summary.gross), str(summary.bonus)) if len(totals) <= 1 else ("", "")
        self.db.execute(
            "UPDATE runs SET headcount = ?, gross = ?, bonus = ? WHERE id = ?",
            (summary.headcount, gross, bonus, run_id),
        )
        self.db.executemany(
            "INSERT INTO run_totals (run_id, currency, headcount, gross, bonus) VALUES (?, ?, ?, ?, ?)",
            [
                (run_id, code or policy.currency, money.headcount, str(money.gross), str(money.bonus))
                for code, money in totals.items()
                if money.headcount
            ],
        )

    def _insert_opening(self, run_id: int, opening: Any) -> None:
        """The opening balances a run was given, agent by agent."""
        if opening is None:
            return
        self.db.executemany(
            "INSERT INTO openings (run_id, agent_id, through, months, income, contributions, special, other, "
            "withheld) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (run_id, agent, opening.through.label, figures.months, str(figures.income),
                 str(figures.contributions), str(figures.special), str(figures.other), str(figures.withheld))
                for agent, figures in opening.agents.items()
            ],
        )  # fmt: skip


def _inserted(cursor: sqlite3.Cursor) -> int:
    """The id of the row an INSERT made."""
    if cursor.lastrowid is None:
        raise sqlite3.DatabaseError("the insert made no row")
    return cursor.lastrowid
