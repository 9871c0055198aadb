"""cspay.inputs.export_files: a raw export's kind, encoding and header, and the copy the engine reads."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest
from helpers import CALLS, write_export

from cspay.errors import MetricsError
from cspay.inputs.export_files import open_export_file, readable_copy, records, rewritten


def test_csv_header_encoding_and_delimiter_are_found(tmp_path: Path) -> None:
    """A semicolon export in GB18030 with a Chinese header is opened without being told either."""
    path = write_export(tmp_path, "坐席;日期\n张三;2021-01-04\n", encoding="gb18030")
    file = open_export_file(path)
    assert (False, ["坐席", "日期"], "gb18030", ";", 1) == (
        file.parquet,
        file.header,
        file.encoding,
        file.delimiter,
        file.header_line,
    )


def test_a_byte_order_mark_is_not_part_of_the_header(tmp_path: Path) -> None:
    """The first column of a UTF-8 file with a BOM is named without it, even when utf-8 is forced."""
    path = write_export(tmp_path, CALLS, encoding="utf-8-sig")
    assert ["agent", "agent"] == [open_export_file(path).header[0], open_export_file(path, "utf-8").header[0]]


def test_parquet_is_recognised_by_its_bytes(tmp_path: Path) -> None:
    """A Parquet file is known by its magic bytes, whatever its name."""
    path = tmp_path / "calls.csv"
    duckdb.execute(f"COPY (SELECT 1 AS x) TO '{path}' (FORMAT parquet)")
    assert open_export_file(path).parquet


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "the file is empty, expected a header row"), ("\n\n", "the file is empty, expected a header row")],
)
def test_an_empty_file_is_refused(tmp_path: Path, text: str, message: str) -> None:
    """A file with no header row is an error naming the file."""
    with pytest.raises(MetricsError, match=message):
        open_export_file(write_export(tmp_path, text))


def test_records_stream_with_the_lines_they_start_on(tmp_path: Path) -> None:
    """Records come with their first line, blank ones left out, a quoted line break counted."""
    path = write_export(tmp_path, 'a,b\n1,2\n\n"x\ny",3\n,\n4,5\n')
    assert [(2, ["1", "2"]), (4, ["x\ny", "3"]), (7, ["4", "5"])] == list(records(open_export_file(path)))


def test_undecodable_bytes_are_reported_at_their_row(tmp_path: Path) -> None:
    """Bytes that are not UTF-8 past the sniffed head are reported at the row holding them."""
    path = tmp_path / "calls.csv"
    path.write_bytes(CALLS.encode() + b"x" * 70_000 + b"\nA,2021-01-09,Y,Y,\xff,0:01:00,Tech\n")
    with pytest.raises(MetricsError) as error:
        readable_copy(open_export_file(path), tmp_path)
    assert [
        f"{path}: row 7: bytes that are not valid utf-8 text; save the file in one encoding, or pass --encoding"
    ] == (error.value.problems)


def test_a_plain_utf8_export_is_read_in_place(tmp_path: Path) -> None:
    """A UTF-8 export the engine reads as the csv module does needs no copy."""
    path = write_export(tmp_path, CALLS)
    assert path == readable_copy(open_export_file(path), tmp_path)


def test_another_encoding_is_transcoded_to_utf8(tmp_path: Path) -> None:
    """A UTF-16 export is copied as UTF-8 text, line ends and all."""
    path = write_export(tmp_path, CALLS.replace("\n", "\r\n"), encoding="utf-16")
    copy = readable_copy(open_export_file(path), tmp_path / "")
    assert copy is not None and CALLS.replace("\n", "\r\n") == copy.read_bytes().decode("utf-8")


@pytest.mark.parametrize(
    "text",
    ['a,b\n1, "2"\n', 'a,b\n1,"2" \n', 'a,b\nx"y",2\n', "a,b\n1,2\r3,4\n", "a,b\n1,2\r", "\na,b\n1,2\n"],
    ids=["space before a quote", "space after a quote", "quote inside", "lone CR", "final CR", "blank first line"],
)
def test_files_the_engine_could_read_otherwise_are_rewritten(tmp_path: Path, text: str) -> None:
    """Quotes beside other text, lone carriage returns and a header after blank lines are left to the csv module."""
    assert None is readable_copy(open_export_file(write_export(tmp_path, text)), tmp_path)


def test_rewritten_copy_holds_the_records_plainly(tmp_path: Path) -> None:
    """The rewrite holds each record as the csv module read it, blank ones and empty extra cells left out."""
    path = write_export(tmp_path, 'a,b\n1, "2"\n\n,\nx"y",3,,\n')
    copy = rewritten(open_export_file(path), tmp_path, 2)
    assert copy is not None
    with copy.open(encoding="utf-8", newline="") as handle:
        assert [["c0", "c1"], ["1", ' "2"'], ['x"y"', "3"]] == list(csv.reader(handle))


def test_rewrite_stops_at_a_record_of_another_width(tmp_path: Path) -> None:
    """A record with a cell too few (or a filled cell too many) ends the rewrite: it is reported instead."""
    assert None is rewritten(open_export_file(write_export(tmp_path, "a,b\n1\n")), tmp_path, 2)


@pytest.mark.parametrize(
    ("line", "doubt"),
    [("张三".encode(), "the file mixes encodings"), ("Müller".encode("cp1252"), "looks like Latin-1 or Windows-1252")],
    ids=["UTF-8 pasted in", "Latin-1 misread"],
)
def test_a_guessed_gb18030_line_that_reads_implausibly_is_reported(tmp_path: Path, line: bytes, doubt: str) -> None:
    """In an export read as GB18030 by a guess, a line that reads implausibly is an error at its row."""
    path = tmp_path / "calls.csv"
    path.write_bytes("坐席,日期\n李四,2021-01-04\n".encode("gb18030") + line + b",2021-01-05\n")
    with pytest.raises(MetricsError) as error:
        readable_copy(open_export_file(path), tmp_path)
    assert 1 == len(error.value.problems) and error.value.problems[0].startswith(f"{path}: row 3: ")
    assert doubt in error.value.problems[0] and error.value.problems[0].endswith("or pass --encoding")


def test_a_forced_gb18030_is_not_second_guessed(tmp_path: Path) -> None:
    """Given --encoding gb18030, the user has answered the question: every line is read as told."""
    path = tmp_path / "calls.csv"
    path.write_bytes("坐席,日期\n李四,2021-01-04\n".encode("gb18030") + "Müller".encode("cp1252") + b",2021-01-05\n")
    assert readable_copy(open_export_file(path, "gb18030"), tmp_path) is not None
