"""The inbox as a whole: every file under it, what it is and what becomes of each of its tables.

``raw.inbox_files`` has one row per file in the inbox, or per sheet of a workbook: its source
folder, status (``export`` of a known kind, with the header row; ``rejected`` with the reason;
``ignored`` for system, lock and partial-download files and empty sheets, with the reason), how it
is read, its SHA-256, size and modification time. A rejected file or sheet is also listed in
``quality.file_rejections``. Together with ``raw.load_log`` (loaded, duplicate delivery) every file
ends in exactly one place.

Classifying a file (hash, first rows, header row, kind) is done once per file version: a file whose
size and modification time are unchanged keeps its row. A file modified within two seconds of its
classification is classified again next time (its modification time may not yet tell two versions
apart). Changing the export kinds, folder names or ``[ingest]`` settings classifies every file again.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath

import duckdb

from assets.common.sql import SqlFolder
from assets.ingest.delivery_order import file_sequence
from assets.ingest.export_kinds import ExportFormatError, ExportKind, best_header_row, find_header, header_key
from assets.ingest.file_types import ignore_reason
from assets.ingest.readers import ExportTable, FilePreview, SheetProblem, file_sha256, preview_export, read_export
from assets.ingest.settings import IngestSettings

CLASSIFIER_VERSION = "1"  # bump when the classification rules change: every file is classified again
UNKNOWN = "unknown"  # source / kind of a file whose source or kind cannot be told
_RACY_NS = 2_000_000_000
_EPOCH = datetime(1970, 1, 1)
SQL = SqlFolder(__file__)


@dataclass(frozen=True)
class InboxTable:
    """What becomes of one table (the file, or one sheet): an export of a kind, rejected, ignored."""

    sheet: str | None
    status: str  # "export", "rejected", "ignored"
    kind: str | None = None
    header_row: int | None = None
    reason: str | None = None
    data_rows: int | None = None  # rows of a rejected table, when they can be counted


@dataclass(frozen=True)
class InboxFile:
    """One file of the inbox and its tables."""

    relative: str
    path: Path
    source: str | None
    file_hash: str | None
    modified_at: datetime
    sequence: int
    delimiter: str | None
    tables: tuple[InboxTable, ...]
    fresh: bool  # classified in this scan (not taken from an earlier one)


def ensure_inbox_tables(conn: duckdb.DuckDBPyConnection) -> None:
    """Create ``raw.inbox_files`` and ``quality.file_rejections`` (with the columns added since)."""
    SQL.run(conn, "inbox_tables")


def source_of(relative: str, folders: dict[str, str]) -> str | None:
    """The source system of a file: the first folder on its path named like a source folder."""
    for part in PurePosixPath(relative).parts[:-1]:
        source = folders.get(header_key(part))
        if source is not None:
            return source
    return None


def table_label(relative: str, sheet: str | None) -> str:
    """How messages name a table: the file, and the sheet of a workbook."""
    return relative if sheet is None else f"{relative} [sheet {sheet}]"


def describe_unexpected(exc: Exception, label: str, inbox_dir: Path, path: Path | None = None) -> str:
    """The message for an error no reader anticipated, without machine paths."""
    text = str(exc).replace("\n", " ")
    for folder in sorted({str(inbox_dir.resolve()), str(inbox_dir.absolute()), str(inbox_dir)}, key=len, reverse=True):
        if path is not None:
            text = text.replace(str(path.resolve()), label).replace(str(path), label)
        text = text.replace(folder + "/", "").replace(folder, "<inbox>")
    return (f"{label}: could not be read ({type(exc).__name__}: {text[:400]}). The file is unusual or damaged; "
            "export it again, and report it if it keeps failing. The other files still load.")


def record_rejection(
    conn: duckdb.DuckDBPyConnection, source: str | None, relative: str, file_hash: str | None, sheet: str | None,
    kind: str | None, error: str, rows: int | None, now: datetime,
) -> None:
    """List a rejected file or sheet in ``quality.file_rejections`` (once per content)."""
    SQL.run(conn, "file_rejection", source=source or UNKNOWN, source_file=relative, file_hash=file_hash, error=error,
            rejected_at=now, sheet=sheet, kind=kind or UNKNOWN, rows_rejected=rows)


def clear_rejections(conn: duckdb.DuckDBPyConnection, relative: str, file_hash: str, sheet: str | None) -> None:
    """A table that loaded (or was recognised as a duplicate) is no longer rejected."""
    SQL.run(conn, "cleared_rejections", source_file=relative, file_hash=file_hash, sheet=sheet)


def _fingerprint(kinds: Sequence[ExportKind], folders: dict[str, str], options: IngestSettings) -> str:
    spec = {
        "version": CLASSIFIER_VERSION,
        "kinds": {k.name: [k.source, k.required, sorted(k.aliases.items())] for k in kinds},
        "folders": sorted(folders.items()),
        "options": [options.delimiter, options.header_search_rows],
    }
    return hashlib.sha256(json.dumps(spec, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def _count_rows(path: Path, relative: str, sheet: str | None, header_row: int, delimiter: str | None,
                options: IngestSettings) -> int | None:
    """Data rows of a rejected table (blank rows not counted), or None when it cannot be read."""
    try:
        tables = read_export(path, relative, {sheet: header_row}, delimiter, options)
    except Exception:  # the rejection already says why; an uncountable table counts 0 rows
        return None
    table = next((t for t in tables if isinstance(t, ExportTable)), None)
    return None if table is None else table.frame.height + len(table.malformed)


def _classify_tables(
    path: Path, relative: str, preview: FilePreview, candidates: list[ExportKind], others: list[ExportKind],
    options: IngestSettings,
) -> list[InboxTable]:
    tables: list[InboxTable] = []
    for table in preview.tables:
        if isinstance(table, SheetProblem):
            tables.append(InboxTable(table.sheet, "rejected", reason=table.message))
            continue
        label = table_label(relative, table.sheet)
        if table.empty and table.sheet is not None:
            tables.append(InboxTable(table.sheet, "ignored", reason="empty sheet"))
            continue
        try:
            match = find_header(table.rows, candidates, label, others)
        except ExportFormatError as exc:
            reading = f" (read as {table.reading})" if table.sheet is None and not table.empty else ""
            guess = best_header_row(table.rows, [*candidates, *others]) + 1
            rows = 0 if table.empty else _count_rows(path, relative, table.sheet, guess, table.delimiter, options)
            tables.append(InboxTable(table.sheet, "rejected", reason=f"{exc}{reading}", data_rows=rows))
            continue
        tables.append(InboxTable(table.sheet, "export", match.kind.name, match.row))
    if tables and all(t.status == "ignored" for t in tables):
        return [InboxTable(None, "rejected", reason=f"{relative}: the workbook has no data (every sheet is empty)",
                           data_rows=0)]
    return tables


def classify_file(
    path: Path, relative: str, candidates: list[ExportKind], others: list[ExportKind], options: IngestSettings,
    inbox_dir: Path,
) -> tuple[list[InboxTable], str | None]:
    """The tables of one file and what each is, plus the delimiter of a text file. Never raises
    for a bad file: the problem becomes a rejection naming file, sheet and row."""
    all_kinds = [*candidates, *others]

    def header_score(cells: list[str]) -> int:
        return max((kind.matched_count(cells) for kind in all_kinds), default=0)

    try:
        preview = preview_export(path, relative, options, header_score)
    except ExportFormatError as exc:
        return [InboxTable(None, "rejected", reason=str(exc))], None
    except Exception as exc:
        return [InboxTable(None, "rejected", reason=describe_unexpected(exc, relative, inbox_dir, path))], None
    delimiter = next((t.delimiter for t in preview.tables if not isinstance(t, SheetProblem)), None)
    try:
        return _classify_tables(path, relative, preview, candidates, others, options), delimiter
    except Exception as exc:
        return [InboxTable(None, "rejected", reason=describe_unexpected(exc, relative, inbox_dir, path))], delimiter


def _modified_at(mtime_ns: int) -> datetime:
    return _EPOCH + timedelta(microseconds=mtime_ns // 1000)


def _cached(conn: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    rows = SQL.rows(conn, "classified_files")
    cached: dict[str, list[tuple]] = {}
    for row in rows:
        cached.setdefault(row[0], []).append(row)
    return cached


def _from_cache(rows: list[tuple], path: Path, relative: str, source: str | None, mtime_ns: int) -> InboxFile:
    tables = tuple(InboxTable(r[1], r[2], r[3], r[4], r[5], r[6]) for r in rows)
    return InboxFile(relative, path, source, rows[0][8], _modified_at(mtime_ns), file_sequence(relative),
                     rows[0][7], tables, fresh=False)


def _same_outcome(entry: InboxFile, previous: list[tuple] | None) -> bool:
    """The file was classified the same way before (same content, same tables, same kinds)."""
    if not previous or previous[0][8] != entry.file_hash:
        return False
    before = sorted((r[1] or "", r[2], r[3] or "", r[4] or 0) for r in previous)
    return before == sorted((t.sheet or "", t.status, t.kind or "", t.header_row or 0) for t in entry.tables)


def _store(
    conn: duckdb.DuckDBPyConnection, entry: InboxFile, size: int, mtime_ns: int, fingerprint: str, now: datetime,
    previous: list[tuple] | None,
) -> None:
    """Record a file's classification; its rejections are replaced unless it was classified the
    same way before (then rejections found while loading it stay)."""
    trusted = time.time_ns() - mtime_ns >= _RACY_NS
    if _same_outcome(entry, previous):
        SQL.run(conn, "reclassified_file", trusted=trusted, fingerprint=fingerprint, file_size=size,
                file_mtime_ns=mtime_ns, file_modified_at=entry.modified_at, source_file=entry.relative)
        return
    conn.execute("BEGIN TRANSACTION")
    try:
        SQL.run(conn, "forgotten_file", source_file=entry.relative)
        conn.executemany(
            SQL.text("inbox_file_table"),
            [{"source_file": entry.relative, "sheet": t.sheet, "source": entry.source or UNKNOWN, "status": t.status,
              "kind": t.kind, "header_row": t.header_row, "reason": t.reason, "data_rows": t.data_rows,
              "delimiter": entry.delimiter, "file_hash": entry.file_hash, "file_size": size,
              "file_mtime_ns": mtime_ns, "file_modified_at": entry.modified_at, "file_sequence": entry.sequence,
              "fingerprint": fingerprint, "trusted": trusted, "scanned_at": now} for t in entry.tables],
        )
        if entry.file_hash is not None:
            SQL.run(conn, "forgotten_rejections", source_file=entry.relative, file_hash=entry.file_hash)
        for t in entry.tables:
            if t.status == "rejected":
                record_rejection(conn, entry.source, entry.relative, entry.file_hash, t.sheet, t.kind, t.reason or "",
                                 t.data_rows, now)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def inbox_paths(inbox_dir: Path) -> list[tuple[str, Path]]:
    """Every file under the inbox (sub-folders included) as (path relative to the inbox, path), in
    a stable order."""
    if not inbox_dir.is_dir():
        return []
    files = [(path.relative_to(inbox_dir).as_posix(), path) for path in inbox_dir.rglob("*") if path.is_file()]
    return sorted(files)


def scan_inbox(
    conn: duckdb.DuckDBPyConnection, inbox_dir: Path, kinds: Sequence[ExportKind], folders: dict[str, str],
    options: IngestSettings, now: datetime,
) -> list[InboxFile]:
    """Every file in the inbox with what each of its tables is (classified once per file version).

    A file in a source folder is matched against that source's kinds, any other file against all
    kinds. A source folder whose source has none of ``kinds`` is not looked at."""
    ensure_inbox_tables(conn)
    fingerprint = _fingerprint(kinds, folders, options)
    cached = _cached(conn)
    entries: list[InboxFile] = []
    present = inbox_paths(inbox_dir)
    for relative, path in present:
        source = source_of(relative, folders)
        candidates = [k for k in kinds if k.source == source] if source else list(kinds)
        if source and not candidates:
            continue
        stat = path.stat()
        rows = cached.get(relative)
        unchanged = bool(rows) and all(r[9] == stat.st_size and r[10] == stat.st_mtime_ns and r[11] == fingerprint
                                       for r in rows)
        if unchanged and all(r[12] for r in rows):
            entries.append(_from_cache(rows, path, relative, source, stat.st_mtime_ns))
            continue
        reason = ignore_reason(relative)
        file_hash = None if reason is not None else file_sha256(path)
        if unchanged and file_hash == rows[0][8]:  # modified just before the last scan: same content after all
            SQL.run(conn, "trusted_file", trusted=time.time_ns() - stat.st_mtime_ns >= _RACY_NS, source_file=relative)
            entries.append(_from_cache(rows, path, relative, source, stat.st_mtime_ns))
            continue
        if reason is not None:
            tables, delimiter = [InboxTable(None, "ignored", reason=reason)], None
        else:
            others = [k for k in kinds if k not in candidates]
            tables, delimiter = classify_file(path, relative, candidates, others if source else [], options, inbox_dir)
        entry = InboxFile(relative, path, source, file_hash, _modified_at(stat.st_mtime_ns), file_sequence(relative),
                          delimiter, tuple(tables), fresh=True)
        _store(conn, entry, stat.st_size, stat.st_mtime_ns, fingerprint, now, rows)
        entries.append(entry)
    SQL.run(conn, "missing_files", present=[relative for relative, _ in present])
    return entries
