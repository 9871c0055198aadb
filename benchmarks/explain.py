"""Time the commands that explain pay -- `payslip ID`, a mistyped id, `statements` -- beside the CSV path
on the same agents, and optionally beside another checkout (before and after a change).

Each command is a child process (wall and CPU seconds and peak memory from os.wait4, as in run.py); the
runs are interleaved, so a machine that slows down part-way slows every command alike. The table gives
each command's medians and its ratio to the CSV path (`compute --format csv`) of the same checkout; the
floor is Python's csv module reading the file and nothing else. Statements run on a fiftieth of the
agents and are also given as pages per second.

Example: python benchmarks/explain.py --agents 100000 --repeat 3
         git archive main | tar -x -C /tmp/main && python benchmarks/explain.py --other /tmp/main
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from run import DATA, ROOT, generate

POLICY = ROOT / "policies" / "standard.yaml"
BOOT = "import sys; sys.path.insert(0, sys.argv.pop(1)); sys.argv[0] = 'cspay'; from cspay.cli import main; main()"
FLOOR = "import csv, sys; print(sum(1 for _ in csv.reader(open(sys.argv[1], newline='', encoding='utf-8'))))"


@dataclass
class Case:
    """A command, the exit codes it may end with, and its runs."""

    name: str
    command: list[str]
    exits: tuple[int, ...] = (0,)
    pages: int = 0  # statements written per run
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    peaks_mib: list[float] = field(default_factory=list)


def measure(case: Case) -> None:
    """One run of the case as a child process: wall time, user + system time and peak memory."""
    log = DATA / "out" / "explain.log"
    started = time.perf_counter()
    with log.open("wb") as sink:
        child = subprocess.Popen(case.command, stdout=sink, stderr=subprocess.STDOUT, cwd=ROOT)
        _, status, usage = os.wait4(child.pid, 0)
    case.walls.append(time.perf_counter() - started)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode not in case.exits:
        tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
        sys.exit(f"{case.name} exited with {child.returncode}: {' '.join(case.command)}\n{tail}")
    case.cpus.append(usage.ru_utime + usage.ru_stime)
    case.peaks_mib.append(usage.ru_maxrss / 1024)  # KiB on Linux


def cases(side: str, cspay: list[str], agents: int) -> list[Case]:
    """The commands of one checkout: the CSV path, payslip found and mistyped, statements."""
    data, small = generate("repeating", agents), generate("repeating", max(agents // 50, 100))
    middle = f"A{agents // 2:07d}"
    mistyped = middle[:3] + "O" + middle[4:]  # a letter O for a zero, as people type
    out = DATA / "out"
    return [
        Case(
            f"{side} csv", [*cspay, "compute", str(POLICY), str(data), "-f", "csv", "-o", str(out / "e.csv"), "--force"]
        ),
        Case(f"{side} payslip", [*cspay, "payslip", str(POLICY), str(data), middle]),
        Case(f"{side} mistyped", [*cspay, "payslip", str(POLICY), str(data), mistyped], exits=(1,)),
        Case(
            f"{side} statements",
            [*cspay, "statements", str(POLICY), str(small), "--out", str(out / f"statements-{side}"), "--force"],
            pages=max(agents // 50, 100),
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=100_000, help="agents in the file (statements: a fiftieth)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each command")
    parser.add_argument("--other", type=Path, help="another cspay checkout to measure beside this one")
    options = parser.parse_args()
    (DATA / "out").mkdir(parents=True, exist_ok=True)
    sides = {"this": [sys.executable, "-c", BOOT, str(ROOT)]}
    if options.other is not None:
        sides["other"] = [sys.executable, "-c", BOOT, str(options.other.resolve())]
    every = [Case("floor: csv read", [sys.executable, "-c", FLOOR, str(generate("repeating", options.agents))])]
    for side, cspay in sides.items():
        every += cases(side, cspay, options.agents)
    for round_number in range(options.repeat):
        for case in every if round_number % 2 == 0 else every[::-1]:
            measure(case)
        print(f"round {round_number + 1}/{options.repeat} done", flush=True)
    print(f"\n{options.agents:,} agents (statements: {max(options.agents // 50, 100):,}); {machine()}")
    print(f"{'command':<20} {'wall s':>8} {'cpu s':>8} {'peak MiB':>9} {'cpu/csv':>8} {'pages/s wall':>13}")
    for case in every:
        wall, cpu, peak = statistics.median(case.walls), statistics.median(case.cpus), max(case.peaks_mib)
        csv_case = next((c for c in every if c.name == case.name.split()[0] + " csv"), None)
        ratio = f"{cpu / statistics.median(csv_case.cpus):8.2f}" if csv_case and not case.pages else f"{'':>8}"
        rate = f"{case.pages / wall:13.0f}" if case.pages else ""
        print(f"{case.name:<20} {wall:8.2f} {cpu:8.2f} {peak:9.1f} {ratio} {rate}")
    print(f"(medians of {options.repeat} interleaved runs; peak: the largest)")


def machine() -> str:
    names = [line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
             if line.startswith("model name")] if Path("/proc/cpuinfo").exists() else []  # fmt: skip
    return f"{names[0] if names else platform.processor()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"


if __name__ == "__main__":
    main()
