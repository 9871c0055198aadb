"""Dated values: a policy value that changes on a date, written as a list of entries, each holding `from`
a date (and, if it ends, `to` a date):

    base_pay:
      - {from: 2026-01-01, value: 5200}
      - {from: 2026-07-01, value: 5400}

A dated policy is a series of versions, one for each stretch of days in which no value changes; each
version is a whole policy, checked like any other. Entries follow each other without overlap or gap;
a value every day needs (base pay, a target bonus, a KPI's curve, the floor) runs from the policy's first
date on, while an allowance may start later and end. A KPI's curve changes only on the first day of a
period the policy pays (an agent's month or quarter is scored one way), the floor on the first of a month.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

# Which values may be dated: a path with "*" for any role, allowance or KPI, and whether a value is needed
# every day (an allowance is not: it may start later and end).
DATED = (
    (("roles", "*", "base_pay"), True),
    (("roles", "*", "target_bonus"), True),
    (("roles", "*", "allowances", "*"), False),
    (("kpis", "*", "score"), True),
    (("floor", "gross"), True),
)
ENTRY_KEYS = ("from", "to", "value")
DAY = timedelta(days=1)

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Entry:
    """One value of a timeline and the days it holds: from `first` to `last`, or on and on (None)."""

    index: int
    first: date
    last: date | None
    value: Any


@dataclass(frozen=True)
class Timeline:
    """A dated value: where it is in the policy, and its entries in date order."""

    path: Path_
    required: bool
    entries: tuple[Entry, ...]

    def at(self, day: date) -> Entry | None:
        """The entry in force on `day`, None when none is."""
        return next((e for e in self.entries if e.first <= day and (e.last is None or day <= e.last)), None)

    @property
    def dotted(self) -> str:
        return ".".join(str(step) for step in self.path)


@dataclass(frozen=True)
class Version:
    """A stretch of days over which no dated value changes, and the policy as it stands then."""

    first: date
    last: date | None
    policy: Any  # a Policy


def dated_paths(data: Any) -> Iterator[tuple[Path_, bool]]:
    """Every path of the data that holds a list where a dated value may be, with whether it is needed daily."""
    for pattern, required in DATED:
        for path in _expand(data, (), pattern):
            if isinstance(_get(data, path), list):
                yield path, required


def _expand(data: Any, path: Path_, pattern: tuple[str, ...]) -> Iterator[Path_]:
    if not pattern:
        yield path
        return
    step, rest = pattern[0], pattern[1:]
    if not isinstance(data, dict):
        return
    keys = list(data) if step == "*" else [step] if step in data else []
    for key in keys:
        yield from _expand(data[key], (*path, key), rest)


def _get(data: Any, path: Path_) -> Any:
    for step in path:
        data = data[step]
    return data


def read_timelines(data: Any, where: Callable[[Path_], str], period: str) -> tuple[list[Timeline], list[str]]:
    """The policy's dated values, checked, and every problem found, located (`where` gives file:line:col)."""
    timelines, problems = [], []
    for path, required in dated_paths(data):
        entries, found = _entries(_get(data, path), path, where)
        problems += found
        if entries and not found:
            timelines.append(Timeline(path, required, tuple(entries)))
    start = min((timeline.entries[0].first for timeline in timelines), default=None)
    for timeline in timelines:
        problems += _covers(timeline, start, where, period)
    return timelines, problems


def _entries(items: list[Any], path: Path_, where: Callable[[Path_], str]) -> tuple[list[Entry], list[str]]:
    dotted = ".".join(str(step) for step in path)
    if not items:
        return [], [f"{where(path)}: {dotted}: a dated value needs at least one entry {{from: YYYY-MM-DD, value: …}}"]
    entries, problems = [], []
    for index, item in enumerate(items):
        at = (*path, index)
        if not isinstance(item, dict):
            problems.append(f"{where(at)}: {dotted}[{index}]: expected an entry {{from: YYYY-MM-DD, value: …}}")
            continue
        unknown = [key for key in item if key not in ENTRY_KEYS]
        missing = [key for key in ("from", "value") if key not in item]
        for key in unknown:
            problems.append(f"{where((*at, key))}: {dotted}[{index}]: unknown key {key!r}; an entry has from, to "
                            f"and value")  # fmt: skip
        for key in missing:
            problems.append(f"{where(at)}: {dotted}[{index}]: missing required key {key!r}")
        first = _date(item.get("from"), (*at, "from"), f"{dotted}[{index}].from", where, problems)
        last = _date(item.get("to"), (*at, "to"), f"{dotted}[{index}].to", where, problems)
        if first and last and last < first:
            problems.append(f"{where((*at, 'to'))}: {dotted}[{index}].to: {last} is before from {first}")
        if first and not unknown and not missing:
            entries.append(Entry(index, first, last, item["value"]))
    if problems:
        return entries, problems
    for before, after in itertools.pairwise(entries):
        head = f"{where((*path, after.index, 'from'))}: {dotted}[{after.index}].from"
        if after.first <= before.first:
            problems.append(f"{head}: entries go in date order; {after.first} follows {before.first}")
        elif before.last is not None and after.first <= before.last:
            problems.append(f"{head}: {after.first} overlaps {dotted}[{before.index}], which holds to {before.last}")
        elif before.last is not None and after.first > before.last + DAY:
            problems.append(
                f"{head}: a gap from {before.last + DAY} to {after.first - DAY}: {dotted}[{before.index}] holds to "
                f"{before.last}; start this entry the day after, or give the gap a value of its own"
            )
    # An entry without `to` holds until the next one starts.
    held = [replace(e, last=after.first - DAY) if e.last is None else e for e, after in itertools.pairwise(entries)]
    return [*held, *entries[-1:]], problems


def _date(value: Any, path: Path_, name: str, where: Callable[[Path_], str], problems: list[str]) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        problems.append(f"{where(path)}: {name}: expected a date like 2026-07-01, got {str(value)!r}")
        return None


def _covers(timeline: Timeline, start: date | None, where: Callable[[Path_], str], period: str) -> list[str]:
    """A value needed every day runs from the policy's first date with no end; a KPI's curve changes only on
    the first day of a period the policy pays, the floor on the first day of a month."""
    problems = []
    first, last = timeline.entries[0], timeline.entries[-1]
    dotted = timeline.dotted
    if timeline.required and start is not None and first.first > start:
        problems.append(
            f"{where((*timeline.path, first.index, 'from'))}: {dotted}[{first.index}].from: a gap from {start} to "
            f"{first.first - DAY}: the policy's dated values start on {start}, and this value is needed every day"
        )
    if timeline.required and last.last is not None:
        problems.append(
            f"{where((*timeline.path, last.index, 'to'))}: {dotted}[{last.index}].to: a gap after {last.last}: "
            f"this value is needed every day; leave out the last entry's `to`, or add an entry from "
            f"{last.last + DAY}"
        )
    kind = period if timeline.path[0] == "kpis" else "month" if timeline.path[0] == "floor" else None
    if kind is not None:
        for entry in timeline.entries:
            if not _starts(entry.first, kind) and entry.index != first.index:
                problems.append(
                    f"{where((*timeline.path, entry.index, 'from'))}: {dotted}[{entry.index}].from: {entry.first} "
                    f"is not the first day of a {kind}; {_why(timeline.path[0])} changes on the first day of a {kind}"
                )
    return problems


def _why(section: str | int) -> str:
    return "an agent's period is scored one way, so a KPI's curve" if section == "kpis" else "the monthly floor"


def _starts(day: date, kind: str) -> bool:
    """Whether `day` is the first day of a month, quarter or year."""
    months = {"month": 1, "quarter": 3, "year": 12}[kind]
    return day.day == 1 and (day.month - 1) % months == 0


def boundaries(timelines: list[Timeline]) -> list[date]:
    """The days on which some dated value changes, the policy's first date first."""
    days = {entry.first for timeline in timelines for entry in timeline.entries}
    days |= {entry.last + DAY for timeline in timelines for entry in timeline.entries if entry.last is not None}
    return sorted(days)


def as_of(data: Any, timelines: list[Timeline], day: date) -> tuple[Any, dict[Path_, Path_]]:
    """The policy's data with each dated value as it stands on `day` (an allowance not in force left out),
    and for each path set, the path of the entry's value in the file (for locating a problem in it)."""
    data = copy.deepcopy(data)
    placed: dict[Path_, Path_] = {}
    for timeline in timelines:
        *parents, key = timeline.path
        holder = _get(data, tuple(parents))
        entry = timeline.at(day)
        if entry is None:
            holder.pop(key, None)
        else:
            holder[key] = entry.value
            placed[timeline.path] = (*timeline.path, entry.index, "value")
    return data, placed


def changes(timelines: list[Timeline], day: date, before: date | None) -> list[tuple[str, Any, Any]]:
    """(key, value before, value from `day`) of each dated value that changes on `day`; with no day before,
    every dated value as it starts."""
    found = []
    for timeline in timelines:
        now, then = timeline.at(day), None if before is None else timeline.at(before)
        if now is not then and (now is not None or before is not None):
            found.append((timeline.dotted, None if then is None else then.value, None if now is None else now.value))
    return found


def timeline_of(
    versions: list[Version], timelines: list[Timeline]
) -> list[tuple[date, list[tuple[str, str | None, str | None]]]]:
    """Each day a dated value changes, with (key, value before, value from then) as text; the first day
    lists every dated value as it starts."""
    found = []
    for before, version in zip([None, *versions], versions, strict=False):
        day = None if before is None else before.first
        items = changes(timelines, version.first, day)
        found.append((version.first, [(key, _shown(old), _shown(new)) for key, old, new in items]))
    return found


def _shown(value: Any) -> str | None:
    """A dated value written compactly: 5400, {threshold 400, target 340, stretch 290}, {bands 0: 0, 70: 0.6}."""
    if value is None:
        return None
    if isinstance(value, dict):
        if isinstance(value.get("bands"), list):
            return (
                "{bands "
                + ", ".join(f"{_shown(b.get('from'))}: {_shown(b.get('score'))}" for b in value["bands"])
                + "}"
            )
        return "{" + ", ".join(f"{key} {_shown(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(str(_shown(item)) for item in value) + "]"
    return str(getattr(value, "text", value))
