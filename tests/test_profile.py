"""Payment profiles: the shipped ones load, and every mistake is reported at its file:line:col."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import write_yaml

from cspay.errors import PolicyError
from cspay.outputs.profile import LinesColumn, load_profile

PROFILES = sorted((Path(__file__).resolve().parents[1] / "profiles").glob("*.yaml"))
ROWS = """profile: p
roster: {id: agent_id}
columns:
  - {header: id, field: agent_id}
  - {header: account, roster: bank_account}
  - {header: gross, field: gross}
"""


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        load_profile(write_yaml(tmp_path, text, "profile.yaml"))
    return caught.value.lines()


@pytest.mark.parametrize("path", PROFILES, ids=lambda path: path.name)
def test_shipped_profiles_load(path):
    """Each profile in profiles/ is valid."""
    assert load_profile(path).columns


def test_a_line_column_is_a_lines_column_of_one(tmp_path):
    """`line: bonus` is read as `lines: [bonus]`, and a pattern matches codes by `*`."""
    profile = load_profile(
        write_yaml(tmp_path, ROWS + "  - {header: b, line: bonus}\n  - {header: a, lines: allowance.*}\n")
    )
    bonus, allowances = profile.columns[-2:]
    assert isinstance(bonus, LinesColumn) and ["bonus"] == bonus.lines
    assert (True, False) == (allowances.takes("allowance.meal"), allowances.takes("bonus"))


def test_tab_names_the_tab_delimiter(tmp_path):
    """delimiter: tab is a tab."""
    assert "\t" == load_profile(write_yaml(tmp_path, ROWS + "delimiter: tab\n")).delimiter


def test_a_misspelt_key_names_the_closest_one(tmp_path):
    """An unknown key is reported at its line with the key it most likely meant."""
    path = tmp_path / "profile.yaml"
    assert [f"{path}:7:1: encodng: unknown key 'encodng'; did you mean 'encoding'?"] == problems(
        tmp_path, ROWS + "encodng: gb18030\n"
    )


def test_a_column_with_two_sources_is_refused(tmp_path):
    """A column takes its value from one source; two is an error at the column."""
    text = ROWS + "  - {header: x, field: name, text: y}\n"
    (message,) = problems(tmp_path, text)
    assert message.startswith(f"{tmp_path / 'profile.yaml'}:7:5: columns[3]: a column takes its value from one of")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("encoding: klingon\n", "encoding: unknown encoding 'klingon'; e.g. utf-8"),
        ('delimiter: ";;"\n', "delimiter: expected one character"),
        ("decimals: 9\n", "decimals: Input should be less than or equal to 8"),
        ("layout: ledger\n", "layout: expected one of 'rows' or 'journal', got 'ledger'"),
    ],
)
def test_bad_values_are_located(tmp_path, extra, message):
    """Each bad value names its key and what is expected."""
    (found,) = problems(tmp_path, ROWS + extra)
    assert f"{tmp_path / 'profile.yaml'}:7:" in found and message in found


def test_a_field_of_the_other_layout_is_refused(tmp_path):
    """A rows profile has no `debit`; the error lists the fields it has."""
    (found,) = problems(tmp_path, ROWS + "  - {header: d, field: debit}\n")
    assert "columns[3]: field 'debit' is not one of a rows profile's: agent_id, name" in found


def test_roster_columns_need_the_roster_id(tmp_path):
    """Reading roster columns without naming the roster's id column is refused."""
    (found,) = problems(tmp_path, ROWS.replace("roster: {id: agent_id}\n", ""))
    assert "the profile reads roster columns; add roster: {id: COLUMN}" in found


def test_a_journal_needs_its_section(tmp_path):
    """layout: journal without journal: says what the section holds."""
    text = "profile: j\nlayout: journal\ncolumns:\n  - {header: a, field: account}\n"
    (found,) = problems(tmp_path, text)
    assert "a journal profile needs a journal: section (group, accounts, payable)" in found


def test_a_profile_is_read_as_safely_as_a_policy(tmp_path):
    """Anchors are refused in a profile, as in a policy, and the message says profile."""
    (found,) = problems(tmp_path, "profile: &p x\ncolumns: []\n")
    assert found.endswith("anchors and aliases (&, *) are not allowed in a profile")
