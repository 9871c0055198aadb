"""The README's quarterly section: its command, the files it names, and the output it quotes."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SECTION = README.split("## Quarterly and annual policies", 1)[1].split("\n## ", 1)[0]


def run(arguments: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cspay", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )


def quarter_arguments() -> list[str]:
    """The arguments of the section's command, with the shell's glob expanded as a shell would."""
    command = re.findall(r"```sh\n(.+?)\n```", SECTION)[0]
    arguments = []
    for word in shlex.split(command)[1:]:
        globbed = "*" in word or "[" in word
        arguments += sorted(str(path.relative_to(ROOT)) for path in ROOT.glob(word)) if globbed else [word]
    return arguments


def test_quarter_command_names_shipped_files():
    """The glob of the quarterly command finds the three shipped months of Q4."""
    assert ["examples/standard-2026-10.csv", "examples/standard-2026-11.csv", "examples/standard-2026-12.csv"] == [
        word for word in quarter_arguments() if word.endswith(".csv")
    ]


def test_quarter_command_prints_what_the_readme_quotes():
    """The quarterly command exits 0 and prints every line of the README's excerpt (stdout or stderr)."""
    result = run(quarter_arguments())
    assert 0 == result.returncode, result.stderr
    excerpt = SECTION.split("```text\n", 1)[1].split("```", 1)[0]
    printed = {line.strip() for line in (result.stdout + result.stderr).splitlines()}
    for line in excerpt.strip().splitlines():
        assert line.strip() in printed, line


def test_period_mismatch_error_is_quoted_exactly():
    """The README's --period error is what cspay prints for a month label under the quarterly policy."""
    quoted = SECTION.split("otherwise cspay exits 2:", 1)[1].split("```text\n", 1)[1].split("\n```", 1)[0]
    result = run(
        ["compute", "policies/standard-quarterly.yaml", "examples/standard-2026-11.csv", "--period", "2026-11"]
    )
    assert 2 == result.returncode
    assert quoted == result.stderr.strip().splitlines()[-1]
