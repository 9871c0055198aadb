"""Time `compute --record` against plain `compute --format csv` on the same agents, side by side; measure the
ledger's growth per month; time `history` and `runs` on a ledger holding twelve such months.

Every measured command is its own child process (wall, CPU and peak memory from os.wait4, as in run.py),
the runs interleaved so that drift in the machine hits both sides alike; each record run starts from an
empty ledger. The recorded payslips are then checked against the CSV, agent by agent, to the cent.

Example: python benchmarks/record.py --agents 100000 --repeat 3
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import resource
import shlex
import sqlite3
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from run import OUT, POLICY, BenchmarkError, Measured, Path_, generate, measure

MONTHS = [f"2026-{month:02d}" for month in range(1, 13)]
TARGETS = (
    "targets at 1,000,000 agents: record <= 1.5 x csv time, <= 2 x its memory, ledger <= 250 MB a month, "
    "history and runs < 0.2 s on twelve months"
)


@dataclass
class Tool(Measured):
    """A command measured as run.py measures its paths, with the file it writes."""

    command: list[str] = field(default_factory=list)
    output: Path = Path(os.devnull)


def tool(name: str, command: list[str], output: Path = Path(os.devnull)) -> Tool:
    return Tool(name, Path_(lambda _: command), command=command, output=output)


def run_tool(measured: Tool, data: Path) -> None:
    """One run of the command, its log beside the data set's other outputs."""
    measure(measured, measured.command, OUT / f"{data.stem}-{measured.name}.log")


def cspay_command(cspay: str, *arguments: str | Path) -> list[str]:
    return [*shlex.split(cspay), *map(str, arguments)]


def forget(ledger: Path) -> None:
    """Remove a ledger (and its lock file), so the next record starts from nothing."""
    for path in (ledger, Path(f"{ledger}.lock"), Path(f"{ledger}-journal")):
        path.unlink(missing_ok=True)


def side_by_side(cspay: str, data: Path, repeat: int) -> tuple[Tool, Tool, int]:
    """Plain CSV and recorded CSV, interleaved; returns both and the size of a one-month ledger."""
    out = OUT
    ledger = out / f"record-month-{data.stem}.db"
    plain_out, recorded_out = out / f"plain-{data.stem}.csv", out / f"recorded-{data.stem}.csv"
    plain = tool("csv", cspay_command(cspay, "compute", POLICY, data, "-f", "csv", "-o", plain_out, "--force"),
                 plain_out)  # fmt: skip
    record = tool(
        "record",
        cspay_command(cspay, "compute", POLICY, data, "-f", "csv", "-o", recorded_out, "--force",
                      "--record", "--period", "2026-11", "--ledger", ledger),
        recorded_out,
    )  # fmt: skip
    for round_number in range(1, repeat + 1):
        for each in (plain, record):
            forget(ledger)
            run_tool(each, data)
            print(f"run {round_number}/{repeat} {each.name:<7} {each.walls[-1]:7.2f} s (cpu {each.cpus[-1]:.2f} s) "
                  f"{each.peaks_kib[-1] / 1024:8.1f} MiB", flush=True)  # fmt: skip
    check_recorded(ledger, record.output)
    return plain, record, ledger.stat().st_size


def check_recorded(ledger: Path, written: Path) -> None:
    """Every agent of the CSV is in the ledger with the same gross, and no other: the record is the run."""
    with written.open(encoding="utf-8", newline="") as handle:
        expected = {row["agent_id"]: row["gross"] for row in csv.DictReader(handle)}
    db = sqlite3.connect(ledger)
    found = dict(db.execute("SELECT agent_id, gross FROM payslips"))
    db.close()
    wrong = [agent for agent, gross in expected.items() if found.get(agent) != gross]
    if wrong or len(found) != len(expected):
        raise BenchmarkError(f"{ledger}: {len(wrong)} agents differ from {written} (e.g. {wrong[:3]})")
    print(f"recorded payslips: {len(found):,}, every gross equal to the CSV's", flush=True)


def year_ledger(cspay: str, data: Path, rebuild: bool) -> Path:
    """A ledger with the twelve months of 2026 recorded from the same agents (built once, then cached)."""
    ledger = OUT / f"record-year-{data.stem}.db"
    if ledger.exists() and not rebuild:
        return ledger
    forget(ledger)
    written = OUT / f"year-{data.stem}.csv"
    for month in MONTHS:
        print(f"recording {month} into {ledger.name} ...", flush=True)
        command = cspay_command(cspay, "compute", POLICY, data, "-f", "csv", "-o", written,
                                "--force", "--record", "--period", month, "--ledger", ledger, "--quiet")  # fmt: skip
        subprocess.run(command, check=True)
    return ledger


def lookups(cspay: str, ledger: Path, agent: str, repeat: int, data: Path) -> list[Tool]:
    """`history AGENT` and `runs` on the year's ledger, beside `--version` (the start-up every command pays)."""
    tools = [
        tool("version", cspay_command(cspay, "--version")),
        tool("history", cspay_command(cspay, "history", agent, "--ledger", ledger)),
        tool("runs", cspay_command(cspay, "runs", "--ledger", ledger)),
    ]
    for _ in range(repeat):
        for each in tools:
            run_tool(each, data)
    return tools


def machine() -> str:
    names = [line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
             if line.startswith("model name")] if Path("/proc/cpuinfo").exists() else []  # fmt: skip
    model = names[0] if names else platform.processor() or "unknown CPU"
    return (
        f"{model}, {os.cpu_count()} CPUs, {platform.system()} {platform.machine()}, Python {platform.python_version()}"
    )


def median(values: list[float]) -> float:
    return statistics.median(values)


def report(plain: Tool, record: Tool, month_bytes: int, year: Path, agents: int, found: list[Tool]) -> None:
    mib = 1024 * 1024
    floor = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\n{agents:,} agents; {machine()}; memory floor (this script) {floor:.0f} MiB")
    print(f"{'':<22}{'wall s':>9}{'cpu s':>9}{'peak MiB':>10}")
    for each in (plain, record):
        print(f"{each.name:<22}{median(each.walls):9.2f}{median(each.cpus):9.2f}{max(each.peaks_kib) / 1024:10.1f}")
    print(
        f"{'record / csv':<22}{median(record.walls) / median(plain.walls):9.2f}"
        f"{median(record.cpus) / median(plain.cpus):9.2f}{max(record.peaks_kib) / max(plain.peaks_kib):10.2f}"
    )
    per_month = year.stat().st_size / len(MONTHS) / mib
    print(f"ledger: one month {month_bytes / mib:.1f} MiB; twelve months {year.stat().st_size / mib:.1f} MiB "
          f"({per_month:.1f} MiB a month, {per_month * 1_000_000 / agents:.0f} MiB per 1M agents)")  # fmt: skip
    version = median(found[0].walls)
    for each in found[1:]:
        print(f"{each.name:<8} on twelve months: {median(each.walls):.3f} s wall "
              f"({median(each.walls) / version:.2f} x `cspay --version`, {version:.3f} s)")  # fmt: skip
    print(TARGETS)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=1_000_000, help="agents in the generated file")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each command")
    default = shlex.join([str(Path(sys.executable).with_name("cspay"))])
    parser.add_argument("--cspay", default=default, help="how to run cspay (default: the one beside this Python)")
    parser.add_argument("--rebuild", action="store_true", help="record the twelve-month ledger again")
    parser.add_argument("--data", choices=["repeating", "distinct"], default="repeating",
                        help="values from small sets, or values that rarely repeat (run.py's data sets)")  # fmt: skip
    options = parser.parse_args()
    data = generate(options.data, options.agents)
    OUT.mkdir(exist_ok=True)
    try:
        plain, record, month_bytes = side_by_side(options.cspay, data, options.repeat)
        year = year_ledger(options.cspay, data, options.rebuild)
        agent = f"A{options.agents // 2:07d}"
        found = lookups(options.cspay, year, agent, max(options.repeat, 5), data)
    except BenchmarkError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    report(plain, record, month_bytes, year, options.agents, found)
    return 0


if __name__ == "__main__":
    sys.exit(main())
