"""Time `cspay compute` from this checkout and from another one side by side, on the same files, to see
whether a change slows a path it should leave alone (the month-end job without a ledger).

Both run with this Python and its installed dependencies; each command is a child process, the runs are
interleaved and each round swaps who goes first (this, other, other, this …), so that whatever favours
one place in a round (a warm cache, a busy neighbour on a shared machine) falls on both alike, and the
table gives the median wall and CPU seconds of each and their ratio (this / other). Cases: the shipped
example as a table (mostly start-up), N agents as CSV (the batch path) and N / 10 agents as JSON (the
general path).

Example: git archive main | tar -x -C /tmp/main && python benchmarks/versus.py /tmp/main --agents 200000
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from run import OUT, ROOT, Measured, Path_, generate, measure

BOOT = "import sys; sys.path.insert(0, sys.argv.pop(1)); sys.argv[0] = 'cspay'; from cspay.cli import main; main()"
POLICY = ROOT / "policies" / "standard.yaml"


def cases(agents: int) -> list[tuple[str, list[str]]]:
    """Each case's name and its compute arguments (the output file is added per tree)."""
    example = ROOT / "examples" / "standard-2026-11.csv"
    return [
        ("example, table", [str(POLICY), str(example)]),
        (f"{agents:,} agents, csv", [str(POLICY), str(generate("repeating", agents)), "-f", "csv", "--force", "-o"]),
        (
            f"{agents // 10:,} agents, json",
            [str(POLICY), str(generate("repeating", agents // 10)), "-f", "json", "--force", "-o"],
        ),
    ]


def tools_for(name: str, arguments: list[str], trees: dict[str, Path]) -> list[tuple[Measured, list[str]]]:
    """Each tree's measurements of a case, and the command that runs it there."""
    tools = []
    for side, tree in trees.items():
        output = OUT / f"versus-{side}-{name.split(',')[1].strip()}"
        tail = [str(output)] if arguments[-1] == "-o" else []
        command = [sys.executable, "-c", BOOT, str(tree), "compute", *arguments, *tail]
        tools.append((Measured(side, Path_(lambda _, command=command: command)), command))
    return tools


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("other", type=Path, help="another cspay checkout (its folder holding cspay/)")
    parser.add_argument("--agents", type=int, default=200_000, help="agents in the CSV case (JSON: a tenth)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each tree per case")
    options = parser.parse_args()
    if not (options.other / "cspay" / "__init__.py").is_file():
        sys.exit(f"{options.other}: no cspay/ here; expected a checkout of cspay")
    OUT.mkdir(parents=True, exist_ok=True)
    trees = {"this": ROOT, "other": options.other.resolve()}
    rows = []
    for name, arguments in cases(options.agents):
        print(f"{name}:", flush=True)
        tools = tools_for(name, arguments, trees)
        for round_number in range(options.repeat):
            for tool, command in tools if round_number % 2 == 0 else tools[::-1]:
                measure(tool, command, OUT / f"versus-{tool.name}.log")
            print(
                f"  run {round_number + 1}/{options.repeat}: "
                + ", ".join(f"{tool.name} {tool.walls[-1]:.2f} s (cpu {tool.cpus[-1]:.2f} s)" for tool, _ in tools),
                flush=True,
            )
        this, other = (tool.wall for tool, _ in tools)
        this_cpu, other_cpu = (tool.cpu for tool, _ in tools)
        rows.append((name, this, other, this / other, this_cpu, other_cpu, this_cpu / other_cpu))
    print(f"\n{'case':<24} {'this s':>8} {'other s':>8} {'ratio':>6} {'this cpu':>9} {'other cpu':>9} {'ratio':>6}")
    for name, this, other, ratio, this_cpu, other_cpu, cpu_ratio in rows:
        print(f"{name:<24} {this:8.2f} {other:8.2f} {ratio:6.3f} {this_cpu:9.2f} {other_cpu:9.2f} {cpu_ratio:6.3f}")
    print(f"(medians of {options.repeat} interleaved runs; other = {trees['other']})")


if __name__ == "__main__":
    main()
