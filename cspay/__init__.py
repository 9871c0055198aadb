"""cspay: pay for customer-service agents from a YAML policy and a month of KPI metrics.

    from cspay import load_policy, read_metrics, compute
    policy = load_policy("policies/standard.yaml")
    run = compute(policy, read_metrics("examples/standard-2026-11.csv", policy))
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["__version__", "compute", "load_policy", "read_metrics"]

_EXPORTS = {"load_policy": "policy.loader", "read_metrics": "inputs.metrics", "compute": "engine.pay"}


def __getattr__(name: str) -> Any:
    # Imported on first use so that `cspay --help` does not pay for pydantic and yaml.
    if name in _EXPORTS:
        from importlib import import_module

        return getattr(import_module(f"cspay.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'cspay' has no attribute {name!r}")
