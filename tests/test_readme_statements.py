"""The README's payslip and statements sections: their commands run and print what the README quotes."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    return README.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def run(arguments: list[str], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cspay", *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )


def quoted(text: str) -> list[str]:
    """The lines of every ```text block of a section."""
    return [line for block in re.findall(r"```text\n(.*?)```", text, re.S) for line in block.splitlines()]


def test_payslip_section_prints_what_it_quotes():
    """The payslip commands of the README print every line the README shows for them."""
    text = section("Explaining a payslip")
    command = re.search(r"```sh\ncspay (.+?)\n```", text)[1]
    printed = run(shlex.split(command)).stdout
    chinese = re.search(r"\(`cspay (payslip policies/zh-hotline\.yaml [^`]+)`", text)[1]
    printed += run(shlex.split(chinese)).stdout
    error = run(["payslip", "policies/standard.yaml", "examples/standard-2026-11.csv", "A01"]).stderr
    lines = {line.strip() for line in (printed + error).splitlines()}
    for line in quoted(text):
        assert line.strip() in lines, line


def test_statements_section_prints_what_it_quotes(tmp_path):
    """The statements command of the README, run in an empty folder, prints the line the README shows."""
    text = section("HTML statements")
    command = re.search(r"```sh\ncspay (.+?)\n```", text)[1]
    arguments = [str(ROOT / arg) if arg.endswith((".yaml", ".csv")) else arg for arg in shlex.split(command)]
    result = run(arguments, cwd=tmp_path)
    assert 0 == result.returncode, result.stderr
    assert quoted(text) == result.stderr.splitlines()
    assert 49 == len(list((tmp_path / "statements").iterdir()))


def test_commands_table_names_both_commands():
    """The commands table lists payslip and statements, and both have help."""
    assert "| `cspay payslip POLICY METRICS AGENT_ID...` |" in README
    assert "| `cspay statements POLICY METRICS... --out DIR` |" in README
    for command in ("payslip", "statements"):
        assert "Example: cspay " + command in run([command, "--help"]).stdout.replace("\n  ", " ")
