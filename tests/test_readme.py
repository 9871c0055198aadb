"""The README's quick start: its two commands, the files they name, and the output it quotes."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section)


def cspay_arguments(command: str) -> list[str]:
    """The arguments given to cspay in a `... && .venv/bin/cspay ARGS` chain."""
    step = next(part for part in command.split("&&") if "bin/cspay " in part)
    return shlex.split(step)[1:]


def test_quick_start_has_two_commands():
    """One command installs and runs the month-end job, the other installs test extras and runs pytest."""
    install_and_run, install_and_test = quick_start_commands()
    assert "pip install ." in install_and_run and "cspay compute" in install_and_run
    assert "pip install '.[test]'" in install_and_test and install_and_test.endswith("-m pytest")


def test_quick_start_files_exist():
    """Every file the month-end command names is shipped."""
    arguments = cspay_arguments(quick_start_commands()[0])
    for name in arguments[1:]:
        assert (ROOT / name).is_file(), name


def test_quick_start_prints_what_the_readme_quotes():
    """The month-end command exits 0 and prints every line of the README's excerpt."""
    arguments = cspay_arguments(quick_start_commands()[0])
    result = subprocess.run(
        [sys.executable, "-m", "cspay", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    assert 0 == result.returncode, result.stderr
    excerpt = README.split("It prints one row per agent", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    printed = {line.strip() for line in result.stdout.splitlines()}
    for line in excerpt.strip().splitlines():
        assert line.strip() in printed, line


def test_ci_runs_the_readme_test_command():
    """.ci/run takes its command from the README, so the two cannot drift apart."""
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "Install the test extras" in script and "README.md" in script


def test_xlsx_section_command_prints_what_the_readme_quotes(tmp_path):
    """The XLSX section's command writes the workbook and prints the line the README quotes."""
    section = README.split("### XLSX workbook", 1)[1].split("\n## ", 1)[0]
    command, printed = re.findall(r"```(?:sh|text)\n(.+?)\n```", section, re.S)[:2]
    arguments = shlex.split(command)[1:]
    target = arguments[arguments.index("--output") + 1]
    arguments[arguments.index("--output") + 1] = str(tmp_path / target)
    result = subprocess.run(
        [sys.executable, "-m", "cspay", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    assert 0 == result.returncode, result.stderr
    assert printed.replace(target, str(tmp_path / target)) == result.stderr.strip()


# ---- Pay from raw helpdesk exports: its commands run on the shipped example and the PwC export ----

RAW_EXPORTS = README.split("## Pay from raw helpdesk exports", 1)[1].split("\n## ", 1)[0]
EXPORT = "examples/pwc/pwc-call-center-2021q1.csv"


def raw_export_runs() -> list[tuple[str, str]]:
    """Each cspay command of the section, with the text block quoted after it."""
    return re.findall(r"```sh\n(cspay [^\n]+)\n```\n.*?```text\n(.*?)```", RAW_EXPORTS, re.DOTALL)


def test_raw_export_section_quotes_its_runs_on_shipped_files():
    """The section shows cspay metrics, its CSV, cspay compute of a month and of a quarter, the Parquet
    export and the warehouse query, on files the repository ships."""
    runs = raw_export_runs()
    assert ["metrics", "metrics", "compute", "compute", "metrics", "metrics"] == [
        shlex.split(command)[1] for command, _ in runs
    ]
    named = [name for command, _ in runs for name in shlex.split(command) if name.startswith("examples/")]
    assert [] == [name for name in named if not (ROOT / name).is_file()]


def test_raw_export_commands_print_what_the_readme_quotes(pwc_csv):
    """Each command exits 0 and prints every quoted line (the export's path as the README writes it)."""
    for command, excerpt in raw_export_runs():
        arguments = [str(pwc_csv) if part == EXPORT else part for part in shlex.split(command)[1:]]
        result = subprocess.run(
            [sys.executable, "-m", "cspay", *arguments],
            cwd=ROOT,
            capture_output=True,
            text=True,
            encoding="utf-8",
            check=False,
        )
        assert 0 == result.returncode, result.stderr
        printed = {line.strip() for line in (result.stdout + result.stderr).replace(str(pwc_csv), EXPORT).splitlines()}
        missing = [line for line in excerpt.strip().splitlines() if line != "…" and line.strip() not in printed]
        assert [] == missing, command


def test_shipped_parquet_export_holds_the_csvs_records(pwc_csv):
    """The Parquet copy of the PwC export the section uses holds the CSV's records, cell for cell, in order."""
    import csv

    import duckdb

    with pwc_csv.open(encoding="utf-8-sig", newline="") as handle:
        expected = [tuple(record) for record in csv.reader(handle)]
    parquet = duckdb.sql(f"SELECT * FROM '{ROOT / 'examples/pwc/pwc-call-center-2021q1.parquet'}'")
    found = [tuple("" if cell is None else cell for cell in row) for row in parquet.fetchall()]
    assert expected == [tuple(parquet.columns), *found]


def test_derived_metrics_commands_print_what_the_readme_quotes(tmp_path):
    """The two commands paying from a file of derived metrics run, and print every line quoted after them."""
    block = RAW_EXPORTS.split("A file of\n`cspay metrics --format csv` is such a file:", 1)[1]
    commands, excerpt = re.findall(r"```(?:sh|text)\n(.+?)\n```", block, re.S)[:2]
    printed = set()
    for command in commands.splitlines():
        arguments = [str(tmp_path / "january.csv") if part == "january.csv" else part for part in shlex.split(command)]
        result = subprocess.run([sys.executable, "-m", "cspay", *arguments[1:]], cwd=ROOT, capture_output=True,
                                text=True, encoding="utf-8", check=False)  # fmt: skip
        assert 0 == result.returncode, result.stderr
        printed |= {
            line.strip() for line in (result.stdout + result.stderr).replace(str(tmp_path) + "/", "").splitlines()
        }
    assert [] == [line for line in excerpt.strip().splitlines() if line not in printed]


def test_library_examples_run():
    """Every Python block of the README's "Library use" runs as written, from the repository root."""
    section = README.split("### Library use", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.+?)\n```", section, re.S)
    assert 2 <= len(blocks)
    for code in blocks:
        result = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, encoding="utf-8", check=False
        )
        assert 0 == result.returncode, result.stderr
