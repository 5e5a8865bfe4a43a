"""Loading export files into ``raw.<kind>`` tables, exactly once per file content.

The inbox is scanned first (:mod:`assets.ingest.inbox`): every file, wherever it is, becomes
tables of known kinds, or is rejected or ignored with the reason. Each table of each file is then
loaded in its own transaction together with its ``raw.load_log`` entry, so a run killed mid-way
keeps every table it finished and none of the one it was loading. A table whose content (SHA-256 of
the file) was loaded before adds nothing; the same content under a new name is logged as a
duplicate delivery. Any error while reading one file or sheet is contained: it is listed in
``quality.file_rejections`` with the reason, and the other files and sheets still load.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl

from assets.common.quarantine import ensure_quarantine_table
from assets.common.sql import SqlFolder
from assets.ingest.export_kinds import ExportFormatError, ExportKind, load_source_folders
from assets.ingest.inbox import (
    InboxFile,
    clear_rejections,
    describe_unexpected,
    ensure_inbox_tables,
    record_rejection,
    scan_inbox,
    table_label,
)
from assets.ingest.readers import ExportTable, SheetProblem, read_export
from assets.ingest.settings import IngestSettings

SQL = SqlFolder(__file__)


@dataclass
class LoadReport:
    """What one ingestion pass did for one export kind."""

    kind: str
    files_loaded: list[str] = field(default_factory=list)
    rows_loaded: int = 0
    blank_rows: int = 0
    already_loaded: list[str] = field(default_factory=list)
    duplicate_deliveries: list[str] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)
    ignored: dict[str, str] = field(default_factory=dict)


def ensure_raw_tables(conn: duckdb.DuckDBPyConnection, kind: ExportKind) -> None:
    """Create ``raw.<kind>``, ``raw.load_log``, ``raw.inbox_files`` and ``quality.file_rejections``
    if missing, and add the columns later versions introduced to older warehouses (the columns added
    to the shipped kinds after a warehouse was created, say)."""
    SQL.run(conn, "raw_tables", {"kind": kind.name, "columns": list(kind.columns)})
    ensure_quarantine_table(conn)
    ensure_inbox_tables(conn)


def _log_status(conn: duckdb.DuckDBPyConnection, kind: str, file_hash: str, sheet: str | None) -> list[tuple]:
    return SQL.rows(conn, "load_history", kind=kind, file_hash=file_hash, sheet=sheet)


def _report_scan(report: LoadReport, entry: InboxFile, kind: ExportKind) -> None:
    """Newly classified files: ignored ones, and rejections this kind's folder could hold."""
    if not entry.fresh:
        return
    for table in entry.tables:
        label = table_label(entry.relative, table.sheet)
        if table.status == "ignored":
            report.ignored[label] = table.reason or ""
        elif table.status == "rejected" and entry.source in (None, kind.source):
            report.rejected[label] = table.reason or ""


def load_export_kind(
    conn: duckdb.DuckDBPyConnection,
    inbox_dir: Path,
    kind: ExportKind,
    kinds: list[ExportKind],
    now: datetime | None = None,
    options: IngestSettings | None = None,
    folders: dict[str, str] | None = None,
) -> LoadReport:
    """Load every not-yet-loaded table of ``kind`` found anywhere in the inbox. ``kinds`` are all
    the export kinds (a file's kind is detected among them)."""
    now = now or datetime.now(UTC).replace(tzinfo=None)
    options = options or IngestSettings()
    ensure_raw_tables(conn, kind)
    report = LoadReport(kind=kind.name)
    for entry in scan_inbox(conn, inbox_dir, kinds, folders or load_source_folders(), options, now):
        _report_scan(report, entry, kind)
        mine = [t for t in entry.tables if t.status == "export" and t.kind == kind.name]
        pending: dict[str | None, int] = {}
        for table in mine:
            history = _log_status(conn, kind.name, entry.file_hash, table.sheet)
            if any(source_file == entry.relative for source_file, _ in history):
                report.already_loaded.append(entry.relative)
            elif history:
                _log_duplicate_delivery(conn, kind, entry, table.sheet, now)
                report.duplicate_deliveries.append(entry.relative)
            else:
                pending[table.sheet] = table.header_row or 1
        if pending:
            _load_file(conn, inbox_dir, kind, entry, pending, options, now, report)
    return report


def _reject(
    conn: duckdb.DuckDBPyConnection, kind: ExportKind, entry: InboxFile, sheet: str | None, error: str,
    rows: int | None, now: datetime, report: LoadReport,
) -> None:
    record_rejection(conn, kind.source, entry.relative, entry.file_hash, sheet, kind.name, error, rows, now)
    report.rejected[table_label(entry.relative, sheet)] = error


def _load_file(
    conn: duckdb.DuckDBPyConnection, inbox_dir: Path, kind: ExportKind, entry: InboxFile,
    pending: dict[str | None, int], options: IngestSettings, now: datetime, report: LoadReport,
) -> None:
    """Read the pending tables of one file and load each in its own transaction; a failure of one
    table is recorded as its rejection and does not touch the others."""
    try:
        tables = read_export(entry.path, entry.relative, pending, entry.delimiter, options)
    except ExportFormatError as exc:
        for sheet in pending:
            _reject(conn, kind, entry, sheet, str(exc), None, now, report)
        return
    except Exception as exc:
        for sheet in pending:
            _reject(conn, kind, entry, sheet, describe_unexpected(exc, entry.relative, inbox_dir, entry.path), None,
                    now, report)
        return
    loaded = False
    for table in tables:
        if isinstance(table, SheetProblem):
            _reject(conn, kind, entry, table.sheet, table.message, None, now, report)
            continue
        rows = table.frame.height + len(table.malformed)
        try:
            report.rows_loaded += _insert_table(conn, kind, entry, table, now)
        except ExportFormatError as exc:
            _reject(conn, kind, entry, table.sheet, str(exc), rows, now, report)
            continue
        except Exception as exc:
            label = table_label(entry.relative, table.sheet)
            _reject(conn, kind, entry, table.sheet, describe_unexpected(exc, label, inbox_dir, entry.path), rows, now,
                    report)
            continue
        report.blank_rows += table.blank_rows
        loaded = True
    if loaded:
        report.files_loaded.append(entry.relative)


def _log_duplicate_delivery(
    conn: duckdb.DuckDBPyConnection, kind: ExportKind, entry: InboxFile, sheet: str | None, now: datetime,
) -> None:
    SQL.run(conn, "duplicate_delivery", kind=kind.name, source_file=entry.relative, sheet=sheet,
            file_hash=entry.file_hash, loaded_at=now, file_modified_at=entry.modified_at)
    clear_rejections(conn, entry.relative, entry.file_hash, sheet)


def _unmapped(table: ExportTable, mapped: list[str | None]) -> list[str]:
    """Columns that match no canonical column: by header, or by position when they have no header
    but hold data."""
    names = []
    for header, name, canonical in zip(table.headers, table.columns, mapped, strict=True):
        if canonical is None and (header or table.frame[name].null_count() < table.frame.height):
            names.append(header or name)
    return names


def _insert_table(
    conn: duckdb.DuckDBPyConnection, kind: ExportKind, entry: InboxFile, table: ExportTable, now: datetime,
) -> int:
    label = table_label(entry.relative, table.sheet)
    mapped = kind.map_columns(table.headers, label, table.header_row)
    selected = [pl.col(name).alias(canonical) for name, canonical in zip(table.columns, mapped, strict=True)
                if canonical is not None]
    incoming = table.frame.select(pl.col("_row_number"), *selected).with_columns(
        pl.lit(entry.relative).alias("_source_file"),
        pl.lit(table.sheet, dtype=pl.String).alias("_sheet"),
        pl.lit(entry.file_hash).alias("_file_hash"),
        pl.lit(now).alias("_loaded_at"),
        pl.lit(entry.modified_at).alias("_file_modified_at"),
        pl.lit(entry.sequence, dtype=pl.Int32).alias("_file_sequence"),
    )
    conn.execute("BEGIN TRANSACTION")
    try:
        conn.register("incoming_export", incoming.to_arrow())
        SQL.run(conn, "loaded_table", {"kind": kind.name}, kind=kind.name, source_file=entry.relative,
                sheet=table.sheet, file_hash=entry.file_hash, rows_read=incoming.height + len(table.malformed),
                unmapped_columns=_unmapped(table, mapped), loaded_at=now, file_modified_at=entry.modified_at,
                header_row=table.header_row, blank_rows=table.blank_rows,
                reading=f"{table.reading}; header on row {table.header_row}")
        conn.unregister("incoming_export")
        if table.malformed:
            conn.executemany(
                SQL.text("quarantined_rows"),
                [{"kind": kind.name, "source_file": entry.relative, "sheet": table.sheet, "row_number": m.row_number,
                  "rule": m.rule, "raw_value": m.raw_text, "loaded_at": now} for m in table.malformed],
            )
        clear_rejections(conn, entry.relative, entry.file_hash, table.sheet)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return incoming.height
