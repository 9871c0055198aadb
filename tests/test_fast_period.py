"""A quarter paid column by column into CSV (cspay.outputs.fast_period) against the general way: the same
bytes and the same totals, line codes, grades and actions in the same order."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from helpers import QUARTER_HEADER, QUARTER_MONTHS, csv_text, period_policy_file, write_months

from cspay.engine.types import Summary
from cspay.inputs.months import open_period
from cspay.outputs import fast_period
from cspay.outputs.export import write_csv
from cspay.outputs.runs import write_run_csv
from cspay.policy.loader import load_policy
from cspay.run.pay import PayRun, pay

STANDARD_QUARTERLY = Path(__file__).resolve().parents[1] / "policies" / "standard-quarterly.yaml"


def totals(summary: Summary) -> tuple[object, ...]:
    """Everything the totals hold, each dict as its items in order, amounts as their text."""
    return (
        summary.headcount,
        str(summary.gross),
        str(summary.bonus),
        [(code, str(amount)) for code, amount in summary.lines.items()],
        list(summary.grades.items()),
        list(summary.actions.items()),
        summary.currency,
    )


def both_ways(policy_path: Path, paths: list[Path]) -> tuple[tuple[str, tuple[object, ...]], ...]:
    """The CSV and totals of the run written the general way (each payslip made), then the batch way."""
    policy = load_policy(policy_path)
    general = pay(open_period(policy, paths))
    out = io.StringIO()
    write_csv(out, general.applied, general.payslips)
    batched = pay(open_period(policy, paths))
    assert batched.folded_rows is not None
    fast = io.StringIO()
    write_run_csv(fast, batched)
    return (out.getvalue(), totals(general.summary)), (fast.getvalue(), totals(batched.summary))


def policy_text(tmp_path: Path, source: Path, *changes: tuple[str, str]) -> Path:
    """A copy of a policy with pieces of its text replaced."""
    text = source.read_text(encoding="utf-8")
    for old, new in changes:
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / f"changed-{source.name}"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("steady", [True, False])
@pytest.mark.parametrize("repeat", [1.0, 0.0, 0.5])
@pytest.mark.parametrize(("aggregate", "combine_rule"), [("mean", "mean"), ("last", "max"), ("min", "min")])
def test_a_quarter_pays_the_same_bytes_and_totals(tmp_path, steady, repeat, aggregate, combine_rule):
    """Agents who keep or change their role, miss a month or a KPI's value, paid either way, agree."""
    paths = write_months(tmp_path, 7, 700, steady=steady, repeat=repeat)
    expected, found = both_ways(period_policy_file(tmp_path, aggregate, combine_rule), paths)
    assert expected == found


@pytest.fixture
def made(monkeypatch) -> list[str]:
    """The ids of the agents in parts whose lines the period writer works out (the others reuse them)."""
    made: list[str] = []
    parted_paid = fast_period._PeriodCsv._parted_paid

    def counted(self, row, *args):
        made.append(row.agent_id)
        return parted_paid(self, row, *args)

    monkeypatch.setattr(fast_period._PeriodCsv, "_parted_paid", counted)
    return made


@pytest.mark.parametrize("repeat", [1.0, 0.0])
def test_payslips_in_parts_are_made_once_for_agents_alike(tmp_path, made, repeat):
    """Agents in parts with the same parts, grade, gates and days reuse one payslip's lines, to the same bytes."""
    paths = write_months(tmp_path, 14, 3000, repeat=repeat)
    expected, found = both_ways(period_policy_file(tmp_path, "mean", "mean"), paths)
    assert expected == found
    agents = len(found[0].splitlines()) - 1
    assert 0 < len(made) < agents // 4


def test_agents_alike_but_for_their_team_share_the_lines_of_one(tmp_path, made):
    """Agents promoted alike, with the same figures, in teams of their own take one agent's lines, to the
    same bytes."""
    figures = {"worked_days": "21.75", "csat": "92.5", "surveys": "40", "fcr": "0.8", "aht_sec": "330"}
    figures |= {"qa_score": "85", "attendance": "98", "valid_complaints": "1", "tickets": "1100"}
    paths = []
    for month in QUARTER_MONTHS:
        role = "L2" if month == QUARTER_MONTHS[-1] else "L1"
        rows = [
            {"agent_id": f"T{n:03d}", "name": f"Agent {n}", "role": role, "team": f"Team {n % 7}", "month": month}
            | figures
            for n in range(1, 50)
        ]
        paths.append(tmp_path / f"{month}.csv")
        paths[-1].write_text(csv_text(rows, header=QUARTER_HEADER), encoding="utf-8")
    expected, found = both_ways(period_policy_file(tmp_path, "mean", "mean"), paths)
    assert expected == found
    assert ["T001"] == made


@pytest.mark.parametrize("repeat", [1.0, 0.0])
def test_a_quarter_paying_the_bonus_alone_writes_only_its_lines(tmp_path, repeat):
    """Under a policy paying bonus and adjustments, gross and totals count only those lines, either way."""
    paths = write_months(tmp_path, 8, 600, steady=True, repeat=repeat)
    policy = policy_text(
        tmp_path,
        STANDARD_QUARTERLY,
        ("aggregate: weighted_mean", "missing: exclude\n    aggregate: weighted_mean"),
        ("aggregate: mean\n  aht:", "aggregate: mean\n    missing: exclude\n  aht:"),
    )
    expected, found = both_ways(policy, paths)
    assert "base_pay" not in found[0].splitlines()[0]
    assert expected == found


def test_names_a_csv_must_quote_are_written_alike(tmp_path):
    """A batch holding a name with a comma and a quote is written as csv.writer writes it, either way."""
    paths = write_months(tmp_path, 10, 300, steady=True)
    for path in paths:
        text = path.read_text(encoding="utf-8").replace("Agent 12,", '"Agent ""12"", night",')
        path.write_text(text.replace("Agent 40,", "=Agent 40,"), encoding="utf-8")
    expected, found = both_ways(period_policy_file(tmp_path, "mean", "mean"), paths)
    assert '"Agent ""12"", night"' in found[0]
    assert expected == found


def test_a_run_that_reads_the_ledger_is_not_paid_in_batches(tmp_path):
    """A run that the ledger takes part in is written the general way."""
    policy = load_policy(period_policy_file(tmp_path, "mean", "mean"))
    run = pay(open_period(policy, write_months(tmp_path, 11, 50)))
    run.ledger = tmp_path / "cspay.db"
    assert isinstance(run, PayRun)
    assert run.folded_rows is None
