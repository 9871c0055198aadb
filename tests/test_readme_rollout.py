"""The README's sections on the bonus budget, compare and test: their commands still print what they quote."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    return README.split(title, 1)[1].split("\n#", 1)[0]


def blocks(text: str, kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", text, flags=re.DOTALL)


def cspay(command: str) -> subprocess.CompletedProcess[str]:
    arguments = shlex.split(command)
    assert "cspay" == arguments[0]
    return subprocess.run(
        [sys.executable, "-m", "cspay", *arguments[1:]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )


def test_compare_prints_what_the_readme_quotes():
    """The README's compare command exits 0 and prints exactly the quoted report."""
    text = section("### What it costs and who gains")
    result = cspay(blocks(text, "sh")[0].strip())
    assert 0 == result.returncode, result.stderr
    printed = [line.rstrip() for line in result.stdout.splitlines()]
    assert blocks(text, "text")[0].rstrip("\n").splitlines() == printed


def test_compare_guard_prints_the_quoted_error():
    """The README's --max-increase example exits 1 with the quoted Error line."""
    example = blocks(section("### What it costs and who gains"), "text")[1].splitlines()
    result = cspay(example[0].removeprefix("$ "))
    assert 1 == result.returncode
    assert example[-1] + "\n" == result.stderr


def test_budget_summary_is_what_the_readme_quotes():
    """compute on the 2027 proposal prints every summary line the budget section quotes."""
    text = section("### Bonus budget")
    command = re.search(r"`(cspay compute [^`]+)` ends with:", text)[1]
    result = cspay(command)
    assert 0 == result.returncode, result.stderr
    printed = {line.strip() for line in result.stdout.splitlines()}
    for line in blocks(text, "text")[0].strip().splitlines():
        assert line.strip() in printed, line


def printed_lines(result: subprocess.CompletedProcess[str]) -> set[str]:
    return {line.rstrip() for line in result.stdout.splitlines()}


def test_shipped_cases_print_what_the_readme_quotes():
    """`cspay test policies/cases/` passes and prints every quoted line."""
    text = section("### Does it still pay what was agreed")
    result = cspay("cspay test policies/cases/")
    assert 0 == result.returncode, result.stdout + result.stderr
    for line in blocks(text, "text")[0].splitlines():
        assert line in printed_lines(result), line


def test_changed_case_prints_the_quoted_diff(tmp_path):
    """The README's failing example, replayed on a copy of policies/, prints the quoted rows and exits 1."""
    text = section("### Does it still pay what was agreed")
    shutil.copytree(ROOT / "policies", tmp_path / "policies")
    cases = tmp_path / "policies" / "cases" / "standard.cases.yaml"
    original = cases.read_text(encoding="utf-8")
    assert 1 == original.count("gross: 7940.00")
    cases.write_text(original.replace("gross: 7940.00", "gross: 7941.00"), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "cspay", "test", "policies/cases/standard.cases.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    assert 1 == result.returncode
    for line in blocks(text, "text")[1].splitlines():
        assert line in printed_lines(result), line
