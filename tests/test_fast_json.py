"""`compute --format json` paid the batch way (cspay.outputs.fast_json) against the general way: the same
document, byte for byte, head and totals included."""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path
from unittest import mock

import pytest
from helpers import DATA, ROOT, csv_text, metric_rows, metrics_rows
from hypothesis import given
from hypothesis import strategies as st

from cspay.cli import app
from cspay.engine.columnar import Batch
from cspay.engine.plans import ScoredColumn
from cspay.inputs import columns as columns_module
from cspay.outputs import drop_behind
from cspay.outputs.fast_csv import BATCH_ROWS
from cspay.outputs.fast_json import JsonBatches, decimal_texts
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


@pytest.mark.parametrize("repeating", [True, False], ids=["repeating", "distinct"])
@pytest.mark.parametrize("rows", [metric_rows, metrics_rows])
def test_kpis_scored_a_column_at_a_time_write_the_general_paths_document(
    runner, tmp_path, monkeypatch, rows, repeating: bool
) -> None:
    """With the column reader's tables full (as values that rarely repeat leave them), each KPI column is
    scored and written a column at a time -- gates, floors and KPIs left out among its rows -- and the
    document is still the general way's, byte for byte."""
    monkeypatch.setattr(columns_module, "TEXTS_LIMIT", 2)  # fewer than a KPI's values, even repeating ones
    scored_columns = {"rows": 0}
    columns = JsonBatches.columns

    def counted(self: JsonBatches, batch: Batch, first: int) -> bool:
        assert batch.scored is not None
        scored_columns["rows"] += sum(len(entries) for entries in batch.scored if isinstance(entries, ScoredColumn))
        return columns(self, batch, first)

    monkeypatch.setattr(JsonBatches, "columns", counted)
    metrics = tmp_path / "month.csv"
    metrics.write_text(csv_text(rows(3 * BATCH_ROWS + 41, repeating=repeating)), encoding="utf-8")
    batch, general, _ = documents(runner, STANDARD, metrics, tmp_path)
    assert general == batch
    assert 3 * BATCH_ROWS <= scored_columns["rows"]
    slips = json.loads(batch)["payslips"]
    assert all(
        any(found(slip) for slip in slips)
        for found in (
            lambda slip: slip["gates"],
            lambda slip: any(line["code"] == "floor" for line in slip["lines"]),
            lambda slip: any(kpi["left_out"] for kpi in slip["kpis"]),
        )
    )


def decimal_of(sign: int, digits: list[int], exponent: int) -> Decimal:
    return Decimal((sign, tuple(digits), exponent))


DECIMALS = st.builds(
    decimal_of, st.integers(0, 1), st.lists(st.integers(0, 9), min_size=1, max_size=30), st.integers(-40, 12)
)


@given(st.lists(DECIMALS, max_size=20))
def test_numbers_are_written_as_format_writes_them(column: list[Decimal]) -> None:
    """A column of Decimals of any sign, length and exponent (zeros, tiny, huge, 28-digit quotients) is
    written as format(value, "f") writes each: in plain digits, never in exponent form."""
    assert [format(value, "f") for value in column] == decimal_texts(column)


def test_a_document_synced_as_it_grows_is_the_general_paths(runner, tmp_path, monkeypatch) -> None:
    """Sent to disk and dropped from the page cache as it grows, the document is still the general way's,
    byte for byte."""
    synced = []
    monkeypatch.setattr(drop_behind, "SYNC_EVERY", 4096)
    monkeypatch.setattr(drop_behind.os, "fdatasync", lambda descriptor: synced.append(os.fsync(descriptor)))
    metrics = tmp_path / "month.csv"
    metrics.write_text(csv_text(metrics_rows(2 * BATCH_ROWS + 7, repeating=False)), encoding="utf-8")
    batch, general, _ = documents(runner, STANDARD, metrics, tmp_path)
    assert general == batch
    assert 2 <= len(synced)
