"""cspay's own words: complete catalogs, keys that exist, no English left in Chinese output, money formats."""

from __future__ import annotations

import ast
import re
import string
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from helpers import ascii_words, english_words
from typer.testing import CliRunner

from cspay.cli import app
from cspay.i18n import Words, catalog, languages
from cspay.ledger.reads import Who

SOURCE = Path(__file__).resolve().parents[1] / "cspay"
DATA = Path(__file__).parent / "data"
ZH_POLICY = str(DATA / "zh-hotline.yaml")
ZH_MONTH = str(DATA / "zh-hotline-2026-11.csv")


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def keys_used_in_source() -> list[tuple[str, str]]:
    """Each `words("key")` / `words(f"prefix.{x}")` call in cspay/*.py, as a regular expression of its key."""
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and node.args and _called_name(node.func) == "words"):
                continue
            key = node.args[0]
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                found.append((path.name, re.escape(key.value)))
            elif isinstance(key, ast.JoinedStr):
                parts = [re.escape(p.value) if isinstance(p, ast.Constant) else ".+" for p in key.values]
                found.append((path.name, "".join(parts)))
    return found


def _called_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else None


@pytest.mark.parametrize("language", languages())
def test_catalog_has_every_english_key(language):
    """Every catalog has exactly the keys of the English one: none missing, none extra."""
    assert sorted(catalog("en")) == sorted(catalog(language))


@pytest.mark.parametrize("language", languages())
def test_catalog_messages_take_the_same_placeholders(language):
    """A message takes the same {placeholders} in every language."""
    english = catalog("en")
    differ = [
        key
        for key, text in catalog(language).items()
        if key in english and placeholders(text) != placeholders(english[key])
    ]
    assert [] == differ


def test_every_key_used_in_the_source_is_in_the_english_catalog():
    """Each words("...") key in cspay's code exists in en.json (an f-string key matches at least one)."""
    used = keys_used_in_source()
    assert len(used) > 10  # the scan itself works
    keys = catalog("en")
    missing = [(name, pattern) for name, pattern in used if not any(re.fullmatch(pattern, k) for k in keys)]
    assert [] == missing


def test_chinese_table_has_no_english_word():
    """compute --lang zh prints no word of the English catalog in its table and summary."""
    result = CliRunner().invoke(app, ["compute", ZH_POLICY, ZH_MONTH, "--lang", "zh"])
    assert 0 == result.exit_code, result.output
    assert "应发合计" in result.stdout
    assert set() == ascii_words(result.stdout) & english_words()


def test_chinese_workbook_has_no_english_word(tmp_path):
    """compute --format xlsx --lang zh has no word of the English catalog in any sheet name or cell."""
    target = tmp_path / "pay.xlsx"
    result = CliRunner().invoke(app, ["compute", ZH_POLICY, ZH_MONTH, "--lang", "zh", "-f", "xlsx", "-o", str(target)])
    assert 0 == result.exit_code, result.output
    book = openpyxl.load_workbook(target)
    texts = [*book.sheetnames, result.stderr.replace(str(target), "")]
    texts += [
        cell for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row if isinstance(cell, str)
    ]
    assert "工资单" == book.sheetnames[0]
    assert set() == ascii_words("\n".join(texts)) & english_words()


def test_english_words_catch_english():
    """The check above would notice an English header."""
    assert {"gross"} == ascii_words("Gross 应发合计") & english_words()


@pytest.mark.parametrize(
    ("language", "currency", "expected"),
    [
        ("en", "CNY", "¥7,940.00"),
        ("en", "USD", "$7,940.00"),
        ("en", "EUR", "€7,940.00"),
        ("zh", "CNY", "7,940.00 元"),
        ("zh", "USD", "7,940.00 美元"),
        ("zh", "EUR", "7,940.00 欧元"),
        ("en", "JPY", "7,940.00 JPY"),
        ("zh", "JPY", "7,940.00 JPY"),
    ],
)
def test_money(language, currency, expected):
    """Each language writes each currency its own way; an unknown currency gets its code."""
    assert expected == Words(language).money(Decimal("7940.00"), currency)


@pytest.mark.parametrize(("language", "expected"), [("en", "-¥1,234.50"), ("zh", "-1,234.50 元")])
def test_negative_money_has_the_sign_first(language, expected):
    """A negative amount starts with its minus sign."""
    assert expected == Words(language).money(Decimal("-1234.50"), "CNY")


@pytest.mark.parametrize(
    ("language", "currency", "expected"),
    [
        ("en", "CNY", ("¥", "")),
        ("en", "EUR", ("€", "")),
        ("zh", "USD", ("", " 美元")),
        ("zh", "GHS", ("", " GHS")),
    ],
)
def test_money_parts(language, currency, expected):
    """The texts around an amount, as the workbook's number format needs them."""
    assert expected == Words(language).money_parts(currency)


def test_built_in_line_label_is_translated():
    """cspay's own line labels come from the catalog; the policy's own labels stay as written."""
    words = Words("zh")
    assert "基本工资" == words.line_label("base_pay", "Base pay")
    assert "meal" == words.line_label("allowance.meal", "meal")
    assert "Minimum wage top-up" == words.line_label("floor", "Minimum wage top-up")


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Correction for 2026-11", "2026-11 更正"),
        ("Correction for 2026-10, 2026-11 (dispute 3, 4)", "2026-10, 2026-11 更正（申诉 3, 4）"),
        ("Correction entered by hand", "Correction entered by hand"),
    ],
)
def test_ledger_line_labels_are_written_again_in_the_language(label, expected):
    """A correction line's label, made from its English pattern, is written from the Chinese one; a label
    that follows no pattern stays as it is."""
    assert expected == Words("zh").line_label("adjustment.correction", label)


def test_chinese_control_lists_have_no_english_word(tmp_path):
    """runs, adjust list and dispute list --lang zh print no word of the English catalog of their own."""
    runner, ledger = CliRunner(), str(tmp_path / "pay.db")
    policy = str(DATA / "controls.yaml")
    month = str(DATA / "month.csv")
    runner.invoke(
        app, ["compute", policy, month, "--record", "--period", "2026-11", "--ledger", ledger, "--by", "秦海"]
    )
    runner.invoke(app, ["approve", "2026-11", "--ledger", ledger, "--by", "孔文"])
    runner.invoke(app, ["adjust", "add", "2026-11", "A001", "800", "--code", "retention_bonus", "--reason", "旺季留任",
                        "--policy", policy, "--ledger", ledger, "--by", "秦海"])  # fmt: skip
    runner.invoke(app, ["dispute", "open", "2026-11", "A001", "--kpi", "csat", "--claim", "问卷不是我的",
                        "--ledger", ledger, "--by", "秦海"])  # fmt: skip
    texts = []
    for command in (["runs"], ["adjust", "list"], ["dispute", "list", "--period", "2026-11"]):
        result = runner.invoke(app, [*command, "--ledger", ledger, "--lang", "zh"])
        assert 0 == result.exit_code, result.output
        texts.append(result.stdout.replace(ledger, ""))
    account = re.escape(f"{Who.now().user}@{Who.now().host}")  # the machine's names are no words of cspay's
    assert set() == ascii_words(re.sub(account, "", "\n".join(texts))) & english_words()
