"""Every kind of bad input a month-end export or policy file can hold, with the behaviour named: a
located error, or a correct result, and nothing already written lost. Cases tested where their module
is tested are listed, not repeated:

Policy: a !!python tag, merge keys and aliases (test_policy invalid files, test_loader); over 1 MiB and
nested too deep (test_loader); duplicate keys (test_loader); yes/no/on/off and 010 (test_loader); .nan and
.inf (test_loader, invalid files); negative pay (invalid/negative_amount.yaml); an unknown key with a typo
(test_loader, test_cli). CSV: BOM, GB18030, invalid bytes mid-file, ';' and tab, too many and too few
cells, missing, duplicate and case-different headers, blank rows, totals rows, duplicate agents, unknown
roles, ids like 007 (test_metrics); 95%, 95, ９５％, thousands separators, currency signs and the missing
markers (test_cells). Money: half cents under both modes (test_engine); lines add up (test_properties).
Output: an existing file without --force, a missing folder (test_cli); formula-looking text (test_export);
a crash inside the engine (test_cli, for the table). Beyond the list: a reader that stops early (| head).
The bulk CSV way gives the same bytes and errors as the general way for all of the above (test_bulk).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from helpers import HEADER, STANDARD, TINY_POLICY, WORKED_CELLS, agent_row, write_yaml
from typer.testing import CliRunner

import cspay.engine.compiled
from cspay.cli import app
from cspay.engine.compiled import Engine
from cspay.errors import MetricsError, PolicyError
from cspay.inputs.metrics import read_metrics
from cspay.policy.loader import load_policy
from cspay.policy.model import Policy

WriteCsv = Callable[..., Path]


def policy_problems(tmp_path: Path, text: str) -> list[str]:
    """The located messages of the PolicyError that loading `text` raises."""
    with pytest.raises(PolicyError) as caught:
        load_policy(write_yaml(tmp_path, text))
    return caught.value.lines()


def metrics_problems(path: Path, policy: Policy) -> list[str]:
    with pytest.raises(MetricsError) as caught:
        read_metrics(path, policy)
    return caught.value.lines()


# ---- policy ------------------------------------------------------------------------------------------


def test_alias_bomb_is_refused_at_its_first_anchor(tmp_path: Path) -> None:
    """A few hundred bytes of nested aliases (a billion laughs) is refused where the first anchor
    stands, before anything is expanded."""
    bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    bomb += "".join(f"{n}: &{n} [{','.join(['*' + p] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True))
    assert len(bomb.encode()) < 1000
    path = tmp_path / "policy.yaml"
    assert [f"{path}:1:4: anchors and aliases (&, *) are not allowed in a policy"] == policy_problems(tmp_path, bomb)


def test_no_where_a_number_is_meant_is_refused_as_text(tmp_path: Path) -> None:
    """`weight: NO` is the text "NO" (never false, never 0): an error expecting a number."""
    problems = policy_problems(tmp_path, TINY_POLICY.replace("weight: 100", "weight: NO"))
    assert [f"{tmp_path / 'policy.yaml'}:8:47: kpis.csat.weight: expected a number, got 'NO'"] == problems


def test_clock_time_where_a_number_is_meant_is_refused_as_text(tmp_path: Path) -> None:
    """`base_pay: 10:00` is not YAML 1.1's sexagesimal 600: it is text, and an error expecting a number."""
    problems = policy_problems(tmp_path, TINY_POLICY.replace("base_pay: 5000", "base_pay: 10:00"))
    assert [f"{tmp_path / 'policy.yaml'}:6:18: roles.L1.base_pay: expected a number, got '10:00'"] == problems


def test_clock_time_where_text_is_meant_stays_text(tmp_path: Path) -> None:
    """`title: 10:00` is the title "10:00"."""
    assert "10:00" == load_policy(write_yaml(tmp_path, TINY_POLICY.replace("title: Tiny", "title: 10:00"))).title


def test_exponent_where_a_number_is_meant_is_exact(tmp_path: Path) -> None:
    """`base_pay: 1e3` is exactly 1000 (a Decimal from the text, never a float): base pay 1000.00."""
    policy = load_policy(write_yaml(tmp_path, TINY_POLICY.replace("base_pay: 5000", "base_pay: 1e3")))
    slip = Engine(policy).payslip(agent_row(csat="92"))
    assert (Decimal(1000), Decimal("1000.00")) == (policy.roles["L1"].base_pay, slip.amount("base_pay"))


def test_exponent_where_text_is_meant_keeps_its_text(tmp_path: Path) -> None:
    """`version: 1e3` is the version "1e3", as written, not "1E+3" or "1000"."""
    assert "1e3" == load_policy(write_yaml(tmp_path, TINY_POLICY.replace('version: "1"', "version: 1e3"))).version


def test_negative_weight_is_refused(tmp_path: Path) -> None:
    """A KPI weight below 0 is an error naming the key, even when the weights add up to 100."""
    text = TINY_POLICY.replace("weight: 100,", "weight: -10,").replace(
        "kpis:\n",
        "kpis:\n  fcr: {column: fcr, unit: ratio, weight: 110, score: {threshold: 0.6, target: 0.7, stretch: 0.8}}\n",
    )
    problems = policy_problems(tmp_path, text)
    assert [f"{tmp_path / 'policy.yaml'}:9:47: kpis.csat.weight: expected a number of at least 0, got -10"] == problems


# ---- CSV ---------------------------------------------------------------------------------------------


def test_eighteen_digit_ids_stay_text_through_to_the_csv(write_csv: WriteCsv, tmp_path: Path) -> None:
    """Ids like 007 and 123456789012345678 reach the payslip CSV exactly (never 1.23E+17, never 7)."""
    metrics = write_csv([{"agent_id": "123456789012345678"}, {"agent_id": "007"}])
    result = CliRunner().invoke(app, ["compute", str(STANDARD), str(metrics), "-f", "csv"])
    assert 0 == result.exit_code, result.output
    assert ["123456789012345678", "007"] == [line.split(",")[0] for line in result.stdout.splitlines()[1:]]


def test_a_200_kb_name_is_read_and_written_whole(write_csv: WriteCsv) -> None:
    """A 200 KB cell (a pasted document) is one name, read and written back whole."""
    name = " ".join(["Ada"] * 51_200)
    result = CliRunner().invoke(app, ["compute", str(STANDARD), str(write_csv([{"name": name}])), "-f", "csv"])
    assert 0 == result.exit_code, result.output
    assert name == result.stdout.splitlines()[1].split(",")[1]


def test_a_200_kb_bad_cell_is_reported_clipped(write_csv: WriteCsv, standard: Policy) -> None:
    """A 200 KB text in a number column is reported with its first 40 characters and its length."""
    path = write_csv([{"csat": "x" * 200_000}])
    assert [
        f'{path}: row 2, column "csat": got "{"x" * 40}… (200000 characters)", expected a percentage '
        f"between 0 and 100, like 92.5 or 92.5%"
    ] == metrics_problems(path, standard)


@pytest.mark.parametrize("marker", ["", "NA", "N/A", "-", "nan"])
def test_a_missing_survey_count_is_an_error_not_zero(write_csv: WriteCsv, standard: Policy, marker: str) -> None:
    """Read as 0, an empty survey count would quietly leave csat out; it is an error instead."""
    path = write_csv([{"surveys": marker}])
    assert [
        f'{path}: row 2, column "surveys": got "{marker}", expected a number (the cell is empty)'
    ] == metrics_problems(path, standard)


@pytest.mark.parametrize("marker", ["", "NA", "N/A", "-", "nan"])
def test_a_missing_kpi_value_is_an_error_not_zero(write_csv: WriteCsv, standard: Policy, marker: str) -> None:
    """Read as 0, an empty csat would score 0; unless the KPI allows it, it is an error instead."""
    path = write_csv([{"csat": marker}])
    assert [
        f'{path}: row 2, column "csat": got "{marker}", expected a value (the cell has none; the KPI needs '
        f"one, unless the policy says missing: exclude)"
    ] == metrics_problems(path, standard)


def test_a_number_too_large_for_exact_pay_is_refused_at_its_cell(write_csv: WriteCsv, standard: Policy) -> None:
    """A cell of 1e30 (found by fuzzing: 1e30 complaints made a 34-digit deduction) is refused where it is."""
    path = write_csv([{"valid_complaints": "-1e30"}])
    assert [
        f'{path}: row 2, column "valid_complaints": got "-1e30", expected a number below 1,000,000,000,000,000 in size'
    ] == metrics_problems(path, standard)


# ---- money -------------------------------------------------------------------------------------------


def test_a_policy_number_too_large_for_exact_pay_is_refused(tmp_path: Path) -> None:
    """A policy number of 10**15 or more is refused where it is written, like a metrics cell."""
    problems = policy_problems(tmp_path, TINY_POLICY.replace("base_pay: 5000", "base_pay: 1e15"))
    assert [
        f"{tmp_path / 'policy.yaml'}:6:18: roles.L1.base_pay: expected a number below "
        f"1,000,000,000,000,000 in size, got '1e15'"
    ] == problems


@pytest.mark.parametrize("format", ["table", "csv", "json"])
def test_pay_beyond_28_digits_is_a_located_error(tmp_path: Path, write_csv: WriteCsv, format: str) -> None:
    """A target of 9e14 paid at a multiplier of 9e14 would need 30 digits: every output names the row and
    agent, exit 1, instead of rounding wrongly or crashing."""
    policy = write_yaml(
        tmp_path,
        TINY_POLICY.replace("target_bonus: 1000", "target_bonus: 9e14").replace("multiplier: 1.2", "multiplier: 9e14"),
    )
    metrics = tmp_path / "m.csv"
    metrics.write_text("agent_id,role,csat\nA001,L1,92\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["compute", str(policy), str(metrics), "-f", format])
    assert 1 == result.exit_code
    assert [
        f"Error: {metrics}: row 2: agent 'A001': an amount would need more than 28 digits to stay exact; "
        f"check this row's numbers and the policy's"
    ] == result.stderr.splitlines()


# ---- output ------------------------------------------------------------------------------------------


def big_metrics(tmp_path: Path, agents: int) -> Path:
    """A metrics file of many agents, written quickly (the worked example's cells, ids counting up)."""
    row = ",".join(WORKED_CELLS[name] for name in HEADER[1:])
    path = tmp_path / "big.csv"
    path.write_text(",".join(HEADER) + "\n" + "".join(f"A{n:07d},{row}\n" for n in range(agents)), encoding="utf-8")
    return path


def start_and_stop_mid_export(tmp_path: Path, how: signal.Signals) -> tuple[int, Path, list[str]]:
    """Start replacing out/pay.csv, send `how` once cspay has written part of it; the exit status,
    the target, and what else the folder holds then."""
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "pay.csv"
    target.write_text("the previous month\n", encoding="utf-8")
    command = [
        sys.executable,
        "-m",
        "cspay",
        "compute",
        str(STANDARD),
        str(big_metrics(tmp_path, 400_000)),
        "-f",
        "csv",
        "-o",
        str(target),
        "--force",
    ]
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60  # a bound on a stuck test, not a timed assertion
        while not any(p.stat().st_size for p in folder.glob(".cspay-*.part")) and time.monotonic() < deadline:
            assert child.poll() is None, "cspay ended before it could be stopped"
            time.sleep(0.005)
        child.send_signal(how)
        status = child.wait(timeout=60)
    finally:
        child.kill()
        child.wait()
    # The lock file beside the output stays on purpose: removing it could let two runs overlap.
    return status, target, sorted(p.name for p in folder.iterdir() if p != target and p.suffix != ".lock")


def test_sigterm_mid_export_keeps_the_old_file_and_no_temporary_file(tmp_path: Path) -> None:
    """Stopped by SIGTERM while writing: exit 143, the old file untouched, the temporary file removed."""
    status, target, others = start_and_stop_mid_export(tmp_path, signal.SIGTERM)
    assert (143, "the previous month\n", []) == (status, target.read_text(encoding="utf-8"), others)


def test_sigkill_mid_export_keeps_the_old_file(tmp_path: Path) -> None:
    """Killed outright while writing: the old file is untouched; only a hidden .cspay-*.part may remain."""
    status, target, others = start_and_stop_mid_export(tmp_path, signal.SIGKILL)
    assert (-9, "the previous month\n") == (status, target.read_text(encoding="utf-8"))
    assert all(name.startswith(".cspay-") and name.endswith(".part") for name in others)


@pytest.mark.parametrize(("format", "start"), [("csv", b"agent_id,name,role"), ("table", b"Customer service")])
def test_a_reader_that_stops_early_ends_the_run_quietly(tmp_path: Path, format: str, start: bytes) -> None:
    """`cspay compute … | head -1`: once the reader is gone cspay stops, exit 141, nothing on stderr."""
    command = [
        sys.executable,
        "-m",
        "cspay",
        "compute",
        str(STANDARD),
        str(big_metrics(tmp_path, 3000)),
        "-f",
        format,
    ]  # 3000 agents write far more than a pipe holds
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdout is not None and child.stderr is not None
    first = child.stdout.readline()
    child.stdout.close()
    assert (start, 141, b"") == (first[: len(start)], child.wait(timeout=120), child.stderr.read())


@pytest.fixture
def immutable_folder(tmp_path: Path) -> Path:
    """A folder nobody may create files in, root included (chattr +i)."""
    folder = tmp_path / "locked"
    folder.mkdir()
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode:
        pytest.skip("chattr +i is not available here")
    yield folder
    subprocess.run(["chattr", "-i", str(folder)], check=True)


def test_a_folder_nobody_may_write_is_refused_before_reading(immutable_folder: Path, tmp_path: Path) -> None:
    """A folder that cannot be written, even as root, is refused up front; nothing is read or written."""
    missing_metrics = tmp_path / "not-read.csv"
    result = CliRunner().invoke(
        app, ["compute", str(STANDARD), str(missing_metrics), "-f", "csv", "-o", str(immutable_folder / "pay.csv")]
    )
    assert 1 == result.exit_code
    assert [
        f"Error: {immutable_folder / 'pay.csv'}: the folder {immutable_folder} is not writable"
    ] == result.stderr.splitlines()
    assert [] == list(immutable_folder.iterdir())


def test_a_folder_the_access_check_misjudges_is_still_refused_up_front(
    immutable_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the system's access check says yes but the folder refuses a file (NFS with root_squash), a
    trial file finds out before anything is read."""
    monkeypatch.setattr(os, "access", lambda path, mode: True)
    result = CliRunner().invoke(
        app,
        [
            "compute",
            str(STANDARD),
            str(tmp_path / "not-read.csv"),
            "-f",
            "csv",
            "-o",
            str(immutable_folder / "pay.csv"),
        ],
    )
    assert 1 == result.exit_code
    assert [
        f"Error: {immutable_folder / 'pay.csv'}: the folder {immutable_folder} is not writable "
        f"(Operation not permitted)"
    ] == result.stderr.splitlines()


def test_a_crash_in_the_bulk_csv_way_shows_no_pay_and_writes_nothing(
    write_csv: WriteCsv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unexpected error while paying into a CSV prints one line without pay data or locals, exit 1,
    and leaves neither the output nor a temporary file."""

    def explode(self: Engine, role: str, bonus: Decimal, holds: object, worked: Decimal) -> None:
        salary = worked * 5200  # noqa: F841 - a local that must never be printed
        raise ArithmeticError("boom")

    monkeypatch.setattr(cspay.engine.compiled.Engine, "pay_lines", explode)
    monkeypatch.delenv("CSPAY_DEBUG", raising=False)
    folder = tmp_path / "out"
    folder.mkdir()
    result = CliRunner().invoke(
        app, ["compute", str(STANDARD), str(write_csv([{}])), "-f", "csv", "-o", str(folder / "pay.csv")]
    )
    assert 1 == result.exit_code
    assert result.stderr.startswith("Error: internal error (ArithmeticError at ")
    left = [path for path in folder.iterdir() if path.suffix != ".lock"]  # the lock file stays, on purpose
    assert ("5200" not in result.output, "Traceback" not in result.output, []) == (True, True, left)


def test_engine_payslip_for_an_unknown_role_is_a_key_error_not_a_payslip() -> None:
    """Rows come from the reader, which refuses unknown roles; the engine does not invent pay for one."""
    with pytest.raises(KeyError):
        Engine(load_policy(STANDARD)).payslip(agent_row(role="L9"))
