"""The README's section on review and calibrate: its commands still print the lines it quotes."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SECTION = README.split("## Is the plan fair, and is it working", 1)[1].split("\n## ", 1)[0]


def blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", SECTION, flags=re.DOTALL)


def cspay(command: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    arguments = []
    for word in shlex.split(command):  # as a shell expands examples/standard-2026-1[0-2].csv
        arguments += sorted(str(path.relative_to(cwd)) for path in cwd.glob(word)) if "[" in word else [word]
    assert "cspay" == arguments[0]
    return subprocess.run(
        [sys.executable, "-m", "cspay", *arguments[1:]],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )


def quoted(block: str) -> list[str]:
    return [line.rstrip() for line in block.strip("\n").splitlines()]


def printed(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line.rstrip() for line in (result.stdout + result.stderr).splitlines()]


def test_review_prints_the_quoted_lines():
    """The review of the shipped month by team exits 0 and prints every line the README quotes."""
    result = cspay(blocks("sh")[0].strip())
    assert 0 == result.returncode, result.stderr
    assert [] == [line for line in quoted(blocks("text")[0]) if line not in printed(result)]


def test_review_of_the_raw_export_prints_the_quoted_lines():
    """The PwC month's review: groups too small to judge and the bonus-share finding, as quoted."""
    command = re.search(r"\(`(cspay review examples/pwc/[^`]+)`\)", SECTION.replace("\n", " "))[1]
    result = cspay(command)
    assert 0 == result.returncode, result.stderr
    assert [] == [line for line in quoted(blocks("text")[1]) if line not in printed(result)]


def test_review_over_the_ledger_prints_the_quoted_finding(tmp_path):
    """Over the walk-through's three recorded months, the review ends with the quoted CSP207 line."""
    for period in ("2026-09", "2026-10", "2026-11"):
        recorded = cspay(
            f"cspay compute policies/standard-review.yaml examples/standard-2026-11.csv --period {period} "
            f"--record --ledger {tmp_path / 'demo.db'} --quiet"
        )
        assert 0 == recorded.returncode, recorded.stderr
    result = cspay(blocks("sh")[1].strip().replace("demo.db", str(tmp_path / "demo.db")))
    assert 0 == result.returncode, result.stderr
    assert quoted(blocks("text")[2])[-1] == printed(result)[-1]


def test_calibrate_prints_the_quoted_lines(tmp_path):
    """calibrate on the three shipped months prints the quoted proposals, the file line and the cost."""
    out = tmp_path / "calibrated.yaml"
    result = cspay(blocks("sh")[2].strip().replace("calibrated.yaml", str(out)))
    assert 0 == result.returncode, result.stderr
    lines = [line.replace("calibrated.yaml", str(out)) for line in quoted(blocks("text")[3])]
    assert [] == [line for line in lines if line not in printed(result)]


def test_calibrate_refuses_the_pwc_month_as_quoted(tmp_path):
    """The PwC month has too few agents: the quoted Error line, exit 1."""
    error = re.search(r"`(Error: examples/pwc/policy.yaml: kpis.fcr: [^`]+)`", SECTION)[1]
    result = cspay(
        "cspay calibrate examples/pwc/policy.yaml examples/pwc/pwc-call-center-2021q1.csv --period 2021-01 "
        f"--roster examples/pwc/roster.csv --out {tmp_path / 'c.yaml'}"
    )
    assert (1, True) == (result.returncode, error in result.stderr.splitlines())
