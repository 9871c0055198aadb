"""Remembering which agent ids a metrics file has had, to find an agent listed twice.

A dict of every id costs about 100 bytes an agent; a million agents would hold 100 MB only to answer
"seen before?". `HashedIds` keeps 8-byte hashes instead and can only say "maybe": the reader then
re-reads the file for those few ids to name both rows, so no id is ever wrongly called a repeat.
"""

from __future__ import annotations

from array import array

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
