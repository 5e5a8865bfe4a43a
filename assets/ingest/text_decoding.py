"""Turning the bytes of a text export into UTF-8, whatever the source system wrote: UTF-8 with or
without a byte-order mark, GBK/GB18030 (Windows Chinese), UTF-16 LE/BE (Excel's "Unicode text"),
CR-only line ends (old Mac), NUL padding. A file that mixes encodings, or holds bytes that are no
text in any of them, is an error naming the row and column of the first bad byte."""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass

from assets.ingest.export_kinds import ExportFormatError, column_letter

_BLOCK = 1 << 22
# This many UTF-8 multi-byte characters before the first non-UTF-8 byte mean the file really is
# UTF-8 text that turns into something else (GBK text of a pasted second export, say); fewer can be
# GBK bytes that happen to look like UTF-8.
_UTF8_EVIDENCE = 8
# Locating a bad byte parses the text before it as CSV up to this size; beyond, lines are counted.
_LOCATE_PARSE_LIMIT = 50 << 20
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32 LE"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8 with byte-order mark"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16 LE"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16 BE"),
)
GBK = "GBK (GB18030)"
# Characters a GBK file read as UTF-8 turns into (GBK's byte pairs such as D4 AA, 元, are also valid
# two-byte UTF-8) and that real exports hardly hold: C1 controls, Cyrillic Supplement, Armenian,
# and the scripts after Arabic up to NKo (Hebrew and Arabic names are real). Seeing one is the cue
# to compare the two readings.
_UNLIKELY_IN_UTF8 = re.compile("[\\u0080-\\u009f\\u0500-\\u058f\\u0700-\\u07ff]")
# Characters an export plausibly holds: Latin-1 and Latin Extended letters, Greek, Cyrillic, Hebrew,
# Arabic, punctuation, currency, CJK (ideographs, symbols, full-width forms).
_PLAUSIBLE = re.compile(
    "[\\u00a0-\\u04ff\\u0590-\\u06ff\\u2000-\\u206f\\u20a0-\\u20cf\\u2100-\\u214f\\u2e80-\\u2fdf"
    "\\u3000-\\u303f\\u3400-\\u4dbf\\u4e00-\\u9fff\\uf900-\\ufaff\\uff00-\\uffef]")
_NON_ASCII = re.compile("[^\x00-\x7f]")
_SNIFF_BYTES = 1 << 20


@dataclass(frozen=True)
class DecodedText:
    """An export's text as UTF-8 bytes (no byte-order mark, no NUL, LF or CRLF line ends), the
    encoding it was written in and what was repaired on the way."""

    data: bytes
    encoding: str
    notes: tuple[str, ...] = ()


def _bom(data: bytes) -> tuple[bytes, str, str] | None:
    return next(((bom, codec, name) for bom, codec, name in _BOMS if data.startswith(bom)), None)


def _utf16_without_bom(head: bytes) -> str | None:
    """'utf-16-le' / 'utf-16-be' when the zero bytes sit in every other position (ASCII as UTF-16)."""
    sample = head[:4096]
    if len(sample) < 8:
        return None
    even, odd = sample[0::2], sample[1::2]
    zero_even, zero_odd = even.count(0) / len(even), odd.count(0) / len(odd)
    if zero_odd >= 0.1 and zero_even <= 0.01:
        return "utf-16-le"
    if zero_even >= 0.1 and zero_odd <= 0.01:
        return "utf-16-be"
    return None


def utf8_error(data: bytes | memoryview) -> UnicodeDecodeError | None:
    """The first UTF-8 decoding error of ``data`` with its exact position, checked block by block
    (no copy of a big file as one string)."""
    view = memoryview(data)
    start, size = 0, len(view)
    while start < size:
        end = min(size, start + _BLOCK)
        while end < size and end > start and 0x80 <= view[end] < 0xC0:
            end -= 1  # never cut a character in two
        try:
            codecs.utf_8_decode(view[start:end], "strict", True)
        except UnicodeDecodeError as exc:
            return _shifted(exc, start)
        start = end
    return None


def _shifted(exc: UnicodeDecodeError, offset: int) -> UnicodeDecodeError:
    return UnicodeDecodeError(exc.encoding, exc.object, exc.start + offset, exc.end + offset, exc.reason)


def _is_utf8_text(prefix: bytes) -> bool:
    """Enough UTF-8 multi-byte characters to be sure the text was UTF-8 up to here."""
    return len(prefix.translate(None, delete=bytes(range(0xC2)))) >= _UTF8_EVIDENCE


def locate(prefix: str, delimiter: str) -> tuple[int, int]:
    """(row, 1-based column) where text continuing after ``prefix`` sits, rows as a spreadsheet
    numbers them (a quoted value with line breaks is one row)."""
    if len(prefix) > _LOCATE_PARSE_LIMIT:
        line_start = prefix.rfind("\n") + 1
        return prefix.count("\n") + 1, prefix[line_start:].count(delimiter) + 1
    records = list(csv.reader(io.StringIO(prefix, newline=""), delimiter=delimiter))
    if not records or prefix.endswith(("\n", "\r")):
        return len(records) + 1, 1
    return len(records), max(len(records[-1]), 1)


def _where(prefix: str, delimiter: str) -> str:
    row, column = locate(prefix, delimiter)
    return f"row {row}, column {column_letter(column - 1)}"


def _bad_bytes(data: bytes, position: int) -> str:
    return data[position:position + 4].hex(" ")


def _finish(text_utf8: bytes, encoding: str, notes: list[str]) -> DecodedText:
    nul = text_utf8.count(b"\x00")
    if nul:
        text_utf8 = text_utf8.replace(b"\x00", b"")
        notes.append(f"{nul} NUL byte(s) removed")
    if b"\r" in text_utf8 and b"\n" not in text_utf8:
        text_utf8 = text_utf8.replace(b"\r", b"\n")
        notes.append("CR-only line ends (old Mac) read as line breaks")
    return DecodedText(text_utf8, encoding, tuple(notes))


def _decode_whole(data: bytes, codec: str, name: str, label: str, delimiter: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        where = _where(data[:exc.start].decode(codec, errors="replace"), delimiter)
        raise ExportFormatError(
            f"{label}, {where}: bytes {_bad_bytes(data, exc.start)} are not valid {name} text ({exc.reason}); "
            "the file is damaged or not in one encoding: export it again. Nothing from this file was loaded."
        ) from None


def decode_export(data: bytes, label: str, delimiter: str = ",") -> DecodedText:
    """Decode a text export to UTF-8; ``delimiter`` only serves to name the column of a bad byte."""
    notes: list[str] = []
    bom = _bom(data)
    if bom is not None and bom[1] != "utf-8":
        text = _decode_whole(data[len(bom[0]):], bom[1], bom[2], label, delimiter)
        return _finish(text.encode("utf-8"), bom[2], notes)
    if bom is None and (codec := _utf16_without_bom(data)) is not None:
        name = "UTF-16 LE" if codec.endswith("le") else "UTF-16 BE"
        text = _decode_whole(data, codec, name, label, delimiter)
        return _finish(text.encode("utf-8"), f"{name} (no byte-order mark)", notes)
    body = data[len(bom[0]):] if bom else data
    encoding = "UTF-8 with byte-order mark" if bom else "UTF-8"
    error = utf8_error(body)
    if error is None:
        misread = None if bom is not None else gbk_misread_as_utf8(body)
        if misread is None:
            return _finish(body, encoding, notes)
        notes.append(f"valid UTF-8, but read as GBK: as UTF-8 it would hold characters such as {misread!r}, "
                     "which exports do not")
    if error is not None and error.reason == "unexpected end of data" and error.start >= len(body) - 3:
        notes.append("the file ends in the middle of a character (cut off?); the broken last character was dropped")
        return _finish(body[:error.start], encoding, notes)
    prefix = body[:error.start] if error is not None else b""
    if error is not None and _is_utf8_text(prefix):
        where = _where(prefix.decode("utf-8"), delimiter)
        raise ExportFormatError(
            f"{label}, {where}: the file is UTF-8 text up to here, but bytes {_bad_bytes(body, error.start)} are "
            "not UTF-8 (GBK, perhaps): it mixes two encodings, for example two exports pasted together. Save "
            "it again in one encoding (UTF-8 or GBK) or export it again. Nothing from this file was loaded."
        )
    try:
        text = body.decode("gb18030")
    except UnicodeDecodeError as exc:
        where = _where(body[:exc.start].decode("gb18030", errors="replace"), delimiter)
        raise ExportFormatError(
            f"{label}, {where}: bytes {_bad_bytes(body, exc.start)} are neither UTF-8 nor GBK text; save the "
            "export as UTF-8 or GBK CSV. Nothing from this file was loaded."
        ) from None
    if bom:
        notes.append("starts with a UTF-8 byte-order mark but is GBK text")
    return _finish(text.encode("utf-8"), GBK, notes)


def _plausible_share(text: str) -> float:
    foreign = _NON_ASCII.findall(text)
    return sum(1 for c in foreign if _PLAUSIBLE.match(c)) / len(foreign) if foreign else 1.0


def gbk_misread_as_utf8(body: bytes) -> str | None:
    """When bytes that are valid UTF-8 are really GBK text, a character the UTF-8 reading would show;
    else None. A GBK file whose only Chinese is a few characters such as 元 (D4 AA) is valid UTF-8
    too, and reads as Ԫ. Decided on the first megabyte: the UTF-8 reading shows characters exports
    hardly hold and the GBK reading has a larger share of plausible characters (a UTF-8 file with
    é, Ж or שלום stays UTF-8)."""
    sample = body[:_SNIFF_BYTES]
    if len(sample) < len(body):
        sample = sample[:sample.rfind(b"\n") + 1] or sample
    as_utf8 = sample.decode("utf-8", errors="ignore")
    unlikely = _UNLIKELY_IN_UTF8.search(as_utf8)
    if unlikely is None:
        return None
    try:
        as_gbk = sample.decode("gb18030")
    except UnicodeDecodeError:
        return None
    return unlikely.group() if _plausible_share(as_gbk) > _plausible_share(as_utf8) else None


def decode_head(head: bytes) -> tuple[str, str]:
    """The first bytes of a text export decoded leniently, for sniffing: (text, encoding name)."""
    bom = _bom(head)
    if bom is not None and bom[1] != "utf-8":
        return head[len(bom[0]):].decode(bom[1], errors="replace"), bom[2]
    if bom is None and (codec := _utf16_without_bom(head)) is not None:
        return head.decode(codec, errors="replace"), "UTF-16 LE" if codec.endswith("le") else "UTF-16 BE"
    body = head[len(bom[0]):] if bom else head
    error = utf8_error(body)
    cut = error is not None and error.reason == "unexpected end of data" and error.start >= len(body) - 3
    if error is None and bom is None and gbk_misread_as_utf8(body) is not None:
        return body.decode("gb18030", errors="replace"), GBK
    if error is None or cut or _is_utf8_text(body[:error.start]):
        return body.decode("utf-8", errors="replace"), "UTF-8 with byte-order mark" if bom else "UTF-8"
    return body.decode("gb18030", errors="replace"), GBK
