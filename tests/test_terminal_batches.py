"""compute's table paid the batch way (cspay.outputs.terminal_batches) against the general way: the same
drawn or plain table, byte for byte, and the same summary."""

from __future__ import annotations

import re
from pathlib import Path
from unittest import mock

import pytest
from helpers import DATA, csv_text, distinct_rows, metric_rows, metrics_rows, write_yaml

from cspay.cli import app, compute
from cspay.engine.columnar import Batch
from cspay.outputs.fast_csv import BATCH_ROWS
from cspay.outputs.terminal_batches import TableBatches
from cspay.run.pay import PayRun

STANDARD = DATA / "standard.yaml"


def tables(runner, policy: Path, metrics: Path, *options: str) -> tuple[str, str, int]:
    """What `compute` prints paid the batch way and the general way (a Payslip made for every agent), and
    how many rows the batch way laid out from batches paid column by column."""
    laid_out = {"columns": 0}
    columns = TableBatches.columns

    def counted(self: TableBatches, batch: Batch, first: int) -> bool:
        laid_out["columns"] += batch.size
        return columns(self, batch, first)

    printed = []
    for way in ("batch", "general"):
        general = mock.patch.object(PayRun, "fast_reader", property(lambda run: None))
        with general if way == "general" else mock.patch.object(TableBatches, "columns", counted):
            result = runner.invoke(app, ["compute", str(policy), str(metrics), *options])
        assert 0 == result.exit_code, result.output
        printed.append(result.stdout)
    return printed[0], printed[1], laid_out["columns"]


@pytest.mark.parametrize(
    ("policy", "metrics"),
    [
        (STANDARD, DATA / "month.csv"),
        (DATA / "queues.yaml", DATA / "queue-month.csv"),
        (DATA / "zh-hotline.yaml", DATA / "zh-hotline-2026-11.csv"),
    ],
    ids=["standard", "queues", "zh-hotline"],
)
def test_test_months_print_the_general_paths_table(runner, policy: Path, metrics: Path) -> None:
    """Each test month under its policy (a drawn table; Chinese in GB18030): the batch way prints the general
    way's table and summary."""
    batch, general, _ = tables(runner, policy, metrics, "--period", "2026-11")
    assert general == batch


@pytest.mark.parametrize("drawn", [700, 5000], ids=["plain", "drawn"])
@pytest.mark.parametrize("repeating", [True, False], ids=["repeating", "distinct"])
@pytest.mark.parametrize("rows", [metric_rows, metrics_rows])
def test_many_batches_print_the_general_paths_table(
    runner, tmp_path, monkeypatch, rows, repeating: bool, drawn: int
) -> None:
    """Several batches of values that repeat or carry 4-6 decimals, with KPIs left out, top-ups and names to
    quote, past the rows a table is drawn for (plain, as wide as its first rows, the widths known within the
    second batch) or not (drawn): the batch way prints the general way's table, mostly from batches paid
    column by column."""
    monkeypatch.setattr(compute, "DRAWN_ROWS", drawn)
    metrics = tmp_path / "month.csv"
    metrics.write_text(csv_text(rows(3 * BATCH_ROWS + 41, repeating=repeating)), encoding="utf-8")
    batch, general, by_column = tables(runner, STANDARD, metrics)
    assert general == batch
    assert 3 * BATCH_ROWS <= by_column


@pytest.mark.parametrize("topped_up", [True, False], ids=["top-ups", "none"])
@pytest.mark.parametrize("adjusted", [True, False], ids=["adjustments", "no-adjustments"])
def test_the_top_up_and_adjustment_columns_follow_the_general_path(
    runner, tmp_path, monkeypatch, topped_up: bool, adjusted: bool
) -> None:
    """A drawn table shows the top-up column only when an agent has one, a plain table whenever the policy
    has a floor, and a policy without adjustments has no adjustment lines to add: both ways alike."""
    text = STANDARD.read_text(encoding="utf-8").replace("gross: 2690", f"gross: {7000 if topped_up else 100}")
    if not adjusted:  # the block runs from its key to the next top-level key
        text = re.sub(r"(?ms)^adjustments:.*?(?=^\S)", "", text)
    policy = write_yaml(tmp_path, text)
    metrics = tmp_path / "month.csv"
    metrics.write_text(csv_text(distinct_rows(BATCH_ROWS + 40)), encoding="utf-8")
    for drawn in (BATCH_ROWS + 40, 300):
        monkeypatch.setattr(compute, "DRAWN_ROWS", drawn)
        batch, general, _ = tables(runner, policy, metrics)
        assert general == batch
        assert ("Top-up" in batch.split("Summary")[0]) == (topped_up or drawn == 300)


def test_chinese_names_are_padded_as_the_general_path_pads_them(runner, tmp_path, monkeypatch) -> None:
    """Names of double-width characters, in batches laid out column by column past the drawn rows: each
    line padded as the general way pads it."""
    monkeypatch.setattr(compute, "DRAWN_ROWS", 100)
    month = [row | {"name": f"王芳{i % 13}" if i % 3 else f"Agent {i}"} for i, row in enumerate(distinct_rows(1100))]
    metrics = tmp_path / "month.csv"
    metrics.write_text(csv_text(month), encoding="utf-8")
    batch, general, by_column = tables(runner, STANDARD, metrics)
    assert general == batch
    assert 1024 <= by_column
