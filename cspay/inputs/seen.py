"""Remembering which agent ids a metrics file has had, to find an agent listed twice.

A dict of every id costs about 100 bytes an agent; a million agents would hold 100 MB only to answer
"seen before?". `HashedIds` keeps 8-byte hashes instead and can only say "maybe": the reader then
re-reads the file for those few ids to name both rows, so no id is ever wrongly called a repeat.
"""

from __future__ import annotations

import difflib
import heapq
from array import array
from collections.abc import Iterable

from cspay.cells import id_key

UNKNOWN_ROW = 0  # `HashedIds.add`: seen before, on a row the table does not know
MAX_PRESIZED = 4_000_000  # ids a table is sized for up front (32 MiB); it grows past that as needed
_hash = hash  # a name of its own, so a test can make every id collide


class ExactIds:
    """Every id with the row it first appeared on and how it was written there: exact, for rows that
    cannot be read a second time. Ids are given as keys (cspay.cells.id_key), as they are compared."""

    def __init__(self) -> None:
        self._first: dict[str, tuple[int, str]] = {}

    def add(self, key: str, line: int, spelling: str = "") -> int | None:
        """Record the id; the row it first appeared on when it is a repeat, else None."""
        first, _ = self._first.setdefault(key, (line, spelling))
        return None if first == line else first

    def spelling(self, key: str) -> str:
        """How the id was written on the row it first appeared on."""
        return self._first[key][1]


class HashedIds:
    """Ids as 64-bit hashes in an open-addressing table, at most half full: 16 bytes an agent."""

    def __init__(self, expected: int = 0) -> None:
        size = 1024
        while size < 2 * min(expected, MAX_PRESIZED):
            size *= 2
        self._table = array("q", bytes(8 * size))
        self._count = 0
        self._limit = size // 2

    def add(self, agent_id: str, line: int, spelling: str = "") -> int | None:
        """Record the id (a key, as ExactIds.add); UNKNOWN_ROW when its hash was seen before (almost surely
        the same id), else None."""
        # Python's own string hash, keyed afresh in every process: it is only compared within this run,
        # and every "seen before" is checked against the ids themselves, so the result never depends on it.
        key = _hash(agent_id) or 1  # 0 marks an empty slot
        table = self._table
        mask = len(table) - 1
        slot = key & mask
        held = table[slot]
        while held:
            if held == key:
                return UNKNOWN_ROW
            slot = (slot + 1) & mask
            held = table[slot]
        table[slot] = key
        self._count += 1
        if self._count > self._limit:
            self._grow()
        return None

    def add_all(self, agent_ids: list[str]) -> list[int]:
        """Record each id (as `add` does, in order); the positions of those whose hash was seen before."""
        while 2 * (self._count + len(agent_ids)) > len(self._table):
            self._grow()
        table, seen = self._table, []
        mask = len(table) - 1
        for position, key in enumerate(map(_hash, agent_ids)):
            slot = key & mask
            if key and not table[slot]:  # the usual case, first slot free: as few steps as possible
                table[slot] = key
                continue
            key = key or 1
            held = table[slot]
            while held:
                if held == key:
                    seen.append(position)
                    break
                slot = (slot + 1) & mask
                held = table[slot]
            else:
                table[slot] = key
        self._count += len(agent_ids) - len(seen)
        return seen

    def _grow(self) -> None:
        old = self._table
        self._table = array("q", bytes(16 * len(old)))
        self._count = 0
        self._limit = len(self._table) // 2
        table, mask = self._table, len(self._table) - 1
        for key in old:
            if key:
                slot = key & mask
                while table[slot]:
                    slot = (slot + 1) & mask
                table[slot] = key
                self._count += 1

    @property
    def nbytes(self) -> int:
        """The memory the table holds."""
        return self._table.itemsize * len(self._table)


def within_one_edit(first: str, second: str) -> bool:
    """Whether two ids (as keys) differ by at most one typing slip: a character changed, added or dropped,
    or two neighbours swapped."""
    short, long = (first, second) if len(first) <= len(second) else (second, first)
    if len(long) - len(short) > 1:
        return False
    low, high = 0, len(short)  # the length of their common start, found by halving (slices compare in C)
    while low < high:
        middle = (low + high + 1) // 2
        if short[:middle] == long[:middle]:
            low = middle
        else:
            high = middle - 1
    at = low
    if len(short) < len(long):
        return short[at:] == long[at + 1 :]
    if at == len(short):
        return True
    swapped = long[at : at + 2] == short[at : at + 2][::-1] and short[at + 2 :] == long[at + 2 :]
    return short[at + 1 :] == long[at + 1 :] or swapped


class AskedIds:
    """The agent ids a command asks for, as keys (cspay.cells.id_key), and what one pass over a file's ids
    finds: which were there, how many ids the file holds, and for each asked id the ids one slip away.

    Every id of the file is offered once, in file order. Close ids cost little on any file size: an id
    one slip away keeps the asked id's first or last part unchanged (together they cover all but the two
    characters a slip can touch), so only ids sharing one of them are compared in full.
    """

    def __init__(self, agent_ids: Iterable[str], limit: int = 5) -> None:
        self.asked = {id_key(agent_id): agent_id for agent_id in agent_ids}
        self.found: set[str] = set()
        self.count = 0
        self.limit = limit
        self._close: dict[str, list[tuple[float, int, str]]] = {key: [] for key in self.asked}
        self._ends = {key: _ends(key) for key in self.asked}

    def wants(self, key: str) -> bool:
        return key in self.asked

    def offer_all(self, agent_ids: list[str], keys: list[str]) -> None:
        """Ids of the file (with their keys), in file order: counted, marked found when asked for, and
        compared with each asked id not found yet."""
        first = self.count
        self.count += len(keys)
        self.found.update(self.asked.keys() & set(keys))
        for wanted, (size, start, end) in self._ends.items():
            if wanted in self.found:
                continue
            for at, key in enumerate(keys):
                if (
                    (key.startswith(start) or key.endswith(end))
                    and abs(len(key) - size) <= 1
                    and within_one_edit(key, wanted)
                ):
                    self.keep(wanted, agent_ids[at], first + at)

    def keep(self, wanted: str, agent_id: str, order: int) -> None:
        """Keep the `limit` likest close ids, ties in file order."""
        likeness = difflib.SequenceMatcher(None, self.asked[wanted].casefold(), agent_id.casefold()).ratio()
        heapq.heappush(self._close[wanted], (likeness, -order, agent_id))
        if len(self._close[wanted]) > self.limit:
            heapq.heappop(self._close[wanted])

    def missing(self) -> list[str]:
        """The asked ids the file does not hold, in the order asked."""
        return [agent_id for key, agent_id in self.asked.items() if key not in self.found]

    def close_to(self, agent_id: str) -> list[str]:
        """The file's ids one slip away from an asked id, the likest first, ties in file order."""
        return [known for _, _, known in sorted(self._close[id_key(agent_id)], reverse=True)]


def _ends(key: str) -> tuple[int, str, str]:
    """An asked key's length and the start and end an id one slip away keeps: a slip touches at most two
    neighbouring characters, so of the other len - 2, those before it or those after it are half or more."""
    before = max(len(key) - 2, 0) // 2
    after = max(len(key) - 2, 0) - before
    return len(key), key[:before], key[len(key) - after :] if after else ""
