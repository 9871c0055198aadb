"""Recording through the batch way (cspay.ledger.batch_rows) against the general way: the same payslips."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from unittest import mock

import pytest
from helpers import DATA, csv_text, metrics_rows, stored_payslips

from cspay.cli import app
from cspay.inputs import columns
from cspay.ledger import batch_rows, packing
from cspay.ledger.batch_rows import BatchRows
from cspay.outputs.batch_run import Nowhere
from cspay.outputs.fast_csv import BATCH_ROWS
from cspay.run.pay import PayRun

POLICY = str(DATA / "standard.yaml")


def recorded(runner, metrics: Path, ledger: Path, format: str, policy: str = POLICY) -> dict:
    """The payslips `compute --record` stores with the given output format (csv, json: the batch way; quiet:
    the table format with --quiet, which shows nothing; general: json paid the general way, a Payslip made
    for each agent)."""
    general = mock.patch.object(PayRun, "fast_reader", property(lambda run: None))
    with general if format == "general" else contextlib.nullcontext():
        for period in ("2026-10", "2026-11"):
            written = ["-f", "json" if format == "general" else format, "-o", str(ledger.with_suffix(f".{format}"))]
            shown = ["--quiet"] if format == "quiet" else written
            result = runner.invoke(
                app,
                ["compute", policy, str(metrics), "--record", "--period", period, "--ledger", str(ledger), *shown,
                 "--force"],
            )  # fmt: skip
            assert 0 == result.exit_code, result.output
    return stored_payslips(ledger)


@pytest.fixture
def batch_ways(monkeypatch) -> dict[str, int]:
    """How many rows each batch way recorded (column by column, one by one) during a test."""
    counts = {"columns": 0, "settled": 0}

    def counting(name, size):
        original = getattr(BatchRows, name)

        def spy(self, *args):
            counts[name] += size(args[0])
            return original(self, *args)

        monkeypatch.setattr(BatchRows, name, spy)

    counting("columns", lambda batch: batch.size)
    counting("settled", lambda identity: 1)
    return counts


@pytest.mark.parametrize("format", ["csv", "json"])
@pytest.mark.parametrize("repeating", [True, False], ids=["repeating", "unrepeated"])
def test_the_batch_way_records_what_the_general_way_records(runner, tmp_path, repeating, format, batch_ways):
    """Every payslip the batch way records as it writes CSV or JSON -- columns, lines, KPI results -- is the
    one the general way records, on values that repeat and values that do not, over several batches."""
    metrics = tmp_path / "month.csv"
    metrics.write_text(csv_text(metrics_rows(3 * BATCH_ROWS + 41, repeating=repeating)), encoding="utf-8")
    batch = recorded(runner, metrics, tmp_path / "batch.db", format)
    general = recorded(runner, metrics, tmp_path / "general.db", "general")
    assert general == batch
    assert 2 * (3 * BATCH_ROWS + 41) == len(batch)
    # Both batch ways took part in CSV (names it must quote send their batch row by row); JSON escapes them.
    assert 0 < batch_ways["columns"] and (0 < batch_ways["settled"]) == (format == "csv")


def test_the_batch_way_records_left_out_kpis_and_top_ups(runner, tmp_path):
    """The rows that left a KPI out (too few surveys) and got the floor's top-up are among those recorded."""
    metrics = tmp_path / "month.csv"
    metrics.write_text(csv_text(metrics_rows(2 * BATCH_ROWS, repeating=False)), encoding="utf-8")
    batch = recorded(runner, metrics, tmp_path / "batch.db", "csv")
    left_out = [slip for slip in batch.values() if any(kpi[6] for kpi in slip[-1])]  # code, label … left_out
    topped_up = [slip for slip in batch.values() if any(line[0] == "floor" for line in slip[-2])]
    assert [] != left_out and [] != topped_up


@pytest.mark.parametrize("format", ["quiet", "csv", "json"])
def test_a_batch_in_which_no_agent_counts_every_kpi_records_what_the_general_way_records(runner, tmp_path, format):
    """A month in which every agent has too few surveys (CSAT left out of every score) records, column by
    column, the payslips the general way records."""
    rows = [row | {"surveys": "3"} for row in metrics_rows(BATCH_ROWS + 5, repeating=False)]
    metrics = tmp_path / "month.csv"
    metrics.write_text(csv_text(rows), encoding="utf-8")
    batch = recorded(runner, metrics, tmp_path / "batch.db", format)
    assert recorded(runner, metrics, tmp_path / "general.db", "general") == batch
    assert all(slip[-1][0][6] for slip in batch.values())  # csat's reason for being left out


@pytest.mark.parametrize("texts", [columns.TEXTS_LIMIT, 5], ids=["scored-per-row", "scored-columns"])
def test_forgetting_what_was_remembered_records_the_same_payslips(runner, tmp_path, monkeypatch, texts):
    """With room for a few remembered parts only (as values that never repeat fill it), the payslips stored
    read back the same as the general way's; a part met again is merely numbered again. So too when the
    KPI results come a column at a time, numbered together (RunParts.kpi_numbers_of)."""
    monkeypatch.setattr(columns, "TEXTS_LIMIT", texts)
    monkeypatch.setattr(packing, "MAX_REMEMBERED", 7)
    monkeypatch.setattr(batch_rows, "MAX_REMEMBERED", 7)
    metrics = tmp_path / "month.csv"
    metrics.write_text(csv_text(metrics_rows(2 * BATCH_ROWS + 5, repeating=False)), encoding="utf-8")
    batch = recorded(runner, metrics, tmp_path / "batch.db", "csv")
    assert recorded(runner, metrics, tmp_path / "general.db", "general") == batch


@pytest.mark.parametrize("format", ["csv", "json", "quiet"])
def test_columns_read_past_the_remembered_texts_record_the_same_payslips(
    runner, tmp_path, monkeypatch, batch_ways, format
):
    """When the column reader's tables of texts are full (values that never repeat), a batch's KPI cells are
    scored for that batch alone, as ScoredColumns the ledger numbers a column at a time, and what it records,
    as it writes CSV or JSON or nothing, is still the general way's payslips."""
    monkeypatch.setattr(columns, "TEXTS_LIMIT", 5)
    by_column = {"rows": 0}
    numbered = BatchRows._kpi_column

    def counted(self, plan, column, total):
        by_column["rows"] += len(column)
        return numbered(self, plan, column, total)

    monkeypatch.setattr(BatchRows, "_kpi_column", counted)
    metrics = tmp_path / "month.csv"
    metrics.write_text(csv_text(metrics_rows(2 * BATCH_ROWS + 9, repeating=False)), encoding="utf-8")
    batch = recorded(runner, metrics, tmp_path / "batch.db", format)
    assert recorded(runner, metrics, tmp_path / "general.db", "general") == batch
    assert 0 < batch_ways["columns"]
    assert 2 * BATCH_ROWS <= by_column["rows"]  # every KPI of the batches after the tables filled, both months


def test_a_score_basis_policy_records_the_same_payslips_column_by_column(runner, tmp_path, batch_ways):
    """Under `basis: score`, paid column by column with a bonus of its own per agent, the batch way records
    the general way's payslips."""
    policy = tmp_path / "score.yaml"
    text = Path(POLICY).read_text(encoding="utf-8")
    policy.write_text(text.replace("  basis: grade ", "  basis: score "), encoding="utf-8")
    metrics = tmp_path / "month.csv"
    metrics.write_text(csv_text(metrics_rows(2 * BATCH_ROWS + 9, repeating=False)), encoding="utf-8")
    batch = recorded(runner, metrics, tmp_path / "batch.db", "csv", str(policy))
    assert recorded(runner, metrics, tmp_path / "general.db", "general", str(policy)) == batch
    assert 0 < batch_ways["columns"]


@pytest.mark.parametrize("room", [columns.TEXTS_LIMIT, 5], ids=["room", "full"])
def test_kpis_by_group_record_what_the_general_way_records(runner, tmp_path, monkeypatch, room, batch_ways):
    """Satisfaction scored by queue over many queues, on values that rarely repeat, with room for what was
    scored or with the tables full: the batch way records the general way's payslips, curves included."""
    from helpers import QUEUE_HEADER

    monkeypatch.setattr(columns, "TEXTS_LIMIT", room)
    policy = str(DATA / "queues.yaml")
    queues = ["complaints", "sales", "Complaints ", "", *(f"q{i}" for i in range(30))]
    month = metrics_rows(2 * BATCH_ROWS, repeating=False)
    metrics = tmp_path / "month.csv"
    rows = [row | {"queue": queues[i % len(queues)]} for i, row in enumerate(month)]
    metrics.write_text(csv_text(rows, header=QUEUE_HEADER), encoding="utf-8")
    batch = recorded(runner, metrics, tmp_path / "batch.db", "csv", policy)
    assert recorded(runner, metrics, tmp_path / "general.db", "general", policy) == batch
    assert any(kpi[-1] == "complaints" for slip in batch.values() for kpi in slip[-1])
    assert 0 < batch_ways["columns"]  # batches of them were recorded column by column


def test_a_quiet_record_is_paid_the_batch_way_and_records_the_same(runner, tmp_path, batch_ways):
    """`compute --record --quiet` (the table, shown nowhere) records what the JSON way records, paid the
    batch way as the CSV path is."""
    metrics = tmp_path / "month.csv"
    metrics.write_text(csv_text(metrics_rows(2 * BATCH_ROWS + 7, repeating=False)), encoding="utf-8")
    quiet = recorded(runner, metrics, tmp_path / "quiet.db", "quiet")
    assert 0 < batch_ways["columns"]
    assert recorded(runner, metrics, tmp_path / "general.db", "general") == quiet


@pytest.mark.parametrize("repeating", [True, False], ids=["repeating", "unrepeated"])
def test_a_quiet_run_reports_the_totals_the_general_way_pays(runner, tmp_path, monkeypatch, repeating):
    """`compute --quiet --log-format json` without a record, paid the batch way and written nowhere, logs the
    headcount and totals the general way pays, bad rows included."""
    rows = metrics_rows(2 * BATCH_ROWS + 7, repeating=repeating)
    rows[BATCH_ROWS + 3]["csat"] = "not a number"  # a bad row in the second batch
    metrics = tmp_path / "month.csv"
    metrics.write_text(csv_text(rows), encoding="utf-8")
    good = tmp_path / "good.csv"
    good.write_text(csv_text(rows[: BATCH_ROWS + 3] + rows[BATCH_ROWS + 4 :]), encoding="utf-8")

    def logged(path: Path, way: str) -> tuple[object, ...]:
        general = mock.patch.object(PayRun, "fast_reader", property(lambda run: None))
        with general if way == "general" else contextlib.nullcontext():
            result = runner.invoke(app, ["compute", POLICY, str(path), "--quiet", "--log-format", "json"])
        if result.exit_code:
            return result.exit_code, result.stderr
        log = json.loads(result.stderr)
        return result.exit_code, log["headcount"], log["gross"], log["bonus"]

    paid = []
    monkeypatch.setattr(Nowhere, "columns", lambda self, batch, first: paid.append(batch.size) or True)
    assert logged(metrics, "general") == logged(metrics, "batch")
    assert 1 == logged(metrics, "batch")[0]
    assert paid  # batches were paid column by column, written nowhere
    assert logged(good, "general") == logged(good, "batch")
    assert 2 * BATCH_ROWS + 6 == logged(good, "batch")[1]


def test_a_column_of_kpi_results_is_numbered_as_one_at_a_time_would_number_it():
    """RunParts.kpi_numbers_of gives equal results one number, new ones numbers in order of first use
    (continuing the run's count), keeps a number for a result met again in a later column, and keeps each
    new result once for writing -- as numbering the same results one at a time does."""
    import sqlite3

    def key(value: str) -> packing.KpiKey:
        return ("csat", "Customer satisfaction", value, "1.5", "35", "0.525", None, None, None)

    db = sqlite3.connect(":memory:")  # nothing is written until flush
    together, one_by_one = packing.RunParts(db, 2, start=3), packing.RunParts(db, 2, start=3)
    first = [key("91.2"), key("90.5"), key("91.2"), key("88.0")]
    second = [key("88.0"), key("99.9"), key("99.9")]
    assert ["3", "4", "3", "5"] == together.kpi_numbers_of(first)
    assert ["5", "6", "6"] == together.kpi_numbers_of(second)
    assert ["3", "4", "3", "5", "5", "6", "6"] == [one_by_one.kpi_numbers_of([k])[0] for k in first + second]
    written = [(2, 3, *key("91.2")), (2, 4, *key("90.5")), (2, 5, *key("88.0")), (2, 6, *key("99.9"))]
    assert written == together._new_kpis == one_by_one._new_kpis
