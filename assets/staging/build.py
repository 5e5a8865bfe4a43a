"""Turning one raw table into its typed staging table, with failing rows sent to quarantine."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from assets.staging.specs import StagingSpec
from assets.staging.sql_functions import install_sql_functions

QUARANTINE_DDL = """CREATE TABLE IF NOT EXISTS quality.quarantine (
    kind VARCHAR, source_file VARCHAR, sheet VARCHAR, row_number BIGINT, column_name VARCHAR,
    rule VARCHAR, raw_value VARCHAR, loaded_at TIMESTAMP)"""


@dataclass(frozen=True)
class StagingResult:
    """Row accounting of one staging build: read = staged + quarantined + duplicates collapsed."""

    rows_read: int
    rows_staged: int
    rows_quarantined: int
    duplicates_collapsed: int


def build_staging_table(conn: duckdb.DuckDBPyConnection, spec: StagingSpec) -> StagingResult:
    """Rebuild ``staging.<kind>`` from ``raw.<kind>`` and refresh its quarantine entries, atomically."""
    install_sql_functions(conn)
    conn.execute(QUARANTINE_DDL)
    typed = ",\n".join(f"{expr} AS {name}" for name, expr in spec.columns.items())
    flags = ",\n".join(
        f"coalesce(({rule.failing_when}), false) AS _fail_{i}, CAST({rule.column} AS VARCHAR) AS _raw_{i}"
        for i, rule in enumerate(spec.rules)
    )
    conn.execute(
        f"""CREATE OR REPLACE TEMP TABLE _typed AS
            SELECT {typed}, {flags}, _source_file, _sheet, _row_number, _loaded_at
            FROM raw.{spec.kind}"""
    )
    any_failure = " OR ".join(f"_fail_{i}" for i in range(len(spec.rules))) or "false"
    quarantine_rows = "\nUNION ALL\n".join(
        f"""SELECT '{spec.kind}', _source_file, _sheet, _row_number, '{rule.column}', '{rule.rule}',
                   _raw_{i}, _loaded_at FROM _typed WHERE _fail_{i}"""
        for i, rule in enumerate(spec.rules)
    )
    key = ", ".join(spec.business_key)
    columns = ", ".join(spec.columns)
    conn.execute("BEGIN TRANSACTION")
    try:
        conn.execute("DELETE FROM quality.quarantine WHERE kind = ?", [spec.kind])
        if quarantine_rows:
            conn.execute(f"INSERT INTO quality.quarantine {quarantine_rows}")
        conn.execute(
            f"""CREATE OR REPLACE TABLE staging.{spec.kind} AS
                SELECT {columns}, _source_file, _sheet, _row_number, _loaded_at
                FROM _typed
                WHERE NOT ({any_failure})
                QUALIFY row_number() OVER (
                    PARTITION BY {key}
                    ORDER BY _loaded_at DESC, _source_file DESC, _sheet DESC NULLS LAST, _row_number DESC) = 1
                ORDER BY {key}"""
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    read, failed, staged = conn.execute(
        f"SELECT count(*), count(*) FILTER (WHERE {any_failure}), "
        f"(SELECT count(*) FROM staging.{spec.kind}) FROM _typed"
    ).fetchone()
    conn.execute("DROP TABLE _typed")
    return StagingResult(read, staged, failed, read - failed - staged)
