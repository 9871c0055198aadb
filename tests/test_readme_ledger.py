"""The README's ledger walk-through: its commands run in order and print the lines it quotes."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from cspay.cli import app

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SECTION = README.split("## Periods, the ledger and cron", 1)[1].split("### True-ups", 1)[0]
VARYING = re.compile(r"\d{4}-\d\d-\d\dT|@|\(UTC\)")  # times, users and hosts (and the widths of their columns)


def walk_through() -> list[tuple[list[str], str]]:
    """Each `cspay …` command of the section, with the text block that follows its sh block."""
    steps = []
    for commands, quoted in re.findall(r"```sh\n(.+?)\n```\s*(?:```text\n(.*?)```)?", SECTION, re.S):
        lines = [shlex.split(line)[1:] for line in commands.splitlines() if line.startswith("cspay ")]
        steps += [(arguments, "") for arguments in lines[:-1]] + [(lines[-1], quoted)]
    return steps


def test_walk_through_runs_and_prints_what_it_quotes(tmp_path):
    """Every command exits 0, or 1 where the README quotes an Error line, and prints the lines it quotes."""
    shutil.copytree(ROOT / "policies", tmp_path / "policies")
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    (tmp_path / "out").mkdir()
    for arguments, quoted in walk_through():
        result = subprocess.run(
            [sys.executable, "-m", "cspay", *arguments],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            encoding="utf-8",
            check=False,
        )
        assert (1 if "Error:" in quoted else 0) == result.returncode, (arguments, result.stderr)
        printed = {line.strip() for line in (result.stdout + result.stderr).splitlines()}
        for line in quoted.strip().splitlines():
            if line and not VARYING.search(line):
                assert line.strip() in printed, (arguments, line)


def test_every_command_is_in_the_commands_table():
    """Each command cspay has appears in the README's commands table and has an Example in its help."""
    table = README.split("## Commands", 1)[1].split("\n\n", 2)[1]
    for command in app.registered_commands:
        name = command.name or command.callback.__name__.replace("_", "-")
        assert f"| `cspay {name}" in table, name
        assert "Example:" in (command.callback.__doc__ or ""), name


SOUND = README.split("### A sound ledger", 1)[1].split("\n## ", 1)[0]


def test_sound_ledger_commands_run_and_print_what_they_quote(tmp_path):
    """The commands of "A sound ledger" (after the walk-through's first record) exit as their quoted lines
    say and print them; the empty file stays empty and the damaged copy as it was made."""
    shutil.copytree(ROOT / "policies", tmp_path / "policies")
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    first = ["compute", "policies/standard-review.yaml", "examples/standard-2026-11.csv", "--period", "2026-11",
             "--record", "--ledger", "demo.db", "--quiet"]  # fmt: skip
    assert 0 == subprocess.run([sys.executable, "-m", "cspay", *first], cwd=tmp_path, check=False).returncode
    blocks = re.findall(r"```sh\n(.+?)\n```\s*```text\n(.*?)```", SOUND, re.S)
    assert 3 == len(blocks)
    for commands, quoted in blocks:
        for line in commands.splitlines():
            words = shlex.split(line)
            if words[0] != "cspay":
                subprocess.run(words, cwd=tmp_path, check=True, capture_output=True)
                continue
            damaged = (tmp_path / "broken.db").read_bytes() if (tmp_path / "broken.db").exists() else None
            result = subprocess.run([sys.executable, "-m", "cspay", *words[1:]], cwd=tmp_path, capture_output=True,
                                    text=True, encoding="utf-8", check=False)  # fmt: skip
            assert (2 if "Invalid value" in quoted else 1) == result.returncode, result.stderr
            for quoted_line in quoted.strip().splitlines():
                assert quoted_line in result.stderr.splitlines(), (line, result.stderr)
            if damaged is not None:
                assert damaged == (tmp_path / "broken.db").read_bytes()
    assert b"" == (tmp_path / "empty.db").read_bytes()
