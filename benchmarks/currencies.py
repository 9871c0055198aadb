"""What paying several currencies costs: `compute --format csv` on agents of the global plan, side by side in
one run: the plan cut down to its yuan role and paid in yuan alone (a policy of one currency: the batch
path), the whole plan on the same all-yuan agents, and the whole plan with a quarter of the agents in each
of CNY, JPY, KWD and CHF (a policy of several currencies: the general path, one engine per currency). The
ratios to the first are the figures to quote.

    python benchmarks/currencies.py            # 100,000 agents, 3 runs of each
    python benchmarks/currencies.py 20000 5    # another size and number of runs

Each run is its own process (`python -m cspay compute …`), interleaved one currency / several, so a machine
that slows down part-way affects both alike. The metrics are generated from a fixed seed; nothing is kept.
"""

from __future__ import annotations

import csv
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
POLICY = ROOT / "examples" / "global" / "policy.yaml"
HEADER = ["agent_id", "name", "role", "site", "currency", "worked_days", "csat", "fcr", "aht_sec", "attendance",
          "valid_complaints"]  # fmt: skip
SITES = [("L1", "Shanghai", ""), ("L1-JP", "Tokyo", ""), ("L1-KW", "Kuwait City", ""), ("L1", "Zurich", "CHF")]


def write_month(path: Path, agents: int, *, several: bool) -> None:
    """`agents` rows with values that rarely repeat; with `several`, a quarter of them in each currency."""
    rng = random.Random(2026)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(agents):
            role, site, currency = SITES[i % 4] if several else SITES[0]
            days = rng.choice(["21.75", "20", "18.5", "13"])
            writer.writerow([
                f"G{i:07d}", f"Agent {i % 997}", role, site, currency, days, f"{rng.uniform(75, 99):.1f}",
                f"{rng.uniform(0.6, 0.92):.2f}", str(rng.randint(280, 440)), f"{rng.uniform(90, 100):.1f}",
                str(rng.randint(0, 6)),
            ])  # fmt: skip


def write_yuan_policy(path: Path) -> None:
    """The global plan with only its yuan role and no other currency."""
    data = yaml.safe_load(POLICY.read_text(encoding="utf-8"))
    data["roles"] = {"L1": data["roles"]["L1"]}
    del data["currencies"], data["agents"]["currency"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def run_once(policy: Path, month: Path, out: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "cspay",
            "compute",
            str(policy),
            str(month),
            "-f",
            "csv",
            "-o",
            str(out),
            "--force",
            "--quiet",
        ],
        check=True,
    )
    return time.perf_counter() - started


def main() -> None:
    agents = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    with tempfile.TemporaryDirectory() as folder:
        yuan, one, several = Path(folder, "yuan.yaml"), Path(folder, "one.csv"), Path(folder, "several.csv")
        out = Path(folder, "out.csv")
        write_yuan_policy(yuan)
        write_month(one, agents, several=False)
        write_month(several, agents, several=True)
        cases = {
            "yuan plan, CNY": (yuan, one),
            "global plan, CNY": (POLICY, one),
            "global plan, 4 currencies": (POLICY, several),
        }
        times: dict[str, list[float]] = {case: [] for case in cases}
        for _ in range(repeat):
            for case, (policy, month) in cases.items():
                times[case].append(run_once(policy, month, out))
    print(f"{agents:,} agents, compute --format csv, runs per case: {repeat}")
    print(f"{'case':<26} {'wall s min':>10} {'wall s median':>14} {'median / first':>15}")
    first = statistics.median(times["yuan plan, CNY"])
    for case, found in times.items():
        median = statistics.median(found)
        print(f"{case:<26} {min(found):>10.2f} {median:>14.2f} {median / first:>15.2f}")


if __name__ == "__main__":
    main()
