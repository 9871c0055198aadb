"""What checking a ledger costs, side by side in one run: recording one month into a ledger that already
holds MONTHS months of AGENTS agents, against the checks made as the ledger opens: the whole-file check of a
record (`PRAGMA quick_check`), SQLite's fuller `PRAGMA integrity_check` for comparison, the check of a
control step (quick_check of the tables other than the payslips') and the cheap check of a reading command
(header, size, schema, tables). The ratios to the record are the figures
to quote; the file size says how far to scale them (both checks read every page once).

    python benchmarks/ledger_check.py                # 100,000 agents, 3 months already recorded
    python benchmarks/ledger_check.py 20000 12       # another size

The first month is recorded by cspay itself; the months before it are copies of it made in SQL (same pages,
same shape), which is quicker than paying them. Times are the best of 3 with the file in the page cache,
as it is right after the previous command wrote it; a cold cache adds the time to read the file once.
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from generate import write_metrics  # noqa: E402  (a script beside this one, found through sys.path)

from cspay.inputs.resolve import open_inputs  # noqa: E402
from cspay.ledger import health  # noqa: E402
from cspay.ledger.book import Ledger, Who  # noqa: E402
from cspay.ledger.schema import MIGRATIONS  # noqa: E402
from cspay.periods import parse_period  # noqa: E402
from cspay.policy.loader import load_policy  # noqa: E402
from cspay.run.pay import pay  # noqa: E402
from cspay.run.record import record  # noqa: E402

POLICY = ROOT / "policies" / "standard.yaml"
WHO = Who("bench", "bench-host", "2026-12-01T00:00:00Z")


def record_month(ledger: Path, metrics: Path, period: str) -> float:
    """Seconds to pay and record one month (the check made as the ledger opens included)."""
    started = time.perf_counter()
    policy = load_policy(POLICY)
    run = pay(open_inputs(policy, [metrics], parse_period(period)), ledger=ledger)
    record(run, ledger, who=WHO)
    return time.perf_counter() - started


def copy_month(ledger: Path, source_period: str, period: str) -> None:
    """Another month with the same payslips, lines and KPI results, written in SQL."""
    db = sqlite3.connect(ledger, isolation_level=None)
    db.execute("BEGIN")
    run = db.execute("SELECT id FROM runs WHERE period = ?", (source_period,)).fetchone()[0]
    columns = [row[1] for row in db.execute("PRAGMA table_info(runs)") if row[1] not in ("id", "period")]
    names = ", ".join(columns)
    new = db.execute(f"INSERT INTO runs (period, {names}) SELECT ?, {names} FROM runs WHERE id = ?", (period, run))
    db.execute(
        "INSERT INTO payslips (run_id, agent_id, name, role, team, score, grade, action, gross, currency) "
        "SELECT ?, agent_id, name, role, team, score, grade, action, gross, currency FROM payslips WHERE run_id = ?",
        (new.lastrowid, run),
    )
    offset = (
        db.execute("SELECT max(id) FROM payslips").fetchone()[0]
        - db.execute("SELECT max(id) FROM payslips WHERE run_id = ?", (run,)).fetchone()[0]
    )
    for table, rest in (("lines", "position, code, label, amount"), ("kpis", "code, label, value, score, weight, "
                                                                     "contribution, left_out")):  # fmt: skip
        db.execute(
            f"INSERT INTO {table} (payslip_id, {rest}) SELECT payslip_id + ?, {rest} FROM {table} "
            "WHERE payslip_id IN (SELECT id FROM payslips WHERE run_id = ?)",
            (offset, run),
        )
    db.execute("COMMIT")
    db.close()


def best(action, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def pragma(ledger: Path, name: str) -> None:
    db = sqlite3.connect(ledger)
    found = db.execute(f"PRAGMA {name}").fetchall()
    db.close()
    assert [("ok",)] == found, found


def controls(ledger: Path) -> None:
    db = sqlite3.connect(ledger, isolation_level=None)
    health.check_controls(db, ledger)
    db.close()


def cheap(ledger: Path) -> None:
    db = health.connect(ledger, read_only=True)
    health.check_readable(db, ledger, len(MIGRATIONS))
    db.close()


def main() -> None:
    agents = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    months = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    with tempfile.TemporaryDirectory() as folder:
        metrics, ledger = Path(folder) / "metrics.csv", Path(folder) / "ledger.db"
        write_metrics(metrics, agents)
        record_month(ledger, metrics, "2025-01")
        for month in range(2, months + 1):
            copy_month(ledger, "2025-01", f"2025-{month:02d}")
        size = ledger.stat().st_size
        recording = record_month(ledger, metrics, f"2025-{months + 1:02d}")
        quick = best(lambda: pragma(ledger, "quick_check"))
        full = best(lambda: pragma(ledger, "integrity_check"))
        stepping = best(lambda: controls(ledger))
        reading = best(lambda: cheap(ledger))
        with Ledger(ledger, read_only=True) as book:
            payslips = book.rows("SELECT count(*) AS n FROM payslips")[0]["n"]
    print(f"ledger: {months} months x {agents:,} agents ({payslips - agents:,} payslips), {size / 2**20:,.0f} MiB")
    print(f"record one more month (pay + write)    {recording:8.2f} s   1.00")
    print(f"quick_check (every record)             {quick:8.2f} s   {quick / recording:.2f}")
    print(f"integrity_check (for comparison)       {full:8.2f} s   {full / recording:.2f}")
    print(f"control tables (approve, close …)      {stepping:8.4f} s   {stepping / recording:.4f}")
    print(f"read check (every reading command)     {reading:8.4f} s   {reading / recording:.4f}")
    print(f"quick_check throughput                 {size / 2**20 / quick:8.0f} MiB/s")


if __name__ == "__main__":
    main()
