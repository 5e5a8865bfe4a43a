"""Row accounting checks on the staging layer: no export row silently disappears."""

from dagster import AssetCheckResult, AssetChecksDefinition, AssetCheckSeverity, AssetKey, MetadataValue, asset_check

from assets.common.resources import Warehouse
from assets.staging.build import file_join
from assets.staging.specs import SPECS

RECOMPUTE_SQL = """
SELECT
    (SELECT coalesce(sum(rows_read), 0) FROM raw.load_log WHERE kind = $kind) AS rows_read,
    (SELECT count(*) FROM staging.{kind}) AS rows_staged,
    (SELECT count(*) FROM (SELECT DISTINCT source_file, sheet, row_number, loaded_at
                           FROM quality.quarantine WHERE kind = $kind)) AS rows_quarantined,
    (SELECT duplicates_collapsed FROM quality.reconciliation WHERE kind = $kind) AS duplicates_collapsed,
    (SELECT count(*) FROM raw.{kind}) AS raw_rows,
    (SELECT count(*) FROM quality.quarantine WHERE kind = $kind AND stage = 'ingest') AS malformed_rows,
    (SELECT coalesce(sum(rows_read), 0) FROM raw.load_log
      WHERE kind = $kind AND status = 'duplicate_delivery') AS duplicate_delivery_rows
"""


def build_reconciliation_check(kind: str) -> AssetChecksDefinition:
    """ERROR check: rows read = rows staged + rows quarantined + duplicates collapsed."""

    @asset_check(
        asset=AssetKey(["staging", kind]),
        name="rows_reconcile",
        blocking=True,
        description=(
            "Every export row is accounted for: rows read from the files = rows in this table + rows in "
            "quarantine + duplicates collapsed (duplicate deliveries, superseded file versions, the same "
            "record delivered again). Also checks that the raw table holds exactly the rows the load log "
            "says were read. A failure means rows were lost or double-counted: downstream tables are not "
            "rebuilt until it is fixed."
        ),
    )
    def _check(warehouse: Warehouse) -> AssetCheckResult:
        with warehouse.connect() as conn:
            row = conn.execute(RECOMPUTE_SQL.format(kind=kind), {"kind": kind}).fetchone()
        read, staged, quarantined, collapsed, raw_rows, malformed, duplicate_rows = (int(v or 0) for v in row)
        balanced = read == staged + quarantined + collapsed
        raw_matches_log = raw_rows + malformed + duplicate_rows == read
        return AssetCheckResult(
            passed=balanced and raw_matches_log and collapsed >= 0,
            severity=AssetCheckSeverity.ERROR,
            metadata={
                "rows_read": MetadataValue.int(read),
                "rows_staged": MetadataValue.int(staged),
                "rows_quarantined": MetadataValue.int(quarantined),
                "duplicates_collapsed": MetadataValue.int(collapsed),
                "equation": MetadataValue.text(
                    f"{read} = {staged} + {quarantined} + {collapsed}" + ("" if balanced else "  (does NOT hold)")
                ),
                "raw_rows_match_load_log": MetadataValue.bool(raw_matches_log),
            },
        )

    return _check


RECONCILIATION_CHECKS = [build_reconciliation_check(kind) for kind in SPECS]


# Per (file, sheet) of one kind, recomputed from the load log, the rejections, the staging table,
# the quarantine and the raw table, beside what quality.reconciliation_by_file says.
BY_FILE_RECOMPUTE_SQL = """
WITH log AS (
    SELECT source_file, sheet, coalesce(sum(rows_read) FILTER (status = 'loaded'), 0) AS loaded,
           coalesce(sum(rows_read) FILTER (status = 'duplicate_delivery'), 0) AS duplicates
    FROM raw.load_log WHERE kind = $kind GROUP BY ALL
),
rejected AS (
    SELECT source_file, sheet, coalesce(sum(rows_rejected), 0) AS n FROM quality.file_rejections
    WHERE coalesce(kind, 'unknown') = $kind GROUP BY ALL
),
staged AS (SELECT _source_file AS source_file, _sheet AS sheet, count(*) AS n FROM staging.{kind} GROUP BY ALL),
raw_rows AS (SELECT _source_file AS source_file, _sheet AS sheet, count(*) AS n FROM raw.{kind} GROUP BY ALL),
quarantined AS (
    SELECT source_file, sheet, count(*) AS n, count(*) FILTER (stage = 'ingest') AS ingest
    FROM (SELECT source_file, sheet, row_number, loaded_at, min(stage) AS stage FROM quality.quarantine
          WHERE kind = $kind GROUP BY ALL)
    GROUP BY ALL
),
files AS (SELECT source_file, sheet FROM log UNION SELECT source_file, sheet FROM rejected)
SELECT f.source_file, f.sheet,
       coalesce(l.loaded, 0) + coalesce(l.duplicates, 0) + coalesce(r.n, 0) AS rows_read,
       coalesce(s.n, 0) AS rows_staged, coalesce(q.n, 0) AS rows_quarantined, coalesce(r.n, 0) AS rows_rejected,
       b.rows_collapsed, b.rows_read AS table_read, b.rows_staged AS table_staged,
       b.rows_quarantined AS table_quarantined, b.rows_rejected AS table_rejected,
       coalesce(w.n, 0) + coalesce(q.ingest, 0) = coalesce(l.loaded, 0) AS raw_matches_log
FROM files f
{joins}
ORDER BY f.source_file, f.sheet NULLS FIRST
"""
BY_FILE_CHECK_JOINS = "\n".join(file_join(relation, alias) for relation, alias in (
    ("log", "l"), ("rejected", "r"), ("staged", "s"), ("raw_rows", "w"), ("quarantined", "q"),
    ("(SELECT * FROM quality.reconciliation_by_file WHERE kind = $kind)", "b")))


def _file_problems(rows: list[tuple]) -> list[str]:
    """The files whose accounting does not hold, each with what is wrong."""
    problems = []
    for file, sheet, read, staged, quarantined, rejected, collapsed, *table, raw_matches_log in rows:
        label = file if sheet is None else f"{file} [sheet {sheet}]"
        if collapsed is None:
            problems.append(f"{label}: missing from quality.reconciliation_by_file")
        elif read != staged + quarantined + collapsed + rejected or collapsed < 0:
            problems.append(f"{label}: {read} read != {staged} staged + {quarantined} quarantined + "
                            f"{collapsed} collapsed + {rejected} rejected")
        elif tuple(table) != (read, staged, quarantined, rejected):
            problems.append(f"{label}: the table says read/staged/quarantined/rejected {tuple(table)}, "
                            f"recomputed {(read, staged, quarantined, rejected)}")
        if not raw_matches_log:
            problems.append(f"{label}: the raw table does not hold the rows the load log says were read")
    return problems


def build_file_reconciliation_check(kind: str) -> AssetChecksDefinition:
    """ERROR check: for every file and sheet, rows read = staged + quarantined + collapsed + rejected."""

    @asset_check(
        asset=AssetKey(["staging", kind]),
        name="rows_reconcile_by_file",
        blocking=True,
        description=(
            "Every row of every export file and sheet is accounted for, file by file "
            "(quality.reconciliation_by_file): rows read = rows in this table + rows in quarantine + rows "
            "collapsed (duplicate deliveries, superseded versions, the same record delivered again) + rows of "
            "files or sheets rejected whole. The read, staged, quarantined and rejected counts are recomputed "
            "from the load log, this table, the quarantine and the rejections, and the raw table must hold "
            "exactly the rows the load log says each file had. A failure stops the downstream tables."
        ),
    )
    def _check(warehouse: Warehouse) -> AssetCheckResult:
        with warehouse.connect() as conn:
            recompute = BY_FILE_RECOMPUTE_SQL.format(kind=kind, joins=BY_FILE_CHECK_JOINS)
            rows = conn.execute(recompute, {"kind": kind}).fetchall()
        problems = _file_problems(rows)
        return AssetCheckResult(
            passed=not problems,
            severity=AssetCheckSeverity.ERROR,
            metadata={
                "files": MetadataValue.int(len(rows)),
                "files_not_balanced": MetadataValue.int(len(problems)),
                "problems": MetadataValue.json(problems[:50]),
            },
        )

    return _check


FILE_RECONCILIATION_CHECKS = [build_file_reconciliation_check(kind) for kind in SPECS]
