"""Reading export files as delivered: delimited text in any common encoding, delimiter and line
end (``.csv``, ``.txt``, ``.tsv``, gzip'd, or no extension at all), and Excel workbooks (``.xlsx``,
``.xlsm``, ``.xls``) with one or more sheets. Every value is read as text; typing happens in staging.

Two steps per file: :func:`preview_export` reads the first rows of each table (the file, or each
sheet) so the header row and the export kind can be found; :func:`read_export` then reads the
tables whole, from their header row on. Row numbers are those a spreadsheet shows (row 1 is the
first row of the sheet, blank or not). Blank rows are skipped and counted; a totals row (合计,
Total...) and a record with the wrong number of fields are set apart to be quarantined. All
per-file reading goes through :func:`read_export`, so the CSV engine can be swapped in one place.
"""

from __future__ import annotations

import gzip
import hashlib
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import fastexcel
import polars as pl

from assets.ingest.csv_structure import (
    MAX_RAW_TEXT,
    DelimiterChoice,
    SetAsideRow,
    parse_csv,
    sniff_delimiter,
    split_line,
    split_lines,
    strip_sep_hint,
)
from assets.ingest.export_kinds import ExportFormatError, column_letter
from assets.ingest.file_types import FileFormat, inner_name, sniff_format
from assets.ingest.settings import DELIMITERS, IngestSettings
from assets.ingest.text_decoding import decode_export, decode_head

HEAD_BYTES = 1 << 16
TOTALS_WORDS = frozenset({"合计", "总计", "小计", "总合计", "合计金额", "total", "totals", "grandtotal", "subtotal",
                          "sum"})
_TOTALS_HINT = "(?i)合计|总计|小计|total|sum"
_ENCODING_CODES = {"UTF-8": "utf-8", "UTF-8 with byte-order mark": "utf-8-sig", "GBK (GB18030)": "gb18030"}


@dataclass(frozen=True)
class TablePreview:
    """The first rows of one table (a text file, or one sheet), for finding its header and kind."""

    sheet: str | None
    rows: list[list[str]]  # rows[i] is spreadsheet row i + 1, cells as text ('' when empty)
    reading: str  # how the file is read, e.g. "GBK (GB18030) text, semicolon-separated"
    delimiter: str | None = None
    empty: bool = False


@dataclass(frozen=True)
class SheetProblem:
    """A sheet that cannot be read, while the workbook's other sheets can."""

    sheet: str
    message: str


@dataclass(frozen=True)
class ExportTable:
    """One table inside an export file: the whole text file, or one sheet of a workbook."""

    sheet: str | None
    headers: list[str]  # header text per column position, as in the file
    frame: pl.DataFrame  # _row_number + one text column per header position, named by display_names
    malformed: tuple[SetAsideRow, ...] = ()  # records set apart for the quarantine (wrong width, totals)
    header_row: int = 1
    blank_rows: int = 0
    reading: str = ""

    @property
    def columns(self) -> list[str]:
        """The frame's column names, one per header position."""
        return self.frame.columns[1:]


def file_sha256(path: Path) -> str:
    """Content fingerprint of a file, used to recognise a file that was already loaded."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def display_names(headers: list[str]) -> list[str]:
    """Unique column names for the headers: an empty header becomes ``(column F)``, a repeated one
    ``备注 (F)``."""
    names: list[str] = []
    for index, header in enumerate(headers):
        name = header or f"(column {column_letter(index)})"
        if name in names or name == "_row_number":
            name = f"{name} ({column_letter(index)})"
        names.append(name)
    return names


def scrub_paths(message: str, path: Path, label: str) -> str:
    """A library's error text with the machine's path of the file replaced by its inbox name."""
    for text in sorted({str(path.resolve()), str(path.absolute()), str(path)}, key=len, reverse=True):
        message = message.replace(text, label)
    return message


# --- text exports ---------------------------------------------------------------------------------


def _text_bytes(path: Path, file_format: FileFormat, label: str, limit: int | None = None) -> bytes:
    if file_format is not FileFormat.GZIP_TEXT:
        if limit is None:
            return path.read_bytes()
        with path.open("rb") as handle:
            return handle.read(limit)
    try:
        with gzip.open(path, "rb") as handle:
            return handle.read() if limit is None else handle.read(limit)
    except (OSError, EOFError, zlib.error) as exc:
        raise ExportFormatError(
            f"{label}: the gzip file is damaged or incomplete ({exc}); was the download finished? Export it again"
        ) from None


def _check_inner(path: Path, file_format: FileFormat, head: bytes, label: str) -> None:
    """A gzip'd file must hold text, not a workbook or another archive."""
    if file_format is FileFormat.GZIP_TEXT and sniff_format(Path(inner_name(path.name)), label, head) is not (
        FileFormat.TEXT
    ):
        raise ExportFormatError(f"{label}: the gzip file holds a workbook or archive; unpack it into the inbox")


def _prefer(path: Path) -> str | None:
    return "\t" if Path(inner_name(path.name)).suffix.lower() in (".tsv", ".tab") else None


def _hinted(text: str) -> tuple[str, str | None]:
    data, hint = strip_sep_hint(text.encode("utf-8"))
    return (data.decode("utf-8"), hint) if hint in DELIMITERS else (text, None)


def _text_preview(
    path: Path, file_format: FileFormat, label: str, options: IngestSettings,
    header_score: Callable[[list[str]], int] | None,
) -> TablePreview:
    head = _text_bytes(path, file_format, label, HEAD_BYTES)
    _check_inner(path, file_format, head, label)
    text, encoding = decode_head(head)
    text, hint = _hinted(text)
    lines = split_lines(text)
    if len(head) == HEAD_BYTES and len(lines) > 1:
        lines = lines[:-1]  # cut off in the middle
    lines = lines[: options.header_search_rows + 20]
    if hint:
        choice = DelimiterChoice(hint, "sep= line")
    else:
        choice = sniff_delimiter(lines, options.delimiter, header_score, _prefer(path))
    rows = [split_line(line, choice.delimiter) for line in lines[: options.header_search_rows]]
    gz = "gzip'd " if file_format is FileFormat.GZIP_TEXT else ""
    return TablePreview(None, rows, f"{gz}text in {encoding}, {choice.description}", choice.delimiter,
                        empty=not text.strip())


def read_text_table(
    path: Path, label: str, header_row: int = 1, delimiter: str | None = None,
    options: IngestSettings | None = None, file_format: FileFormat = FileFormat.TEXT,
) -> ExportTable:
    """All rows of a delimited text export as text, from its header row on."""
    options = options or IngestSettings()
    raw = _text_bytes(path, file_format, label)
    decoded = decode_export(raw, label, delimiter or options.delimiter)
    data, hint = strip_sep_hint(decoded.data)
    if hint in DELIMITERS:
        choice = DelimiterChoice(hint, "sep= line")
    elif delimiter:
        choice = DelimiterChoice(delimiter, "sniffed")
    else:
        head = split_lines(data[:HEAD_BYTES].decode("utf-8", errors="ignore"))[: options.header_search_rows + 20]
        choice = sniff_delimiter(head, options.delimiter, None, _prefer(path))
    parsed = parse_csv(data, choice.delimiter, label, header_row)
    frame, totals = set_aside_totals(parsed.frame, choice.delimiter)
    frame = frame.rename(dict(zip(frame.columns[1:], display_names(parsed.headers), strict=True)))
    gz = "gzip'd " if file_format is FileFormat.GZIP_TEXT else ""
    reading = "; ".join([f"{gz}text in {decoded.encoding}, {choice.description}", *decoded.notes])
    return ExportTable(None, parsed.headers, frame, tuple(sorted([*parsed.set_aside, *totals],
                       key=lambda r: r.row_number)), header_row, parsed.blank_rows, reading)


# --- rows that are no records -----------------------------------------------------------------------


def set_aside_totals(frame: pl.DataFrame, separator: str = ",") -> tuple[pl.DataFrame, list[SetAsideRow]]:
    """Split off totals rows: rows whose first non-empty cell is 合计, 总计, 小计, Total, Sum ...
    ``frame`` has ``_row_number`` first, then the text columns."""
    columns = frame.columns[1:]
    if not columns or frame.is_empty():
        return frame, []
    # Cheap first pass on the first non-null cell of each row; the exact rule only on what it finds.
    first = frame.select(pl.coalesce(columns)).to_series()
    candidates = first.str.contains(_TOTALS_HINT).fill_null(False)
    if not candidates.any():
        return frame, []
    exact = pl.coalesce([
        pl.when(pl.col(c).str.strip_chars() != "").then(pl.col(c)) for c in columns
    ]).str.replace_all(r"[\s:：]", "").str.to_lowercase().is_in(list(TOTALS_WORDS)).fill_null(False)
    flagged = frame.with_columns((pl.lit(candidates) & exact).alias("_totals"))
    totals = flagged.filter(pl.col("_totals"))
    if totals.is_empty():
        return frame, []
    texts = totals.select(pl.concat_str([pl.col(c).fill_null("") for c in columns], separator=separator))
    rows = [
        SetAsideRow(row, "totals row (合计/Total), not a record", text[:MAX_RAW_TEXT])
        for row, text in zip(totals["_row_number"].to_list(), texts.to_series().to_list(), strict=True)
    ]
    return flagged.filter(~pl.col("_totals")).drop("_totals"), rows


def _filled(column: str) -> pl.Expr:
    """A cell with something other than whitespace in it."""
    return pl.col(column).str.contains(r"\S").fill_null(False)


def _blank(frame: pl.DataFrame) -> pl.Expr:
    return ~pl.any_horizontal(_filled(c) for c in frame.columns)


# --- workbooks --------------------------------------------------------------------------------------


def _open_workbook(path: Path, label: str) -> fastexcel.ExcelReader:
    try:
        return fastexcel.read_excel(str(path))
    except Exception as exc:  # fastexcel raises its own error types per failure
        text = scrub_paths(str(exc), path, label).replace("\n", " ")
        if "password" in text.lower() or "encrypt" in text.lower():
            raise ExportFormatError(
                f"{label}: the workbook is password-protected, so it cannot be read. Remove the password (Excel: "
                "File → Info → Protect Workbook → Encrypt with Password, clear it), save, and put it in the inbox again"
            ) from None
        raise ExportFormatError(
            f"{label}: cannot be opened as an Excel workbook; it is damaged, incomplete or not a workbook ({text}). "
            "Export it again"
        ) from None


def _sheet_frame(reader: fastexcel.ExcelReader, sheet: str, rows: int | None) -> pl.DataFrame:
    """A sheet's cells as text from spreadsheet row 1 on (blank leading rows kept, so that row i of
    the frame is spreadsheet row i + 1)."""
    loaded = reader.load_sheet(sheet, header_row=None, skip_rows=0, n_rows=rows, dtypes="string")
    frame = loaded.to_polars()
    return frame.select(pl.col(c).cast(pl.String) for c in frame.columns)


def _workbook_previews(path: Path, label: str, options: IngestSettings) -> list[TablePreview | SheetProblem]:
    reader = _open_workbook(path, label)
    previews: list[TablePreview | SheetProblem] = []
    for sheet in reader.sheet_names:
        try:
            frame = _sheet_frame(reader, sheet, options.header_search_rows)
        except Exception as exc:
            previews.append(SheetProblem(sheet, f"{label}, sheet {sheet!r}: cannot be read "
                                                f"({scrub_paths(str(exc), path, label)})"))
            continue
        rows = [[(cell or "").strip() for cell in row] for row in frame.iter_rows()]
        empty = frame.width == 0 or (frame.select(_blank(frame)).to_series().all() and _sheet_is_empty(reader, sheet))
        previews.append(TablePreview(sheet, rows, f"{path.suffix.lower() or 'Excel'} workbook", empty=empty))
    return previews


def _sheet_is_empty(reader: fastexcel.ExcelReader, sheet: str) -> bool:
    frame = _sheet_frame(reader, sheet, None)
    return frame.width == 0 or bool(frame.select(_blank(frame)).to_series().all())


def _sheet_table(frame: pl.DataFrame, sheet: str, header_row: int, reading: str) -> ExportTable:
    body = frame.slice(header_row)
    headers = [(cell or "").replace("\ufeff", "").strip() for cell in frame.row(header_row - 1)]
    filled = body.select(_filled(c).any() for c in body.columns).row(0) if body.height else (False,) * body.width
    width = max((i + 1 for i in range(len(headers)) if headers[i] or filled[i]), default=0)
    headers, body = headers[:width], body.select(body.columns[:width])  # drop trailing empty columns
    body = body.rename(dict(zip(body.columns, display_names(headers), strict=True)))
    numbered = body.with_row_index("_row_number", offset=header_row + 1)
    numbered = numbered.with_columns(pl.col("_row_number").cast(pl.Int64))
    blank = numbered.select(_blank(body)).to_series() if body.width else pl.Series([True] * body.height)
    kept, totals = set_aside_totals(numbered.filter(~blank), " | ")
    return ExportTable(sheet, headers, kept, tuple(totals), header_row, int(blank.sum()), reading)


def iter_excel_tables(
    path: Path, label: str, header_rows: Mapping[str, int] | None = None,
) -> list[ExportTable | SheetProblem]:
    """The sheets of a workbook as text tables (all non-empty sheets, header on row 1, when
    ``header_rows`` is None; else only the sheets it names, from their header row)."""
    reader = _open_workbook(path, label)
    tables: list[ExportTable | SheetProblem] = []
    reading = f"{path.suffix.lower() or 'Excel'} workbook"
    for sheet in reader.sheet_names:
        if header_rows is not None and sheet not in header_rows:
            continue
        try:
            frame = _sheet_frame(reader, sheet, None)
            if header_rows is None and (frame.width == 0 or frame.select(_blank(frame)).to_series().all()):
                continue
            first_filled = 1 if header_rows is not None else _first_filled_row(frame)
            tables.append(_sheet_table(frame, sheet, (header_rows or {}).get(sheet, first_filled), reading))
        except Exception as exc:
            tables.append(SheetProblem(sheet, f"{label}, sheet {sheet!r}: cannot be read "
                                              f"({scrub_paths(str(exc), path, label)})"))
    return tables


def _first_filled_row(frame: pl.DataFrame) -> int:
    blank = frame.select(_blank(frame)).to_series().to_list()
    return next((i + 1 for i, is_blank in enumerate(blank) if not is_blank), 1)


# --- any export ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FilePreview:
    """What an export file is and the first rows of each of its tables."""

    file_format: FileFormat
    tables: list[TablePreview | SheetProblem] = field(default_factory=list)


def preview_export(
    path: Path, label: str, options: IngestSettings | None = None,
    header_score: Callable[[list[str]], int] | None = None,
) -> FilePreview:
    """The first rows of each table of an export file; raises ExportFormatError for a file that is
    no readable export (empty, JSON, an archive, a damaged workbook ...)."""
    options = options or IngestSettings()
    file_format = sniff_format(path, label)
    if file_format is FileFormat.WORKBOOK:
        return FilePreview(file_format, _workbook_previews(path, label, options))
    return FilePreview(file_format, [_text_preview(path, file_format, label, options, header_score)])


def read_export(
    path: Path, label: str | None = None, header_rows: Mapping[str | None, int] | None = None,
    delimiter: str | None = None, options: IngestSettings | None = None,
) -> list[ExportTable | SheetProblem]:
    """Read an export file whole: one table for a text file, one per sheet for a workbook (only the
    sheets named in ``header_rows``, from the header row given; all non-empty sheets from their
    first filled row when it is None)."""
    label = label or path.name
    file_format = sniff_format(path, label)
    if file_format is FileFormat.WORKBOOK:
        sheets = None if header_rows is None else {s: r for s, r in header_rows.items() if s is not None}
        return iter_excel_tables(path, label, sheets)
    header_row = (header_rows or {}).get(None, 1)
    return [read_text_table(path, label, header_row, delimiter, options, file_format)]


def detect_encoding(path: Path) -> str:
    """The encoding of a text export: 'utf-8', 'utf-8-sig', 'gb18030' (a superset of GBK),
    'utf-16-le' or 'utf-16-be'."""
    encoding = decode_export(path.read_bytes(), path.name).encoding
    return _ENCODING_CODES.get(encoding, encoding.split(" (")[0].lower().replace(" ", "-"))
