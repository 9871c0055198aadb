"""The README's sections on team results and on dated values and changes within a period: each command
runs on the shipped files and prints every line the README quotes after it."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
TEAMS = README.split("\n## Team results\n", 1)[1].split("\n## ", 1)[0]
DATED = README.split("\n## Dated values and changes within a period\n", 1)[1].split("\n## ", 1)[0]
# Each ```sh command and the ```text block that follows it, in both sections.
QUOTED = [
    pair for section in (TEAMS, DATED) for pair in re.findall(r"```sh\n(.+?)\n```\n.*?```text\n(.*?)```", section, re.S)
]


def run(arguments: list[str]) -> str:
    """What cspay prints for the arguments, stdout then stderr; the test fails unless it exits 0."""
    result = subprocess.run(
        [sys.executable, "-m", "cspay", *arguments], cwd=ROOT, capture_output=True, text=True, encoding="utf-8"
    )
    assert 0 == result.returncode, result.stderr
    return result.stdout + result.stderr


def words(command: str) -> list[str]:
    """The command's arguments, a shell's glob expanded as a shell would."""
    found = []
    for word in shlex.split(command)[1:]:
        globbed = "*" in word or "[" in word
        found += sorted(str(path.relative_to(ROOT)) for path in ROOT.glob(word)) if globbed else [word]
    return found


def plain(text: str) -> str:
    """A line without the table's and panel's borders, its spaces collapsed."""
    return " ".join(re.sub("[│┃]", " ", text).split())


def assert_printed(output: str, excerpt: str) -> None:
    printed = "\n".join(plain(line) for line in output.splitlines())
    for line in excerpt.strip().splitlines():
        assert plain(line) in printed, line


def test_both_sections_quote_their_commands():
    """The sections quote five commands with their output: compute twice for teams, then validate-policy and
    compute for a month and for a quarter."""
    assert ["compute", "compute", "validate-policy", "compute", "compute"] == [
        shlex.split(command)[1] for command, _ in QUOTED
    ]


@pytest.mark.parametrize(("command", "excerpt"), QUOTED, ids=[f"command {i + 1}" for i in range(len(QUOTED))])
def test_each_command_prints_what_the_readme_quotes(command, excerpt):
    """Each command exits 0 and prints every line of the excerpt after it (borders and spacing aside)."""
    assert_printed(run(words(command)), excerpt)


def test_the_team_payslip_excerpt_is_printed():
    """`cspay payslip … A10` explains the own part, the team part on the site, and who counted in East."""
    excerpt = TEAMS.split("examples/teams/metrics-2026-11.csv A10`, excerpt):\n\n```text\n", 1)[1].split("```", 1)[0]
    assert_printed(run(["payslip", "examples/teams/policy.yaml", "examples/teams/metrics-2026-11.csv", "A10"]), excerpt)


def test_the_promotion_payslip_excerpt_is_printed():
    """`cspay payslip … A018` shows each part's lines of the promotion on November 16."""
    excerpt = DATED.split("shows each part's lines (excerpt):\n\n```text\n", 1)[1].split("```", 1)[0]
    arguments = ["payslip", "examples/dated/policy.yaml", "examples/standard-2026-11.csv", "A018"]
    assert_printed(run([*arguments, "--period", "2026-11", "--changes", "examples/dated/changes-2026-11.csv"]), excerpt)


def test_the_changes_file_is_quoted_as_shipped():
    """The changes file the README shows is the shipped one, line for line."""
    quoted = DATED.split("November 16:\n\n```text\n", 1)[1].split("```", 1)[0]
    assert (ROOT / "examples/dated/changes-2026-11.csv").read_text(encoding="utf-8") == quoted


def test_the_gap_error_is_what_cspay_prints():
    """The README's gap error is cspay's message for the test policy with that gap, word for word."""
    quoted = re.search(r"`Error:\s+(policies/dated_gap\.yaml:.+?own)`", DATED, re.S)
    assert quoted is not None
    result = subprocess.run(
        [sys.executable, "-m", "cspay", "validate-policy", "dated_gap.yaml"],
        cwd=ROOT / "tests/data/policies/invalid",
        capture_output=True,
        text=True,
        encoding="utf-8",
    )
    assert 1 == result.returncode
    assert " ".join(quoted[1].split()).replace("policies/", "") == result.stderr.strip().removeprefix("Error: ")
