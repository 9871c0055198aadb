"""The README's way from gross to net: its three months run as shown and print the lines it quotes, the
figures it works out by hand are the ones the runs paid, and its other country's pack loads."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from cspay.policy.loader import load_pack

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SECTION = README.split("## From gross to net", 1)[1].split("## Pay from raw helpdesk exports", 1)[0]
WORKED = SECTION.split("### Three months, worked by hand", 1)[1].split("### Every view", 1)[0]


def cspay(folder: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cspay", *arguments], cwd=folder, capture_output=True, text=True, encoding="utf-8",
        check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the policies and examples where the README's three months have been recorded."""
    folder = tmp_path_factory.mktemp("net")
    shutil.copytree(ROOT / "policies", folder / "policies")
    shutil.copytree(ROOT / "examples", folder / "examples")
    return folder


@pytest.fixture(scope="module")
def months(folder: Path) -> list[str]:
    """What each of the README's `cspay compute` commands printed, in order."""
    commands = re.search(r"```sh\n(.+?)\n```", WORKED, re.S)
    assert commands is not None
    printed = []
    for line in commands[1].splitlines():
        result = cspay(folder, *shlex.split(line)[1:])
        assert 0 == result.returncode, result.stderr
        printed.append(result.stdout + result.stderr)
    assert 3 == len(printed)
    return printed


def test_march_prints_the_lines_the_readme_quotes(months: list[str]) -> None:
    """Every line of the quoted March table and summary is a line March printed."""
    quoted = re.search(r"March prints \(excerpt\):\n\n```text\n(.*?)```", WORKED, re.S)
    assert quoted is not None
    printed = {line.strip() for line in months[2].splitlines()}
    for line in quoted[1].strip().splitlines():
        assert line.strip() in printed, line


def test_the_hand_worked_figures_are_what_was_paid(folder: Path, months: list[str]) -> None:
    """A01's tax and net for each month, in bold in the README, are the ones the recorded runs paid."""
    a01 = WORKED.split("**A01", 1)[1].split("**A07", 1)[0]
    by_hand = [Decimal(number.replace(",", "")) for number in re.findall(r"\*\*([\d,]+\.\d\d)\*\*", a01)]
    paid = []
    for month in ("2026-01", "2026-02", "2026-03"):
        run = json.loads(
            cspay(
                folder, "compute", "policies/china-net.yaml", f"examples/china-net/metrics-{month}.csv",
                "--roster", "examples/china-net/roster.csv", "--period", month, "--ledger", "pay.db",
                "--format", "json", "--quiet",
            ).stdout
        )  # fmt: skip
        slip = next(slip for slip in run["payslips"] if slip["agent_id"] == "A01")
        paid += [Decimal(slip["deductions"][-1]["amount"]), Decimal(slip["net"])]
    assert paid == by_hand


def test_the_hand_worked_arithmetic_adds_up() -> None:
    """The README's own sums, redone: the capped base's contributions, then March's cumulative tax."""
    base = Decimal(37302)
    fund = (base * Decimal("0.07")).quantize(Decimal(1))
    contributions = sum((base * rate for rate in (Decimal("0.08"), Decimal("0.02"), Decimal("0.005"))), fund)
    taxable = Decimal(27200 + 28200 + 27200) - 3 * 5000 - 3 * contributions - 3 * 3000
    march = (taxable * Decimal("0.10") - 2520 - (Decimal("380.17") + Decimal("410.17"))).quantize(Decimal("0.01"))
    assert (Decimal("6527.71"), Decimal("39016.87"), Decimal("591.35")) == (contributions, taxable, march)


def test_the_payslip_shows_the_quoted_tax_line(folder: Path, months: list[str]) -> None:
    """`cspay payslip … A01 --period 2026-03 --ledger pay.db` prints the quoted income tax line."""
    quoted = re.search(r"shows each line with how it was worked out:\n\n```text\n(.*?)\n```", WORKED, re.S)
    assert quoted is not None
    result = cspay(
        folder, "payslip", "policies/china-net.yaml", "examples/china-net/metrics-2026-03.csv", "A01",
        "--roster", "examples/china-net/roster.csv", "--period", "2026-03", "--ledger", "pay.db", "--lang", "en",
    )  # fmt: skip
    assert 0 == result.returncode, result.stderr
    assert any(quoted[1].strip() in line for line in result.stdout.splitlines()), quoted[1]


def test_march_without_the_ledger_is_refused_as_quoted(folder: Path) -> None:
    """The quoted Error line is what March prints without a ledger, with exit 2."""
    quoted = re.search(r"Run March without the ledger and it is refused:\n`(Error: [^`]+)`", WORKED)
    assert quoted is not None
    result = cspay(
        folder, "compute", "policies/china-net.yaml", "examples/china-net/metrics-2026-03.csv",
        "--roster", "examples/china-net/roster.csv", "--period", "2026-03",
    )  # fmt: skip
    assert (2, quoted[1]) == (result.returncode, result.stderr.strip().splitlines()[-1])


def test_the_other_countrys_pack_loads(tmp_path: Path) -> None:
    """The README's flat rule of another country is a valid pack."""
    block = re.search(r"```yaml\n(pack: flat-example\n.*?)```", SECTION, re.S)
    assert block is not None
    path = tmp_path / "flat.yaml"
    path.write_text(block[1], encoding="utf-8")
    pack = load_pack(path)
    assert ("monthly", ["unemployment", "pension"]) == (pack.income_tax.method, list(pack.contributions))  # type: ignore[union-attr]
