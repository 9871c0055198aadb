"""A large output sent to disk as it grows (cspay.outputs.drop_behind): when it syncs, and when it leaves
a handle alone."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from cspay.outputs.drop_behind import DropBehind


def test_a_file_is_sent_to_disk_once_enough_is_written(tmp_path: Path) -> None:
    """Text still held by the handle's buffer reaches the file when the characters counted reach the bound,
    not before."""
    with (tmp_path / "out.json").open("w", encoding="utf-8") as handle:
        drop = DropBehind(handle, every=100)
        handle.write("x" * 60)
        drop.wrote(60)
        held = os.path.getsize(handle.name)
        handle.write("y" * 60)
        drop.wrote(60)
        assert (0, 120) == (held, os.path.getsize(handle.name))


@pytest.mark.parametrize("handle", [io.StringIO(), io.BytesIO()], ids=["text", "bytes"])
def test_a_handle_without_a_file_is_left_alone(handle: io.IOBase) -> None:
    """A handle with no file behind it (a library caller's StringIO) is written as before: nothing to sync."""
    drop = DropBehind(handle, every=1)  # type: ignore[arg-type]
    drop.wrote(10)
    assert None is drop.descriptor
