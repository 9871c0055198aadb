"""Which encoding a file is in, which encodings cspay accepts, and when a guessed GB18030 reading is doubtful."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from cspay.encodings import detect_encoding, gb18030_doubt, read_limited, text_encoding

# Names from Latin-1 and Windows-1252 files, each with an accented letter beside an ASCII one.
LATIN_NAMES = ["Müller", "François", "Ångström", "Gødel", "Piñata", "Señor", "Björn", "Ærø Ltd", "Straße"]
CHINESE_TEXT = ["王芳", "张伟,L1,北区", "A组 王芳", "VIP客服", "王芳Amy", "客服一组,92.5%", "喆", "堃"]


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (codecs.BOM_UTF8 + "工号".encode(), "utf-8-sig"),
        (codecs.BOM_UTF16_LE + "id".encode("utf-16-le"), "utf-16"),
        (codecs.BOM_UTF16_BE + "id".encode("utf-16-be"), "utf-16"),
        ("工号,姓名".encode(), "utf-8"),
        (b"agent_id,name", "utf-8"),
        ("工号,姓名".encode("gb18030"), "gb18030"),
        ("工号".encode()[:-1], "utf-8"),  # a character cut by the end of the sniffed bytes
    ],
)
def test_encoding_is_detected_from_the_first_bytes(head: bytes, expected: str) -> None:
    """A mark says UTF-8 or UTF-16; valid UTF-8 is UTF-8; anything else is read as GB18030."""
    assert expected == detect_encoding(head)


@pytest.mark.parametrize(("name", "canonical"), [("UTF8", "utf-8"), ("GBK", "gbk"), ("latin-1", "iso8859-1")])
def test_text_encodings_are_accepted_by_any_of_their_names(name: str, canonical: str) -> None:
    """An alias is taken, and the codec's own name returned."""
    assert canonical == text_encoding(name)


@pytest.mark.parametrize("name", ["rot13", "base64", "hex", "zip", "bz2", "uu", "quopri", "idna", "punycode"])
def test_codecs_that_are_not_text_encodings_are_refused(name: str) -> None:
    """Byte-to-byte transforms and domain-name codecs are not encodings a CSV file is in."""
    with pytest.raises(ValueError, match="is not a text encoding"):
        text_encoding(name)


def test_an_unknown_encoding_is_refused() -> None:
    """A name no codec has says what was expected."""
    with pytest.raises(ValueError, match="unknown encoding 'klingon'; expected a text encoding"):
        text_encoding("klingon")


@pytest.mark.parametrize("name", LATIN_NAMES)
def test_latin_text_read_as_gb18030_never_passes(name: str) -> None:
    """A Latin-1 name read as GB18030 either fails to decode (the reader reports the bytes) or is called
    a misreading; it never reads as plausible Chinese."""
    reading = _as_gb18030(name.encode("cp1252"))
    assert reading is None or "Latin-1 or Windows-1252" in (gb18030_doubt(reading) or "")


def test_most_latin_names_decode_as_gb18030() -> None:
    """The decoder lets most Latin-1 names through: the doubt is what catches them."""
    assert sum(_as_gb18030(name.encode("cp1252")) is not None for name in LATIN_NAMES) >= 5


@pytest.mark.parametrize("text", CHINESE_TEXT)
def test_chinese_text_read_as_gb18030_is_not_doubted(text: str) -> None:
    """Chinese names, teams and letters beside them read as they were written."""
    assert gb18030_doubt(text) is None


@pytest.mark.parametrize("text", CHINESE_TEXT)
def test_utf8_chinese_read_as_gb18030_never_passes(text: str) -> None:
    """A UTF-8 row in a GB18030 file either fails to decode or is named as a mix of encodings."""
    reading = _as_gb18030(text.encode())
    assert reading is None or "mixes encodings" in (gb18030_doubt(reading) or "")


def test_ascii_is_never_doubted() -> None:
    """A row of ASCII reads the same in every encoding cspay guesses."""
    assert gb18030_doubt("A001,Ada Lin,L1,North,92.5") is None


def test_reading_a_device_stops_at_the_limit() -> None:
    """/dev/zero never ends; at most the limit and one byte are read, then it is refused."""
    with pytest.raises(ValueError, match="larger than 1,024 bytes; expected a small file"):
        read_limited(Path("/dev/zero"), 1024, "a small file")


def test_a_file_within_the_limit_is_read_whole(tmp_path: Path) -> None:
    """A file of exactly the limit is read."""
    path = tmp_path / "f"
    path.write_bytes(b"x" * 1024)
    assert b"x" * 1024 == read_limited(path, 1024, "a small file")


def _as_gb18030(data: bytes) -> str | None:
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        return None


def test_a_utf8_head_with_one_gb18030_line_is_utf8() -> None:
    """The encoding most lines beyond ASCII are in wins: the odd line is then reported at its row."""
    lines = [f"A00{i},王芳".encode() for i in range(5)]
    lines[2] = lines[2].decode().encode("gb18030")
    assert "utf-8" == detect_encoding(b"\n".join(lines) + b"\n")


def test_a_gb18030_head_with_one_utf8_line_is_gb18030() -> None:
    """Most lines in GB18030 make the guess GB18030, and the UTF-8 line is doubted at its row."""
    lines = [f"A00{i},王芳".encode("gb18030") for i in range(5)]
    lines[2] = lines[2].decode("gb18030").encode()
    assert "gb18030" == detect_encoding(b"\n".join(lines) + b"\n")
