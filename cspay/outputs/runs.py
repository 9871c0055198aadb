"""A run written as CSV or JSON: the head that says where it came from, then every payslip."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import IO, Any

from cspay.outputs.batch_run import Nowhere, pay_in_batches
from cspay.outputs.export import json_end, json_head, write_csv, write_json
from cspay.outputs.fast_csv import pay_to_csv
from cspay.outputs.fast_json import pay_to_json
from cspay.outputs.fast_period import pay_rows_to_csv
from cspay.outputs.teams import rollup_data
from cspay.run.pay import PayRun


def provenance(run: PayRun) -> dict[str, Any]:
    """The run's period and the files it read, each with the SHA-256 of its bytes (the policy's is in the
    head already): what a reader needs to reproduce or audit the run."""
    head: dict[str, Any] = {"period": run.period.label} if run.period else {}
    head["inputs"] = [{"kind": item.kind, "name": item.name, "sha256": item.sha256} for item in run.inputs]
    return head


def write_run_csv(handle: IO[str], run: PayRun, progress: Callable[[], None] | None = None) -> None:
    """One row per agent; a run streamed from one plain monthly file is paid in batches, to the same bytes
    (and, when the run is recorded, into the ledger as it goes)."""
    reader, rows = run.fast_reader, run.folded_rows
    if reader is not None:
        pay_to_csv(reader, handle, run.summary, progress, run.recorder)
    elif rows is not None and run.recorder is None:
        pay_rows_to_csv(rows, run.engine, handle, run.summary, progress)
    else:
        taken, paid = run.deduction_codes()
        codes = ([code for code, _ in taken], [code for code, _ in paid])
        write_csv(handle, run.applied, run.payslips, run.extra_codes, codes)


def pay_run_quietly(run: PayRun) -> None:
    """Every payslip paid, for the run's totals and its record, and written nowhere: a run streamed from one
    plain monthly file is paid in batches, as the CSV path pays it."""
    reader = run.fast_reader
    if reader is not None:
        pay_in_batches(reader, lambda _: Nowhere(), run.summary, None, run.recorder)
    elif not isinstance(run.payslips, list):
        deque(run.payslips, maxlen=0)


def write_run_json(handle: IO[str], run: PayRun, progress: Callable[[], None] | None = None) -> None:
    """The run as one JSON document, payslip by payslip; under a policy with team results, the teams' and
    sites' results in its head. A run streamed from one plain monthly file whose payslips carry nothing of
    the run's own (no actions triggered) is paid in batches, to the same bytes (and, when the run is
    recorded, into the ledger as it goes)."""
    head = provenance(run)
    if run.engine.teams is not None:
        head |= rollup_data(run.applied, run.engine.teams)
    annotate, reader = run.annotate(), run.fast_reader
    if reader is None or annotate is not None:
        write_json(handle, run.applied, run.payslips, run.summary, head, annotate, run.consolidated)
        return
    handle.write(json_head(run.applied, head))
    pay_to_json(reader, handle, run.summary, progress, run.recorder)
    handle.write(json_end(run.summary, run.consolidated()))
