"""Checking the structure of a CSV export row by row: every record must have as many fields as the
header, and every quoted value must be closed.

Fast path: the file is read once more as plain lines (vectorised in Polars); a line without quotes
has ``commas + 1`` fields, a line with balanced quotes is parsed on its own. Files with a record that
spans several lines or an unbalanced quote take the slow path, a full pass of Python's csv parser,
which also finds the row where an unclosed quote starts.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import polars as pl

from assets.ingest.export_kinds import ExportFormatError

FIRST_DATA_ROW = 2
MAX_RAW_TEXT = 500


@dataclass(frozen=True)
class MalformedRow:
    """A record whose field count differs from the header's; it is quarantined, not loaded."""

    record_index: int  # 0-based position among data records
    row_number: int
    expected_fields: int
    found_fields: int
    raw_text: str


@dataclass(frozen=True)
class ParsedCsv:
    """A CSV export parsed as text, with spreadsheet row numbers and its malformed rows set apart."""

    headers: list[str]
    frame: pl.DataFrame  # canonical-header-free: original headers + _row_number, malformed rows removed
    malformed: list[MalformedRow]


def _field_count(line: str, delimiter: str) -> int:
    return len(next(csv.reader([line], delimiter=delimiter)))


def _fast_path(data: bytes, delimiter: str, label: str) -> ParsedCsv | None:
    try:
        frame = pl.read_csv(io.BytesIO(data), infer_schema=False, separator=delimiter, truncate_ragged_lines=True)
        lines = pl.read_csv(
            io.BytesIO(data), has_header=False, separator="\x1f", quote_char=None, infer_schema=False,
            new_columns=["line"],
        )["line"]
    except (pl.exceptions.ComputeError, pl.exceptions.ShapeError):
        return None
    if lines.len() != frame.height + 1:
        return None
    body = lines.slice(1)
    quotes = body.str.count_matches('"', literal=True).fill_null(0)
    if (quotes % 2 == 1).any():
        return None  # a record spans lines, or a quote is never closed
    expected = len(frame.columns)
    counts = (body.str.count_matches(delimiter, literal=True) + 1).to_list()
    has_quote = (quotes > 0).to_list()
    texts = body.to_list()
    malformed = []
    for index, (count, quoted, text) in enumerate(zip(counts, has_quote, texts, strict=True)):
        if text is None:
            continue
        if quoted:
            count = _field_count(text, delimiter)
        if count != expected:
            malformed.append(MalformedRow(index, index + FIRST_DATA_ROW, expected, count, text[:MAX_RAW_TEXT]))
    frame = frame.with_row_index("_row_number", offset=FIRST_DATA_ROW).with_columns(
        pl.col("_row_number").cast(pl.Int64)
    )
    return ParsedCsv(list(frame.columns[1:]), _drop_rows(frame, body, malformed), malformed)


def _drop_rows(frame: pl.DataFrame, body: pl.Series, malformed: list[MalformedRow]) -> pl.DataFrame:
    keep = body.is_not_null()
    if malformed:
        bad = pl.Series([m.record_index for m in malformed], dtype=pl.UInt32)
        keep = keep & ~pl.int_range(0, frame.height, eager=True, dtype=pl.UInt32).is_in(bad.implode())
    return frame.filter(keep)


def _slow_path(text: str, delimiter: str, label: str) -> ParsedCsv:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        headers = next(reader)
    except StopIteration as exc:
        raise ExportFormatError(f"{label}, row 1: the file is empty (no header row)") from exc
    expected = len(headers)
    records: list[list[str]] = []
    row_numbers: list[int] = []
    malformed: list[MalformedRow] = []
    start = reader.line_num + 1
    index = 0
    try:
        for record in reader:
            if not record:
                start = reader.line_num + 1
                continue
            if len(record) != expected:
                raw = delimiter.join(record)[:MAX_RAW_TEXT]
                malformed.append(MalformedRow(index, start, expected, len(record), raw))
            else:
                records.append(record)
                row_numbers.append(start)
            index += 1
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ExportFormatError(
            f"{label}, row {start}: the record starting here cannot be parsed ({exc}); a quoted value is "
            "probably never closed, or the file was cut off. Nothing from this file was loaded."
        ) from exc
    columns = {name: [r[i] or None for r in records] for i, name in enumerate(headers)}
    frame = pl.DataFrame({"_row_number": row_numbers, **columns}, schema_overrides={"_row_number": pl.Int64})
    frame = frame.with_columns(pl.col(h).cast(pl.String) for h in headers)
    return ParsedCsv(headers, frame, malformed)


def parse_csv(data: bytes, delimiter: str, label: str) -> ParsedCsv:
    """Parse UTF-8 CSV bytes into text columns, setting malformed records apart with their row numbers."""
    parsed = _fast_path(data, delimiter, label)
    if parsed is not None:
        return parsed
    return _slow_path(data.decode("utf-8"), delimiter, label)
