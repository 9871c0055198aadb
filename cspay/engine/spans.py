"""Splitting an agent's period into parts: by the role and team of each month, the changes within a month
(a changes file), and the days on which the policy's role amounts change.

Each month the agent is paid for counts alike, split by its days (16 days of a 30-day November are 16/30
of it); a part's share is its months so counted over all of the agent's. So the days only split what the
agent is paid between roles and teams: how much of the period was worked is proration's business, as
ever (a joiner's first month is prorated by worked days, not cut again by the date they joined).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction

from cspay.engine.types import Part
from cspay.periods import days_in

DAY = timedelta(days=1)


@dataclass(frozen=True)
class Change:
    """A row of a changes file: from `first` to `last` (None: to the period's end) the agent held `role`
    in `team`; an empty role or team keeps the metrics row's."""

    first: date
    last: date | None
    role: str
    team: str
    line: int = 0


@dataclass(frozen=True)
class Spans:
    """The days each version of the policy's role amounts holds within the period and, for each role, the
    first version paying it alike (a role whose amounts did not change is not split by another's change)."""

    days: tuple[tuple[date, date], ...] = ()
    alike: Mapping[str, tuple[int, ...]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.days)

    def same(self, role: str, version: int) -> int:
        found = self.alike.get(role)
        return version if found is None else found[version]


@dataclass(frozen=True)
class _Piece:
    first: date | None
    last: date | None
    role: str
    team: str
    version: int
    weight: Fraction


def split(months: Sequence[Part], changes: Sequence[Change] = (), spans: Spans | None = None) -> tuple[Part, ...]:
    """The agent's parts from their months (a Part per month held, its `first` and `last` the month's days,
    or None when only the order of the months is known), the changes within them, and the `spans` of the
    versions of the policy's role amounts (the last is the one a run applies without parts).

    Returns () when the agent is paid as one part: the last month's role and team, by the last version.
    """
    spans = spans or Spans()
    versions, same = spans.days, spans.same
    pieces: list[_Piece] = []
    last = max(len(versions) - 1, 0)
    for month in months:
        if month.first is None or month.last is None:
            pieces.append(_Piece(None, None, month.role, month.team, same(month.role, last), Fraction(1)))
            continue
        full = days_in(month.first)
        for first, end_day, role, team in _changed(month, changes):
            for start, end, version in _by_version(first, end_day, versions):
                days = Fraction((end - start).days + 1, full)
                pieces.append(_Piece(start, end, role, team, same(role, version), days))
    pieces = _joined(pieces)
    held = months[-1]  # the row's own role and team: a payslip of one part pays them
    one = pieces[0] if len(pieces) == 1 else None
    if one is not None and (one.role, one.team, one.version) == (held.role, held.team, same(held.role, last)):
        return ()
    total = sum((piece.weight for piece in pieces), Fraction(0))
    return tuple(
        Part(piece.role, piece.team, piece.weight / total, piece.first, piece.last, piece.version) for piece in pieces
    )


def _changed(month: Part, changes: Sequence[Change]) -> list[tuple[date, date, str, str]]:
    """The month's days as (first, last, role, team) spans: the month's role and team, except on the days a
    change covers."""
    assert month.first is not None and month.last is not None
    spans = [(month.first, month.last, month.role, month.team)]
    for change in sorted(changes, key=lambda c: c.first):
        end = change.last or month.last
        if end < month.first or change.first > month.last:
            continue
        start, end = max(change.first, month.first), min(end, month.last)
        kept = []
        for first, last, role, team in spans:
            if last < start or first > end:
                kept.append((first, last, role, team))
                continue
            if first < start:
                kept.append((first, start - DAY, role, team))
            kept.append((max(first, start), min(last, end), change.role or role, change.team or team))
            if last > end:
                kept.append((end + DAY, last, role, team))
        spans = kept
    return spans


def _by_version(first: date, last: date, versions: Sequence[tuple[date, date]]) -> list[tuple[date, date, int]]:
    """A span cut where the policy's role amounts change, each piece with the version in force."""
    if not versions:
        return [(first, last, 0)]
    found = []
    for index, (start, end) in enumerate(versions):
        if end >= first and start <= last:
            found.append((max(first, start), min(last, end), index))
    return found


def _joined(pieces: list[_Piece]) -> list[_Piece]:
    """Pieces that follow each other with one role, team and version made one; others kept apart."""
    joined: list[_Piece] = []
    for piece in pieces:
        before = joined[-1] if joined else None
        same = before is not None and (before.role, before.team, before.version) == (
            piece.role,
            piece.team,
            piece.version,
        )
        next_day = before is not None and (
            (before.last is None and piece.first is None)
            or (before.last is not None and piece.first is not None and piece.first == before.last + DAY)
        )
        if before is not None and same and next_day:
            joined[-1] = _Piece(
                before.first, piece.last, piece.role, piece.team, piece.version, before.weight + piece.weight
            )
        else:
            joined.append(piece)
    if len({(piece.role, piece.team, piece.version) for piece in joined}) == 1:
        first = joined[0]
        weight = sum((piece.weight for piece in joined), Fraction(0))
        return [_Piece(first.first, joined[-1].last, first.role, first.team, first.version, weight)]
    return joined
