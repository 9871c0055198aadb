"""Which text encoding a file is in, and whether a guess reads it plausibly.

Files arrive as UTF-8 (with or without a byte-order mark), UTF-16 with a mark, or GB18030 from Excel on
Chinese Windows. A file that is not valid UTF-8 is read as GB18030, which decodes almost any bytes: so a
guessed GB18030 reading is checked row by row, and refused where it is implausible rather than garbling
names silently:

- a row that is valid UTF-8 holding Chinese text, in a file read as GB18030, means the file mixes
  encodings (a row pasted from elsewhere);
- a rare GBK character with an ASCII letter beside it ("M黮ler") is what Latin-1 or Windows-1252 text
  ("Müller") turns into when read as GB18030; real Chinese text puts common characters there.

Anything else is a question the user answers with --encoding.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

SNIFF_BYTES = 64 * 1024
GUESSED_GB18030 = "gb18030"
_LETTER_BESIDE = re.compile(r"[A-Za-z][^\x00-\x7f]|[^\x00-\x7f][A-Za-z]")
_CHINESE = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")


def detect_encoding(head: bytes) -> str:
    """UTF-8 (with or without BOM) or UTF-16 by BOM; UTF-8 when the head is valid UTF-8, or when most of
    its lines beyond ASCII are (the others were pasted in from elsewhere, and are reported as such);
    otherwise GB18030."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    utf8 = other = 0
    for line in head.split(b"\n")[:-1]:  # the last may be cut short
        if not line.isascii():
            try:
                line.decode("utf-8")
                utf8 += 1
            except UnicodeDecodeError:
                other += 1
    return "utf-8" if utf8 > other else GUESSED_GB18030


def text_encoding(name: str) -> str:
    """The codec's canonical name when `name` is a text encoding cspay can read files in; ValueError for an
    unknown name or a codec that is not a text encoding (rot13, base64, hex, zip …)."""
    try:
        info = codecs.lookup(name)
    except LookupError:
        raise ValueError(f"unknown encoding {name!r}; expected a text encoding such as utf-8 or gb18030") from None
    if not getattr(info, "_is_text_encoding", True) or info.name in ("idna", "punycode", "undefined"):
        raise ValueError(f"{name!r} is not a text encoding; expected one such as utf-8, gb18030 or cp1252")
    return info.name


def utf8_in_gb18030(text: str) -> bool:
    """Whether a row read as GB18030 was in fact UTF-8 Chinese text: its bytes are valid UTF-8 and read
    so they hold Chinese characters (GB18030 bytes are valid UTF-8 only by rare chance, and then read as
    accented Latin letters, not Chinese)."""
    if text.isascii():
        return False
    try:
        as_utf8 = text.encode("gb18030").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return False
    return _CHINESE.search(as_utf8) is not None


def implausible_gb18030(text: str) -> str | None:
    """The stretch of a GB18030 reading that looks like Latin-1 or Windows-1252 text misread (a rare GBK
    character beside an ASCII letter), or None when the reading is plausible."""
    for match in _LETTER_BESIDE.finditer(text):
        character = next(ch for ch in match.group() if not ch.isascii())
        if _rare_gbk(character):
            start = max(match.start() - 8, 0)
            return text[start : match.end() + 8]
    return None


def gb18030_doubt(text: str) -> str | None:
    """Why a row or line read as a guessed GB18030 looks misread, in a sentence; None when it reads well."""
    if text.isascii():
        return None
    if utf8_in_gb18030(text):
        return "it is UTF-8 text while the rest of the file reads as GB18030: the file mixes encodings"
    stretch = implausible_gb18030(text)
    if stretch is not None:
        return f"as GB18030 it reads {stretch!r}, which looks like Latin-1 or Windows-1252 text misread"
    return None


def _rare_gbk(character: str) -> bool:
    """A character whose GB18030 bytes lie outside the common (GB2312) area: a trail byte below 0xA1 or a
    lead byte below 0xA1, where the bytes of accented Latin letters followed by ASCII land."""
    try:
        data = character.encode("gb18030")
    except UnicodeEncodeError:
        return False
    return len(data) == 2 and (data[0] < 0xA1 or data[1] < 0xA1)


def read_limited(path: Path, limit: int, what: str) -> bytes:
    """A file's bytes, reading at most `limit` + 1 whatever the file is (a device or a pipe never ends);
    ValueError naming the limit when the file is larger."""
    with path.open("rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"the file is larger than {limit:,} bytes; expected {what}")
    return data
