"""The README's section on targets by group: its YAML is the shipped policy's, and its commands still print
the lines it quotes."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import openpyxl

from cspay.policy.loader import load_policy

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SECTION = README.split("## Targets by group", 1)[1].split("\n## ", 1)[0]


def cspay(command: str) -> subprocess.CompletedProcess[str]:
    """A README command run from the repository root, its globs expanded as a shell would."""
    arguments = []
    for word in shlex.split(command):
        arguments += sorted(str(path.relative_to(ROOT)) for path in ROOT.glob(word)) if "[" in word else [word]
    assert "cspay" == arguments[0]
    return subprocess.run(
        [sys.executable, "-m", "cspay", *arguments[1:]], cwd=ROOT, capture_output=True, text=True, encoding="utf-8"
    )


def quoted(block: str) -> list[str]:
    return [line.rstrip() for line in block.strip("\n").splitlines()]


def printed(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line.rstrip() for line in (result.stdout + result.stderr).splitlines()]


def blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", SECTION, flags=re.DOTALL)


def missing(command: str, block: str, **replaced: str) -> list[str]:
    """The quoted lines the command does not print (after replacing names in both)."""
    for old, new in replaced.items():
        command = command.replace(old, new)
    result = cspay(command)
    assert 0 == result.returncode, result.stderr
    lines = quoted(block)
    for old, new in replaced.items():
        lines = [line.replace(old, new) for line in lines]
    return [line for line in lines if line not in printed(result)]


def test_the_yaml_is_the_shipped_policys():
    """The KPI quoted is policies/standard-queues.yaml's, line for line, and that policy scores it by queue."""
    text = (ROOT / "policies" / "standard-queues.yaml").read_text(encoding="utf-8")
    assert blocks("yaml")[0] in text
    csat = load_policy(ROOT / "policies" / "standard-queues.yaml").kpis["csat"]
    assert ("queue", ["complaints"]) == (csat.by, list(csat.groups))


def test_compute_prints_the_quoted_rows():
    """The month by queue pays the quoted rows and summary."""
    assert [] == missing(blocks("sh")[0].strip(), blocks("text")[0])


def test_payslip_prints_the_quoted_lines():
    """The three payslips say whose targets applied, as quoted."""
    command = re.search(r"`(cspay payslip policies/standard-queues\.yaml [^`]+)`", SECTION.replace("\n", " "))[1]
    assert [] == missing(command, blocks("text")[1])


def test_json_carries_the_quoted_kpi():
    """compute's JSON gives A019's satisfaction the quoted fields."""
    result = cspay("cspay compute policies/standard-queues.yaml examples/queues-2026-11.csv --format json")
    assert blocks("text")[2].strip() in result.stdout


def test_review_prints_the_quoted_lines_and_no_finding():
    """The review by queue prints the quoted rows and no finding; under one curve for all, the complaints
    queue has 4 of 16 agents in C or D (25%), and no finding either."""
    assert [] == missing(blocks("sh")[1].strip(), blocks("text")[3])
    grouped = printed(cspay(blocks("sh")[1].strip()))
    under_one = printed(cspay("cspay review policies/standard.yaml examples/queues-2026-11.csv --by queue"))
    complaints = [line for line in under_one if line.startswith("│ complaints ")]
    assert [True, True, True] == [
        "Findings: 0" in grouped,
        "Findings: 0" in under_one,
        bool(re.match(r"│ complaints │ +16 │ 0 │ 4 │ 8 │ 3 │ 1 │ +25% │", complaints[0])),
    ]


def test_calibrate_by_prints_the_quoted_lines(tmp_path):
    """calibrate --by queue on the quarter prints the quoted proposals, notes and cost, and writes the file."""
    out = str(tmp_path / "queues-calibrated.yaml")
    assert [] == missing(blocks("sh")[2].strip(), blocks("text")[4], **{"queues-calibrated.yaml": out})
    assert "      complaints: {threshold: 77.2, target: 85.7, stretch: 87.7}" in (
        tmp_path / "queues-calibrated.yaml"
    ).read_text(encoding="utf-8")


def test_too_few_values_in_a_group_is_the_quoted_error(tmp_path):
    """--min-agents 40 refuses the general queue's 38 values with the quoted line, exit 1."""
    error = re.search(
        r"`(Error: policies/standard-queues\.yaml: kpis\.csat\.groups\.general: [^`]+)`", SECTION.replace("\n  ", " ")
    )[1]
    result = cspay(
        "cspay calibrate policies/standard-queues.yaml examples/queues-2026-1[0-2].csv --by queue --min-agents 40 "
        f"--out {tmp_path / 'c.yaml'}"
    )
    assert (1, True) == (result.returncode, error in result.stderr.splitlines())


def test_the_workbook_row_quoted_is_written(tmp_path):
    """The KPIs sheet row the README quotes for A019 is what compute --format xlsx writes for it."""
    quoted_row = re.search(r"`(A019, Lin Chen, Customer satisfaction, [^`]+)`", README)[1]
    out = tmp_path / "q.xlsx"
    result = cspay(f"cspay compute policies/standard-queues.yaml examples/queues-2026-11.csv -f xlsx -o {out}")
    assert 0 == result.returncode, result.stderr
    rows = openpyxl.load_workbook(out).worksheets[1].iter_rows(values_only=True)
    written = [", ".join("" if cell is None else str(cell) for cell in row) for row in rows]
    assert quoted_row in written
