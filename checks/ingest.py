"""Checks on the raw layer: every export file in the inbox could be read, and none carries columns
the pipeline does not know (both severity WARN; the queries are in ``sql/file_rejections.sql`` and
``sql/schema_drift.sql``)."""

from collections.abc import Callable
from typing import Any

from dagster import AssetCheckResult, AssetChecksDefinition, AssetCheckSeverity, AssetKey, asset_check

from assets.common.resources import Warehouse
from assets.common.sql import SqlFolder
from assets.ingest.export_kinds import load_export_kinds

SQL = SqlFolder(__file__)


def _warning_check(kind: str, name: str, description: str, query: str, params: dict[str, str],
                   metadata: Callable[[list[tuple]], dict[str, Any]]) -> AssetChecksDefinition:
    """A WARN check on ``raw.<kind>``: passes when ``query`` lists no rows; the rows become its metadata."""

    @asset_check(asset=AssetKey(["raw", kind]), name=name, description=description)
    def _check(warehouse: Warehouse) -> AssetCheckResult:
        with warehouse.connect() as conn:
            rows = SQL.rows(conn, query, **params)
        return AssetCheckResult(passed=not rows, severity=AssetCheckSeverity.WARN, metadata=metadata(rows))

    return _check


def build_file_rejection_check(kind: str, source: str) -> AssetChecksDefinition:
    """WARN when files or sheets that could be of this kind were rejected (unreadable, unknown headers...):
    those of this kind, and those whose kind could not be told that lie in this kind's source folder
    or outside any source folder."""
    return _warning_check(
        kind, "all_files_readable",
        f"Every file and sheet of this kind, in the '{source}' inbox folder or outside any source "
        "folder, could be read and recognised. A rejected one is listed with the reason (file, sheet, row, "
        "column); nothing from it was loaded.",
        "file_rejections", {"kind": kind, "source": source},
        lambda rows: {"rejected_files": len(rows), "reasons": {f: e for f, e in rows}},
    )


INGEST_CHECKS = [build_file_rejection_check(k.name, k.source) for k in load_export_kinds().values()]


def build_schema_drift_check(kind: str) -> AssetChecksDefinition:
    """WARN when the newest files of a kind carry columns that map to no canonical column."""
    return _warning_check(
        kind, "no_schema_drift",
        "The newest version of each export file has no column the pipeline does not know. An "
        "unknown column (renamed in the source system, or new) is ignored; add it as an alias in "
        "CRM_COLUMN_ALIASES if it carries data the pipeline should use.",
        "schema_drift", {"kind": kind},
        lambda rows: {"files_with_unknown_columns": len(rows), "unknown_columns": {f: list(c) for f, c in rows}},
    )


SCHEMA_DRIFT_CHECKS = [build_schema_drift_check(k.name) for k in load_export_kinds().values()]
