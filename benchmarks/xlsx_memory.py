"""Peak memory of `compute --format xlsx` on a large month, with and without XlsxWriter's constant-memory mode.

    python benchmarks/xlsx_memory.py            # 200,000 agents
    python benchmarks/xlsx_memory.py 50000      # another size

Each run is its own process, so each peak (ru_maxrss) is that run's alone. The metrics file is generated
from a fixed seed for policies/standard.yaml; nothing is kept afterwards.
"""

from __future__ import annotations

import csv
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
POLICY = ROOT / "policies" / "standard.yaml"
HEADER = [
    "agent_id",
    "name",
    "role",
    "team",
    "worked_days",
    "csat",
    "surveys",
    "fcr",
    "aht_sec",
    "qa_score",
    "attendance",
    "valid_complaints",
    "tickets",
]

# Runs inside the child: switch the mode, run the command, report this process's peak and time.
CHILD = """
import json, resource, sys, time
import cspay.outputs.sheets
cspay.outputs.sheets.CONSTANT_MEMORY = sys.argv[1] == "on"
from cspay.cli import app
start = time.perf_counter()
if sys.argv[2:]:
    app(sys.argv[2:], standalone_mode=False)
print(json.dumps({"peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "seconds": time.perf_counter() - start}))
"""


def write_month(path: Path, agents: int) -> None:
    """A month of plausible metrics for `agents` agents, the same every time."""
    chance = random.Random(2026)
    teams = ["North", "South", "East", "West"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for number in range(agents):
            writer.writerow(
                [
                    f"A{number:06d}",
                    f"Agent {number}",
                    chance.choice(["L1", "L1", "L2"]),
                    chance.choice(teams),
                    chance.choice(["21.75", "21.75", "21.75", "15", "8.5"]),
                    f"{chance.uniform(75, 99):.1f}",
                    chance.randint(5, 120),
                    f"{chance.uniform(0.6, 0.95):.3f}",
                    chance.randint(260, 480),
                    chance.randint(55, 100),
                    f"{chance.uniform(88, 100):.1f}",
                    chance.choice([0, 0, 0, 1, 2, 6]),
                    chance.randint(500, 1500),
                ]
            )


def run(mode: str, arguments: list[str]) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, "-c", CHILD, mode, *arguments], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(agents: int) -> None:
    with tempfile.TemporaryDirectory(prefix="cspay-bench-") as folder:
        metrics = Path(folder) / "month.csv"
        write_month(metrics, agents)
        print(f"{agents:,} agents, metrics file {metrics.stat().st_size / 2**20:.1f} MiB, {4 * agents:,} KPI rows")
        print(f"{'run':<32} {'peak MiB':>9} {'seconds':>8} {'output MiB':>11}")
        results = {}
        cases = [
            ("imports only", "on", None),
            ("csv", "on", "csv"),
            ("xlsx, constant memory", "on", "xlsx"),
            ("xlsx, all in memory", "off", "xlsx"),
        ]
        for label, mode, kind in cases:
            target = Path(folder) / f"out-{mode}.{kind}"
            arguments = [] if kind is None else ["compute", str(POLICY), str(metrics), "-f", kind, "-o", str(target)]
            results[label] = run(mode, arguments)
            size = f"{target.stat().st_size / 2**20:.1f}" if target.exists() else "-"
            print(f"{label:<32} {results[label]['peak_mib']:>9.0f} {results[label]['seconds']:>8.1f} {size:>11}")
            target.unlink(missing_ok=True)
        ratio = results["xlsx, all in memory"]["peak_mib"] / results["xlsx, constant memory"]["peak_mib"]
        print(f"all in memory / constant memory: {ratio:.1f}x the peak")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000)
