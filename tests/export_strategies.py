"""Hypothesis strategies for raw per-call exports: every spelling of every kind of cell, the edges of a
period, and a metrics section using every aggregation and condition over them."""

from __future__ import annotations

import csv
import io
from typing import Any

from hypothesis import strategies as st

HEADER = ["agent", "date", "answered", "resolved", "rating", "talk", "topic", "wait"]

AGENTS = ["A", "B", "007", "张三", " A ", "A\u3000", "Ｂ", "b", "Li Na", "", "  "]
# Dates around a first quarter of 2021: its edges, the months' edges, outside it, and spellings of them.
DATES = [
    "2021-01-01", "2021-01-31", "2021-02-01", "2021-02-28", "2021-03-01", "2021-03-31", "2020-12-31",
    "2021-04-01", "2021-02-29", "2021-02-30", "2021-1-5", " 2021-01-15 ", "２０２１-０１-１５", "2021-01-15x",
    "15/01/2021", "", "2021-13-01", "0000-01-01", "\u30002021-03-15",
]  # fmt: skip
FLAGS = ["Y", "N", "y", "n", "yes", "No", "TRUE", "false", "1", "0", "是", "否", "Ｙ", "ｎｏ", " Y ", "Y\t",
         "\u3000是", "", "NA", "n/a", "-", "—", "maybe", "2", "null", "None", "nan"]  # fmt: skip
NUMBERS = ["1", "2", "3", "4", "5", "4.0", "4.50", "-0", "007", "12.5", "0.25", "1,234", "¥12", "12元", "1e3",
           "1E-2", "+5", "5.", ".5", "９５", "95%", "21,75", "abc", "", "NA", " 3 ", "3\u3000", "1e15",
           "999999999999999", "0.123456789012345678", "-2.5"]  # fmt: skip
DURATIONS = ["0:05:35", "5:35", "335", "0:5:35", "1:02:03.5", "0:60:00", "-5", "-0", "12:34:56", "１:２３",
             "", "NA", "1e2", "0:00:00", "00:01", "61:02", "1:00:00:00", " 0:01:00 ", "3.25", "x"]  # fmt: skip
TOPICS = ["Billing", "Tech", " Billing ", "billing", "账单", "Ｂｉｌｌｉｎｇ", "", "NA", "-", "Sales", "Tech\t"]

# Most cells plain, some not: a generated export is mostly readable, as real ones are.
PLAIN = {"answered": ["Y", "N", "Y", "Y"], "resolved": ["Y", "N"], "rating": ["1", "3", "4", "5", ""],
         "talk": ["0:03:00", "0:01:30", "95", ""], "topic": ["Billing", "Tech"],
         "wait": ["10", "25.5", ""]}  # fmt: skip
SPELLINGS = {"agent": AGENTS, "date": DATES, "answered": FLAGS, "resolved": FLAGS, "rating": NUMBERS,
             "talk": DURATIONS, "topic": TOPICS, "wait": NUMBERS}  # fmt: skip


def cell(column: str, plain: bool) -> st.SearchStrategy[str]:
    if column == "agent":
        return st.sampled_from(["A", "B", "C", "张三"]) if plain else st.sampled_from(AGENTS)
    if column == "date":
        return st.sampled_from(DATES[:8]) if plain else st.sampled_from(DATES)
    return st.sampled_from(PLAIN[column]) if plain else st.sampled_from(SPELLINGS[column])


@st.composite
def rows(draw: Any, unusual: float) -> list[str]:
    """One call: each cell plain, or with probability `unusual` any spelling at all."""
    return [draw(cell(column, draw(st.floats(0, 1)) >= unusual)) for column in HEADER]


@st.composite
def exports(draw: Any, *, unusual: float = 0.1, max_rows: int = 40) -> str:
    """The text of an export: a header and calls."""
    found = draw(st.lists(rows(unusual), min_size=1, max_size=max_rows))
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(found)
    return buffer.getvalue()


SOURCE = {"agent": "agent", "date": {"column": "date"}, "flags": ["answered", "resolved"], "durations": ["talk"]}
ANSWERED = {"column": "answered", "equals": True}

# Every aggregation, and every kind of condition, over the generated columns.
METRICS: dict[str, Any] = {
    "calls": {"count": {}},
    "answered": {"count": {"where": ANSWERED}},
    "unanswered_n": {"count": {"where": {"column": "answered", "equals": "N"}}},
    "resolved": {"count": {"where": {"all": [ANSWERED, {"column": "resolved", "equals": "是"}]}}},
    "either": {
        "count": {"where": {"any": [{"column": "resolved", "equals": True}, {"column": "topic", "equals": "Tech"}]}}
    },
    "billing": {"count": {"where": {"column": "topic", "in": ["Billing", "Sales"]}}},
    "not_billing": {"count": {"where": {"column": "topic", "not_equals": "Billing"}}},
    "unrated": {"count": {"where": {"column": "rating", "empty": True}}},
    "flag_one": {"count": {"where": {"column": "answered", "equals": 1}}},
    "flag_two": {"count": {"where": {"column": "answered", "not_equals": 2}}},
    "flag_in": {"count": {"where": {"column": "resolved", "in": ["Y", False]}}},
    "fcr": {"share": {"of": {"column": "resolved", "equals": True}, "among": ANSWERED, "per": 100}},
    "tech_share": {"share": {"of": {"column": "topic", "equals": "Tech"}}},
    "top2": {"top_box": {"column": "rating", "at_least": 4, "per": 100}},
    "top2_answered": {"top_box": {"column": "rating", "at_least": "3.5", "where": ANSWERED}},
    "talk_total": {"sum": {"column": "talk"}},
    "aht": {"mean": {"column": "talk", "where": ANSWERED}},
    "csat": {"mean": {"column": "rating"}},
    "wait_mean": {"mean": {"column": "wait", "where": {"column": "rating", "at_least": 3}}},
    "short": {"count": {"where": {"column": "talk", "below": "0:02:00"}}},
    "long": {"count": {"where": {"column": "talk", "above": 120}}},
    "mid": {"count": {"where": {"all": [{"column": "wait", "at_least": 10}, {"column": "wait", "at_most": "25.5"}]}}},
    "rating_in": {"count": {"where": {"column": "rating", "in": [4, "5"]}}},
    "rating_ne": {"count": {"where": {"column": "rating", "not_equals": 4}}},
    "median_talk": {"median": {"column": "talk"}},
    "min_rating": {"min": {"column": "rating"}},
    "max_rating": {"max": {"column": "rating", "where": ANSWERED}},
    "p90_wait": {"percentile": {"column": "wait", "p": 90}},
    "p33_talk": {"percentile": {"column": "talk", "p": "33.3"}},
    "per_call": {"ratio": {"numerator": "answered", "denominator": "calls", "per": 1000}},
    "per_unanswered": {"ratio": {"numerator": "aht", "denominator": "unanswered_n"}},
}
