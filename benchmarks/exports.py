"""Time `cspay metrics` and `cspay compute` on PwC-shaped raw exports, CSV and Parquet, side by side with a
plain read of the same file by Python's csv module, and report each as a ratio to that read.

Each command runs as its own child process: wall time, CPU time (user + system, every thread) and peak
memory (ru_maxrss) are the child's. The data is generated once by a child and cached under
benchmarks/.data/ (never committed). The runs are interleaved, size by size, so that a machine that
slows down part-way slows every command alike.

Example: python benchmarks/exports.py --rows 1000000 10000000 --repeat 1
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

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data"
POLICY = HERE / "policy-export.yaml"
PERIOD = "2021-Q1"
TARGETS = "targets at 10,000,000 rows: metrics <= 30 s and <= 1 GiB; compute <= 1.10 x metrics"


class BenchmarkError(Exception):
    """A command failed; the message says which, and where its log is."""


@dataclass
class Command:
    """A command under test and the measurements of its runs."""

    name: str
    argv: list[str]
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    peaks_kib: list[int] = field(default_factory=list)


def ensure_data(rows: int, agents: int) -> tuple[Path, Path, Path]:
    """The cached export (CSV and Parquet) of `rows` calls and the roster of `agents` agents."""
    DATA.mkdir(exist_ok=True)
    ignore = DATA / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# Generated benchmark data and outputs; never committed.\n*\n", encoding="utf-8")
    export, roster = DATA / f"calls-{rows}.csv", DATA / f"roster-{agents}.csv"
    if not export.exists() or not roster.exists():
        print(f"generating {rows:,} calls of {agents:,} agents into {export.relative_to(HERE.parent)} ...", flush=True)
        partial = export.with_suffix(".partial")
        generate = [sys.executable, str(HERE / "generate_export.py"), "--rows", str(rows), "--agents", str(agents)]
        subprocess.run([*generate, "--out", str(partial), "--roster", str(roster)], check=True)
        partial.replace(export)
    parquet = export.with_suffix(".parquet")
    if not parquet.exists():
        print(f"writing {parquet.relative_to(HERE.parent)} ...", flush=True)
        convert = ("import duckdb, sys; duckdb.execute('SET enable_progress_bar = false'); "
                   "duckdb.execute(f\"COPY (SELECT * FROM read_csv('{sys.argv[1]}', all_varchar = true)) "
                   "TO '{sys.argv[2]}' (FORMAT parquet)\")")  # fmt: skip
        subprocess.run([sys.executable, "-c", convert, str(export), str(parquet)], check=True)
    return export, parquet, roster


def commands(cspay: list[str], export: Path, parquet: Path, roster: Path, memory: str) -> list[Command]:
    """The plain csv read, then metrics and compute on the CSV and on the Parquet file."""
    out = DATA / "out"
    out.mkdir(exist_ok=True)
    read = [sys.executable, "-c", "import csv, sys; print(sum(1 for _ in csv.reader(open(sys.argv[1], newline=''))))"]
    found = [Command("csv read", [*read, str(export)])]
    engine = ["--memory-limit", memory, "--force", "--format", "csv"]
    for kind, path in (("csv", export), ("parquet", parquet)):
        found.append(Command(f"metrics {kind}", [*cspay, "metrics", str(POLICY), str(path), "--period", PERIOD,
                                                 *engine, "--output", str(out / f"metrics-{kind}.csv")]))  # fmt: skip
        found.append(Command(f"compute {kind}", [*cspay, "compute", str(POLICY), str(path), "--period", PERIOD,
                                                 "--roster", str(roster), *engine,
                                                 "--output", str(out / f"pay-{kind}.csv")]))  # fmt: skip
    return found


def measure(command: Command) -> None:
    """Run the command once as a child and record its wall time, CPU time and peak RSS."""
    log = DATA / "out" / f"{command.name.replace(' ', '-')}.log"
    started = time.perf_counter()
    with log.open("wb") as sink:
        child = subprocess.Popen(command.argv, stdout=sink, stderr=subprocess.STDOUT, cwd=HERE.parent)
        _, status, usage = os.wait4(child.pid, 0)
    command.walls.append(time.perf_counter() - started)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        tail = "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-10:])
        raise BenchmarkError(f"{command.name} exited with {child.returncode}: {shlex.join(command.argv)}\n{tail}")
    command.cpus.append(usage.ru_utime + usage.ru_stime)
    command.peaks_kib.append(usage.ru_maxrss)


def machine() -> str:
    """CPU model and count, the load when the run ended, and the versions that matter."""
    cpuinfo = Path("/proc/cpuinfo")
    names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
             if line.startswith("model name")] if cpuinfo.exists() else []  # fmt: skip
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return (f"{names[0] if names else platform.processor()}, {os.cpu_count()} CPUs, load average {load}, "
            f"Python {platform.python_version()}, duckdb {version('duckdb')}, cspay {version('cspay')}")  # fmt: skip


def print_table(rows: int, export: Path, found: list[Command]) -> None:
    """Each command's median wall and CPU time and peak memory, and its ratio to the plain csv read."""
    base = found[0]
    print(f"\n{rows:,} rows, {export.stat().st_size / 2**20:.0f} MiB of CSV, runs per command: {len(base.walls)}")
    print(f"{'command':<18}{'wall s':>9}{'cpu s':>9}{'peak MiB':>10}{'wall/read':>11}{'cpu/read':>10}")
    for command in found:
        wall, cpu = statistics.median(command.walls), statistics.median(command.cpus)
        print(f"{command.name:<18}{wall:>9.2f}{cpu:>9.2f}{max(command.peaks_kib) / 1024:>10.1f}"
              f"{wall / statistics.median(base.walls):>11.2f}{cpu / statistics.median(base.cpus):>10.2f}")  # fmt: skip
    for kind in ("csv", "parquet"):
        metrics, compute = (next(c for c in found if c.name == f"{step} {kind}") for step in ("metrics", "compute"))
        wall = statistics.median(compute.walls) / statistics.median(metrics.walls)
        print(f"compute/metrics {kind}: wall {wall:.2f}, "
              f"cpu {statistics.median(compute.cpus) / statistics.median(metrics.cpus):.2f}")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000], help="calls per export")
    parser.add_argument("--agents", type=int, default=50_000, help="agents taking them")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each command")
    parser.add_argument("--memory-limit", default="1GB", help="cspay's --memory-limit")
    parser.add_argument("--cspay", default=str(Path(sys.executable).with_name("cspay")), help="how to run cspay")
    args = parser.parse_args()
    print(f"machine: {machine()}\n{TARGETS}", flush=True)
    try:
        for rows in args.rows:
            export, parquet, roster = ensure_data(rows, args.agents)
            found = commands(shlex.split(args.cspay), export, parquet, roster, args.memory_limit)
            for round_number in range(1, args.repeat + 1):
                for command in found:
                    measure(command)
                    print(f"run {round_number}/{args.repeat} {rows:>10,} {command.name:<16} "
                          f"{command.walls[-1]:7.2f} s (cpu {command.cpus[-1]:6.2f} s) "
                          f"{command.peaks_kib[-1] / 1024:7.1f} MiB", flush=True)  # fmt: skip
            print_table(rows, export, found)
    except BenchmarkError as error:
        print(f"benchmark failed: {error}", file=sys.stderr)
        return 1
    print(f"\nmachine: {machine()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
