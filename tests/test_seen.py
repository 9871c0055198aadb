"""Remembering agent ids: exactly, or as 64-bit hashes that the reader checks against the ids themselves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers import close_ids, csv_text

import cspay.inputs.seen
from cspay.errors import MetricsError
from cspay.inputs.metrics import read_metrics
from cspay.inputs.seen import UNKNOWN_ROW, AskedIds, ExactIds, HashedIds, within_one_edit
from cspay.policy.model import Policy


def test_exact_ids_name_the_first_row_of_a_repeat() -> None:
    """ExactIds answers None for a new id and the first row for a repeat."""
    ids = ExactIds()
    assert [None, None, 2] == [ids.add("007", 2), ids.add("7", 3), ids.add("007", 9)]


def test_hashed_ids_say_only_that_an_id_was_seen() -> None:
    """HashedIds answers None for a new id and UNKNOWN_ROW for one seen before."""
    ids = HashedIds()
    assert [None, None, UNKNOWN_ROW] == [ids.add("007", 2), ids.add("7", 3), ids.add("007", 9)]


def test_hashed_ids_keep_every_id_as_the_table_grows() -> None:
    """Past its first size the table grows and still knows every id it was given."""
    ids = HashedIds()
    for n in range(5000):
        ids.add(f"A{n}", n)
    assert [UNKNOWN_ROW] * 5000 == [ids.add(f"A{n}", n) for n in range(5000)]


def test_add_all_gives_the_positions_of_ids_seen_before() -> None:
    """A batch of ids: the positions of repeats, within the batch or of earlier ids."""
    ids = HashedIds()
    ids.add("B", 2)
    assert [1, 3] == ids.add_all(["A", "B", "C", "A"])


def test_a_table_sized_for_a_million_ids_holds_16_mib() -> None:
    """Sized up front for the expected rows at most half full: 8 bytes a slot, 2**21 slots."""
    assert 16 * 2**20 == HashedIds(expected=1_000_000).nbytes


def test_ids_with_the_same_hash_are_not_called_repeats(
    write_csv: Any, standard: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When different ids share a hash, re-reading the file shows they differ: no problem is reported."""
    monkeypatch.setattr(cspay.inputs.seen, "_hash", lambda agent_id: 42)
    rows = read_metrics(write_csv([{"agent_id": "A001"}, {"agent_id": "A002"}, {"agent_id": "A003"}]), standard)
    assert ["A001", "A002", "A003"] == [row.agent_id for row in rows]


def test_repeats_among_colliding_ids_name_both_rows(
    write_csv: Any, standard: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With every hash alike, only the id that really repeats is reported, with its first row."""
    monkeypatch.setattr(cspay.inputs.seen, "_hash", lambda agent_id: 42)
    path = write_csv([{"agent_id": "A001"}, {"agent_id": "A002"}, {"agent_id": "A001"}, {"agent_id": "A003"}])
    with pytest.raises(MetricsError) as caught:
        read_metrics(path, standard)
    assert [f"{path}: row 4: agent 'A001' appears twice, in rows 2 and 4"] == caught.value.lines()


def test_a_third_appearance_names_the_first_row_again(tmp_path: Path, standard: Policy) -> None:
    """An id on three rows gives two problems, each naming the first row."""
    path = tmp_path / "m.csv"
    path.write_text(
        csv_text([{"agent_id": "X"}, {"agent_id": "Y"}, {"agent_id": "X"}, {"agent_id": "X"}]), encoding="utf-8"
    )
    with pytest.raises(MetricsError) as caught:
        read_metrics(path, standard)
    assert [
        f"{path}: row 4: agent 'X' appears twice, in rows 2 and 4",
        f"{path}: row 5: agent 'X' appears twice, in rows 2 and 5",
    ] == caught.value.lines()


@pytest.mark.parametrize(
    ("first", "second"),
    [("A0500000", "A05O0000"), ("A0500000", "A050000"), ("A0500000", "A05000000"), ("A0500000", "A0050000"),
     ("A0500000", "0A500000"), ("A0500000", "A0500000"), ("", "x"), ("ab", "ba")],
)  # fmt: skip
def test_one_slip_is_a_change_an_addition_a_drop_or_a_swap(first: str, second: str) -> None:
    """Ids one character changed, added, dropped, or two neighbours swapped apart are within one edit."""
    assert within_one_edit(first, second) and within_one_edit(second, first)


@pytest.mark.parametrize(
    ("first", "second"),
    [("A0500000", "A05OO000"), ("A0500000", "A05000"), ("A0500000", "A0000005"), ("abc", "cab"), ("", "xy")],
)
def test_two_slips_are_not_within_one_edit(first: str, second: str) -> None:
    """Two changes, two drops or a move across the id are more than one slip."""
    assert not within_one_edit(first, second) and not within_one_edit(second, first)


@pytest.mark.parametrize("position", range(9))
def test_a_slip_anywhere_in_the_id_finds_the_id(position: int) -> None:
    """Among many ids sharing their start, a one-character slip at any place still finds the right id."""
    known = [f"A{n:07d}" for n in range(1, 3000)]
    typed = "A0001234"[:position] + "x" + "A0001234"[position + 1 :]
    assert "A0001234" in close_ids(typed, known)


def test_asked_ids_offer_close_ids_only_until_found() -> None:
    """An asked id found in the file is not missing and has no close ids; the file's ids are all counted."""
    asked = AskedIds(["a002", "B9"])
    asked.offer_all(["A001", "A002", "B1"], ["a001", "a002", "b1"])
    assert (["B9"], [], ["B1"], 3) == (asked.missing(), asked.close_to("A002"), asked.close_to("b9"), asked.count)
