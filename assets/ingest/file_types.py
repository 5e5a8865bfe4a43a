"""What a file in the inbox is, from its name and first bytes: an export to read (text, gzip'd
text, Excel workbook), a file to skip (system, lock and partial-download files), or something that
is not an export (JSON, archives, PDFs, images...) with what to do instead.

The file's extension is a hint only: the content decides (an extension-less file of CSV text is
read, a ``.xls`` that is really a web page is named as such).
"""

from __future__ import annotations

import re
import zipfile
from enum import Enum
from pathlib import Path, PurePosixPath

from assets.ingest.export_kinds import ExportFormatError

SNIFF_BYTES = 8192

# System, lock and temporary files: skipped (listed with the reason), never read.
_SYSTEM_NAMES = {"thumbs.db": "Windows thumbnail cache", "desktop.ini": "Windows folder settings",
                 "ehthumbs.db": "Windows thumbnail cache", ".ds_store": "macOS folder settings",
                 "icon\r": "macOS folder icon"}
_PARTIAL_SUFFIXES = {".crdownload": "Chrome", ".part": "Firefox", ".partial": "Edge", ".download": "Safari",
                     ".tmp": "a program", ".temp": "a program", ".filepart": "WinSCP"}
_SYSTEM_FOLDERS = {"__macosx": "macOS archive metadata", ".git": "version control", "$recycle.bin": "Windows bin"}

_NOT_EXPORTS = {
    ".json": "JSON", ".jsonl": "JSON", ".ndjson": "JSON", ".xml": "XML", ".html": "a web page (HTML)",
    ".htm": "a web page (HTML)", ".pdf": "a PDF document", ".doc": "a Word document", ".docx": "a Word document",
    ".ppt": "a PowerPoint file", ".pptx": "a PowerPoint file", ".numbers": "an Apple Numbers file",
    ".ods": "an OpenDocument spreadsheet", ".zip": "a zip archive", ".rar": "a RAR archive",
    ".7z": "a 7-Zip archive", ".tar": "a tar archive", ".tgz": "a tar archive", ".png": "an image",
    ".jpg": "an image", ".jpeg": "an image", ".gif": "an image", ".bmp": "an image", ".webp": "an image",
    ".tif": "an image", ".tiff": "an image", ".heic": "an image", ".mp4": "a video", ".mov": "a video",
    ".eml": "an e-mail message", ".msg": "an e-mail message", ".exe": "a program", ".dmg": "a disk image",
    ".parquet": "a Parquet file", ".sqlite": "a database file", ".db": "a database file", ".mdb": "an Access database",
    ".accdb": "an Access database", ".xlsb": "an Excel binary workbook (.xlsb)",
}
_MAGIC = (
    (b"%PDF", "a PDF document"), (b"\x89PNG", "an image"), (b"\xff\xd8\xff", "an image"), (b"GIF8", "an image"),
    (b"Rar!", "a RAR archive"), (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"), (b"PAR1", "a Parquet file"),
    (b"SQLite format 3", "a database file"), (b"II*\x00", "an image"), (b"MM\x00*", "an image"),
)
_ADVICE = {
    "JSON": "export CSV or Excel from the source system instead",
    "XML": "export CSV or Excel from the source system instead",
    "a web page (HTML)": "open it in Excel and save it as an Excel workbook (.xlsx), or export CSV",
    "an Excel binary workbook (.xlsb)": "open it in Excel and save it as an Excel workbook (.xlsx)",
    "an Apple Numbers file": "export it from Numbers as CSV or Excel",
    "an OpenDocument spreadsheet": "save it as an Excel workbook (.xlsx) or CSV",
}
_ARCHIVES = {"a zip archive", "a RAR archive", "a 7-Zip archive", "a tar archive"}

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
_HTML_START = re.compile(rb"^(\xef\xbb\xbf)?\s*(<!doctype html|<html|<table|<head|<meta|<body)", re.IGNORECASE)
_XML_START = re.compile(rb"^(\xef\xbb\xbf)?\s*<\?xml", re.IGNORECASE)
_JSON_START = re.compile(rb"^(\xef\xbb\xbf)?\s*(\{\s*\"|\[\s*[\{\[\"]|\[\s*\])")


class FileFormat(Enum):
    """How an export file is read."""

    TEXT = "text"  # delimited text (CSV, TSV, Excel "Unicode text", ...)
    GZIP_TEXT = "gzip"  # gzip-compressed delimited text
    WORKBOOK = "workbook"  # .xlsx / .xlsm / .xls, read by calamine


def ignore_reason(relative: str) -> str | None:
    """Why a file at this inbox-relative path is skipped, or None when it should be read."""
    path = PurePosixPath(relative)
    for folder in path.parts[:-1]:
        if folder.lower() in _SYSTEM_FOLDERS:
            return f"inside a {_SYSTEM_FOLDERS[folder.lower()]} folder ({folder}/)"
    name = path.name
    lower = name.lower()
    if lower in _SYSTEM_NAMES:
        return f"system file ({_SYSTEM_NAMES[lower]})"
    if name.startswith("~$"):
        return "Excel lock file (the workbook is open in Excel); it disappears when Excel closes the workbook"
    if name.startswith(".~lock.") and name.endswith("#"):
        return "LibreOffice lock file (the file is open in LibreOffice)"
    if name.startswith("._"):
        return "macOS resource fork (metadata of the file without the '._')"
    suffix = PurePosixPath(lower).suffix
    if suffix in _PARTIAL_SUFFIXES:
        return (f"unfinished download or temporary file of {_PARTIAL_SUFFIXES[suffix]} ({suffix}); it is read once "
                "it is complete and renamed")
    if name.startswith("."):
        return "hidden file"
    if lower.endswith("~") or lower.endswith(".swp") or lower.endswith(".bak"):
        return "backup or editor swap file"
    return None


def _not_an_export(label: str, what: str) -> ExportFormatError:
    if what in _ARCHIVES:
        advice = "unpack it and put the export files themselves in the inbox"
    else:
        advice = _ADVICE.get(what, "this pipeline reads CSV/text and Excel exports; export one of those instead")
    if not what.startswith(("a ", "an ")):  # JSON, XML
        return ExportFormatError(f"{label}: {what} is not an export format this pipeline reads; {advice}")
    return ExportFormatError(f"{label}: this is {what}, not an export this pipeline reads; {advice}")


def _zip_kind(path: Path, label: str, suffix: str) -> FileFormat:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        if suffix in (".xlsx", ".xlsm"):
            raise ExportFormatError(
                f"{label}: the workbook is damaged or incomplete ({exc}); was the download or copy finished? "
                "Export it again"
            ) from None
        raise _not_an_export(label, "a zip archive") from None
    if "xl/workbook.xml" in names:
        return FileFormat.WORKBOOK
    if "xl/workbook.bin" in names:
        raise _not_an_export(label, "an Excel binary workbook (.xlsb)")
    if "word/document.xml" in names:
        raise _not_an_export(label, "a Word document")
    if any(n.startswith("ppt/") for n in names):
        raise _not_an_export(label, "a PowerPoint file")
    if "content.xml" in names:
        raise _not_an_export(label, "an OpenDocument spreadsheet")
    raise _not_an_export(label, "a zip archive")


def sniff_format(path: Path, label: str, head: bytes | None = None) -> FileFormat:
    """How to read the file, or an ExportFormatError saying what it is instead and what to do."""
    head = head if head is not None else _head(path)
    suffix = path.suffix.lower()
    if not head:
        raise ExportFormatError(f"{label}, row 1: the file is empty (zero bytes)")
    if head.startswith(GZIP_MAGIC):
        return FileFormat.GZIP_TEXT
    if head.startswith(ZIP_MAGIC) or (suffix in (".xlsx", ".xlsm") and head.startswith(b"PK")):
        return _zip_kind(path, label, suffix)
    if head.startswith(OLE2_MAGIC):
        if suffix in (".doc", ".ppt", ".msg", ".mdb"):
            raise _not_an_export(label, _NOT_EXPORTS[suffix])
        return FileFormat.WORKBOOK  # .xls, or an encrypted .xlsx: calamine says which
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise _not_an_export(label, what)
    if _HTML_START.match(head):
        raise _not_an_export(label, "a web page (HTML)") if suffix not in (".xls", ".xlsx") else ExportFormatError(
            f"{label}: this '{suffix}' file is really a web page (HTML table), as some web systems export; open it "
            "in Excel and save it as an Excel workbook (.xlsx), or export CSV")
    if _XML_START.match(head):
        if b"urn:schemas-microsoft-com:office:spreadsheet" in head:
            raise ExportFormatError(
                f"{label}: this is an Excel 2003 XML spreadsheet, which this pipeline does not read; open it in "
                "Excel and save it as an Excel workbook (.xlsx)")
        raise _not_an_export(label, "XML")
    if suffix in _NOT_EXPORTS:
        raise _not_an_export(label, _NOT_EXPORTS[suffix])
    if _JSON_START.match(head):
        raise _not_an_export(label, "JSON")
    return FileFormat.TEXT


def _head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(SNIFF_BYTES)


def inner_name(relative: str) -> str:
    """The name of the file inside a gzip'd export: ``orders.tsv.gz`` -> ``orders.tsv``."""
    return relative[:-3] if relative.lower().endswith(".gz") else relative
