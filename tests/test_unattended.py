"""Running with nobody watching: JSON logs on every stderr line, no bar when quiet or plain, and a stdout
that is closed or cannot hold the text is an `Error:` line with exit 1."""

from __future__ import annotations

import io
import json
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest

from cspay.cli.logs import JsonLines, as_record, asks_for_json
from cspay.outputs.terminal_progress import drawable

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data"
POLICY = str(DATA / "standard.yaml")
MONTH = str(DATA / "month.csv")
ZH_POLICY = str(DATA / "zh-hotline.yaml")
ZH_MONTH = str(DATA / "zh-hotline-2026-11.csv")
PWC = ROOT / "examples" / "pwc"


def cspay(*arguments: str, env: dict[str, str] | None = None, **options: object) -> subprocess.CompletedProcess:
    """cspay run as cron runs it: its own process, through the installed entry point."""
    return subprocess.run(
        [sys.executable, "-m", "cspay", *arguments],
        capture_output="stdout" not in options,
        text=True,
        env={**os.environ, "NO_COLOR": "", **(env or {})},
        cwd=ROOT,
        timeout=120,
        check=False,
        **options,  # type: ignore[call-overload]
    )


def json_lines(text: str) -> list[dict]:
    """Each line of `text` as a JSON object; fails on any line that is not one."""
    records = [json.loads(line) for line in text.splitlines()]
    assert all(isinstance(record, dict) and "event" in record for record in records), text
    return records


# ---- --log-format json ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "arguments",
    [
        ["compute", POLICY, "missing.csv"],  # a file cspay cannot read
        ["compute", POLICY, "BAD_ROWS"],  # many located problems in one file
        ["compute", POLICY, MONTH, "--format", "bogus"],  # a value the option parser refuses
        ["compute", POLICY, MONTH, "--no-such-option"],  # an option the parser does not know
        ["compute"],  # arguments missing
        ["compute", POLICY, MONTH, "--period", "0001-01"],  # a period cspay refuses (exit 2)
    ],
)
@pytest.mark.parametrize("spelling", [["--log-format", "json"], ["--log-format=json"]])
def test_every_error_line_is_a_json_object(tmp_path, arguments, spelling):
    """With --log-format json, errors of every kind (cspay's and the option parser's) are JSON lines."""
    bad = tmp_path / "bad.csv"
    lines = Path(MONTH).read_text(encoding="utf-8").splitlines()
    bad.write_text("\n".join([lines[0], *(line.replace("92.5%", "lots") for line in lines[1:] * 3)]) + "\n")
    result = cspay(*(str(bad) if argument == "BAD_ROWS" else argument for argument in arguments), *spelling)
    records = json_lines(result.stderr)
    assert result.returncode in (1, 2)
    assert "error" in {record["event"] for record in records}
    assert "" == result.stdout


def test_notes_and_the_raw_export_summary_are_json_lines(tmp_path):
    """A raw export's summary note and the run's record both arrive as JSON objects, nothing else."""
    result = cspay(
        "compute",
        str(PWC / "policy.yaml"),
        str(PWC / "pwc-call-center-2021q1.csv"),
        "--period",
        "2021-01",
        "--roster",
        str(PWC / "roster.csv"),
        "-f",
        "csv",
        "-o",
        str(tmp_path / "pay.csv"),
        "--log-format",
        "json",
    )
    assert 0 == result.returncode, result.stderr
    note, summary = json_lines(result.stderr)
    assert ("note", "compute", 8) == (note["event"], summary["event"], summary["headcount"])
    assert "1,772 in 2021-01" in note["message"]


def test_text_logs_stay_sentences(tmp_path):
    """Without the option, stderr keeps its plain sentences: JSON is asked for, never imposed."""
    result = cspay("compute", POLICY, "missing.csv")
    assert result.stderr.startswith("Error: missing.csv")


def test_a_line_that_is_an_object_passes_unchanged():
    """The run's own JSON record is written as it is; other JSON values are wrapped like any text."""
    assert {"event": "compute", "gross": "1.00"} == as_record('{"event": "compute", "gross": "1.00"}')
    assert {"event": "note", "message": "[1, 2]"} == as_record("[1, 2]")
    assert {"event": "note", "message": "{not json"} == as_record("{not json")
    assert {"event": "error", "message": "x.csv: row 2"} == as_record("Error: x.csv: row 2")


def test_pieces_of_a_line_make_one_object():
    """Text written in pieces becomes one object per line, and an unfinished line is kept until close."""
    target = io.StringIO()
    stream = JsonLines(target)
    stream.write("Error: a")
    stream.write("b\n\nlast")
    assert ['{"event": "error", "message": "ab"}'] == target.getvalue().splitlines()
    stream.close()
    assert {"event": "note", "message": "last"} == json.loads(target.getvalue().splitlines()[-1])


def test_a_legacy_stderr_gets_escaped_json():
    """JSON written to a stderr that is not UTF-8 escapes what it cannot hold, so the line stays readable."""
    raw = io.BytesIO()
    target = io.TextIOWrapper(raw, encoding="ascii")
    stream = JsonLines(target)
    stream.write("工号 A001\n")
    target.flush()
    assert {"event": "note", "message": "工号 A001"} == json.loads(raw.getvalue().decode("ascii"))


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["compute", "p", "m", "--log-format", "json"], True),
        (["compute", "--log-format=json", "p"], True),
        (["compute", "p", "m", "--log-format", "text"], False),
        (["compute", "p", "--", "--log-format=json"], False),
        (["compute", "p", "--log-format"], False),
    ],
)
def test_the_command_line_is_read_for_json_before_parsing(arguments, expected):
    """The early look at the command line finds the option in both spellings and nowhere else."""
    assert expected is asks_for_json(arguments)


# ---- the progress bar ------------------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("variable", "value"), [("NO_COLOR", "1"), ("NO_COLOR", ""), ("TERM", "dumb")])
def test_no_bar_where_escape_sequences_are_unwanted(monkeypatch, variable, value):
    """NO_COLOR (set to anything, even empty) and a dumb terminal draw no bar, even on a terminal."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setenv(variable, value)
    assert drawable(Terminal()) is False


def test_a_bar_on_a_plain_terminal(monkeypatch):
    """A terminal without NO_COLOR may have a bar; a pipe never does."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert (True, False) == (drawable(Terminal()), drawable(io.StringIO()))


@pytest.fixture(scope="module")
def big_month(tmp_path_factory) -> Path:
    """A month large enough (over 4 MiB) for compute to draw its bar on a terminal."""
    path = tmp_path_factory.mktemp("big") / "agents.csv"
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "generate.py"), "--agents", "70000", "--out", str(path)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return path


def stderr_on_a_terminal(*arguments: str, env: dict[str, str]) -> bytes:
    """What cspay writes on a stderr that is a pseudo-terminal (stdout goes to a file)."""
    leader, follower = pty.openpty()
    environment = {key: value for key, value in os.environ.items() if key != "NO_COLOR"}
    process = subprocess.Popen(
        [sys.executable, "-m", "cspay", *arguments],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=follower,
        env={**environment, "TERM": "xterm", **env},
        cwd=ROOT,
    )
    os.close(follower)
    seen = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 120)
        if not ready:
            process.kill()
            raise AssertionError("cspay wrote nothing for two minutes")
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the last writer closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    assert 0 == process.wait(timeout=120), seen
    return seen


@pytest.mark.parametrize(
    ("extra", "env", "expected"),
    [
        ([], {}, True),  # a person watching: the bar draws
        (["--quiet"], {}, False),
        ([], {"NO_COLOR": "1"}, False),
    ],
)
def test_the_bar_obeys_quiet_and_no_color(big_month, tmp_path, extra, env, expected):
    """On a terminal the bar draws with escape sequences; --quiet and NO_COLOR leave none."""
    output = tmp_path / "pay.csv"
    seen = stderr_on_a_terminal("compute", POLICY, str(big_month), "-f", "csv", "-o", str(output), *extra, env=env)
    assert expected is (b"\x1b[" in seen), seen[-300:]
    if "--quiet" in extra:
        assert b"" == seen


# ---- standard output that cannot take the text ------------------------------------------------------


def close_stdout() -> None:
    os.close(1)


@pytest.mark.parametrize(
    "arguments",
    [
        ["compute", POLICY, MONTH],
        ["compute", POLICY, MONTH, "-f", "csv"],
        ["compute", POLICY, MONTH, "-f", "json"],
        ["payslip", POLICY, MONTH, "A001"],
        ["validate-policy", POLICY],
        ["--version"],
    ],
)
def test_a_closed_stdout_is_an_error_line(arguments):
    """Started with stdout closed (`>&-`), a command with something to print says so and exits 1."""
    result = cspay(*arguments, stdout=None, stderr=subprocess.PIPE, preexec_fn=close_stdout)
    assert 1 == result.returncode
    assert result.stderr.startswith("Error: standard output is closed"), result.stderr


def test_a_closed_stdout_does_not_stop_a_run_that_writes_a_file(tmp_path):
    """A run that writes its pay to --output needs no stdout: it succeeds with stdout closed."""
    output = tmp_path / "pay.csv"
    result = cspay(
        "compute", POLICY, MONTH, "-f", "csv", "-o", str(output), stdout=None, stderr=subprocess.PIPE,
        preexec_fn=close_stdout,
    )  # fmt: skip
    assert (0, True) == (result.returncode, output.is_file()), result.stderr


@pytest.mark.parametrize("encoding", ["ascii", "latin-1", "cp1252"])
@pytest.mark.parametrize(
    "arguments",
    [
        ["compute", ZH_POLICY, ZH_MONTH],
        ["compute", ZH_POLICY, ZH_MONTH, "-f", "csv"],
        ["compute", ZH_POLICY, ZH_MONTH, "-f", "json"],
        ["payslip", ZH_POLICY, ZH_MONTH, "--lang", "zh", "010230"],
    ],
)
def test_a_stdout_that_cannot_hold_chinese_is_an_error_line(encoding, arguments):
    """Chinese names on a stdout whose encoding has no Chinese: an `Error:` line naming the encoding, exit 1."""
    result = cspay(*arguments, env={"PYTHONIOENCODING": encoding})
    assert 1 == result.returncode, result.stderr
    assert result.stderr.startswith("Error: standard output cannot show this text"), result.stderr
    assert "internal error" not in result.stderr


def test_a_chinese_legacy_stdout_is_written():
    """GB18030 holds every Chinese name: a stdout in it is written in it, not refused."""
    result = subprocess.run(
        [sys.executable, "-m", "cspay", "compute", ZH_POLICY, ZH_MONTH, "-f", "csv"],
        capture_output=True,
        env={**os.environ, "PYTHONIOENCODING": "gb18030"},
        timeout=120,
        check=False,
    )
    assert 0 == result.returncode, result.stderr
    assert "林军" in result.stdout.decode("gb18030")
