"""How cspay writes a cell for people and spreadsheets: amounts with separators, scores cut to four places,
text a spreadsheet will not run as a formula. Light on purpose: the ledger's listings use it without
loading the engine or the policy models."""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, Decimal

from cspay.cells import escape_controls

INERT_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
SCORE_PLACES = Decimal("0.0001")
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")  # how cspay writes an amount, a count or a score


def inert(text: str) -> str:
    """Text a spreadsheet will not run as a formula: a leading = + - @ tab or CR gets a quote."""
    return "'" + text if text.startswith(INERT_PREFIXES) else text


def text_cell(text: str) -> str:
    """A cell of a listing's CSV: a number as written (`-21960.00` is an amount, not a formula), any other
    text inert and with its control characters escaped."""
    if _PLAIN_NUMBER.fullmatch(text):
        return text
    return inert(escape_controls(text))


def score_text(score: Decimal | None) -> str:
    """The score cut (not rounded) to 4 places, so it never shows above the grade it earned."""
    return "" if score is None else str(score.quantize(SCORE_PLACES, rounding=ROUND_DOWN))


def number(amount: Decimal) -> str:
    """An amount with thousands separators and its own decimals: 7,940.00."""
    return f"{amount:,}"
