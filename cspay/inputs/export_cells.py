"""How one cell of a raw export reads in Python: the agent id, the date in the declared format, and the
flags, durations, numbers and text the metrics use (cspay.cells says how each kind is spelled).

The SQL engine reads the usual spellings itself (cspay.inputs.sql_cells) and asks these readers about
every other text, and the report of bad cells is made with them, so a cell means one thing however it
is reached.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from cspay.cells import CellError, clean, is_missing
from cspay.policy.metrics_spec import PARSERS

# The engine sums numbers as DECIMAL(38, 18): 18 decimal places and 20 digits before the point are kept
# exactly, so a cell needing more is refused rather than rounded.
EXACT_PLACES = 18
EXACT_DIGITS = 20


def date_parser(format: str) -> Callable[[str], date]:
    """The date of a cell in a strptime format; CellError shows an example of the format."""
    example = date(2021, 1, 31).strftime(format)

    def parse(text: str) -> date:
        try:
            return datetime.strptime(clean(text), format).date()
        except ValueError:
            raise CellError(f'a date like "{example}" ({format})') from None

    return parse


def agent_id(text: str) -> str:
    """An agent id: the cell without surrounding spaces, kept as text (007 stays 007)."""
    if not text.strip():
        raise CellError("an agent id")
    return text.strip()


def optional(kind: str) -> Callable[[str], Any]:
    """A metric column's reader of its kind: None for an empty cell ("not applicable"), else the value."""
    parse = PARSERS[kind]

    def read(text: str) -> Any:
        if is_missing(text):
            return None
        value = parse(text)
        if isinstance(value, Decimal):
            exact(value)
        return value

    return read


def exact(value: Decimal) -> Decimal:
    """The value, when the engine keeps it exactly; CellError otherwise."""
    if -int(value.as_tuple().exponent) > EXACT_PLACES:
        raise CellError(f"a number with at most {EXACT_PLACES} decimal places")
    if value and value.adjusted() >= EXACT_DIGITS:
        raise CellError(f"a number below 10^{EXACT_DIGITS}")
    return value


def shown(text: str) -> str:
    """A cell's text for an error message, cut short when long."""
    return text if len(text) <= 40 else f"{text[:40]}… ({len(text)} characters)"


__all__ = ["EXACT_DIGITS", "EXACT_PLACES", "CellError", "agent_id", "date_parser", "exact", "optional", "shown"]
