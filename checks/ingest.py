"""Checks on the raw layer: every export file in the inbox could be read."""


from dagster import AssetCheckResult, AssetChecksDefinition, AssetCheckSeverity, AssetKey, asset_check

from assets.common.resources import Warehouse
from assets.ingest.export_kinds import load_export_kinds

# Rejections this kind's check lists: files or sheets of this kind, and those whose kind could not
# be told that lie in this kind's source folder or outside any source folder.
REJECTIONS_SQL = """
SELECT source_file || coalesce(' [sheet ' || sheet || ']', '') AS label, error
FROM quality.file_rejections r
WHERE (coalesce(kind, 'unknown') = ? OR (coalesce(kind, 'unknown') = 'unknown' AND source IN (?, 'unknown')))
  AND NOT EXISTS (SELECT 1 FROM raw.load_log l WHERE l.source_file = r.source_file
                  AND l.file_hash <> r.file_hash AND l.loaded_at > r.rejected_at)
ORDER BY source_file, sheet NULLS FIRST"""


def build_file_rejection_check(kind: str, source: str) -> AssetChecksDefinition:
    """WARN when files or sheets that could be of this kind were rejected (unreadable, unknown headers...)."""

    @asset_check(
        asset=AssetKey(["raw", kind]),
        name="all_files_readable",
        description=f"Every file and sheet of this kind, in the '{source}' inbox folder or outside any source "
        "folder, could be read and recognised. A rejected one is listed with the reason (file, sheet, row, "
        "column); nothing from it was loaded.",
    )
    def _check(warehouse: Warehouse) -> AssetCheckResult:
        with warehouse.connect() as conn:
            rows = conn.execute(REJECTIONS_SQL, [kind, source]).fetchall()
        return AssetCheckResult(
            passed=not rows,
            severity=AssetCheckSeverity.WARN,
            metadata={"rejected_files": len(rows), "reasons": {f: e for f, e in rows}},
        )

    return _check


INGEST_CHECKS = [build_file_rejection_check(k.name, k.source) for k in load_export_kinds().values()]


def build_schema_drift_check(kind: str) -> AssetChecksDefinition:
    """WARN when the newest files of a kind carry columns that map to no canonical column."""

    @asset_check(
        asset=AssetKey(["raw", kind]),
        name="no_schema_drift",
        description="The newest version of each export file has no column the pipeline does not know. An "
        "unknown column (renamed in the source system, or new) is ignored; add it as an alias in "
        "CRM_COLUMN_ALIASES if it carries data the pipeline should use.",
    )
    def _check(warehouse: Warehouse) -> AssetCheckResult:
        with warehouse.connect() as conn:
            rows = conn.execute(
                """SELECT source_file, arg_max(unmapped_columns, loaded_at) AS unmapped
                   FROM raw.load_log WHERE kind = ? AND status = 'loaded' GROUP BY source_file
                   HAVING len(arg_max(unmapped_columns, loaded_at)) > 0 ORDER BY source_file""",
                [kind],
            ).fetchall()
        return AssetCheckResult(
            passed=not rows,
            severity=AssetCheckSeverity.WARN,
            metadata={"files_with_unknown_columns": len(rows), "unknown_columns": {f: list(c) for f, c in rows}},
        )

    return _check


SCHEMA_DRIFT_CHECKS = [build_schema_drift_check(k.name) for k in load_export_kinds().values()]
