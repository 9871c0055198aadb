"""cspay: pay for customer-service agents from a YAML policy and a month of KPI metrics.

    from cspay import load_policy, open_inputs, pay
    policy = load_policy("policies/standard.yaml")
    run = pay(open_inputs(policy, ["examples/standard-2026-11.csv"]))
    for slip in run.payslips: ...
    run.summary.gross

`compute(policy, rows)` pays rows already read (`read_metrics`) and keeps the payslips in a list.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.2.0"
__all__ = ["__version__", "compute", "lint", "load_policy", "open_inputs", "pay", "read_metrics"]

_EXPORTS = {
    "load_policy": "policy.loader",
    "read_metrics": "inputs.metrics",
    "open_inputs": "inputs.resolve",
    "pay": "run.pay",
    "compute": "run.pay",
    "lint": "rollout.lint",
}


def __getattr__(name: str) -> Any:
    # Imported on first use so that `cspay --help` does not pay for pydantic and yaml.
    if name in _EXPORTS:
        from importlib import import_module

        return getattr(import_module(f"cspay.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'cspay' has no attribute {name!r}")
