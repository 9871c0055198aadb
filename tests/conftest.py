"""Shared fixtures: the CLI runner, the contract policy, a CSV writer and the PwC export (helpers.py holds
what tests import)."""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest
from helpers import PWC_CSV, STANDARD, csv_text
from hypothesis import HealthCheck, settings
from typer.testing import CliRunner

from cspay.policy.loader import load_document, load_policy
from cspay.policy.model import Policy

settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile("ci", max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture
def runner() -> CliRunner:
    """Typer's test runner, for invoking cspay's commands in-process."""
    return CliRunner()


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    """Write rows (dicts over the worked example) as a CSV in tmp_path and return its path."""
    counter = iter(range(1_000))

    def write(
        rows: Iterable[Mapping[str, str]],
        *,
        header: list[str] | None = None,
        delimiter: str = ",",
        encoding: str = "utf-8",
        name: str | None = None,
    ) -> Path:
        path = tmp_path / (name or f"metrics-{next(counter)}.csv")
        path.write_bytes(csv_text(rows, header=header, delimiter=delimiter).encode(encoding))
        return path

    return write


@pytest.fixture(scope="session")
def standard() -> Policy:
    """The contract policy, loaded from the test copy."""
    return load_policy(STANDARD)


@pytest.fixture
def standard_data() -> dict[str, Any]:
    """The contract policy as plain data, a fresh copy to change in a test."""
    return copy.deepcopy(_STANDARD_DATA)


_STANDARD_DATA = load_document(STANDARD).data


@pytest.fixture(scope="session")
def pwc_csv() -> Path:
    """The real PwC call-centre export, shipped unedited in examples/pwc (see its SOURCE.md)."""
    return PWC_CSV
