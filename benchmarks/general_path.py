"""Pay a metrics file the general way, one AgentRow and one Payslip at a time, into CSV: what every faster
path of `cspay compute` must match byte for byte.

Example: python benchmarks/general_path.py policies/standard.yaml agents.csv general.csv
"""

from __future__ import annotations

import sys

from cspay import load_policy, open_inputs, pay
from cspay.outputs.export import write_csv


def main() -> None:
    """Write argv[3], the payslips of argv[2] under the policy argv[1], as `compute --format csv` lays them out."""
    policy_path, metrics, target = sys.argv[1:4]
    run = pay(open_inputs(load_policy(policy_path), [metrics]))
    with open(target, "w", encoding="utf-8", newline="") as out:
        write_csv(out, run.applied, run.payslips, run.extra_codes)


if __name__ == "__main__":
    main()
