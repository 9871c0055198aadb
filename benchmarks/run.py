"""Time cspay and the pandas reference side by side on the same agents, and check they agree to the cent.

Each tool runs as its own child process; wall time and peak memory (ru_maxrss) are those of that child.

Example: python benchmarks/run.py --agents 100000 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
from generate import write_metrics  # the sibling script: `python benchmarks/run.py` puts it on sys.path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / ".data"
POLICY = ROOT / "policies" / "standard.yaml"
TEXT_COLUMNS = ["grade", "action"]
AMOUNT_COLUMNS = [
    "base_pay", "allowance.meal", "allowance.transport", "bonus",
    "adjustment.complaints", "adjustment.volume", "floor", "gross",
]
SHOWN_MISMATCHES = 10
TARGETS = "issue 6 targets at 1,000,000 agents: time <= 1.00, memory <= 0.25"


class BenchmarkError(Exception):
    """A tool failed or its output cannot be compared; the message says which and where to look."""


@dataclass
class Tool:
    """A command under test and the measurements of its runs."""

    name: str
    command: list[str]
    output: Path
    walls: list[float] = field(default_factory=list)
    peaks_kib: list[int] = field(default_factory=list)


@dataclass
class Comparison:
    """How the two payslip files agree, agent by agent."""

    agents: int
    within_a_cent: int
    disagreeing: int
    examples: list[str]
    only_in: dict[str, list[str]]


def ensure_data(agents: int) -> Path:
    """The cached metrics file for `agents` agents, generated on first use."""
    DATA.mkdir(exist_ok=True)
    ignore = DATA / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# Generated benchmark data and outputs; never committed.\n*\n", encoding="utf-8")
    path = DATA / f"agents-{agents}.csv"
    if not path.exists():
        print(f"generating {agents:,} agents into {path.relative_to(ROOT)} ...", flush=True)
        partial = path.with_suffix(".partial")
        write_metrics(partial, agents)
        partial.replace(path)
    return path


def make_tools(cspay: str, data: Path, only: str | None) -> list[Tool]:
    """The commands to measure, each writing its own output under benchmarks/.data/."""
    outputs = DATA / "out"
    outputs.mkdir(exist_ok=True)
    cspay_out = outputs / f"cspay-{data.stem}.csv"
    pandas_out = outputs / f"pandas-{data.stem}.csv"
    tools = [
        Tool("cspay", [*shlex.split(cspay), "compute", str(POLICY), str(data),
                       "--format", "csv", "--output", str(cspay_out), "--force"], cspay_out),
        Tool("pandas", [sys.executable, str(HERE / "pandas_reference.py"), str(data), str(pandas_out)],
             pandas_out),
    ]
    return [tool for tool in tools if only in (None, tool.name)]


def measure(tool: Tool) -> None:
    """Run the tool once as a child process and record its wall time and peak RSS."""
    log = DATA / "out" / f"{tool.name}.log"
    started = time.perf_counter()
    with log.open("wb") as sink:
        try:
            child = subprocess.Popen(tool.command, stdout=sink, stderr=subprocess.STDOUT, cwd=ROOT)
        except OSError as error:
            raise BenchmarkError(f"cannot start {tool.name} ({shlex.join(tool.command)}): {error}") from None
        _, status, usage = os.wait4(child.pid, 0)
    tool.walls.append(time.perf_counter() - started)
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4; tell Popen
    if child.returncode != 0:
        tail = "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-15:])
        command = shlex.join(tool.command)
        raise BenchmarkError(f"{tool.name} exited with {child.returncode}: {command}\n{tail}")
    tool.peaks_kib.append(usage.ru_maxrss)  # KiB on Linux


def run_all(tools: list[Tool], repeat: int) -> None:
    """Run every tool `repeat` times, interleaved so that drift in the machine hits both alike."""
    for round_number in range(1, repeat + 1):
        for tool in tools:
            measure(tool)
            print(f"run {round_number}/{repeat} {tool.name:<6} {tool.walls[-1]:7.2f} s "
                  f"{tool.peaks_kib[-1] / 1024:8.1f} MiB", flush=True)


def read_payslips(path: Path) -> pd.DataFrame:
    """A payslips CSV with ids and text as text and each amount as whole cents."""
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [name for name in ["agent_id", *TEXT_COLUMNS, *AMOUNT_COLUMNS] if name not in table.columns]
    if missing:
        raise BenchmarkError(f"{path}: no column {', '.join(missing)}; it has {', '.join(table.columns)}")
    for name in AMOUNT_COLUMNS:
        try:
            table[name] = np.rint(pd.to_numeric(table[name]) * 100).astype(np.int64)
        except ValueError as error:
            raise BenchmarkError(f"{path}: column {name!r}: {error}") from None
    return table[["agent_id", *TEXT_COLUMNS, *AMOUNT_COLUMNS]]


def shown(row: pd.Series, name: str, side: str) -> str:
    """One side's value of a column: text quoted, cents back as an amount."""
    value = row[f"{name}.{side}"]
    return repr(value) if name in TEXT_COLUMNS else f"{value / 100:.2f}"


def describe(row: pd.Series, columns: list[str]) -> str:
    """One mismatching agent: each column that differs, with both values."""
    parts = [f"{name}: cspay {shown(row, name, 'cspay')}, pandas {shown(row, name, 'pandas')}"
             for name in columns]
    grades = f"grade cspay {row['grade.cspay']!r}, pandas {row['grade.pandas']!r}"
    return f"{row['agent_id']} ({grades}): " + "; ".join(parts)


def differences(both: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Per agent and column, whether the two sides disagree; and whether an amount is off by one cent."""
    cents = {name: (both[f"{name}.cspay"] - both[f"{name}.pandas"]).abs() for name in AMOUNT_COLUMNS}
    wrong = pd.DataFrame({name: both[f"{name}.cspay"] != both[f"{name}.pandas"] for name in TEXT_COLUMNS})
    for name, difference in cents.items():
        wrong[name] = difference > 1
    one_cent = pd.DataFrame({name: difference == 1 for name, difference in cents.items()}).any(axis=1)
    return wrong, one_cent


def compare(cspay_out: Path, pandas_out: Path) -> Comparison:
    """Match agents by id; amounts agree when they differ by at most one cent, text when equal."""
    both = read_payslips(cspay_out).merge(
        read_payslips(pandas_out), on="agent_id", how="outer", suffixes=(".cspay", ".pandas"), indicator=True,
    )
    sides = both.pop("_merge")
    only_in = {side: both.loc[sides == kind, "agent_id"].tolist()
               for side, kind in (("cspay", "left_only"), ("pandas", "right_only"))}
    both = both[sides == "both"]
    wrong, one_cent = differences(both)
    bad = wrong.any(axis=1)
    examples = [describe(both.loc[index], list(wrong.columns[wrong.loc[index]]))
                for index in bad[bad].index[:SHOWN_MISMATCHES]]
    return Comparison(len(both), int((one_cent & ~bad).sum()), int(bad.sum()), examples, only_in)


def machine() -> str:
    """CPU model, CPU count and the versions that matter for the numbers."""
    model = platform.processor() or "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        lines = cpuinfo.read_text(encoding="utf-8").splitlines()
        names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
        model = names[0] if names else model
    return (f"{model}, {os.cpu_count()} CPUs, {platform.system()} {platform.machine()}, "
            f"Python {platform.python_version()}, pandas {version('pandas')}, numpy {version('numpy')}")


def print_table(tools: list[Tool], agents: int, data: Path) -> None:
    """Time and memory of each tool, then the cspay/pandas ratios."""
    print(f"\n{agents:,} agents, {data.stat().st_size / 2**20:.1f} MiB of CSV, "
          f"runs per tool: {len(tools[0].walls)}\nmachine: {machine()}")
    print(f"{'tool':<14}{'wall s min':>12}{'wall s median':>15}{'peak MiB':>10}")
    for tool in tools:
        print(f"{tool.name:<14}{min(tool.walls):>12.2f}{statistics.median(tool.walls):>15.2f}"
              f"{max(tool.peaks_kib) / 1024:>10.1f}")
    if len(tools) == 2:
        cspay, pandas = tools
        print(f"{'cspay/pandas':<14}{min(cspay.walls) / min(pandas.walls):>12.2f}"
              f"{statistics.median(cspay.walls) / statistics.median(pandas.walls):>15.2f}"
              f"{max(cspay.peaks_kib) / max(pandas.peaks_kib):>10.2f}   ({TARGETS})")


def report(comparison: Comparison) -> bool:
    """Print how the outputs agree; True when every row and column does."""
    identical = comparison.agents - comparison.disagreeing - comparison.within_a_cent
    print(f"\ncompared {comparison.agents:,} agents on {', '.join(TEXT_COLUMNS + AMOUNT_COLUMNS)}: "
          f"{identical:,} identical, {comparison.within_a_cent:,} within a cent, "
          f"{comparison.disagreeing:,} disagree")
    for side, agent_ids in comparison.only_in.items():
        if agent_ids:
            first = ", ".join(agent_ids[:SHOWN_MISMATCHES])
            print(f"{len(agent_ids):,} agents only in the {side} output: {first}")
    for example in comparison.examples:
        print(f"  {example}")
    return comparison.disagreeing == 0 and not any(comparison.only_in.values())


def parse_arguments() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=1_000_000,
                        help="agents in the generated file (default 1,000,000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each tool, interleaved (default 3)")
    parser.add_argument("--cspay", default=str(Path(sys.executable).parent / "cspay"),
                        help="command that runs cspay (default: the cspay next to this Python)")
    parser.add_argument("--only", choices=["cspay", "pandas"],
                        help="measure one tool and skip the comparison")
    arguments = parser.parse_args()
    if arguments.agents < 1 or arguments.repeat < 1:
        parser.error("--agents and --repeat must be at least 1")
    return arguments


def main() -> int:
    """Generate if needed, measure, print the table, compare; 0 when both tools agree."""
    arguments = parse_arguments()
    data = ensure_data(arguments.agents)
    tools = make_tools(arguments.cspay, data, arguments.only)
    try:
        run_all(tools, arguments.repeat)
        print_table(tools, arguments.agents, data)
        return 0 if arguments.only or report(compare(tools[0].output, tools[1].output)) else 1
    except BenchmarkError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
