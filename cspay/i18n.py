"""cspay's own words in each language: one catalog file per language, and money formats."""

from __future__ import annotations

import json
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources

DEFAULT_LANGUAGE = "en"

# How each language writes an amount of each currency; {amount} has thousands separators.
MONEY_FORMATS = {
    "en": {"CNY": "¥{amount}", "USD": "${amount}", "EUR": "€{amount}", "GBP": "£{amount}", "*": "{amount} {currency}"},
    "zh": {
        "CNY": "{amount} 元",
        "USD": "{amount} 美元",
        "EUR": "{amount} 欧元",
        "GBP": "{amount} 英镑",
        "*": "{amount} {currency}",
    },
}


def languages() -> list[str]:
    """The languages that have a catalog file."""
    folder = resources.files("cspay") / "locales"
    return sorted(entry.name.removesuffix(".json") for entry in folder.iterdir() if entry.name.endswith(".json"))


@cache
def catalog(language: str) -> dict[str, str]:
    """The messages of one language, by key."""
    text = (resources.files("cspay") / "locales" / f"{language}.json").read_text(encoding="utf-8")
    messages: dict[str, str] = json.loads(text)
    return messages


class Words:
    """cspay's words in one language: `words("summary.headcount")`, with {placeholders} filled in."""

    def __init__(self, language: str | None = None) -> None:
        self.language = language or DEFAULT_LANGUAGE
        if self.language not in languages():
            raise ValueError(f"no messages for language {self.language!r}; have {', '.join(languages())}")
        self.messages = catalog(self.language)

    def __call__(self, key: str, **values: object) -> str:
        text = self.messages.get(key) or catalog(DEFAULT_LANGUAGE)[key]
        return text.format(**values) if values else text

    def money(self, amount: Decimal, currency: str) -> str:
        """An amount as this language writes it: ¥7,940.00 in English, 7,940.00 元 in Chinese."""
        formats = MONEY_FORMATS.get(self.language, MONEY_FORMATS[DEFAULT_LANGUAGE])
        pattern = formats.get(currency, formats["*"])
        sign = "-" if amount < 0 else ""
        return sign + pattern.format(amount=f"{abs(amount):,}", currency=currency)

    def moneys(self, amounts: Mapping[str, Decimal]) -> str:
        """Amounts of several currencies, each as this language writes it, never added up: ¥7,940.00, 343,000 JPY."""
        return ", ".join(self.money(amount, currency) for currency, amount in amounts.items())

    def money_parts(self, currency: str) -> tuple[str, str]:
        """What this language writes before and after an amount of `currency`: ("¥", "") or ("", " 元")."""
        formats = MONEY_FORMATS.get(self.language, MONEY_FORMATS[DEFAULT_LANGUAGE])
        before, _, after = formats.get(currency, formats["*"]).partition("{amount}")
        return before.format(currency=currency), after.format(currency=currency)

    def line_label(self, code: str, label: str) -> str:
        """A payslip line's label: cspay's own words for built-in lines (those the ledger adds written from
        their English pattern again, e.g. `Correction for 2026-11`), the policy's words otherwise."""
        key = f"line.{code}"
        if key in self.messages and label == catalog(DEFAULT_LANGUAGE)[key]:
            return self(key)
        for pattern_key in LEDGER_LINES.get(code, ()):
            found = _pattern(pattern_key).fullmatch(label)
            if found:
                return self(pattern_key, **found.groupdict())
        return label


# The labels of lines the ledger adds, by line code: the catalog keys of their patterns, most specific first.
LEDGER_LINES = {"adjustment.correction": ("line.correction_for_disputes", "line.correction_for")}


@cache
def _pattern(key: str) -> re.Pattern[str]:
    """An English message as a regular expression that finds its placeholders' values in a text."""
    parts = string.Formatter().parse(catalog(DEFAULT_LANGUAGE)[key])
    return re.compile("".join(re.escape(text) + (f"(?P<{name}>.+?)" if name else "") for text, name, _, _ in parts))


@dataclass(frozen=True)
class Note:
    """Something the analyst should know about a run: a catalog key and its values."""

    key: str
    values: dict[str, str | int]
