"""Time a month paid to gross against the same month paid to net, side by side, and check they agree.

The month is benchmarks/generate.py's; the net side adds a roster of each agent's declared bases and
special deductions and a policy that is policies/standard.yaml with a `deductions:` section naming the
shipped China packs (January: no year to date needed). Each command runs as a child process; the table
shows the best wall and CPU times of --repeat runs and the ratio of net to gross, for CSV and JSON, on a roster
whose values repeat (a few bases, as pay grades give) and one whose values do not (every base its own).

Example: python benchmarks/net.py --agents 100000 --repeat 3
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / ".data"
sys.path.insert(0, str(HERE))

from generate import write_metrics  # noqa: E402  (a sibling script, not a package)

DEDUCTIONS = f"""
deductions:
  packs: [{ROOT / "policies/statutory/cn-iit-2026.yaml"}, {ROOT / "policies/statutory/cn-city-example-2026.yaml"}]
  bases: {{social_insurance: base, housing_fund: base}}
  special_deductions: special
"""


def write_roster(metrics: Path, roster: Path, *, repeating: bool) -> None:
    """One roster line per agent of the month: a declared base and the month's special deductions."""
    rng = random.Random(2026)
    bases = [str(base) for base in range(6000, 42000, 3000)]
    with metrics.open(encoding="utf-8") as source, roster.open("w", encoding="utf-8", newline="") as target:
        writer = csv.writer(target, lineterminator="\n")
        writer.writerow(["agent_id", "base", "special"])
        for row in csv.DictReader(source):
            base = rng.choice(bases) if repeating else f"{rng.uniform(5000, 45000):.2f}"
            special = rng.choice(["0", "1000", "2000", "3000"]) if repeating else f"{rng.uniform(0, 4000):.2f}"
            writer.writerow([row["agent_id"], base, special])


def run(arguments: list[str], repeat: int) -> tuple[float, float]:
    """The best wall time and the best CPU time (user + system) of `repeat` runs of cspay, each its own
    child process: CPU time is what a shared machine's other work cannot inflate."""
    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "cspay", *arguments], check=True, cwd=ROOT)
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return min(walls), min(cpus)


def gross_of(path: Path, kind: str) -> Decimal:
    """The total gross of a CSV or JSON output, to check both sides paid the same gross."""
    if kind == "json":
        return Decimal(json.loads(path.read_text(encoding="utf-8"))["summary"]["gross"])
    with path.open(encoding="utf-8") as file:
        return sum((Decimal(row["gross"]) for row in csv.DictReader(file)), Decimal(0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    metrics = DATA / f"net-{args.agents}.csv"
    if not metrics.exists():
        write_metrics(metrics, args.agents)
    policy = DATA / "standard-net.yaml"
    policy.write_text((ROOT / "policies/standard.yaml").read_text(encoding="utf-8") + DEDUCTIONS, encoding="utf-8")
    period = ["--period", "2026-01", "--quiet", "--force"]
    print(f"{args.agents:,} agents, best of {args.repeat} (wall and CPU seconds of each child process)")
    columns = ("gross wall", "net wall", "gross cpu", "net cpu", "cpu ratio")
    print(f"{'roster':<10} {'format':<6} " + " ".join(f"{name:>10}" for name in columns))
    for repeating in (True, False):
        roster = DATA / f"net-roster-{'repeating' if repeating else 'distinct'}-{args.agents}.csv"
        write_roster(metrics, roster, repeating=repeating)
        for kind in ("csv", "json"):
            gross_out, net_out = DATA / f"gross.{kind}", DATA / f"net.{kind}"
            common = ["--format", kind, *period]
            plain = run(
                ["compute", str(ROOT / "policies/standard.yaml"), str(metrics), *common, "-o", str(gross_out)],
                args.repeat,
            )
            net = run(
                ["compute", str(policy), str(metrics), "--roster", str(roster), *common, "-o", str(net_out)],
                args.repeat,
            )
            if gross_of(gross_out, kind) != gross_of(net_out, kind):
                raise SystemExit(f"the two runs paid different gross in {kind}: see {gross_out} and {net_out}")
            label = "repeating" if repeating else "distinct"
            print(
                f"{label:<10} {kind:<6} {plain[0]:>10.2f} {net[0]:>10.2f} {plain[1]:>10.2f} {net[1]:>10.2f} "
                f"{net[1] / plain[1]:>10.2f}"
            )


if __name__ == "__main__":
    main()
