"""Loading export files into ``raw.<kind>`` tables, exactly once per file content.

Each table of each file is loaded in its own transaction together with its ``raw.load_log`` entry,
so a run killed mid-way keeps every file it finished and none of the one it was loading. A file whose
content (SHA-256) was loaded before adds nothing; the same content under a new name is logged as a
duplicate delivery. A file that cannot be read is recorded in ``quality.file_rejections`` with the
reason and the other files still load.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl

from assets.ingest.export_kinds import ExportFormatError, ExportKind, detect_kind
from assets.ingest.readers import SUPPORTED_SUFFIXES, ExportTable, file_sha256, read_export
from assets.quarantine import ensure_quarantine_table

LINEAGE_COLUMNS = {
    "_source_file": "VARCHAR",
    "_sheet": "VARCHAR",
    "_row_number": "BIGINT",
    "_file_hash": "VARCHAR",
    "_loaded_at": "TIMESTAMP",
}


@dataclass
class LoadReport:
    """What one ingestion pass did for one export kind."""

    kind: str
    files_loaded: list[str] = field(default_factory=list)
    rows_loaded: int = 0
    already_loaded: list[str] = field(default_factory=list)
    duplicate_deliveries: list[str] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)


def ensure_raw_tables(conn: duckdb.DuckDBPyConnection, kind: ExportKind) -> None:
    """Create ``raw.<kind>``, ``raw.load_log`` and ``quality.file_rejections`` if missing."""
    columns = [f'"{c}" VARCHAR' for c in kind.columns] + [f"{c} {t}" for c, t in LINEAGE_COLUMNS.items()]
    conn.execute(f"CREATE TABLE IF NOT EXISTS raw.{kind.name} ({', '.join(columns)})")
    for column in kind.columns:  # columns added to the shipped kinds after a warehouse was created
        conn.execute(f'ALTER TABLE raw.{kind.name} ADD COLUMN IF NOT EXISTS "{column}" VARCHAR')
    conn.execute(
        """CREATE TABLE IF NOT EXISTS raw.load_log (
            kind VARCHAR, source_file VARCHAR, sheet VARCHAR, file_hash VARCHAR, rows_read BIGINT,
            status VARCHAR, unmapped_columns VARCHAR[], loaded_at TIMESTAMP)"""
    )
    ensure_quarantine_table(conn)
    conn.execute(
        """CREATE TABLE IF NOT EXISTS quality.file_rejections (
            source VARCHAR, source_file VARCHAR, file_hash VARCHAR, error VARCHAR, rejected_at TIMESTAMP)"""
    )


def inbox_files(inbox_dir: Path, source: str) -> list[Path]:
    """Export files waiting in ``<inbox>/<source>/`` (sub-folders included), in a stable order."""
    folder = inbox_dir / source
    if not folder.is_dir():
        return []
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file()
        and path.suffix.lower() in SUPPORTED_SUFFIXES
        and not path.name.startswith((".", "~$"))
    )


def _record_rejection(
    conn: duckdb.DuckDBPyConnection, source: str, relative: str, file_hash: str, error: str, now: datetime
) -> None:
    conn.execute(
        "DELETE FROM quality.file_rejections WHERE source_file = ? AND file_hash = ?", [relative, file_hash]
    )
    conn.execute(
        "INSERT INTO quality.file_rejections VALUES (?, ?, ?, ?, ?)", [source, relative, file_hash, error, now]
    )


def _log_status(conn: duckdb.DuckDBPyConnection, kind: str, file_hash: str, sheet: str | None) -> list[tuple]:
    return conn.execute(
        "SELECT source_file, status FROM raw.load_log WHERE kind = ? AND file_hash = ? "
        "AND sheet IS NOT DISTINCT FROM ?",
        [kind, file_hash, sheet],
    ).fetchall()


def load_export_kind(
    conn: duckdb.DuckDBPyConnection,
    inbox_dir: Path,
    kind: ExportKind,
    kinds_of_source: list[ExportKind],
    now: datetime | None = None,
) -> LoadReport:
    """Load every not-yet-loaded table of ``kind`` found in the kind's inbox folder."""
    now = now or datetime.now(UTC).replace(tzinfo=None)
    ensure_raw_tables(conn, kind)
    report = LoadReport(kind=kind.name)
    for path in inbox_files(inbox_dir, kind.source):
        relative = path.relative_to(inbox_dir).as_posix()
        file_hash = file_sha256(path)
        try:
            tables = read_export(path, with_rows=False, label=relative)
            mine = [t for t in tables if detect_kind(t.headers, kinds_of_source, relative).name == kind.name]
            if not mine:
                continue
            pending = []
            for table in mine:
                history = _log_status(conn, kind.name, file_hash, table.sheet)
                if any(source_file == relative for source_file, _ in history):
                    report.already_loaded.append(relative)
                elif history:
                    _log_duplicate_delivery(conn, kind, relative, table.sheet, file_hash, now)
                    report.duplicate_deliveries.append(relative)
                else:
                    pending.append(table.sheet)
            if not pending:
                continue
            for table in read_export(path, with_rows=True, label=relative):
                if table.sheet in pending:
                    report.rows_loaded += _insert_table(conn, kind, relative, table, file_hash, now)
            report.files_loaded.append(relative)
        except ExportFormatError as exc:
            _record_rejection(conn, kind.source, relative, file_hash, str(exc), now)
            report.rejected[relative] = str(exc)
    return report


def _log_duplicate_delivery(
    conn: duckdb.DuckDBPyConnection, kind: ExportKind, relative: str, sheet: str | None, file_hash: str,
    now: datetime,
) -> None:
    conn.execute(
        """INSERT INTO raw.load_log
           SELECT ?, ?, ?, ?, max(rows_read), 'duplicate_delivery', [], ? FROM raw.load_log
           WHERE kind = ? AND file_hash = ? AND sheet IS NOT DISTINCT FROM ? AND status = 'loaded'""",
        [kind.name, relative, sheet, file_hash, now, kind.name, file_hash, sheet],
    )


def _insert_table(
    conn: duckdb.DuckDBPyConnection, kind: ExportKind, relative: str, table: ExportTable, file_hash: str,
    now: datetime,
) -> int:
    label = relative if table.sheet is None else f"{relative} [sheet {table.sheet}]"
    mapping, unmapped = kind.map_headers(table.headers, label)
    frame: pl.DataFrame = table.frame
    keep = [*mapping, "_row_number"]
    incoming = frame.select(keep).rename(mapping).with_columns(
        pl.lit(relative).alias("_source_file"),
        pl.lit(table.sheet, dtype=pl.String).alias("_sheet"),
        pl.lit(file_hash).alias("_file_hash"),
        pl.lit(now).alias("_loaded_at"),
    )
    conn.execute("BEGIN TRANSACTION")
    try:
        conn.register("incoming_export", incoming.to_arrow())
        conn.execute(f"INSERT INTO raw.{kind.name} BY NAME SELECT * FROM incoming_export")
        conn.unregister("incoming_export")
        conn.execute(
            "INSERT INTO raw.load_log VALUES (?, ?, ?, ?, ?, 'loaded', ?, ?)",
            [kind.name, relative, table.sheet, file_hash, incoming.height + len(table.malformed), unmapped, now],
        )
        if table.malformed:
            conn.executemany(
                "INSERT INTO quality.quarantine VALUES (?, ?, ?, ?, NULL, ?, ?, ?, 'ingest', false, NULL)",
                [
                    [kind.name, relative, table.sheet, m.row_number,
                     f"malformed line: expected {m.expected_fields} fields, found {m.found_fields}", m.raw_text, now]
                    for m in table.malformed
                ],
            )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return incoming.height
