"""Reading export files as delivered: CSV in UTF-8 (with or without BOM) or GBK/GB18030, and Excel
workbooks with one or more sheets. Every value is read as text; typing happens in staging."""

from __future__ import annotations

import codecs
import csv
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import fastexcel
import polars as pl

from assets.ingest.csv_structure import MalformedRow, parse_csv
from assets.ingest.export_kinds import ExportFormatError

CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
SUPPORTED_SUFFIXES = CSV_SUFFIXES | EXCEL_SUFFIXES
FIRST_DATA_ROW = 2  # row numbers as a spreadsheet shows them: the header is row 1


@dataclass(frozen=True)
class ExportTable:
    """One table inside an export file: the whole CSV, or one sheet of a workbook."""

    sheet: str | None
    headers: list[str]
    frame: pl.DataFrame | None  # None when only the headers were read
    malformed: tuple[MalformedRow, ...] = ()


def file_sha256(path: Path) -> str:
    """Content fingerprint of a file, used to recognise a file that was already loaded."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def detect_encoding(path: Path) -> str:
    """Return 'utf-8-sig', 'utf-8' or 'gb18030' (a superset of GBK) for a text export."""
    with path.open("rb") as handle:
        head = handle.read(3)
        if head == codecs.BOM_UTF8:
            return "utf-8-sig"
        handle.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            for block in iter(lambda: handle.read(1 << 20), b""):
                decoder.decode(block)
            decoder.decode(b"", final=True)
            return "utf-8"
        except UnicodeDecodeError:
            pass
    _check_decodes(path, "gb18030")
    return "gb18030"


def _check_decodes(path: Path, encoding: str) -> None:
    with path.open("rb") as handle:
        for line_number, line in enumerate(handle, start=1):
            try:
                line.decode(encoding)
            except UnicodeDecodeError as exc:
                raise ExportFormatError(
                    f"{path}, row {line_number}: bytes at position {exc.start} are neither UTF-8 nor "
                    "GBK text; save the export as UTF-8 or GBK CSV"
                ) from exc


def _csv_delimiter(path: Path) -> str:
    return "\t" if path.suffix.lower() == ".tsv" else ","


def _utf8_bytes(path: Path, encoding: str) -> bytes:
    data = path.read_bytes()
    if encoding == "utf-8":
        return data
    return data.decode(encoding).encode("utf-8")


def _header_line(path: Path) -> str:
    """The first line decoded on its own (UTF-8, else GBK): enough to read the headers without
    scanning the whole file, which the full read does once anyway."""
    with path.open("rb") as handle:
        line = handle.readline()
    try:
        return line.decode("utf-8-sig")
    except UnicodeDecodeError:
        return line.decode("gb18030", errors="replace")


def read_csv_headers(path: Path, label: str) -> list[str]:
    """The header row of a CSV export."""
    first = next(csv.reader([_header_line(path)], delimiter=_csv_delimiter(path)), None)
    if not first or all(not cell.strip() for cell in first):
        raise ExportFormatError(f"{label}, row 1: the file is empty (no header row)")
    return [cell.replace("\ufeff", "").strip() for cell in first]


def read_csv_table(path: Path, label: str) -> ExportTable:
    """All rows of a CSV export as text, with a ``_row_number`` column (header = row 1); records with
    the wrong number of fields are set apart in ``malformed``."""
    encoding = detect_encoding(path)
    parsed = parse_csv(_utf8_bytes(path, encoding), _csv_delimiter(path), label)
    headers = [name.replace("\ufeff", "").strip() for name in parsed.headers]
    frame = parsed.frame.rename(dict(zip(parsed.headers, headers, strict=True)))
    return ExportTable(sheet=None, headers=headers, frame=frame, malformed=tuple(parsed.malformed))


def iter_excel_tables(path: Path, with_rows: bool, label: str) -> Iterator[ExportTable]:
    """Each non-empty sheet of a workbook, as text, with a ``_row_number`` column (header = row 1)."""
    try:
        reader = fastexcel.read_excel(str(path))
    except Exception as exc:  # fastexcel raises its own error types per failure
        raise ExportFormatError(f"{label}: cannot be opened as an Excel workbook: {exc}") from exc
    for sheet_name in reader.sheet_names:
        sheet = reader.load_sheet(sheet_name, n_rows=None if with_rows else 0, dtypes="string")
        headers = [str(column.name).strip() for column in sheet.selected_columns]
        if not headers or all(h.startswith("__UNNAMED") for h in headers):
            continue
        frame = None
        if with_rows:
            frame = sheet.to_polars()
            frame = frame.rename({name: str(name).strip() for name in frame.columns})
            frame = frame.with_row_index("_row_number", offset=FIRST_DATA_ROW).with_columns(
                pl.col("_row_number").cast(pl.Int64)
            )
        yield ExportTable(sheet=sheet_name, headers=headers, frame=frame)


def read_export(path: Path, with_rows: bool = True, label: str | None = None) -> list[ExportTable]:
    """Read an export file: one table for a CSV, one per non-empty sheet for a workbook."""
    label = label or path.name
    suffix = path.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        return list(iter_excel_tables(path, with_rows, label))
    if suffix in CSV_SUFFIXES:
        if path.stat().st_size == 0:
            raise ExportFormatError(f"{label}, row 1: the file is empty (zero bytes)")
        if with_rows:
            return [read_csv_table(path, label)]
        return [ExportTable(sheet=None, headers=read_csv_headers(path, label), frame=None)]
    raise ExportFormatError(f"{label}: unsupported file type {suffix!r}; use CSV or XLSX")
