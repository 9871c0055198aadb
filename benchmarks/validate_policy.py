"""validate-policy against loading the same policy, on policies of ever more grades.

Checking a policy should cost about what reading it costs, however many grades, KPIs or bands it has:
a check that compares every grade with every other grows with the square of their number. For each size
this prints the time to load the policy, the time of the checks after loading (cspay.rollout.lint, what
`validate-policy` adds), and their ratio; a ratio that stays flat as the size grows is linear.

Example: python benchmarks/validate_policy.py --grades 1000 4000 15000
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from pathlib import Path

from cspay.policy.loader import load_policy
from cspay.rollout.lint import lint

POLICY = Path(__file__).resolve().parents[1] / "policies" / "standard.yaml"


def with_grades(count: int) -> str:
    """The standard policy with `count` grades, evenly spaced from a score of 2 down to 0."""
    rows = [
        f"  - {{grade: G{i}, min_score: {2 - 2 * i / count:.6f}, multiplier: {2 - 2 * i / count:.6f}}}\n"
        for i in range(count - 1)
    ]
    grades = "grades:\n" + "".join(rows) + "  - {grade: Z, min_score: 0, multiplier: 0}\n\n"
    return re.sub(r"grades:[\s\S]*?\n\n", lambda _: grades, POLICY.read_text(encoding="utf-8"), count=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--grades", type=int, nargs="+", default=[1000, 4000, 15000])
    arguments = parser.parse_args()
    print(f"{'grades':>8} {'load s':>8} {'checks s':>9} {'checks/load':>12}")
    with tempfile.TemporaryDirectory() as folder:
        for count in arguments.grades:
            path = Path(folder) / f"grades-{count}.yaml"
            path.write_text(with_grades(count), encoding="utf-8")
            start = time.perf_counter()
            policy = load_policy(path)
            loaded = time.perf_counter()
            lint(policy)
            checked = time.perf_counter()
            load, checks = loaded - start, checked - loaded
            print(f"{count:>8,} {load:>8.2f} {checks:>9.2f} {checks / load:>12.2f}")


if __name__ == "__main__":
    main()
