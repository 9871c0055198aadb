"""Running from cron: locks (exit 75), crash safety, --quiet, --log-format json, plain output, same bytes."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

from rich.text import Text

from cspay.cli import app
from cspay.cli.common import console
from cspay.ledger.book import Ledger
from cspay.lockfiles import FileLock, account

DATA = Path(__file__).parent / "data"
POLICY = str(DATA / "standard.yaml")
MONTH = str(DATA / "month.csv")


def paused_run(tmp_path: Path, ledger: Path, *extra: str) -> tuple[subprocess.Popen, Path]:
    """A compute --record in its own process, held mid-write (inside its transaction) until released."""
    marker = tmp_path / "paused"
    env = {**os.environ, "CSPAY_TEST_PAUSE_FILE": str(marker)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cspay",
            "compute",
            POLICY,
            MONTH,
            "--record",
            "--period",
            "2026-11",
            "--ledger",
            str(ledger),
            *extra,
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60  # a wait for the other process, not a timing assertion
    while not marker.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"the run never reached its pause: {process.communicate()}")
        time.sleep(0.02)
    return process, marker


def versions(ledger: Path) -> list[tuple[int, bool]]:
    with Ledger(ledger) as book:
        return [(run.version, run.superseded) for run in book.runs()]


def test_second_run_exits_75_while_the_first_writes(runner, tmp_path):
    """A run that overlaps a recording run exits 75 "already running"; only the first one writes."""
    ledger = tmp_path / "pay.db"
    first, marker = paused_run(tmp_path, ledger)
    try:
        second = runner.invoke(
            app, ["compute", POLICY, MONTH, "--record", "--period", "2026-11", "--ledger", str(ledger)]
        )
        assert 75 == second.exit_code, second.output
        holder = rf"pid {first.pid}, {re.escape(account())} on {re.escape(socket.gethostname())}, cspay compute since "
        assert re.fullmatch(
            rf"Error: {re.escape(str(ledger))}\.lock: already running: another cspay run holds this lock \(held by "
            rf"{holder}[0-9-]+T[0-9:]+Z\); try again when it has finished\n",
            second.stderr,
        ), second.stderr
        assert Path(f"{ledger}.lock").exists()
    finally:
        marker.unlink()
        first.communicate()
    assert 0 == first.returncode
    assert [(1, False)] == versions(ledger)


def test_killed_run_leaves_ledger_and_output_as_they_were(runner, tmp_path):
    """A run killed in the middle of its write changes neither the ledger nor the previous output file."""
    ledger, output = tmp_path / "pay.db", tmp_path / "pay.json"
    result = runner.invoke(
        app,
        [
            "compute",
            POLICY,
            MONTH,
            "--record",
            "--period",
            "2026-11",
            "--ledger",
            str(ledger),
            "-f",
            "json",
            "-o",
            str(output),
        ],
    )
    assert 0 == result.exit_code, result.output
    before = output.read_bytes()
    process, marker = paused_run(tmp_path, ledger, "-f", "json", "-o", str(output), "--force")
    process.send_signal(signal.SIGKILL)
    process.communicate()
    marker.unlink()
    assert [(1, False)] == versions(ledger)
    assert before == output.read_bytes()
    again = runner.invoke(app, ["compute", POLICY, MONTH, "--record", "--period", "2026-11", "--ledger", str(ledger)])
    assert 0 == again.exit_code, again.output  # the dead run's lock went with it
    assert [(1, True), (2, False)] == versions(ledger)


def test_a_held_output_lock_exits_75(runner, tmp_path):
    """Two runs writing the same output file do not overlap, even without a ledger."""
    output = tmp_path / "pay.csv"
    with FileLock(output):
        result = runner.invoke(app, ["compute", POLICY, MONTH, "-f", "csv", "-o", str(output)])
    assert 75 == result.exit_code
    assert "already running" in result.stderr
    assert not output.exists()


def test_quiet_prints_nothing_on_success(runner, tmp_path):
    """--quiet with a table, a record and an output file prints nothing at all."""
    ledger = str(tmp_path / "pay.db")
    table = runner.invoke(app, ["compute", POLICY, MONTH, "--quiet"])
    written = runner.invoke(
        app,
        [
            "compute",
            POLICY,
            MONTH,
            "--record",
            "--period",
            "2026-11",
            "--ledger",
            ledger,
            "-f",
            "csv",
            "-o",
            str(tmp_path / "pay.csv"),
            "--quiet",
        ],
    )
    assert (0, "", "") == (table.exit_code, table.stdout, table.stderr)
    assert (0, "", "") == (written.exit_code, written.stdout, written.stderr)


def test_quiet_still_reports_errors(runner, tmp_path):
    """--quiet does not hide a failure."""
    result = runner.invoke(app, ["compute", POLICY, str(tmp_path / "none.csv"), "--quiet"])
    assert 1 == result.exit_code
    assert result.stderr.startswith("Error: ")


def test_log_format_json_writes_one_summary_line(runner, tmp_path):
    """--log-format json writes one JSON line on stderr with period, totals, outputs, hashes, duration."""
    output = tmp_path / "pay.csv"
    result = runner.invoke(
        app,
        [
            "compute",
            POLICY,
            MONTH,
            "--record",
            "--period",
            "2026-11",
            "--ledger",
            str(tmp_path / "pay.db"),
            "-f",
            "csv",
            "-o",
            str(output),
            "--log-format",
            "json",
        ],
    )
    assert 0 == result.exit_code, result.output
    (line,) = result.stderr.splitlines()
    log = json.loads(line)
    recorded = {"period": "2026-11", "version": 1, "kind": "pay", "state": "draft", "disputes_settled": []}
    assert ("2026-11", 4, [str(output)], recorded) == (
        log["period"],
        log["headcount"],
        log["outputs"],
        log["recorded"],
    )
    assert (log["gross"], 64, 64) == (
        str(Decimal(log["gross"])),
        len(log["inputs"]["files"][0]["sha256"]),
        len(log["inputs"]["policy"]["sha256"]),
    )
    assert log["duration_seconds"] >= 0


def test_same_inputs_give_the_same_bytes_even_when_recorded_twice(runner, tmp_path):
    """Two recorded runs of the same inputs write byte-identical CSV and JSON: no time or version in them."""
    ledger = str(tmp_path / "pay.db")
    for kind in ("csv", "json"):
        outputs = []
        for attempt in (1, 2):
            path = tmp_path / f"{attempt}.{kind}"
            result = runner.invoke(
                app,
                [
                    "compute",
                    POLICY,
                    MONTH,
                    "--record",
                    "--period",
                    "2026-11",
                    "--ledger",
                    ledger,
                    "-f",
                    kind,
                    "-o",
                    str(path),
                ],
            )
            assert 0 == result.exit_code, result.output
            outputs.append(path.read_bytes())
        assert outputs[0] == outputs[1]


def test_json_carries_input_hashes_and_versions(runner):
    """The JSON head names the period, each metrics file's SHA-256, the policy's hash and cspay's version."""
    result = runner.invoke(app, ["compute", POLICY, MONTH, "--period", "2026-11", "-f", "json"])
    head = json.loads(result.stdout)
    digest = hashlib.sha256(Path(MONTH).read_bytes()).hexdigest()
    assert ("2026-11", [{"kind": "metrics", "name": "month.csv", "sha256": digest}]) == (head["period"], head["inputs"])
    assert head["cspay_version"] and head["policy_sha256"] and head["policy_version"]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_terminal_output_has_colour_codes_without_no_color(monkeypatch):
    """On a terminal, styled text carries ANSI codes (what NO_COLOR turns off)."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    terminal = Terminal()
    console(terminal).print(Text("x", style="bold red"))
    assert "\x1b[" in terminal.getvalue()


def test_no_color_removes_every_ansi_code(monkeypatch):
    """With NO_COLOR set, even a terminal gets no ANSI codes, bold included."""
    monkeypatch.setenv("NO_COLOR", "1")
    terminal = Terminal()
    console(terminal).print(Text("x", style="bold red"))
    assert "x\n" == terminal.getvalue()


def test_piped_table_has_no_ansi_and_whole_amounts(tmp_path):
    """A piped table has no escape codes and never cuts an amount, even beside a very long name."""
    metrics = tmp_path / "m.csv"
    metrics.write_text(
        Path(MONTH).read_text(encoding="utf-8").replace("Wang Fang", "Wang Fang " * 30), encoding="utf-8"
    )
    result = subprocess.run(
        [sys.executable, "-m", "cspay", "compute", POLICY, str(metrics)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    assert 0 == result.returncode, result.stderr
    assert "\x1b" not in result.stdout
    assert "7,940.00" in next(line for line in result.stdout.splitlines() if "A001" in line)
