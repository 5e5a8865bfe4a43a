"""The structure of a delimited text export: which delimiter it uses, its first rows (to find the
header), and its records with the row numbers a spreadsheet shows, records of the wrong width set
apart and blank records skipped.

Fast path: the file is read once more as plain lines (vectorised in Polars); a line's fields are
counted after removing its quoted values. Files with a record that spans several lines or an
unbalanced quote take the slow path, a full pass of Python's csv parser, which also finds the row
where an unclosed quote starts.

A record is malformed when it has fewer fields than the header up to its last named column, or
more fields than the header with something in them: trailing empty fields (``a,b,c,``, common in
ERP exports) and a header with trailing empty cells are fine.
"""

from __future__ import annotations

import csv
import io
import re
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import polars as pl

from assets.ingest.export_kinds import ExportFormatError, column_letter
from assets.ingest.settings import DELIMITERS, delimiter_name

MAX_RAW_TEXT = 500
CANDIDATE_DELIMITERS = tuple(DELIMITERS)
_LINE_BREAK = re.compile(r"\r\n|\n|\r")
_SEP_HINT = re.compile(rb"^sep=(.)\r?\n", re.IGNORECASE)
_QUOTED = '"[^"]*"'

# Very long values (a pasted e-mail thread in a notes column) are real; the csv module's default
# limit of 128 KiB per field would reject them.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


@dataclass(frozen=True)
class SetAsideRow:
    """A record that is not loaded but quarantined at ingest (wrong number of fields, totals row)."""

    row_number: int
    rule: str
    raw_text: str


@dataclass(frozen=True)
class ParsedCsv:
    """A delimited export parsed as text, with spreadsheet row numbers and its set-aside records."""

    headers: list[str]  # header text per column position, as in the file (stripped)
    frame: pl.DataFrame  # _row_number + one text column per header position (positional names c0, c1 ...)
    set_aside: list[SetAsideRow]
    blank_rows: int


@dataclass(frozen=True)
class DelimiterChoice:
    """The delimiter of a text export and how it was decided (for the load log and messages)."""

    delimiter: str
    how: str  # "sniffed", "setting", "sep= line"

    @property
    def description(self) -> str:
        return delimiter_name(self.delimiter) + ("" if self.how == "sniffed" else f" ({self.how})")


def strip_sep_hint(data: bytes) -> tuple[bytes, str | None]:
    """Excel's optional first line ``sep=;`` names the delimiter; it is not a row."""
    match = _SEP_HINT.match(data)
    if match is None:
        return data, None
    return data[match.end():], match.group(1).decode("ascii", errors="replace")


def split_lines(text: str) -> list[str]:
    """Physical lines of a text, any line end."""
    lines = _LINE_BREAK.split(text)
    return lines[:-1] if lines and lines[-1] == "" else lines


def split_line(line: str, delimiter: str) -> list[str]:
    """One line's fields, stripped; a line with an unbalanced quote is split ignoring quotes."""
    balanced = line.count('"') % 2 == 0
    fields = next(csv.reader([line], delimiter=delimiter), []) if balanced else line.split(delimiter)
    return [field.replace("\ufeff", "").strip() for field in fields]


def _trimmed_width(fields: Sequence[str]) -> int:
    width = len(fields)
    while width and not fields[width - 1].strip():
        width -= 1
    return width


def sniff_delimiter(
    lines: Sequence[str], fallback: str, header_score: Callable[[list[str]], int] | None = None,
    prefer: str | None = None,
) -> DelimiterChoice:
    """The delimiter of a text export from its first lines: the one that splits the most known
    header names out of a line, then splits the lines most consistently into the same number of
    fields (title lines aside), then the more fields. A tie goes to ``prefer`` (a ``.tsv`` file:
    tab), then to ``fallback`` (the ``[ingest] delimiter`` setting)."""
    content = [line for line in lines if line.strip()]
    scores: dict[str, tuple[int, float, int]] = {}
    for delimiter in CANDIDATE_DELIMITERS:
        rows = [split_line(line, delimiter) for line in content]
        widths = [_trimmed_width(r) for r in rows]
        multi = Counter(w for w in widths if w > 1)
        if not multi:
            scores[delimiter] = (0, 0.0, 1)
            continue
        width = max(multi, key=lambda w: (multi[w], w))
        known = max((header_score(r) for r in rows), default=0) if header_score else 0
        scores[delimiter] = (known, multi[width] / len(widths), width)
    best = max(scores.values())
    tied = [d for d in CANDIDATE_DELIMITERS if scores[d] == best]
    if len(tied) == 1 and best[2] > 1:
        return DelimiterChoice(tied[0], "sniffed")
    for choice in (prefer, fallback):
        if choice in tied:
            return DelimiterChoice(choice, "sniffed" if choice == prefer and len(tied) < len(scores) else "setting")
    return DelimiterChoice(tied[0], "sniffed")


def _unclosed_quote_column(line: str, delimiter: str) -> int:
    """1-based field of the quote in ``line`` that is never closed."""
    field, quoted, opened_in = 1, False, 1
    for char in line:
        if char == '"':
            quoted = not quoted
            opened_in = field
        elif char == delimiter and not quoted:
            field += 1
    return opened_in


def _check_header(body: bytes, delimiter: str, label: str, header_row: int) -> None:
    """Reject a header row whose quote never closes: every line after it would read as one value."""
    first = body[:body.find(b"\n")] if b"\n" in body else body
    if first.count(b'"') % 2 == 0:
        return
    head = body[:1 << 16].decode("utf-8", errors="ignore")
    reader = csv.reader(io.StringIO(head, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
        if reader.line_num <= 3 and len(header) > 1:
            return  # a quoted header cell with a line break in it
    except (csv.Error, StopIteration):
        pass
    line = first.decode("utf-8", errors="replace")
    column = _unclosed_quote_column(line, delimiter)
    cell = split_line(line, delimiter)[column - 1] if column <= len(split_line(line, delimiter)) else ""
    raise ExportFormatError(
        f"{label}, row {header_row}, column {column_letter(column - 1)} ({cell!r}): the header opens a quote (\") "
        "that is never closed, so every line after it would read as one value. Remove the stray quote from "
        "that header (or export the file again). Nothing from this file was loaded."
    )


def _fast_path(body: bytes, delimiter: str, header_row: int) -> ParsedCsv | None:
    try:
        frame = pl.read_csv(body, infer_schema=False, separator=delimiter, truncate_ragged_lines=True)
        lines = pl.read_csv(
            body, has_header=False, separator="\x1f", quote_char=None, infer_schema=False, new_columns=["line"],
        )["line"].str.strip_chars_end("\r")
    except (pl.exceptions.ComputeError, pl.exceptions.ShapeError, pl.exceptions.SchemaError):
        return None
    if lines.len() != frame.height + 1 or lines[0] is None:
        return None
    headers = split_line(lines[0], delimiter)
    if len(headers) != frame.width:
        return None
    body_lines = lines.slice(1)
    quoted = body_lines.str.contains('"', literal=True).fill_null(False)
    if quoted.any() and (body_lines.filter(quoted).str.count_matches('"', literal=True) % 2 == 1).any():
        return None  # a record spans lines, or a quote is never closed
    frame = frame.rename(dict(zip(frame.columns, [f"c{i}" for i in range(frame.width)], strict=True)))
    width, named = len(headers), _trimmed_width(headers)
    # Fields per line: delimiters + 1, counted without the quoted values on the (few) quoted lines.
    fields = body_lines.str.count_matches(delimiter, literal=True).fill_null(0) + 1
    if quoted.any():
        at = quoted.arg_true()
        fields = fields.scatter(at, _unquoted(body_lines.gather(at)).str.count_matches(delimiter, literal=True) + 1)
    blank = body_lines.is_null() | ~body_lines.str.contains(f'[^"{re.escape(delimiter)}\\s]').fill_null(False)
    # Lines of another width are malformed unless the difference is only trailing empty fields.
    odd = ((fields != width) & ~blank).arg_true()
    malformed: list[int] = []
    set_aside: list[SetAsideRow] = []
    if len(odd):
        texts = body_lines.gather(odd)
        trimmed = _unquoted(texts).str.strip_chars_end(delimiter + " \t").str.count_matches(delimiter, literal=True)
        for index, found, kept, text in zip(odd.to_list(), fields.gather(odd).to_list(),
                                            (trimmed.fill_null(0) + 1).to_list(), texts.to_list(), strict=True):
            if found < named or kept > width:
                malformed.append(index)
                set_aside.append(SetAsideRow(header_row + 1 + index, f"malformed line: expected {width} fields, "
                                             f"found {found}", (text or "")[:MAX_RAW_TEXT]))
    keep = ~blank
    if malformed:
        keep = keep & ~pl.int_range(0, frame.height, eager=True, dtype=pl.UInt32).is_in(
            pl.Series(malformed, dtype=pl.UInt32).implode())
    numbers = pl.int_range(header_row + 1, header_row + 1 + frame.height, eager=True, dtype=pl.Int64)
    frame = frame.with_columns(numbers.alias("_row_number")).select("_row_number", *frame.columns).filter(keep)
    return ParsedCsv(headers, frame, set_aside, int(blank.sum()))


def _unquoted(lines: pl.Series) -> pl.Series:
    return lines.str.replace_all(_QUOTED, "")


def _slow_path(text: str, delimiter: str, label: str, header_row: int) -> ParsedCsv:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    headers = [h.replace("\ufeff", "").strip() for h in next(reader, [])]
    width, named = len(headers), _trimmed_width(headers)
    records: list[list[str | None]] = []
    row_numbers: list[int] = []
    set_aside: list[SetAsideRow] = []
    blank = 0
    index = 0
    start_line = reader.line_num + 1
    try:
        for record in reader:
            row = header_row + 1 + index
            index += 1
            found, trimmed = len(record), _trimmed_width(record)
            if trimmed == 0:
                blank += 1
            elif found < named or trimmed > width:
                raw = delimiter.join(record)[:MAX_RAW_TEXT]
                set_aside.append(SetAsideRow(row, f"malformed line: expected {width} fields, found {found}", raw))
            else:
                records.append([(v or None) for v in record[:width]] + [None] * (width - found))
                row_numbers.append(row)
            start_line = reader.line_num + 1
    except csv.Error as exc:
        lines = split_lines(text)
        line = lines[start_line - 1] if start_line <= len(lines) else ""
        column = column_letter(_unclosed_quote_column(line, delimiter) - 1)
        raise ExportFormatError(
            f"{label}, row {header_row + 1 + index}: the record starting here cannot be parsed ({exc}); a quoted "
            f"value (column {column}) is probably never closed, or the file was cut off. Nothing from this file "
            "was loaded."
        ) from exc
    names = [f"c{i}" for i in range(width)]
    columns = {name: [r[i] for r in records] for i, name in enumerate(names)}
    frame = pl.DataFrame(
        {"_row_number": row_numbers, **columns},
        schema={"_row_number": pl.Int64, **{name: pl.String for name in names}},
    )
    return ParsedCsv(headers, frame, set_aside, blank)


def skip_lines(data: bytes, lines: int) -> bytes:
    """``data`` without its first ``lines`` physical lines."""
    position = 0
    for _ in range(lines):
        found = data.find(b"\n", position)
        if found < 0:
            return b""
        position = found + 1
    return data[position:] if position else data


def parse_csv(data: bytes, delimiter: str, label: str, header_row: int = 1) -> ParsedCsv:
    """Parse UTF-8 delimited text into text columns. ``header_row`` is the spreadsheet row of the
    header (rows above it, title lines, are skipped); data rows are numbered from the next row."""
    body = skip_lines(data, header_row - 1)
    if not body.strip():
        raise ExportFormatError(f"{label}, row {header_row}: the file is empty (no header row)")
    _check_header(body, delimiter, label, header_row)
    parsed = _fast_path(body, delimiter, header_row)
    if parsed is None:
        parsed = _slow_path(body.decode("utf-8"), delimiter, label, header_row)
    return parsed
