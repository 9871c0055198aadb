"""Group targets against one curve for all: `compute` under the contract policy and under the same policy
with satisfaction, first-contact resolution and handle time scored by team, on the same month, side by side.

Both kinds of data are measured: the generated month (benchmarks/generate.py), whose values repeat as real
exports do, and the same month with each agent's satisfaction, resolution and handle time made distinct,
as exports that compute them from counts are; the engine's tables must not fall off a cliff on either.
Each run is a child process (benchmarks/run.py's `measure`), interleaved so that the machine's drift hits
every command alike.

Example: python benchmarks/groups.py --agents 200000 --repeat 3
Example: python benchmarks/groups.py --baseline "env PYTHONPATH=/tmp/old python -P -m cspay"
"""

from __future__ import annotations

import argparse
import csv
import random
import shlex
import statistics
import sys
from pathlib import Path

from run import DATA, OUT, POLICY, Measured, Path_, generate, measure

# A curve of their own for four of the generated month's twenty teams, on three KPIs; every other team
# scores on the policy's own curves.
GROUPS = {
    "csat": {
        "Shanghai-Returns": "{threshold: 76, target: 86, stretch: 93}",
        "Wuhan-VIP": "{threshold: 84, target: 92, stretch: 97}",
    },
    "fcr": {
        "Chengdu-Tech": "{threshold: 0.6, target: 0.72, stretch: 0.84}",
        "Xi'an-Billing": "{threshold: 0.7, target: 0.8, stretch: 0.9}",
    },
    "aht": {
        "Chengdu-Tech": "{threshold: 480, target: 420, stretch: 360}",
        "Shanghai-Returns": "{threshold: 450, target: 390, stretch: 330}",
    },
}


def policy_by_team() -> Path:
    """The contract policy with GROUPS: `by: team` and the groups after each KPI's score."""
    text = POLICY.read_text(encoding="utf-8")
    for code, curves in GROUPS.items():
        score = text.index("    score:", text.index(f"  {code}:\n"))
        end = text.index("\n", score) + 1
        lines = "".join(f'      "{team}": {curve}\n' for team, curve in curves.items())
        text = text[:end] + f"    by: team\n    groups:\n{lines}" + text[end:]
    path = DATA / "out" / "policy-by-team.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def distinct_values(source: Path) -> Path:
    """The month with satisfaction, resolution and handle time distinct per agent (a fixed seed)."""
    path = source.with_name(f"{source.stem}-distinct.csv")
    if path.exists():
        return path
    rng = random.Random(2026_12)
    with source.open(encoding="utf-8", newline="") as reader, path.open("w", encoding="utf-8", newline="") as sink:
        rows, writer = csv.DictReader(reader), None
        for row in rows:
            if writer is None:
                writer = csv.DictWriter(sink, fieldnames=list(row), lineterminator="\n")
                writer.writeheader()
            row["csat"] = f"{rng.uniform(70, 100):.4f}"
            row["fcr"] = f"{rng.uniform(0.5, 0.95):.5f}"
            row["aht_sec"] = f"{rng.uniform(240, 480):.3f}"
            writer.writerow(row)
    return path


def tools(cspay: str, baseline: str | None, data: Path, kind: str, format: str) -> list[tuple[Measured, list[str]]]:
    """The commands measured on one file in one format: the plain policy, the policy by team, and the plain
    policy under the baseline command when one is given."""
    runs = [("plain", cspay, POLICY), ("by team", cspay, policy_by_team())]
    if baseline:
        runs.append(("baseline", baseline, POLICY))
    found = []
    for name, command, policy in runs:
        output = DATA / "out" / f"groups-{kind}-{name.replace(' ', '-')}.{format}"
        arguments = ["compute", str(policy), str(data), "--format", format, "--output", str(output), "--force"]
        command_line = [*shlex.split(command), *arguments]
        found.append((Measured(f"{kind} {format} {name}", Path_(lambda _, line=command_line: line)), command_line))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=200_000, help="agents in the month (default 200000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each command (default 3)")
    parser.add_argument("--cspay", default=f"{sys.executable} -m cspay", help="how to run cspay")
    parser.add_argument("--baseline", help="another cspay (an older version) to run on the plain policy")
    parser.add_argument("--formats", default="csv,json", help="output formats measured (default csv,json)")
    options = parser.parse_args(argv)
    repeating = generate("repeating", options.agents)
    OUT.mkdir(exist_ok=True)
    cases = [
        tools(options.cspay, options.baseline, data, kind, format)
        for kind, data in (("repeating", repeating), ("distinct", distinct_values(repeating)))
        for format in options.formats.split(",")
    ]
    pairs = [pair for found in cases for pair in found]
    for round_number in range(1, options.repeat + 1):  # interleaved, so that the machine's drift hits all alike
        for tool, command in pairs:
            measure(tool, command, OUT / f"groups-{tool.name.replace(' ', '-')}.log")
            print(f"run {round_number}/{options.repeat} {tool.name:<28} cpu {tool.cpus[-1]:.2f} s", flush=True)
    measured = [tool for tool, _ in pairs]
    print(f"\n{options.agents:,} agents, runs per command: {options.repeat}")
    print(f"{'command':<28} {'wall s min':>10} {'wall s median':>14} {'cpu s median':>13} {'peak MiB':>9}")
    for tool in measured:
        print(
            f"{tool.name:<28} {min(tool.walls):10.2f} {statistics.median(tool.walls):14.2f} "
            f"{statistics.median(tool.cpus):13.2f} {max(tool.peaks_kib) / 1024:9.1f}"
        )
    print("\ncpu s median against the plain policy's on the same file and format")
    for (plain, _), *others in cases:
        for tool, _ in others:
            print(f"{tool.name:<28} {statistics.median(tool.cpus) / statistics.median(plain.cpus):6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
