"""Folding a period's months as they stream gives what combining every month's rows at once gave
(tests/reference_combine.py): the same rows, digits and all, the same notes, the same errors."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import reference_combine
from helpers import QUARTER_MONTHS, iter_payslips, period_policy_file, write_months

from cspay.engine.period import period_policy
from cspay.engine.spans import Change
from cspay.engine.types import AgentRow
from cspay.errors import MetricsError
from cspay.inputs import fold as fold_module
from cspay.inputs import months as months_module
from cspay.inputs.combine import Month, combine
from cspay.inputs.metrics import MetricsReader
from cspay.inputs.months import open_period
from cspay.periods import parse_period
from cspay.policy.loader import load_policy

DATA = Path(__file__).parent / "data"
# (fcr's aggregate, the attendance gate's combine): every rule a KPI or a column folds by
RULES = [("last", "max"), ("max", "last"), ("min", "min"), ("mean", "mean")]


def read_whole(paths: list[Path], policy_path: Path) -> list[Month]:
    """Every file's rows held, as the reference reads them, in month order."""
    policy = load_policy(policy_path)
    read = zip(paths, QUARTER_MONTHS, strict=True)
    return [Month(str(path), list(MetricsReader(path, policy)), parse_period(month)) for path, month in read]


def shown(rows: list[AgentRow]) -> list[str]:
    """Each row as its repr, so that 92.5 and 92.50 differ as they do on a payslip."""
    return [repr(row) for row in rows]


@pytest.mark.parametrize(("aggregate", "combine_rule"), RULES)
@pytest.mark.parametrize("seed", [1, 2])
def test_open_period_folds_as_the_reference_combines(tmp_path, seed, aggregate, combine_rule):
    """Files given out of month order fold into the rows, notes and payslips combining them whole gave."""
    policy_path = period_policy_file(tmp_path, aggregate, combine_rule)
    policy = load_policy(policy_path)
    paths = write_months(tmp_path, seed)
    expected_rows, expected_notes = reference_combine.combine(policy, read_whole(paths, policy_path))
    source = open_period(policy, [paths[2], paths[0], paths[1]])
    rows = list(source.rows)
    assert shown(expected_rows) == shown(rows)
    assert [repr(note) for note in expected_notes] == [repr(note) for note in source.notes]
    paying = period_policy(policy)
    assert [repr(slip) for slip in iter_payslips(paying, expected_rows)] == [
        repr(slip) for slip in iter_payslips(paying, rows)
    ]


@pytest.mark.parametrize("seed", [3, 4])
def test_changes_split_parts_as_the_reference_does(tmp_path, seed):
    """An agent's changes within the period and the months' roles make the parts the reference made."""
    policy_path = period_policy_file(tmp_path, "mean", "mean")
    policy = load_policy(policy_path)
    months = read_whole(write_months(tmp_path, seed, agents=120), policy_path)
    changes = {
        "Q0003": [Change(date(2026, 11, 10), None, "L2", "")],
        "q0005": [Change(date(2026, 10, 1), date(2026, 10, 15), "", "East")],
    }
    expected = reference_combine.combine(policy, months, changes)
    rows, notes = combine(policy, months, changes)
    assert (shown(expected[0]), expected[1]) == (shown(rows), notes)


def test_undated_months_combine_in_the_order_given(tmp_path):
    """Without the months' dates the months count in the order given, as the reference counts them."""
    policy_path = period_policy_file(tmp_path, "last", "last")
    policy = load_policy(policy_path)
    months = [Month(m.path, m.rows) for m in reversed(read_whole(write_months(tmp_path, 5, agents=150), policy_path))]
    expected_rows, expected_notes = reference_combine.combine(policy, months)
    rows, notes = combine(policy, months)
    assert (shown(expected_rows), expected_notes) == (shown(rows), notes)


def test_an_id_written_two_ways_is_refused_as_before(tmp_path):
    """An agent written "Q0001" in one month and "q0001" in another is the same error, row for row."""
    policy_path = period_policy_file(tmp_path, "mean", "mean")
    policy = load_policy(policy_path)
    months = read_whole(write_months(tmp_path, 6, agents=50), policy_path)
    for row in months[1].rows[:3]:
        row.agent_id = row.agent_id.lower()
    with pytest.raises(MetricsError) as expected:
        reference_combine.combine(policy, months)
    with pytest.raises(MetricsError) as error:
        combine(policy, months)
    assert expected.value.lines() == error.value.lines()
    assert 3 == len(error.value.lines())


@pytest.mark.parametrize("repeat", [0.0, 1.0])
@pytest.mark.parametrize("steady", [True, False])
def test_months_read_column_by_column_fold_as_row_by_row(tmp_path, monkeypatch, repeat, steady):
    """Batches of plain rows, read and folded column by column, give the rows reading every row gave."""
    taken = []
    month_columns = months_module.month_columns

    def counted(*args):
        batch = month_columns(*args)
        taken.append(batch is not None)
        return batch

    monkeypatch.setattr(months_module, "month_columns", counted)
    policy_path = period_policy_file(tmp_path, "mean", "max")
    policy = load_policy(policy_path)
    paths = write_months(tmp_path, 12, 1500, steady=steady, repeat=repeat)
    expected_rows, expected_notes = reference_combine.combine(policy, read_whole(paths, policy_path))
    source = open_period(policy, paths)
    assert shown(expected_rows) == shown(list(source.rows))
    assert [repr(note) for note in expected_notes] == [repr(note) for note in source.notes]
    assert all(taken) and len(taken) >= 6


def test_an_id_written_two_ways_in_the_files_is_refused_as_before(tmp_path):
    """Ids written "Q0001" in one monthly file and "q0001" in the next give the reference's error lines."""
    policy_path = period_policy_file(tmp_path, "mean", "mean")
    policy = load_policy(policy_path)
    paths = write_months(tmp_path, 13, 60)
    text = paths[1].read_text(encoding="utf-8")
    paths[1].write_text(text.replace("Q00", "q00", 4), encoding="utf-8")
    with pytest.raises(MetricsError) as expected:
        reference_combine.combine(policy, read_whole(paths, policy_path))
    with pytest.raises(MetricsError) as error:
        open_period(policy, paths)
    assert expected.value.lines() == error.value.lines()
    assert 4 == len(error.value.lines())


@pytest.mark.parametrize("repeat", [1.0, 0.0])
def test_months_listing_the_agents_alike_fold_through_slices_as_the_reference_combines(tmp_path, monkeypatch, repeat):
    """Months that list the same agents in the same order fold a batch at a time through one slice of
    each figure, to the rows and notes the reference gives."""
    slices = []

    class Counted(fold_module.Place):
        def __init__(self, numbers: list[int]) -> None:
            super().__init__(numbers)
            slices.append(self.cut is not None)

    monkeypatch.setattr(fold_module, "Place", Counted)
    policy_path = period_policy_file(tmp_path, "mean", "max")
    policy = load_policy(policy_path)
    paths = write_months(tmp_path, 15, 1500, repeat=repeat)
    texts = [path.read_text(encoding="utf-8").splitlines() for path in paths]
    every = set.intersection(*({line.split(",")[0] for line in text[1:]} for text in texts))
    for path, (header, *lines) in zip(paths, texts, strict=True):
        kept = sorted(line for line in lines if line.split(",")[0] in every)
        path.write_text("\n".join([header, *kept]) + "\n", encoding="utf-8")
    expected_rows, expected_notes = reference_combine.combine(policy, read_whole(paths, policy_path))
    source = open_period(policy, paths)
    assert shown(expected_rows) == shown(list(source.rows))
    assert [repr(note) for note in expected_notes] == [repr(note) for note in source.notes]
    assert slices.count(True) >= 6


def test_a_currency_changed_within_the_period_is_noted_as_the_reference_notes(tmp_path):
    """Agents whose rows name another currency in one month are noted as the reference notes them."""
    policy_path = period_policy_file(tmp_path, "mean", "mean")
    policy = load_policy(policy_path)
    months = read_whole(write_months(tmp_path, 16, agents=90), policy_path)
    for row in months[1].rows[::7]:
        row.currency = "USD"
    expected = reference_combine.combine(policy, months)
    rows, notes = combine(policy, months)
    assert (shown(expected[0]), expected[1]) == (shown(rows), notes)
    assert 5 < sum(note.key == "note.currency_changed" for note in notes)
