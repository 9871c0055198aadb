"""benchmarks/run.py, the command the README's Performance section runs: on a few agents, quickly."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PATHS = [
    "csv",
    "csv-copy",
    "record",
    "json",
    "xlsx",
    "table",
    "payslip",
    "statements",
    "quarterly",
    "steady-quarter",
    "score",
]


def test_every_path_is_measured_against_the_csv_path_with_amounts_checked(tmp_path: Path) -> None:
    """Every path but pandas, on both data sets, prints a row with its ratio to the CSV path, and the CSV
    and score paths' amounts are identical to the general path's on every row."""
    options = ["--agents", "300", "--repeat", "1", "--paths", ",".join(PATHS), "--workdir", str(tmp_path)]
    result = subprocess.run(
        [sys.executable, "benchmarks/run.py", *options, "--cspay", f"{sys.executable} -m cspay"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert 0 == result.returncode, result.stdout + result.stderr
    for data in ("repeating", "distinct"):
        table = result.stdout.split(f"{data} data: 300 agents", 1)[1]
        rows = {line.split()[0] for line in table.splitlines() if re.search(r"\d+\.\d\d\s+(3 x )?csv", line)}
        assert set(PATHS) == rows
        for path in ("csv", "score"):
            assert f"{data}: {path} path against the general path: 301 of 301 rows identical (identical)" in table
