"""Files cspay writes: only regular files are replaced, `-` is standard output, pay data is private, and a
folder of statements changes all at once or not at all."""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from helpers import DATA, STANDARD
from typer.testing import CliRunner

import cspay.outputs.files
from cspay.cli import app
from cspay.errors import OutputError
from cspay.outputs.files import atomic_output, check_folder, check_target, write_folder

MONTH = DATA / "month.csv"
POLICY = str(STANDARD)


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _socket(path: Path) -> None:
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.close()


def _device(path: Path) -> None:
    try:  # a character device of its own in the test's folder (the null device's numbers), never /dev/null itself
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("making a device file needs root")


def _folder(path: Path) -> None:
    path.mkdir()


def _link_to_device(path: Path) -> None:
    _device(path.with_name("device"))
    path.symlink_to(path.with_name("device"))


def _link_to_fifo(path: Path) -> None:
    _fifo(path.with_name("fifo"))
    path.symlink_to(path.with_name("fifo"))


NOT_REGULAR: dict[str, Callable[[Path], None]] = {
    "a FIFO": _fifo,
    "a socket": _socket,
    "a character device": _device,
    "a folder": _folder,
    "a link to a device": _link_to_device,
    "a link to a FIFO": _link_to_fifo,
}

# Each command that writes a file, with the output option it takes.
WRITERS: dict[str, Callable[[Path], list[str]]] = {
    "compute csv": lambda out: ["compute", POLICY, str(MONTH), "-f", "csv", "-o", str(out)],
    "compute json": lambda out: ["compute", POLICY, str(MONTH), "-f", "json", "-o", str(out)],
    "compute xlsx": lambda out: ["compute", POLICY, str(MONTH), "-f", "xlsx", "-o", str(out)],
    "compare": lambda out: ["compare", POLICY, POLICY, str(MONTH), "-f", "csv", "-o", str(out)],
    "init": lambda out: ["init", str(out)],
    "metrics": lambda out: [
        "metrics",
        str(DATA / "events" / "policy.yaml"),
        str(DATA / "events" / "calls.csv"),
        "--period",
        "2021-01",
        "-f",
        "csv",
        "-o",
        str(out),
    ],
}


def invoke(arguments: list[str]) -> object:
    return CliRunner().invoke(app, arguments)


@pytest.mark.parametrize("writer", sorted(WRITERS))
@pytest.mark.parametrize("kind", sorted(NOT_REGULAR))
def test_only_a_regular_file_is_ever_replaced(tmp_path: Path, writer: str, kind: str) -> None:
    """Whatever the command and with --force, a target that is not a regular file (or a link to one) is
    refused with exit 1 and stays what it was."""
    target = tmp_path / "out"
    NOT_REGULAR[kind](target)
    before = target.lstat()
    result = invoke([*WRITERS[writer](target), "--force"])
    assert 1 == result.exit_code, result.output  # type: ignore[attr-defined]
    assert "expected a regular file" in result.stderr  # type: ignore[attr-defined]
    after = target.lstat()
    assert (before.st_mode, before.st_ino) == (after.st_mode, after.st_ino)


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_a_dangling_link_is_refused_without_force(tmp_path: Path, writer: str) -> None:
    """A symbolic link to nothing is not overwritten quietly: exit 1 and the link stays."""
    target = tmp_path / "out"
    target.symlink_to(tmp_path / "nowhere")
    result = invoke(WRITERS[writer](target))
    assert 1 == result.exit_code, result.output  # type: ignore[attr-defined]
    assert "is a symbolic link" in result.stderr  # type: ignore[attr-defined]
    assert target.is_symlink() and not (tmp_path / "nowhere").exists()


def test_with_force_a_link_to_a_file_writes_that_file_and_stays_a_link(tmp_path: Path) -> None:
    """--force through a link replaces the file the link names; the link itself is left as it was."""
    real = tmp_path / "2026-11.csv"
    real.write_text("old\n", encoding="utf-8")
    latest = tmp_path / "latest.csv"
    latest.symlink_to(real)
    result = invoke(["compute", POLICY, str(MONTH), "-f", "csv", "-o", str(latest), "--force"])
    assert 0 == result.exit_code, result.output  # type: ignore[attr-defined]
    assert latest.is_symlink()
    assert real.read_text(encoding="utf-8").startswith("agent_id,")


@pytest.mark.parametrize("name", ["-", "/dev/stdout"])
def test_dash_and_dev_stdout_mean_standard_output(tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """`-o -` and `-o /dev/stdout` write to standard output, and make no file, lock or temporary file."""
    monkeypatch.chdir(tmp_path)
    result = invoke(["compute", POLICY, str(MONTH), "-f", "csv", "-o", name])
    assert 0 == result.exit_code, result.output  # type: ignore[attr-defined]
    assert result.stdout.startswith("agent_id,")  # type: ignore[attr-defined]
    assert [] == list(tmp_path.iterdir())


def test_check_target_names_what_the_path_is(tmp_path: Path) -> None:
    """The refusal says what is in the way: here a named pipe."""
    target = tmp_path / "pipe"
    os.mkfifo(target)
    with pytest.raises(OutputError, match=r"pipe: is a named pipe \(FIFO\); expected a regular file"):
        check_target(target, force=True)


def test_replacing_never_takes_a_device_s_permissions(tmp_path: Path) -> None:
    """A refused device keeps its 0666, and nothing new appears beside it (no copy, no temporary file)."""
    target = tmp_path / "device"
    _device(target)
    with pytest.raises(OutputError), atomic_output(target, force=True) as handle:
        handle.write("pay")
    assert stat.S_ISCHR(target.lstat().st_mode)
    assert ["device"] == [path.name for path in tmp_path.iterdir()]


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o077])
def test_every_pay_file_is_created_owner_only(tmp_path: Path, umask: int) -> None:
    """CSV, JSON, XLSX, statements and the ledger are created 0600, whatever the umask lets through."""
    previous = os.umask(umask)
    try:
        for format in ("csv", "json", "xlsx"):
            invoke(["compute", POLICY, str(MONTH), "-f", format, "-o", str(tmp_path / f"pay.{format}")])
        invoke(["statements", POLICY, str(MONTH), "--out", str(tmp_path / "statements")])
        recorded = ["compute", POLICY, str(MONTH), "--period", "2026-11", "--record", "--ledger"]
        assert 0 == invoke([*recorded, str(tmp_path / "pay.db"), "-q"]).exit_code  # type: ignore[attr-defined]
    finally:
        os.umask(previous)
    files = [*(path for path in tmp_path.glob("pay.*") if path.suffix != ".lock"), *(tmp_path / "statements").iterdir()]
    assert len(files) >= 7 and (tmp_path / "pay.db") in files
    assert {0o600} == {path.stat().st_mode & 0o777 for path in files}


def test_a_replaced_statement_keeps_its_permissions(tmp_path: Path) -> None:
    """With --force, a statement someone made readable to a group stays readable to it."""
    folder = tmp_path / "statements"
    assert 0 == invoke(["statements", POLICY, str(MONTH), "--out", str(folder)]).exit_code  # type: ignore[attr-defined]
    (folder / "A001.html").chmod(0o640)
    assert 0 == invoke(["statements", POLICY, str(MONTH), "--out", str(folder), "--force"]).exit_code  # type: ignore[attr-defined]
    assert 0o640 == (folder / "A001.html").stat().st_mode & 0o777


# ---- a folder of statements: all or nothing ----------------------------------------------------------


def _snapshot(folder: Path) -> dict[str, bytes | str]:
    found: dict[str, bytes | str] = {}
    for path in sorted(folder.rglob("*")):
        mode = path.lstat().st_mode
        found[str(path.relative_to(folder))] = path.read_bytes() if stat.S_ISREG(mode) else oct(mode)
    return found


@pytest.mark.parametrize("kind", ["a folder", "a FIFO", "a link to a device"])
def test_a_page_whose_place_is_taken_stops_statements_before_any_page_changes(tmp_path: Path, kind: str) -> None:
    """With --force, something other than a regular file where one page goes is an error before anything
    is written: every earlier page stays from the earlier run."""
    folder = tmp_path / "statements"
    assert 0 == invoke(["statements", POLICY, str(MONTH), "--out", str(folder)]).exit_code  # type: ignore[attr-defined]
    (folder / "A003.html").unlink()
    NOT_REGULAR[kind](folder / "A003.html")
    before = {name: data for name, data in _snapshot(folder).items() if name != "A003.html"}
    result = invoke(["statements", POLICY, str(MONTH), "--out", str(folder), "--force", "--lang", "zh"])
    assert 1 == result.exit_code, result.output  # type: ignore[attr-defined]
    assert before == {name: data for name, data in _snapshot(folder).items() if not name.startswith("A003.html")}


def test_a_failure_mid_swap_puts_every_page_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """When a rename fails half way through the swap, the folder is again exactly as it was."""
    folder = tmp_path / "out"
    folder.mkdir()
    for name in ("a.html", "b.html", "c.html"):
        (folder / name).write_text(f"old {name}", encoding="utf-8")
    before = _snapshot(folder)
    real_replace, calls = os.replace, []

    def flaky(source: object, target: object) -> None:
        calls.append(target)
        if len(calls) == 4:  # a.html put aside and swapped in, b.html put aside, then b.html's swap fails
            raise OSError(28, "No space left on device")
        real_replace(source, target)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", flaky)
    with pytest.raises(OSError):
        write_folder(folder, [(name, f"new {name}") for name in ("a.html", "b.html", "c.html")], force=True)
    monkeypatch.setattr(os, "replace", real_replace)
    assert before == _snapshot(folder)


def test_a_failure_while_pages_are_made_leaves_a_new_folder_absent(tmp_path: Path) -> None:
    """Statements into a folder that did not exist: a failure leaves no folder and no partial page."""
    folder = tmp_path / "new"

    def pages() -> Iterator[tuple[str, str]]:
        yield "a.html", "a"
        raise RuntimeError("a page could not be made")

    with pytest.raises(RuntimeError):
        write_folder(folder, pages(), force=False)
    assert not folder.exists()


def test_statements_in_a_folder_that_cannot_be_made_is_an_error_line(tmp_path: Path) -> None:
    """--out under a file (its parent cannot hold a folder) is an `Error:` line, exit 1, no traceback."""
    (tmp_path / "file").write_text("", encoding="utf-8")
    result = invoke(["statements", POLICY, str(MONTH), "--out", str(tmp_path / "file" / "statements")])
    assert 1 == result.exit_code, result.output  # type: ignore[attr-defined]
    assert result.stderr.startswith("Error: ")  # type: ignore[attr-defined]
    assert "internal error" not in result.stderr  # type: ignore[attr-defined]


def test_statements_under_a_folder_nobody_may_write_is_an_error_line(tmp_path: Path) -> None:
    """--out in a folder even root cannot write in (chattr +i) is refused before any page is made."""
    parent = tmp_path / "locked"
    parent.mkdir()
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(parent)], capture_output=True).returncode:
        pytest.skip("chattr +i is not available here")
    try:
        result = invoke(["statements", POLICY, str(MONTH), "--out", str(parent / "statements")])
    finally:
        subprocess.run(["chattr", "-i", str(parent)], check=True)
    assert 1 == result.exit_code, result.output  # type: ignore[attr-defined]
    assert f"Error: {parent / 'statements'}: the folder {parent} is not writable" in result.stderr  # type: ignore[attr-defined]


@pytest.mark.parametrize("agent_id", ["张" * 120, "é" * 200, "x" * 400, "😀" * 90])
def test_statement_names_fit_the_file_system_in_bytes(tmp_path: Path, agent_id: str) -> None:
    """A long id in any script gives a file name of at most 255 bytes, which the file system accepts."""
    from cspay.outputs.statements import file_names

    names = file_names([agent_id, agent_id])
    assert all(len(name.encode("utf-8")) <= 255 for name in names)
    for name in names:
        (tmp_path / name).write_text("", encoding="utf-8")
    assert 2 == len(list(tmp_path.iterdir()))


def test_check_folder_refuses_a_device_where_a_page_goes(tmp_path: Path) -> None:
    """The check before any work names the page whose place holds a device."""
    _device(tmp_path / "A001.html")
    with pytest.raises(OutputError, match=r"A001.html: is a character device; expected a regular file"):
        check_folder(tmp_path, ["A001.html"], force=True)


@pytest.mark.parametrize("syncfs", [True, False], ids=["one-syncfs", "no-syncfs"])
def test_every_page_is_synced_before_any_is_moved_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, syncfs: bool
) -> None:
    """The staged pages reach the disk before the first rename: by one file-system sync, else one by one."""
    events: list[str] = []
    monkeypatch.setattr(cspay.outputs.files, "_syncfs", lambda folder: events.append("syncfs") or syncfs)
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda descriptor: events.append("fsync") or real_fsync(descriptor))
    monkeypatch.setattr(os, "replace", lambda old, new: events.append("move") or real_replace(old, new))
    write_folder(tmp_path / "out", ((f"{n}.html", "page") for n in range(40)), force=False)
    synced = ["syncfs"] if syncfs else ["syncfs", *["fsync"] * 40]
    assert [*synced, *["move"] * 40, "fsync"] == events
    assert 40 == len(list((tmp_path / "out").iterdir()))


def test_a_page_given_in_pieces_is_written_whole(tmp_path: Path) -> None:
    """A file given as pieces of text (the index of a big run) is written as their concatenation."""
    write_folder(tmp_path / "out", [("index.html", iter(["<p>", "one", "</p>"]))], force=False)
    assert "<p>one</p>" == (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
