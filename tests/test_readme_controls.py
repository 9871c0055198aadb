"""The README's month-end close: record, adjust, dispute, approve, export and close, run in order; each
command prints what the README quotes, the refusals exit 1, and the files it shows are the files written."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SECTION = README.split("## Approvals, adjustments, disputes and payment files", 1)[1].split("### Payment profiles", 1)[
    0
]
VARYING = re.compile(r"\d{4}-\d\d-\d\dT|@|\(UTC\)")  # times, users and hosts (and the widths of their columns)


def walk_through() -> list[tuple[list[str], str]]:
    """Each `cspay …` command of the section, with the text block right after its sh block (for the last)."""
    steps = []
    for commands, quoted in re.findall(r"```sh\n(.+?)\n```\s*(?:```text\n(.*?)```)?", SECTION, re.S):
        lines = [shlex.split(line)[1:] for line in commands.splitlines() if line.startswith("cspay ")]
        steps += [(arguments, "") for arguments in lines[:-1]] + [(lines[-1], quoted)]
    return steps


def quoted_after(intro: str) -> list[str]:
    """The lines of the text block that follows the sentence starting with `intro`."""
    return SECTION.split(intro, 1)[1].split("```text\n", 1)[1].split("```", 1)[0].splitlines()


def run_walk_through(folder: Path) -> None:
    for name in ("policies", "examples", "profiles"):
        shutil.copytree(ROOT / name, folder / name)
    (folder / "out").mkdir()
    for arguments, quoted in walk_through():
        result = subprocess.run(
            [sys.executable, "-m", "cspay", *arguments],
            cwd=folder,
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


def test_month_end_close_runs_and_prints_what_it_quotes(tmp_path):
    """Every step exits 0, or 1 where the README quotes an Error line (the four-eyes refusals), and prints the
    lines it quotes; the payment files hold the lines it shows and balance to the run's gross."""
    run_walk_through(tmp_path)
    payroll = (tmp_path / "out" / "payroll-2026-11.csv").read_bytes().decode("gb18030").splitlines()
    for line in quoted_after("`out/payroll-2026-11.csv` (GB18030"):
        assert line in payroll, line
    journal = (tmp_path / "out" / "journal-2026-11.csv").read_text(encoding="utf-8").splitlines()
    for line in quoted_after("The journal sums each cost centre's pay"):
        assert line in journal, line
    assert Decimal("365983.78") == sum(Decimal(row.split(",")[-1]) for row in payroll[1:-1])
    debits = sum(Decimal(row.split(",")[5]) for row in journal[1:-1])
    assert debits == sum(Decimal(row.split(",")[6]) for row in journal[1:-1])


def test_the_walk_through_covers_every_step_and_both_refusals():
    """The section records, adjusts, disputes, approves, exports and closes, and shows both four-eyes refusals."""
    commands = [" ".join(arguments[:2]) for arguments, _ in walk_through()]
    for step in ("compute policies/standard-review.yaml", "adjust add", "dispute open", "approve 2026-11",
                 "export-pay 2026-11", "close 2026-11"):  # fmt: skip
        assert any(command.startswith(step) for command in commands), step
    refusals = [quoted for _, quoted in walk_through() if "Error:" in quoted and "four eyes" in quoted]
    assert 2 == len(refusals)
