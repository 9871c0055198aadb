"""Turning the text of one CSV cell into a number, the way exports write them."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from itertools import repeat
from operator import is_

# Cells that mean "no value"; a missing value is never read as zero.
MISSING_MARKERS = frozenset({"", "na", "n/a", "#n/a", "-", "--", "—", "–", "nan", "null", "none"})

# Digits are 0-9 only (after full-width ones are folded): a superscript ², a circled ① or another script's
# digit is not read as a number.
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+", re.ASCII)  # 21,75: a decimal comma (1,234 is read as thousands)
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?", re.ASCII)
_HMS = re.compile(r"(\d+):([0-5]\d):([0-5]\d(?:\.\d+)?)", re.ASCII)
_MS = re.compile(r"(\d+):([0-5]\d(?:\.\d+)?)", re.ASCII)
# Full-width forms as Chinese input methods type them (９５％, ：) and the ideographic space, folded to ASCII.
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_CURRENCY = ("¥", "$", "€", "£", "元", "RMB", "CNY", "USD", "EUR")

HUNDRED = Decimal(100)
# Cells are refused from 10**15 on: no count, duration or score is that large, and pay computed from one
# could need more than the 28 digits Decimal keeps exact.
LARGEST_DIGITS = 15
# A number written with more significant digits than Decimal's context keeps (28) is refused: the first
# sum or product it took part in would round it, unseen.
MOST_SIGNIFICANT = 28


class CellError(ValueError):
    """A cell's text is not what its column expects; `expected` says what would be."""

    def __init__(self, expected: str) -> None:
        super().__init__(expected)
        self.expected = expected


def clean(text: str) -> str:
    """Fold full-width characters (９５％ → 95%) and surrounding spaces away; nothing else is folded."""
    if text.isascii():
        return text.strip()
    return text.translate(_FULL_WIDTH).strip()


# Characters that change how text shows without being seen: format characters (zero-width space, joiners,
# direction marks), the Hangul fillers and variation selectors.
_INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0") | frozenset(map(chr, range(0xFE00, 0xFE10)))


def id_key(agent_id: str) -> str:
    """What a person reads an agent id as: compared after NFKC, case folding, every digit as 0-9, and
    spaces and invisible characters removed, so "A001", "a001", "Ａ００１" and "A\u200b001" are one agent."""
    if agent_id.isascii():
        return "".join(agent_id.split()).lower() if " " in agent_id else agent_id.lower()
    text = unicodedata.normalize("NFKC", agent_id)
    kept = []
    for character in text:
        if character.isspace() or character in _INVISIBLE or unicodedata.category(character) == "Cf":
            continue
        digit = unicodedata.decimal(character, None)
        kept.append(character if digit is None else str(digit))
    return "".join(kept).casefold()


# Control characters (NUL, tab, line breaks, escape …), line and paragraph separators, and the direction
# overrides that make text read differently from how it is stored: refused in ids, names and text cells.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def control_character(text: str) -> str | None:
    """The first control character in `text`, as U+XXXX, or None when there is none."""
    match = _CONTROL.search(text)
    return None if match is None else f"U+{ord(match.group()):04X}"


def text_key(text: str) -> str:
    """Text as compared when people name the same thing: full-width folded, spaces collapsed, case ignored
    (`Complaints `, `complaints`, `ｃｏｍｐｌａｉｎｔｓ` are one name)."""
    return " ".join(unicodedata.normalize("NFKC", text).split()).casefold()


# What shows nothing: spaces and separators (Z*), controls, format characters (zero-width space, joiners,
# direction marks), surrogates, private-use and unassigned code points (C*), and the blank-looking letters.
_BLANK_CATEGORIES = ("Z", "C")
_BLANK = _INVISIBLE | {"\u2800"}  # and the braille blank


def visible(text: str) -> bool:
    """Whether `text` shows anything to a reader: not only spaces, zero-width or other invisible characters."""
    return any(
        unicodedata.category(character)[0] not in _BLANK_CATEGORIES and character not in _BLANK for character in text
    )


# What changes how a table reads without being text: controls, line and paragraph separators, direction
# marks, embeddings, overrides and isolates.
_UNSHOWN = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def escape_controls(text: str) -> str:
    """`text` with each control character written as an escape (\\x1b, \\u202e), so a table shows what is stored."""
    if text.isprintable() and text.isascii():
        return text
    return _UNSHOWN.sub(lambda match: _escape(match.group()), text)


def _escape(character: str) -> str:
    code = ord(character)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def is_missing(text: str) -> bool:
    """True for an empty cell or one of the usual "no value" markers (NA, N/A, -, nan …)."""
    return clean(text).casefold() in MISSING_MARKERS


def _strip_currency(text: str) -> str:
    for sign in _CURRENCY:
        if text.startswith(sign):
            text = text[len(sign) :].strip()
        if text.endswith(sign):
            text = text[: -len(sign)].strip()
    return text


def parse_number(text: str, expected: str = "a number") -> Decimal:
    """Read a plain number; allows thousands separators, currency signs and full-width digits."""
    value = clean(text)
    if not _NUMBER.fullmatch(value):
        value = _strip_currency(value)
        if _GROUPED.fullmatch(value):
            value = value.replace(",", "")
        if not _NUMBER.fullmatch(value):
            if _DECIMAL_COMMA.fullmatch(value):
                raise CellError(f"{expected}, written with a decimal point ({value.replace(',', '.')})")
            raise CellError(expected)
    try:
        number = Decimal(value)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid literals
        raise CellError(expected) from None
    if number and number.adjusted() >= LARGEST_DIGITS:  # no metric is this large; pay from it would overflow
        raise CellError(f"a number below {10**LARGEST_DIGITS:,} in size")
    if significant_digits(number) > MOST_SIGNIFICANT:
        raise CellError(f"{expected} of at most {MOST_SIGNIFICANT} significant digits")
    return number


def significant_digits(number: Decimal) -> int:
    """How many significant digits a number is written with, trailing zeros aside (0.0500 has 1)."""
    digits = number.as_tuple().digits
    end = len(digits)
    while end and digits[end - 1] == 0:
        end -= 1
    start = 0
    while start < end and digits[start] == 0:
        start += 1
    return end - start


def parse_plain(text: str) -> Decimal:
    """A number for gates, adjustments, proration and volumes: a trailing % is dropped."""
    value = clean(text)
    if value.endswith("%"):
        value = value[:-1].strip()
    return parse_number(value)


def parse_percent(text: str) -> Decimal:
    """A percentage 0-100; "92.5%" and "92.5" both read as 92.5."""
    expected = "a percentage between 0 and 100, like 92.5 or 92.5%"
    value = clean(text)
    if value.endswith("%"):
        value = value[:-1].strip()
    number = parse_number(value, expected)
    if not 0 <= number <= HUNDRED:
        raise CellError(expected)
    return number


def parse_ratio(text: str) -> Decimal:
    """A ratio 0-1; "81%" reads as 0.81."""
    expected = "a ratio between 0 and 1, like 0.81 or 81%"
    value = clean(text)
    if value.endswith("%"):
        number = parse_number(value[:-1].strip(), expected) / HUNDRED
    else:
        number = parse_number(value, expected)
    if not 0 <= number <= 1:
        raise CellError(expected)
    return number


def parse_duration(text: str) -> Decimal:
    """Seconds as a number, or a duration h:mm:ss or m:ss ("0:05:35" is 335)."""
    expected = 'seconds (a number of at least 0) or a duration like "0:05:35"'
    value = clean(text)
    if match := _HMS.fullmatch(value):
        hours, minutes, seconds = match.groups()
        number = int(hours) * 3600 + int(minutes) * 60 + Decimal(seconds)
    elif match := _MS.fullmatch(value):
        minutes, seconds = match.groups()
        number = int(minutes) * 60 + Decimal(seconds)
    else:
        number = parse_number(value, expected)
    if number < 0:
        raise CellError(expected)
    return number


# Yes/no cells as helpdesk exports write them, in English and Chinese.
FLAG_WORDS = {"y": True, "yes": True, "true": True, "1": True, "是": True,
              "n": False, "no": False, "false": False, "0": False, "否": False}  # fmt: skip
FLAG_EXPECTED = "Y/N (yes/no, true/false, 1/0, 是/否)"


def parse_flag(text: str) -> bool:
    """A yes/no cell: Y/N, yes/no, true/false, 1/0 or 是/否, in any case or width."""
    try:
        return FLAG_WORDS[clean(text).casefold()]
    except KeyError:
        raise CellError(FLAG_EXPECTED) from None


def parse_points(text: str) -> Decimal:
    """Any number, such as a quality review score."""
    return parse_number(text)


def parse_count(text: str) -> Decimal:
    """A number of at least 0."""
    expected = "a count (a number of at least 0)"
    number = parse_number(text, expected)
    if number < 0:
        raise CellError(expected)
    return number


# The values a cell of each unit may hold (None: no bound), as the parsers above read them.
UNIT_RANGES: dict[str, tuple[Decimal | None, Decimal | None]] = {
    "percent": (Decimal(0), HUNDRED),
    "ratio": (Decimal(0), Decimal(1)),
    "seconds": (Decimal(0), None),
    "count": (Decimal(0), None),
    "points": (None, None),
}


def in_range(unit: str, value: Decimal) -> bool:
    """Whether a cell of this unit can hold `value`."""
    low, high = UNIT_RANGES[unit]
    return (low is None or value >= low) and (high is None or value <= high)


# A column of cells each an unsigned decimal number of at most 15 digits before the point and 13 after, maybe
# with a trailing % (joined by line breaks): every parser above reads such a cell as Decimal(text), a % aside.
_PLAIN_COLUMN = re.compile(r"(?:\d{1,15}(?:\.\d{1,13})?%?\n)*\d{1,15}(?:\.\d{1,13})?%?", re.ASCII)
PER_CENT_UNITS = {"percent": False, "ratio": True, "plain": False}  # reads a trailing %; divides by 100


def plain_column(unit: str, texts: Sequence[str]) -> list[Decimal] | None:
    """A whole column's values as the unit's parser (or parse_plain, for `plain`) reads each cell, when every
    cell is a plain unsigned number in the unit's range; None when one needs the parser (which says why)."""
    joined = "\n".join(texts)
    if _PLAIN_COLUMN.fullmatch(joined) is None:
        return None
    if "%" not in joined:
        values = list(map(Decimal, texts))
    elif unit not in PER_CENT_UNITS:
        return None
    elif PER_CENT_UNITS[unit]:
        values = [Decimal(text[:-1]) / HUNDRED if text[-1] == "%" else Decimal(text) for text in texts]
    else:
        values = list(map(Decimal, map(str.rstrip, texts, repeat("%"))))
    low, high = UNIT_RANGES.get(unit, (None, None))
    if (low is not None and min(values) < low) or (high is not None and max(values) > high):
        return None
    return values


def any_missing(values: Iterable[Decimal | None]) -> bool:
    """Whether a value is missing (None). Asked by identity: `None in values` compares each Decimal with None,
    and Decimal's comparison with an object of another type goes through an abstract-class check."""
    return any(map(is_, values, repeat(None)))


UNIT_PARSERS = {
    "percent": parse_percent,
    "ratio": parse_ratio,
    "seconds": parse_duration,
    "points": parse_points,
    "count": parse_count,
}
