"""Recording a run as a view reads it (cspay.run.record): one transaction, every payslip or none."""

from __future__ import annotations

from itertools import islice

import pytest
from helpers import DATA

from cspay.inputs.resolve import open_inputs
from cspay.ledger.book import Ledger, LedgerError
from cspay.periods import parse_period
from cspay.policy.loader import load_policy
from cspay.run.pay import pay
from cspay.run.record import record, recording


def streamed_run(ledger):
    policy = load_policy(DATA / "standard.yaml")
    return pay(open_inputs(policy, [str(DATA / "month.csv")], parse_period("2026-11")), ledger=ledger, stream=True)


def test_a_recorded_run_streams_its_payslips_through_the_record(tmp_path):
    """With nothing in the ledger to settle, the run is not held in a list, and the record has every payslip."""
    ledger = tmp_path / "l.db"
    run = streamed_run(ledger)
    assert not isinstance(run.payslips, list)
    with recording(run, ledger) as recorded:
        shown = [slip.agent_id for slip in run.payslips]
    with Ledger(ledger) as book:
        assert shown == [slip.agent_id for slip, _ in book.recorded_payslips(recorded().run.id)]


def test_payslips_a_view_left_unread_are_refused_and_nothing_is_recorded(tmp_path):
    """A view that stops before the last payslip leaves the ledger without the run, never with part of it."""
    ledger = tmp_path / "l.db"
    run = streamed_run(ledger)
    refused = pytest.raises(LedgerError, match="the run paid 2 payslips and 1 were written; nothing was recorded")
    with refused, recording(run, ledger):
        list(islice(run.payslips, 2))
    with Ledger(ledger) as book:
        assert [] == book.runs()


def test_record_reads_a_streamed_run_itself(tmp_path):
    """record() with no view reading the payslips writes every one of a streamed run."""
    ledger = tmp_path / "l.db"
    run = streamed_run(ledger)
    written = record(run, ledger)
    assert (4, 4) == (written.run.headcount, run.summary.headcount)
