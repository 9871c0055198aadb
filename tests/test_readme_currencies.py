"""The README's "Several currencies" section: its files exist, and its worked example, CSV excerpt and
consolidated view are what cspay prints for them."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

from typer.testing import CliRunner

from cspay.cli import app

ROOT = Path(__file__).resolve().parents[1]
SECTION = (ROOT / "README.md").read_text(encoding="utf-8").split("## Several currencies", 1)[1].split("\n## ", 1)[0]
POLICY, MONTH = "examples/global/policy.yaml", "examples/global/global-2026-11.csv"
RATES = "examples/global/rates-2026-11.csv"
LINES = {"base pay": "base_pay", "meal": "allowance.meal", "bonus": "bonus", "complaints": "adjustment.complaints"}


def cspay(*arguments: str) -> str:
    result = CliRunner().invoke(app, list(arguments), env={"COLUMNS": "400"})
    assert 0 == result.exit_code, result.output
    return result.stdout


def blocks() -> list[str]:
    return re.findall(r"```text\n(.+?)\n```", SECTION, re.DOTALL)


def test_the_files_it_names_exist() -> None:
    """Every example file the section links to is shipped."""
    for name in re.findall(r"\]\((examples/global/[^)]+)\)", SECTION):
        assert (ROOT / name).is_file(), name


def test_the_worked_example_is_what_compute_pays() -> None:
    """Each row of the worked example (agent, currency, line, amount paid) is on that agent's payslip."""
    run = json.loads(cspay("compute", str(ROOT / POLICY), str(ROOT / MONTH), "--format", "json", "--quiet"))
    slips = {slip["agent_id"]: slip for slip in run["payslips"]}
    rows = re.findall(r"^\| (\w\w\d\d) \| (\w{3}) \| ([a-z ]+) \| .+ \| (.+) \|$", SECTION, re.MULTILINE)
    assert len(rows) >= 6
    for agent, currency, line, paid in rows:
        slip = slips[agent]
        amounts = {item["code"]: item["amount"] for item in slip["lines"]}
        assert (currency, Decimal(paid.replace("−", "-"))) == (slip["currency"], Decimal(amounts[LINES[line]]))


def test_the_csv_excerpt_is_what_compute_writes() -> None:
    """The CSV excerpt's header and rows are lines of the real CSV."""
    written = cspay("compute", POLICY, MONTH, "--format", "csv").splitlines()
    excerpt = next(block for block in blocks() if block.startswith("agent_id,"))
    for line in excerpt.splitlines():
        assert line in written


def test_the_rates_file_is_the_one_shown() -> None:
    """The rates shown are the shipped rates file."""
    shown = next(block for block in blocks() if block.startswith("date,from,to,rate"))
    assert shown + "\n" == (ROOT / RATES).read_text(encoding="utf-8")


def test_the_consolidated_view_is_what_compute_prints() -> None:
    """Each line of the consolidated excerpt is a line of compute's summary (spacing aside)."""
    printed = cspay("compute", POLICY, MONTH, "--period", "2026-11", "--consolidate-to", "CNY", "--rates", RATES)
    cells = [" ".join(line.split()) for line in printed.splitlines()]
    excerpt = next(block for block in blocks() if "consolidated" in block)
    for line in excerpt.splitlines():
        assert " ".join(line.split()) in cells
