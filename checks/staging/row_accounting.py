"""Row accounting checks on the staging layer: no export row silently disappears."""

from collections.abc import Callable

import duckdb
from dagster import AssetCheckResult, AssetChecksDefinition, AssetCheckSeverity, AssetKey, MetadataValue, asset_check

from assets.common.resources import Warehouse
from assets.common.sql import SqlFolder
from assets.staging.specs import SPECS

# sql/rows_reconcile.sql and sql/rows_reconcile_by_file.sql: the accounting recomputed, per kind and per file.
SQL = SqlFolder(__file__)


def _blocking_staging_check(kind: str, evaluate: Callable[[duckdb.DuckDBPyConnection, str], AssetCheckResult]
                            ) -> AssetChecksDefinition:
    """The blocking ERROR check ``evaluate`` on ``staging/<kind>``, named after the function and
    described by its docstring."""

    @asset_check(
        asset=AssetKey(["staging", kind]),
        name=evaluate.__name__,
        blocking=True,
        description=" ".join((evaluate.__doc__ or "").split()),
    )
    def _check(warehouse: Warehouse) -> AssetCheckResult:
        with warehouse.connect() as conn:
            return evaluate(conn, kind)

    return _check


def rows_reconcile(conn: duckdb.DuckDBPyConnection, kind: str) -> AssetCheckResult:
    """Every export row is accounted for: rows read from the files = rows in this table + rows in
    quarantine + duplicates collapsed (duplicate deliveries, superseded file versions, the same record
    delivered again). Also checks that the raw table holds exactly the rows the load log says were
    read. A failure means rows were lost or double-counted: downstream tables are not rebuilt until it
    is fixed."""
    row = SQL.run(conn, "rows_reconcile", {"kind": kind}, kind=kind).fetchone()
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


RECONCILIATION_CHECKS = [_blocking_staging_check(kind, rows_reconcile) for kind in SPECS]


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


def rows_reconcile_by_file(conn: duckdb.DuckDBPyConnection, kind: str) -> AssetCheckResult:
    """Every row of every export file and sheet is accounted for, file by file
    (quality.reconciliation_by_file): rows read = rows in this table + rows in quarantine + rows
    collapsed (duplicate deliveries, superseded versions, the same record delivered again) + rows of
    files or sheets rejected whole. The read, staged, quarantined and rejected counts are recomputed
    from the load log, this table, the quarantine and the rejections, and the raw table must hold
    exactly the rows the load log says each file had. A failure stops the downstream tables."""
    rows = SQL.rows(conn, "rows_reconcile_by_file", {"kind": kind}, kind=kind)
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


FILE_RECONCILIATION_CHECKS = [_blocking_staging_check(kind, rows_reconcile_by_file) for kind in SPECS]
