"""cspay test: policy test cases in YAML, run through the real row parser and engine."""

from __future__ import annotations

import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from cspay.cli import app
from cspay.errors import CaseError
from cspay.rollout.case_file import CaseNumber, cell_text, read_cases
from cspay.rollout.cases import run_cases

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"
CASES = (DATA / "cases" / "standard.cases.yaml").read_text(encoding="utf-8")


def case_file(tmp_path: Path, text: str = CASES, name: str = "standard.cases.yaml") -> Path:
    """A case file in tmp_path/cases/, beside a copy of the test policy one folder up."""
    shutil.copy(DATA / "standard.yaml", tmp_path / "standard.yaml")
    (tmp_path / "cases").mkdir(exist_ok=True)
    path = tmp_path / "cases" / name
    path.write_text(text, encoding="utf-8")
    return path


def with_cases(body: str) -> str:
    """The fixture's policy and defaults with other cases."""
    return CASES.split("cases:\n", 1)[0] + "cases:\n" + body


def test_shipped_cases_all_pass():
    """Every case shipped in policies/cases/ passes against its policy."""
    files = run_cases([ROOT / "policies" / "cases"])
    assert {"standard.cases.yaml", "zh-hotline.cases.yaml"} <= {f.path.name for f in files}
    assert [] == [error for f in files for error in f.errors]
    failing = [(r.name, r.error, r.failures) for f in files for r in f.results if not r.passed]
    assert [] == failing
    assert 25 < sum(len(f.results) for f in files)


def test_cli_passes_on_the_fixture(runner):
    """All cases pass: exit 0 and a summary line."""
    result = runner.invoke(app, ["test", str(DATA / "cases")])
    assert 0 == result.exit_code, result.output
    assert "Cases: 2 passed, 0 failed, 0 could not run.\n" in result.stdout


def test_changed_expected_value_fails_with_a_readable_diff(runner, tmp_path):
    """Changing gross to 7941.00 fails: case, file:line of the value, field, expected and actual."""
    path = case_file(tmp_path, CASES.replace("gross: 7940.00", "gross: 7941.00"))
    result = runner.invoke(app, ["test", str(path)])
    assert 1 == result.exit_code
    row = rf"│ worked example\s+│ {re.escape(str(path))}:27\s+│ gross\s+│ 7941.00\s+│ 7940.00\s+│"
    assert re.search(row, result.stdout), result.stdout
    assert "Cases: 1 passed, 1 failed, 0 could not run.\n" in result.stdout


def test_update_rewrites_only_the_values_that_differ(runner, tmp_path):
    """--update puts 7940.00 and grade C back, leaving every comment, key and line as it was."""
    changed = CASES.replace("gross: 7940.00", "gross: 7941.00").replace("{grade: C,", "{grade: B,")
    path = case_file(tmp_path, changed)
    result = runner.invoke(app, ["test", str(path), "--update"])
    assert 0 == result.exit_code, result.output
    assert f"Rewrote 2 expected value(s) in {path}.\n" in result.stdout
    assert CASES == path.read_text(encoding="utf-8")


def test_update_writes_a_score_at_its_own_places(runner, tmp_path):
    """A wrong score written to 4 places is rewritten as the actual score cut to 4 places."""
    path = case_file(tmp_path, CASES.replace("score: 1.1416 ", "score: 1.2000 "))
    runner.invoke(app, ["test", str(path), "--update"])
    assert CASES == path.read_text(encoding="utf-8")


def test_cells_are_read_as_a_csv_would_hold_them():
    """A number keeps the text it was written with, so "007" stays "007"; nothing is an empty cell."""
    assert ["007", "92.5", "", "true"] == [cell_text(v) for v in (CaseNumber("007"), CaseNumber("92.5"), None, True)]


def test_score_is_compared_at_the_places_written(tmp_path):
    """1.1416 matches 1.14166… (cut to 4 places); 1.1417 does not, though it is the rounded value."""
    body = """  - name: cut
    row: {csat: 92.5%, fcr: 0.81, aht_sec: "0:05:35", qa_score: 88}
    expect: {score: 1.1416}
  - name: rounded
    row: {csat: 92.5%, fcr: 0.81, aht_sec: "0:05:35", qa_score: 88}
    expect: {score: 1.1417}
"""
    results = run_cases([case_file(tmp_path, with_cases(body))])[0].results
    assert [True, False] == [r.passed for r in results]


def test_score_tolerance_allows_a_distance(tmp_path):
    """With score_tolerance 0.01, 1.15 matches 1.14166…; 1.13 does not."""
    body = """  - name: near
    row: {csat: 92.5%, fcr: 0.81, aht_sec: "0:05:35", qa_score: 88}
    expect: {score: 1.15, score_tolerance: 0.01}
  - name: far
    row: {csat: 92.5%, fcr: 0.81, aht_sec: "0:05:35", qa_score: 88}
    expect: {score: 1.13, score_tolerance: 0.01}
"""
    results = run_cases([case_file(tmp_path, with_cases(body))])[0].results
    assert [True, False] == [r.passed for r in results]


def test_money_is_compared_exactly(tmp_path):
    """7960 matches 7960.00, but 7960.001 does not."""
    body = """  - name: whole
    expect: {gross: 7960}
  - name: a tenth of a cent off
    expect: {gross: 7960.001}
"""
    results = run_cases([case_file(tmp_path, with_cases(body))])[0].results
    assert [True, False] == [r.passed for r in results]
    assert Decimal("7960.00") == results[1].failures[0].actual


def test_unknown_expected_field_is_located_with_a_hint(runner, tmp_path):
    """`bonuss` is an error at its line and column, suggesting `bonus`."""
    path = case_file(tmp_path, with_cases("  - name: typo\n    expect: {bonuss: 2160.00}\n"))
    result = runner.invoke(app, ["test", str(path)])
    assert 1 == result.exit_code
    assert f"Error: {path}:19:14: case 'typo': expect.bonuss: unknown field; did you mean 'bonus'?\n" == result.stderr


def test_bad_cell_is_reported_like_a_csv_cell(runner, tmp_path):
    """A cell the policy cannot read names the case's line, the column, the text and what was expected."""
    path = case_file(tmp_path, with_cases("  - name: bad\n    row: {fcr: 1.7}\n    expect: {gross: 1}\n"))
    result = runner.invoke(app, ["test", str(path)])
    assert 1 == result.exit_code
    assert (
        f'Error: {path}:19: case \'bad\', column "fcr": got "1.7", expected a ratio between 0 and 1, like 0.81 or 81%\n'
    ) == result.stderr
    assert "Cases: 0 passed, 0 failed, 1 could not run.\n" in result.stdout


def test_missing_column_says_where_to_give_it(tmp_path):
    """A column the policy reads that neither defaults nor row gives is a problem of that case."""
    text = with_cases("  - name: no tickets\n    expect: {gross: 1}\n").replace("  tickets: 900\n", "")
    result = run_cases([case_file(tmp_path, text)])[0].results[0]
    assert result.error.startswith(
        f"{tmp_path / 'cases' / 'standard.cases.yaml'}:17: case 'no tickets': "
        f"missing required columns: tickets (the header has: "
    )
    assert result.error.endswith("; give them in `defaults:` or in the case's `row:`")


def test_duplicate_case_names_are_refused(tmp_path):
    """Two cases named alike make the file an error naming both lines."""
    body = "  - name: twice\n    expect: {gross: 1}\n  - name: twice\n    expect: {gross: 1}\n"
    path = case_file(tmp_path, with_cases(body))
    assert [f"{path}:20:5: case 'twice' is also at line 18; each case needs its own name"] == (
        run_cases([path])[0].errors
    )


def test_policy_path_is_relative_to_the_case_file(tmp_path):
    """A policy that is not there is an error at the `policy:` line."""
    path = case_file(tmp_path, CASES.replace("policy: ../standard.yaml", "policy: standard.yaml"))
    assert [
        f"{path}:2:9: policy: {path.parent / 'standard.yaml'}: no such file (the path is relative to the case file)"
    ] == run_cases([path])[0].errors


def test_folder_holds_only_cases_files(tmp_path):
    """A folder yields its *.cases.yaml files, not the policies beside them."""
    case_file(tmp_path)
    assert ["standard.cases.yaml"] == [f.path.name for f in run_cases([tmp_path])]


def test_missing_path_is_an_error(runner, tmp_path):
    """A case path that does not exist exits 1 naming it."""
    result = runner.invoke(app, ["test", str(tmp_path / "nope.cases.yaml")])
    assert 1 == result.exit_code
    assert f"Error: {tmp_path / 'nope.cases.yaml'}: no such file or folder\n" == result.stderr


def test_folder_without_cases_is_an_error(tmp_path):
    """A folder with no case files is an error rather than a silent pass."""
    with pytest.raises(CaseError):
        run_cases([tmp_path])


def test_update_keeps_the_file_s_own_indentation(runner, tmp_path):
    """A file that indents with 4 spaces and dashes at the key's column keeps that layout after --update."""
    text = (
        "policy: ../standard.yaml\ndefaults:\n    agent_id: T1\n    role: L1\n    worked_days: 21.75\n"
        "    csat: 90\n    surveys: 64\n    fcr: 0.78\n    aht_sec: 360\n    qa_score: 85\n"
        "    attendance: 100\n    valid_complaints: 0\n    tickets: 900\ncases:\n"
        "-   name: at target   # every KPI at target\n    expect:\n        gross: {gross}\n"
    )
    path = case_file(tmp_path, text.replace("{gross}", "1.00"))
    runner.invoke(app, ["test", str(path), "--update"])
    assert text.replace("{gross}", "7960.00") == path.read_text(encoding="utf-8")


def test_aliases_in_a_case_file_are_refused_before_they_expand(tmp_path):
    """A few hundred bytes of nested aliases would expand to billions of values: refused at the first."""
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    lines += [f"{b}: &{b} [{','.join([f'*{a}'] * 9)}]" for a, b in zip("abcdefg", "bcdefgh", strict=True)]
    path = case_file(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(CaseError, match=r":1:4: anchors and aliases \(&, \*\) are not allowed in a case file"):
        read_cases(path)


def test_an_anchor_alone_is_refused(tmp_path):
    """An anchor without an alias is refused too: case files hold plain data."""
    path = case_file(tmp_path, with_cases("  - name: one\n    row: &r {agent_id: A1}\n"))
    with pytest.raises(CaseError, match="anchors and aliases"):
        read_cases(path)


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_device_as_a_case_file_is_bounded(device):
    """A device never ends: at most 1 MiB is read, then it is refused."""
    with pytest.raises(CaseError, match="larger than 1,048,576 bytes; expected a case file of at most 1 MiB"):
        read_cases(Path(device))
