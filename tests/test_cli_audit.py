"""The audit trail can be trusted: reasons and names show something, what they hold is shown as stored
(control characters escaped) in tables and CSV, the account is the operating system's, and the CSV of a
listing writes amounts as numbers."""

from __future__ import annotations

import csv
import io
import os
import pwd
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cspay.cells import escape_controls, visible
from cspay.cli import app
from cspay.ledger.reads import Who
from cspay.lockfiles import account
from cspay.outputs.text import text_cell

DATA = Path(__file__).parent / "data"
POLICY = str(DATA / "controls.yaml")
MONTH = str(DATA / "month.csv")

# Text that shows nothing: spaces of every kind, zero-width characters, joiners, direction marks, the BOM,
# variation selectors, the Hangul fillers, the braille blank, line and paragraph separators, controls.
BLANKS = ["", " ", "\t\n", "\u00a0", "\u3000", "\u200b", "\u200c\u200d", "\u2060\ufeff", "\u200e\u202e", "\ufe0f",
          "\u3164", "\u115f", "\u2800", "\u2028\u2029", "\x00\x1b", " \u200b \u3000 "]  # fmt: skip
invisible = st.text(st.characters(categories=["Zs", "Zl", "Zp", "Cc", "Cf"]), max_size=8)


@given(invisible)
def test_text_of_spaces_and_format_characters_is_not_visible(text):
    """Any mix of separators, controls and format characters shows nothing."""
    assert not visible(text)


# Letters and symbols that draw nothing: the Hangul fillers, the variation selectors and the braille blank.
BLANK_LOOKING = "\u115f\u1160\u3164\uffa0\u2800" + "".join(map(chr, range(0xFE00, 0xFE10)))


@given(invisible, st.characters(categories=["L", "N", "P", "S"], exclude_characters=BLANK_LOOKING), invisible)
def test_one_letter_digit_or_sign_is_visible(before, shown, after):
    """One letter, digit, punctuation mark or symbol that draws something, among invisible characters, is
    visible text."""
    assert visible(before + shown + after)


@given(invisible, st.sampled_from(BLANK_LOOKING), invisible)
def test_a_letter_or_symbol_that_draws_nothing_is_not_visible(before, blank, after):
    """A Hangul filler, variation selector or braille blank among invisible characters shows nothing."""
    assert not visible(before + blank + after)


@pytest.fixture
def ledger(runner, tmp_path) -> str:
    """November recorded by Qin Hai, approved by Kong Wen, closed: every control step is possible."""
    path = str(tmp_path / "pay.db")
    for args in (
        ["compute", POLICY, MONTH, "--record", "--period", "2026-11", "--by", "Qin Hai"],
        ["dispute", "open", "2026-11", "A001", "--kpi", "csat", "--claim", "Surveys", "--by", "Qin Hai"],
        ["adjust", "add", "2026-11", "A001", "-200", "--code", "overpayment_recovery", "--reason", "Paid twice",
         "--policy", POLICY, "--by", "Qin Hai"],
    ):  # fmt: skip
        result = runner.invoke(app, [*args, "--ledger", path])
        assert 0 == result.exit_code, result.output
    return path


TEXT_OPTIONS = {
    "reopen --reason": (["reopen", "2026-11"], "--reason"),
    "adjust add --reason": (
        ["adjust", "add", "2026-11", "A001", "50", "--code", "retention_bonus", "--policy", POLICY],
        "--reason",
    ),
    "adjust reject --note": (["adjust", "reject", "1"], "--note"),
    "adjust void --reason": (["adjust", "void", "1"], "--reason"),
    "dispute open --claim": (["dispute", "open", "2026-11", "A001", "--kpi", "csat"], "--claim"),
    "dispute resolve --note": (["dispute", "resolve", "1", "--accept"], "--note"),
    "approve --by": (["approve", "2026-11"], "--by"),
    "compute --by": (["compute", POLICY, MONTH, "--record", "--period", "2026-12"], "--by"),
}


@pytest.mark.parametrize("blank", BLANKS)
@pytest.mark.parametrize("option", sorted(TEXT_OPTIONS))
def test_a_reason_or_name_that_shows_nothing_is_a_usage_error(runner, ledger, option, blank):
    """Every reason, note, claim and --by refuses text with nothing visible in it: exit 2, the ledger unchanged."""
    args, name = TEXT_OPTIONS[option]
    before = Path(ledger).read_bytes()
    result = runner.invoke(app, [*args, name, blank, "--ledger", ledger])
    assert 2 == result.exit_code, result.output
    assert f"Invalid value for {name}: expected some visible" in result.stderr or "expected a visible name" in (
        result.stderr
    )
    assert before == Path(ledger).read_bytes()


HOSTILE = "Fixed\x1b[2J\x1b[31m by \u202eevil\u202c\u2028next\x07"


def test_control_characters_are_escaped_in_text():
    """Controls, direction overrides and line separators are written as escapes; other text is kept."""
    assert "Fixed\\x1b[2J\\x1b[31m by \\u202eevil\\u202c\\u2028next\\x07" == escape_controls(HOSTILE)
    assert "王芳 · ok" == escape_controls("王芳 · ok")


@pytest.mark.parametrize(
    "args",
    [["adjust", "list"], ["dispute", "list"], ["runs"]],
)
@pytest.mark.parametrize("format", ["table", "csv"])
def test_a_hostile_reason_is_shown_escaped(runner, ledger, args, format):
    """A reason, note or name holding control characters is shown escaped in tables and CSV: the terminal
    is never cleared, coloured or turned around by what someone typed."""
    for step in (
        ["adjust", "void", "1", "--reason", HOSTILE, "--by", HOSTILE],
        ["dispute", "resolve", "1", "--reject", "--note", HOSTILE, "--by", HOSTILE],
        ["approve", "2026-11", "--by", HOSTILE],
    ):
        result = runner.invoke(app, [*step, "--ledger", ledger])
        assert 0 == result.exit_code, result.output
    result = runner.invoke(app, [*args, "--ledger", ledger, "--format", format])
    assert 0 == result.exit_code, result.output
    assert not any(character in result.stdout for character in "\x1b\x07\u202e\u202c\u2028")
    if args != ["runs"] or format == "table":  # runs' CSV has no column for who approved
        assert "\\x1b[2J" in result.stdout


def test_negative_amounts_in_a_listing_csv_are_numbers(runner, ledger):
    """adjust list --format csv writes -200.00 as a number, not as the text '-200.00."""
    result = runner.invoke(app, ["adjust", "list", "--ledger", ledger, "--format", "csv"])
    row = next(csv.DictReader(io.StringIO(result.stdout)))
    assert "-200.00" == row["amount"]


@pytest.mark.parametrize(
    ("cell", "written"),
    [("-21960.00", "-21960.00"), ("0", "0"), ("-5", "-5"), ("=1+2", "'=1+2"), ("-1+2", "'-1+2"), ("+5", "'+5"),
     ("@SUM(A1)", "'@SUM(A1)"), ("-2E5", "'-2E5"), ("A001", "A001")],
)  # fmt: skip
def test_only_text_cells_get_the_formula_guard(cell, written):
    """A plain number is written as it is; any other cell that a spreadsheet could run gets a quote."""
    assert written == text_cell(cell)


def test_history_csv_writes_a_negative_correction_as_a_number(runner, tmp_path):
    """A correction that lowers a month is written as -900.00 in history's CSV."""
    ledger = str(tmp_path / "pay.db")
    better = tmp_path / "better.csv"
    better.write_text(Path(MONTH).read_text(encoding="utf-8").replace("92.5%", "99%"), encoding="utf-8")
    for args in (
        ["compute", POLICY, str(better), "--record", "--period", "2026-11", "--by", "Qin Hai"],
        ["approve", "2026-11", "--by", "Kong Wen"],
        ["close", "2026-11", "--by", "Kong Wen"],
        ["compute", POLICY, MONTH, "--record", "--correction", "--period", "2026-11", "--by", "Qin Hai"],
    ):
        result = runner.invoke(app, [*args, "--ledger", ledger])
        assert 0 == result.exit_code, result.output
    result = runner.invoke(app, ["history", "A001", "--ledger", ledger, "--format", "csv"])
    correction = next(csv.DictReader(io.StringIO(result.stdout)))["correction"]
    assert correction.startswith("-") and correction[1:].replace(".", "").isdigit()


def test_the_account_recorded_is_the_operating_systems(monkeypatch):
    """The account is the uid's own, whatever USER or LOGNAME say."""
    monkeypatch.setenv("USER", "mallory")
    monkeypatch.setenv("LOGNAME", "mallory")
    assert pwd.getpwuid(os.getuid()).pw_name == Who.now().user


def test_the_environment_names_the_account_only_when_the_uid_has_none(monkeypatch):
    """In a container whose uid has no account, LOGNAME (or USER) names it, else the uid itself."""

    def missing(uid):
        raise KeyError(uid)

    monkeypatch.setattr(pwd, "getpwuid", missing)
    monkeypatch.setenv("LOGNAME", "builder")
    assert "builder" == account()
    monkeypatch.delenv("LOGNAME")
    monkeypatch.delenv("USER", raising=False)
    assert f"uid {os.getuid()}" == account()
