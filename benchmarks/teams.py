"""Time team results and payslips paid in parts side by side with the plain run, on the same agents.

The same month under four policies, each run in its own child process and written as JSON (the general
path, which team results and parts take): the standard policy; the same with 20% of the bonus on the team's
result (teams.score: member_kpis); the same with L2's base pay raised on the 16th, so that every L2 agent is
paid in two parts; and the standard policy written as CSV (the batch path) for scale. Wall time, CPU time
and peak memory are the child's; the ratios are against the plain JSON run of the same data.

Two kinds of data: the generator's (values repeat, as exports' do) and the same rows with satisfaction,
fcr and handle time made nearly all distinct (`--distinct`), as figures computed from counts are.

Example: python benchmarks/teams.py --agents 200000 --repeat 3
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / ".data"
STANDARD = ROOT / "policies" / "standard.yaml"
TEAM_SHARE = "    allowances: {meal: 400, transport: 200}\n"
L2_BASE = "    base_pay: 6500\n"


def policies(folder: Path) -> dict[str, Path]:
    """The four policies, written beside the data: plain, team results, and a raise on the 16th."""
    text = STANDARD.read_text(encoding="utf-8")
    assert text.count(TEAM_SHARE) == 2 and L2_BASE in text, "policies/standard.yaml changed: update the benchmark"
    teams = text.replace(TEAM_SHARE, TEAM_SHARE + "    team_share: 20%\n") + "\nteams: {score: member_kpis}\n"
    dated = text.replace(L2_BASE, "    base_pay:\n      - {from: 2026-01-01, value: 6500}\n"
                                  "      - {from: 2026-11-16, value: 6800}\n")  # fmt: skip
    found = {"plain": STANDARD}
    for name, body in (("teams", teams), ("dated", dated)):
        found[name] = folder / f"policy-{name}.yaml"
        found[name].write_text(body, encoding="utf-8")
    return found


def data(agents: int, distinct: bool) -> Path:
    """The generator's month for `agents` (cached), or a copy with the KPI cells made nearly all distinct."""
    DATA.mkdir(exist_ok=True)
    plain = DATA / f"agents-{agents}.csv"
    if not plain.exists():
        subprocess.run([sys.executable, str(HERE / "generate.py"), "--agents", str(agents), "--out", str(plain)],
                       check=True)  # fmt: skip
    if not distinct:
        return plain
    target = DATA / f"agents-{agents}-distinct.csv"
    if not target.exists():
        rng = random.Random(14)
        with plain.open(encoding="utf-8", newline="") as source, target.open("w", encoding="utf-8", newline="") as out:
            rows = csv.DictReader(source)
            writer = csv.DictWriter(out, fieldnames=list(rows.fieldnames or []), lineterminator="\n")
            writer.writeheader()
            for row in rows:
                row["csat"] = f"{rng.uniform(70, 99):.4f}"
                row["fcr"] = f"{rng.uniform(0.6, 0.95):.5f}"
                row["aht_sec"] = f"{rng.uniform(250, 450):.3f}"
                writer.writerow(row)
    return target


def measure(command: list[str]) -> tuple[float, float, int]:
    """(wall s, cpu s, peak KiB) of one child running the command."""
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    errors = child.stderr.read().decode() if child.stderr else ""
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {child.returncode}:\n{errors}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=200_000, help="agents in the month (default 200,000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each (default 3)")
    parser.add_argument("--distinct", action="store_true", help="KPI values nearly all distinct")
    options = parser.parse_args()
    month = data(options.agents, options.distinct)
    found = policies(DATA)
    out = DATA / "teams-out"
    cspay = [sys.executable, "-m", "cspay", "compute"]
    runs = {
        "plain JSON": [*cspay, str(found["plain"]), str(month), "-f", "json", "-o", f"{out}.json", "--force"],
        "team results JSON": [*cspay, str(found["teams"]), str(month), "-f", "json", "-o", f"{out}.json", "--force"],
        "raise on the 16th JSON": [
            *cspay,
            str(found["dated"]),
            str(month),
            "--period",
            "2026-11",
            "-f",
            "json",
            "-o",
            f"{out}.json",
            "--force",
        ],
        "plain CSV (batch path)": [*cspay, str(found["plain"]), str(month), "-f", "csv", "-o", f"{out}.csv", "--force"],
    }
    results: dict[str, list[tuple[float, float, int]]] = {name: [] for name in runs}
    for _ in range(options.repeat):  # interleaved, so that a machine slowing down affects every run alike
        for name, command in runs.items():
            results[name].append(measure(command))
    base = statistics.median(wall for wall, _, _ in results["plain JSON"])
    kind = "distinct values" if options.distinct else "repeating values"
    print(f"{options.agents:,} agents ({kind}), median of {options.repeat} runs; ratios against plain JSON")
    print(f"{'run':<26}{'wall s':>9}{'cpu s':>9}{'peak MiB':>10}{'x plain':>9}")
    for name, measured in results.items():
        wall = statistics.median(item[0] for item in measured)
        cpu = statistics.median(item[1] for item in measured)
        peak = max(item[2] for item in measured) / 1024
        print(f"{name:<26}{wall:>9.2f}{cpu:>9.2f}{peak:>10.0f}{wall / base:>9.2f}")
    print(f"memory floor (this script): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
