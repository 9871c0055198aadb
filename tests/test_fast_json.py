"""`compute --format json` paid the batch way (cspay.outputs.fast_json) against the general way: the same
document, byte for byte, head and totals included."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import pytest
from helpers import DATA, ROOT, csv_text, metric_rows, metrics_rows

from cspay.cli import app
from cspay.engine.columnar import Batch
from cspay.outputs.fast_csv import BATCH_ROWS
from cspay.outputs.fast_json import JsonBatches
from cspay.run.pay import PayRun

STANDARD = DATA / "standard.yaml"


def documents(runner, policy: Path, metrics: Path, tmp_path: Path, *options: str) -> tuple[bytes, bytes, int]:
    """The JSON `compute` writes the batch way and the general way (a Payslip made for every agent), and how
    many rows the batch way wrote from batches paid column by column."""
    written = {"columns": 0}
    columns = JsonBatches.columns

    def counted(self: JsonBatches, batch: Batch, first: int) -> bool:
        written["columns"] += batch.size
        return columns(self, batch, first)

    outputs = []
    for way in ("batch", "general"):
        out = tmp_path / f"{way}.json"
        general = mock.patch.object(PayRun, "fast_reader", property(lambda run: None))
        with general if way == "general" else mock.patch.object(JsonBatches, "columns", counted):
            result = runner.invoke(app, ["compute", str(policy), str(metrics), "-f", "json", "-o", str(out), *options])
        assert 0 == result.exit_code, result.output
        outputs.append(out.read_bytes())
    return outputs[0], outputs[1], written["columns"]


@pytest.mark.parametrize(
    ("policy", "metrics"),
    [
        (STANDARD, DATA / "month.csv"),
        (DATA / "queues.yaml", DATA / "queue-month.csv"),
        (ROOT / "policies" / "standard-queues.yaml", DATA / "queue-month.csv"),
        (DATA / "zh-hotline.yaml", DATA / "zh-hotline-2026-11.csv"),
    ],
    ids=["standard", "queues", "standard-queues", "zh-hotline"],
)
def test_shipped_policies_write_the_general_paths_document(runner, tmp_path, policy: Path, metrics: Path) -> None:
    """Each test month under its policy (gates, cap, proration, floor, adjustments, KPIs by queue, `basis:
    score`, Chinese texts, GB18030): the batch way writes the general way's bytes."""
    batch, general, _ = documents(runner, policy, metrics, tmp_path, "--period", "2026-11")
    assert general == batch


@pytest.mark.parametrize("repeating", [True, False], ids=["repeating", "distinct"])
@pytest.mark.parametrize("rows", [metric_rows, metrics_rows])
def test_many_batches_write_the_general_paths_document(runner, tmp_path, rows, repeating: bool) -> None:
    """Several batches of values that repeat or carry 4-6 decimals, with KPIs left out, top-ups and names
    to escape: the batch way writes the general way's bytes, most rows from batches paid column by column."""
    metrics = tmp_path / "month.csv"
    metrics.write_text(csv_text(rows(3 * BATCH_ROWS + 41, repeating=repeating)), encoding="utf-8")
    batch, general, by_column = documents(runner, STANDARD, metrics, tmp_path)
    assert general == batch
    assert 3 * BATCH_ROWS <= by_column
