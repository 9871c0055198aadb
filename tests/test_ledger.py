"""The ledger store: schema versions, versions of a period, amounts as text, one transaction per write."""

from __future__ import annotations

import re
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest
from helpers import ledger_at_schema, record_as_rows, schema_step, stored_payslips

from cspay.inputs.metrics import read_metrics
from cspay.ledger.book import Ledger, LedgerError, Recording, Who
from cspay.ledger.packing import PayslipWriter
from cspay.ledger.schema import MIGRATIONS
from cspay.policy.loader import load_policy
from cspay.run.pay import compute

DATA = Path(__file__).parent / "data"
WHO = Who("alice", "payroll-01", "2026-12-01T09:00:00Z")


def recording(period: str = "2026-11") -> Recording:
    policy = load_policy(DATA / "standard.yaml")
    run = compute(policy, read_metrics(DATA / "month.csv", policy))
    first = f"{period}-01"
    return Recording(
        period, first, f"{period}-28", policy, [("metrics", "month.csv", "00" * 32)], run.payslips, run.summary
    )


def test_new_ledger_has_the_latest_schema(tmp_path):
    """A new ledger is created at the newest schema version."""
    with Ledger(tmp_path / "l.db", create=True) as ledger:
        assert len(MIGRATIONS) == ledger.schema_version


def test_missing_ledger_is_an_error_unless_created(tmp_path):
    """Reading a ledger that does not exist names the file and how to start one."""
    with pytest.raises(LedgerError) as caught:
        Ledger(tmp_path / "none.db")
    assert [f"{tmp_path / 'none.db'}: no ledger here; record a run with --record to start one"] == caught.value.lines()


def test_newer_schema_is_refused(tmp_path):
    """A ledger written by a newer cspay is not touched."""
    path = tmp_path / "l.db"
    sqlite3.connect(path).execute("PRAGMA user_version = 99")
    with pytest.raises(LedgerError, match="schema 99"):
        Ledger(path)


def test_older_schema_is_migrated_forward_keeping_runs(tmp_path):
    """A ledger at schema 1 is migrated step by step to the latest; its runs stay, as pay runs."""
    path = tmp_path / "l.db"
    db = sqlite3.connect(path, isolation_level=None)
    for statement in MIGRATIONS[0]:
        db.execute(statement)
    db.execute("PRAGMA user_version = 1")
    db.execute(
        "INSERT INTO runs (period, period_first, period_last, version, policy, policy_version, policy_sha256, "
        "currency, cspay_version, recorded_at, recorded_by, host, headcount, gross, bonus) VALUES "
        "('2026-10', '2026-10-01', '2026-10-31', 1, 'p', '1', '', 'CNY', '0.1.0', 't', 'u', 'h', 0, '0', '0')"
    )
    db.close()
    with Ledger(path) as ledger:
        migrated_to = ledger.schema_version
        ledger.record(recording(), WHO)
        found = [(run.period, run.version, run.kind) for run in ledger.runs()]
    assert len(MIGRATIONS) == migrated_to
    assert [("2026-10", 1, "pay"), ("2026-11", 1, "pay")] == found


def test_a_ledger_before_deductions_keeps_its_inputs_and_takes_opening_balances(tmp_path):
    """Migrating a schema-6 ledger rebuilds run_inputs with the wider kind check: the inputs it held stay, in
    order, and an opening-balances file can then be recorded; a run recorded before deducted nothing."""
    path = tmp_path / "l.db"
    db = sqlite3.connect(path, isolation_level=None)
    for step in MIGRATIONS[:6]:
        for statement in step:
            db.execute(statement)
    db.execute("PRAGMA user_version = 6")
    db.execute(
        "INSERT INTO runs (period, period_first, period_last, version, policy, policy_version, policy_sha256, "
        "currency, cspay_version, recorded_at, recorded_by, host, headcount, gross, bonus) VALUES "
        "('2026-10', '2026-10-01', '2026-10-31', 1, 'p', '1', '', 'CNY', '0.1.0', 't', 'u', 'h', 0, '0', '0')"
    )
    db.executemany(
        "INSERT INTO run_inputs (run_id, kind, path, sha256) VALUES (1, ?, ?, '')",
        [("export", "calls.csv"), ("roster", "roster.csv")],
    )
    db.close()
    with Ledger(path) as ledger:
        ledger.db.execute("INSERT INTO run_inputs (run_id, kind, path, sha256) VALUES (1, 'opening', 'o.csv', '')")
        inputs = [(row["kind"], row["path"]) for row in ledger.rows("SELECT kind, path FROM run_inputs ORDER BY rowid")]
        withholding = ledger.rows("SELECT withholding FROM runs")
    assert ([("export", "calls.csv"), ("roster", "roster.csv"), ("opening", "o.csv")], [None]) == (
        inputs,
        [row["withholding"] for row in withholding],
    )


def test_a_ledger_with_currencies_and_controls_keeps_every_row_when_it_takes_deductions(tmp_path):
    """Migrating a ledger at the schema just before deductions (several currencies and the controls in it)
    keeps its inputs with their kinds and order, its payslips' currencies, totals per currency and audit
    steps, and the rebuilt run_inputs takes opening balances."""
    path = tmp_path / "l.db"
    before = next(i for i, step in enumerate(MIGRATIONS) if any("CREATE TABLE deductions" in sql for sql in step))
    db = sqlite3.connect(path, isolation_level=None)
    for step in MIGRATIONS[:before]:
        for statement in step:
            db.execute(statement)
    db.execute(f"PRAGMA user_version = {before}")
    db.execute(
        "INSERT INTO runs (period, period_first, period_last, version, policy, policy_version, policy_sha256, "
        "currency, cspay_version, recorded_at, recorded_by, host, headcount, gross, bonus) VALUES "
        "('2026-10', '2026-10-01', '2026-10-31', 1, 'p', '1', '', 'CNY', '0.1.0', 't', 'u', 'h', 1, '', '')"
    )
    db.executemany(
        "INSERT INTO run_inputs (run_id, kind, path, sha256) VALUES (1, ?, ?, 'abc')",
        [("metrics", "m.csv"), ("roster", "roster.csv")],
    )
    db.execute(
        "INSERT INTO payslips (run_id, agent_id, name, role, team, gross, currency) "
        "VALUES (1, 'A001', 'Li', 'agent', 't', '343000', 'JPY')"
    )
    db.execute("INSERT INTO run_totals VALUES (1, 'JPY', 1, '343000', '0')")
    db.execute("INSERT INTO audit (item, item_id, action, at, user, host) VALUES ('run', 1, 'approved', 't', 'v', 'h')")
    db.close()
    with Ledger(path) as ledger:
        ledger.db.execute("INSERT INTO run_inputs (run_id, kind, path, sha256) VALUES (1, 'opening', 'o.csv', '')")
        found = (
            [tuple(row.values()) for row in ledger.rows("SELECT kind, path, sha256 FROM run_inputs ORDER BY rowid")],
            [tuple(row.values()) for row in ledger.rows("SELECT agent_id, currency FROM payslips")],
            [tuple(row.values()) for row in ledger.rows("SELECT currency, gross FROM run_totals")],
            [tuple(row.values()) for row in ledger.rows("SELECT item, action FROM audit ORDER BY id")],
        )
        version = ledger.schema_version
    assert len(MIGRATIONS) == version
    assert (
        [("metrics", "m.csv", "abc"), ("roster", "roster.csv", "abc"), ("opening", "o.csv", "")],
        [("A001", "JPY")],
        [("JPY", "343000")],
        [("run", "approved")],
    ) == found


def test_recording_again_supersedes_the_current_version(tmp_path):
    """A second record of a period is version 2; version 1 stays, marked superseded."""
    with Ledger(tmp_path / "l.db", create=True) as ledger:
        ledger.record(recording(), WHO)
        ledger.record(recording(), WHO)
        assert [(1, True), (2, False)] == [(run.version, run.superseded) for run in ledger.runs("2026-11")]
        assert 2 == ledger.current("2026-11").version


def test_amounts_are_stored_as_decimal_text(tmp_path):
    """Amounts are TEXT in SQLite, never REAL, so cents stay exact."""
    with Ledger(tmp_path / "l.db", create=True) as ledger:
        ledger.record(recording(), WHO)
        kinds = {kind for (kind,) in ledger.db.execute("SELECT DISTINCT typeof(amount) FROM run_lines")}
        kinds |= {kind for (kind,) in ledger.db.execute("SELECT DISTINCT typeof(gross) FROM payslips")}
        amounts = [amount for (amount,) in ledger.db.execute("SELECT amount FROM run_lines WHERE code = 'bonus'")]
    assert {"text"} == kinds
    assert "2160.00" == amounts[0]


def test_failed_write_leaves_the_ledger_as_it_was(tmp_path, monkeypatch):
    """An error in the middle of a record rolls the whole run back."""
    path = tmp_path / "l.db"
    with Ledger(path, create=True) as ledger:
        ledger.record(recording(), WHO)
    calls = []

    def failing(self, rows):
        calls.append(len(rows))
        original(self, rows)
        raise RuntimeError("disk full")

    original = PayslipWriter.write_rows
    monkeypatch.setattr(PayslipWriter, "write_rows", failing)
    with Ledger(path) as ledger, pytest.raises(RuntimeError):
        ledger.record(recording(), WHO)
    with Ledger(path) as ledger:
        assert [(1, False)] == [(run.version, run.superseded) for run in ledger.runs()]
        assert 4 == ledger.db.execute("SELECT count(*) FROM payslips").fetchone()[0]


def test_history_reads_the_current_version_of_each_period(tmp_path):
    """An agent's history has one entry per period with grade, score, bonus and gross."""
    with Ledger(tmp_path / "l.db", create=True) as ledger:
        ledger.record(recording("2026-10"), WHO)
        ledger.record(recording("2026-11"), WHO)
        ledger.record(recording("2026-11"), WHO)
        history = ledger.history("A001")
    assert ["2026-10", "2026-11"] == [standing.period for standing in history]
    assert (Decimal("2160.00"), Decimal("7940.00"), "A") == (history[1].bonus, history[1].gross, history[1].grade)


def test_history_searches_each_run_for_the_agent_and_reads_no_run_whole(tmp_path):
    """history finds an agent's payslips by (run_id, agent_id), one search per run: no query it makes scans
    the payslips, which on a ledger of twelve 1M-agent months would read twelve million rows for one agent."""
    with Ledger(tmp_path / "l.db", create=True) as ledger:
        for period in ("2026-09", "2026-10", "2026-11"):
            ledger.record(recording(period), WHO)
        made: list[str] = []
        ledger.db.set_trace_callback(made.append)
        assert 3 == len(ledger.history("A001"))
        ledger.db.set_trace_callback(None)
        reading = [sql for sql in made if "payslips" in sql]
        plans = [[row[-1] for row in ledger.db.execute(f"EXPLAIN QUERY PLAN {sql}")] for sql in reading]
    names = {"payslips"} | {alias for sql in reading for alias in re.findall(r"\bpayslips\s+(?:AS\s+)?(\w+)", sql)}
    assert reading and all("?" not in sql for sql in reading)  # the statements as run, their values in place
    assert any("(run_id=? AND agent_id=?)" in step for plan in plans for step in plan)
    assert [] == [step for plan in plans for step in plan if step.split()[:2] in (["SCAN", name] for name in names)]


def test_a_run_records_who_when_and_its_inputs(tmp_path):
    """The run row keeps the user, host, time, policy hash and each metrics file's hash."""
    with Ledger(tmp_path / "l.db", create=True) as ledger:
        ledger.record(recording(), WHO)
        run = ledger.rows("SELECT * FROM runs")[0]
        inputs = ledger.rows("SELECT kind, path, sha256 FROM run_inputs")
    assert ("alice", "payroll-01", "2026-12-01T09:00:00Z") == (run["recorded_by"], run["host"], run["recorded_at"])
    assert 64 == len(run["policy_sha256"])
    assert [{"kind": "metrics", "path": "month.csv", "sha256": "00" * 32}] == inputs


def test_closed_period_refuses_a_record(tmp_path):
    """Once closed, a period cannot be recorded again; the error names who closed it and when."""
    with Ledger(tmp_path / "l.db", create=True) as ledger:
        ledger.record(recording(), WHO)
        ledger.approve("2026-11", WHO)
        ledger.close_period("2026-11", WHO)
        with pytest.raises(LedgerError) as caught:
            ledger.record(recording(), WHO)
        assert [1] == [run.version for run in ledger.runs()]
    assert [
        f"{tmp_path / 'l.db'}: 2026-11 was closed by alice on payroll-01 at 2026-12-01T09:00:00Z; "
        f'reopen it with `cspay reopen 2026-11 --reason "…"` first, or record a correction with --correction'
    ] == caught.value.lines()


def test_reopened_period_takes_a_new_version(tmp_path):
    """After a reopen, recording the period works again and the reason is kept."""
    with Ledger(tmp_path / "l.db", create=True) as ledger:
        ledger.record(recording(), WHO)
        ledger.approve("2026-11", WHO)
        ledger.close_period("2026-11", WHO)
        ledger.reopen_period("2026-11", "CSAT export was incomplete", WHO)
        ledger.record(recording(), WHO)
        reasons = [row["reason"] for row in ledger.rows("SELECT reason FROM closes ORDER BY id")]
        assert [1, 2] == [run.version for run in ledger.runs()]
    assert [None, "CSAT export was incomplete"] == reasons


def test_a_period_with_no_record_cannot_be_closed(tmp_path):
    """Closing a period that was never recorded is refused."""
    with Ledger(tmp_path / "l.db", create=True) as ledger, pytest.raises(LedgerError, match="nothing is recorded"):
        ledger.close_period("2026-11", WHO)


def test_reopening_an_open_period_is_refused(tmp_path):
    """Only a closed period can be reopened."""
    with Ledger(tmp_path / "l.db", create=True) as ledger:
        ledger.record(recording(), WHO)
        with pytest.raises(LedgerError, match="is not closed"):
            ledger.reopen_period("2026-11", "why not", WHO)


def test_payslips_recorded_as_rows_read_the_same_once_packed(tmp_path):
    """A ledger whose payslips are rows of lines and KPIs is migrated to packed payslips, and every reader
    gives what the same payslips recorded packed give: lines, history, KPI codes, review rows, bonus paid
    and what a correction is measured against."""
    older, newer = tmp_path / "older.db", tmp_path / "newer.db"
    db = ledger_at_schema(older, schema_step("run_lines") - 1)
    for period in ("2026-10", "2026-11", "2026-11"):
        record_as_rows(db, (period, f"{period}-01", f"{period}-28"), recording(period).payslips)
    db.close()
    with Ledger(newer, create=True) as book:
        for period in ("2026-10", "2026-11", "2026-11"):
            book.record(recording(period), WHO)
    seen = []
    for path in (older, newer):
        with Ledger(path) as book:
            seen.append(
                (
                    [book.lines_of(run.id) for run in book.runs()],
                    [list(book.recorded_payslips(run.id)) for run in book.runs()],
                    [book.history(agent) for agent in ("A001", "A002", "A003", "A004")],
                    [book.subjects_of(run.id, "A003") for run in book.runs()],
                    book.recorded_between("2026-10-01", "2026-11-28"),
                    book.paid_in("2026-Q4", "2026-10-01", "2026-12-31"),
                    book.paid_for("2026-11", 0),  # what a correction of November is measured against
                )
            )
    assert seen[1] == seen[0]
    assert Decimal("2160.00") == seen[0][2][0][0].bonus


def test_a_kpi_by_group_is_recorded_with_the_curve_that_scored_it(tmp_path):
    """Each recorded KPI keeps the column that picked its curve and the group whose curve scored it: a
    queue's own, NULL for the KPI's own score, and NULL for both on a KPI with one curve for all."""
    policy = load_policy(DATA / "queues.yaml")
    run = compute(policy, read_metrics(DATA / "queue-month.csv", policy))
    inputs = [("metrics", "queue-month.csv", "00" * 32)]
    with Ledger(tmp_path / "l.db", create=True) as ledger:
        ledger.record(Recording("2026-11", "2026-11-01", "2026-11-30", policy, inputs, run.payslips, run.summary), WHO)
    stored = stored_payslips(tmp_path / "l.db")
    found = [
        (agent_id, code, by_column, curve_group)
        for agent_id in ("A001", "A003")
        for code, *_, by_column, curve_group in stored[f"1 {agent_id}"][-1]
        if code in ("csat", "fcr")
    ]
    assert [
        ("A001", "csat", "queue", "complaints"),
        ("A001", "fcr", None, None),
        ("A003", "csat", "queue", None),
        ("A003", "fcr", None, None),
    ] == found


def test_kpis_by_group_recorded_as_rows_keep_their_curves_once_packed(tmp_path):
    """A ledger that recorded KPIs by group as rows keeps, once its payslips are packed, each KPI's column and
    the group whose curve scored it: the same stored payslips as recording them packed."""
    policy = load_policy(DATA / "queues.yaml")
    run = compute(policy, read_metrics(DATA / "queue-month.csv", policy))
    older, newer = tmp_path / "older.db", tmp_path / "newer.db"
    db = ledger_at_schema(older, schema_step("run_lines") - 1)
    record_as_rows(db, ("2026-11", "2026-11-01", "2026-11-30"), run.payslips)
    db.close()
    with Ledger(older):  # opened for writing: migrated
        pass
    inputs = [("metrics", "queue-month.csv", "00" * 32)]
    with Ledger(newer, create=True) as ledger:
        ledger.record(Recording("2026-11", "2026-11-01", "2026-11-30", policy, inputs, run.payslips, run.summary), WHO)
    packed, recorded = stored_payslips(older), stored_payslips(newer)
    assert [slip[-1] for slip in recorded.values()] == [slip[-1] for slip in packed.values()]
    assert ("csat", "queue", "complaints") == next(
        (kpi[0], *kpi[-2:]) for kpi in packed["1 A001"][-1] if kpi[0] == "csat"
    )
