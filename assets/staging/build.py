"""Turning one raw table into its typed staging table, with failing rows sent to quarantine.

Which rows are used:

- Only the latest version of each delivered file: an export re-delivered under the same name
  (corrected) replaces the earlier version; the earlier version's rows count as superseded.
- Rows breaking a row rule go to ``quality.quarantine``; a quarantined row is marked resolved when a
  later delivery brings a valid row with the same business key, or when its file was re-delivered.
- Among the remaining rows, one per business key: the latest delivery wins. Later means a later
  load pass; within one pass, the file modified later, then the higher version its name states
  (``_file_sequence``, see ``assets.ingest.delivery_order``); file name and row only break ties
  between files that are the same on all of these, so that the result is always the same.

Every build records its row accounting in ``quality.reconciliation`` (per kind):
rows read = rows staged + rows quarantined + duplicates collapsed (duplicate deliveries, superseded
file versions and repeated business keys); and in ``quality.reconciliation_by_file`` per (kind,
file, sheet), where rows of files or sheets rejected whole count too:
rows read = rows staged + rows quarantined + rows collapsed + rows rejected.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from assets.common.quarantine import ensure_quarantine_table
from assets.staging.date_order import date_columns, in_date_order, with_date_order
from assets.staging.specs import ROW_CONTENT_ID, StagingSpec
from assets.staging.sql_functions import install_sql_functions

RECONCILIATION_DDL = """CREATE TABLE IF NOT EXISTS quality.reconciliation (
    kind VARCHAR PRIMARY KEY, rows_read BIGINT, rows_staged BIGINT, rows_quarantined BIGINT,
    duplicates_collapsed BIGINT, duplicate_delivery_rows BIGINT, superseded_rows BIGINT,
    repeated_key_rows BIGINT, built_at TIMESTAMP)"""
BY_FILE_DDL = """CREATE TABLE IF NOT EXISTS quality.reconciliation_by_file (
    kind VARCHAR, source_file VARCHAR, sheet VARCHAR, rows_read BIGINT, rows_staged BIGINT,
    rows_quarantined BIGINT, rows_collapsed BIGINT, rows_rejected BIGINT, duplicate_delivery_rows BIGINT,
    superseded_rows BIGINT, repeated_key_rows BIGINT, blank_rows BIGINT, note VARCHAR)"""
UNKNOWN_KIND = "unknown"
# Later delivery first: later load pass, then the file modified later, then the higher version in
# its name; file, sheet and row only make the order total (the same result on every run).
DELIVERY_ORDER = ("_loaded_at DESC, _file_modified_at DESC NULLS LAST, _file_sequence DESC NULLS LAST, "
                  "_source_file DESC, _sheet DESC NULLS LAST, _row_number DESC")


def _delivery(alias: str) -> str:
    """The delivery position of a row, comparable with ``>``: later pass, file modified later, higher version."""
    return (f"({alias}._loaded_at, coalesce({alias}._file_modified_at, TIMESTAMP '1970-01-01'), "
            f"coalesce({alias}._file_sequence, 0))")


@dataclass(frozen=True)
class StagingResult:
    """Row accounting of one staging build: read = staged + quarantined + duplicates collapsed."""

    rows_read: int
    rows_staged: int
    rows_quarantined: int
    duplicates_collapsed: int


def _literal(text: str) -> str:
    """A fixed rule text as an SQL string literal (quotes doubled)."""
    return "'" + text.replace("'", "''") + "'"


def _typed_select(conn: duckdb.DuckDBPyConnection, spec: StagingSpec) -> str:
    raw_columns = [
        name for name, *_ in conn.execute(f"DESCRIBE raw.{spec.kind}").fetchall() if not name.startswith("_")
    ]
    content_id = "'R' || left(md5(concat_ws(chr(31), " + ", ".join(
        f"coalesce(crm_text(\"{c}\"), '')" for c in raw_columns
    ) + ")), 16)"
    typed = ",\n".join(
        f"{in_date_order(expr.replace(ROW_CONTENT_ID, content_id))} AS {name}" for name, expr in spec.columns.items()
    )
    flags = ",\n".join(
        f"coalesce(({in_date_order(rule.failing_when)}), false) AS _fail_{i}, "
        f"CAST({rule.column} AS VARCHAR) AS _raw_{i}"
        for i, rule in enumerate(spec.rules)
    )
    dated = date_columns([*spec.columns.values(), *(rule.failing_when for rule in spec.rules)])
    return f"""
        WITH current_versions AS (
            SELECT source_file, sheet, arg_max(file_hash, loaded_at) AS file_hash
            FROM raw.load_log WHERE kind = '{spec.kind}' AND status = 'loaded' GROUP BY ALL
        )
        SELECT {typed}, {flags}, r._source_file, r._sheet, r._row_number, r._loaded_at,
               r._file_modified_at, r._file_sequence, v.file_hash IS NULL AS _superseded
        FROM {with_date_order(spec.source(), dated, spec.date_order)} r
        LEFT JOIN current_versions v
          ON v.source_file = r._source_file AND v.sheet IS NOT DISTINCT FROM r._sheet
         AND v.file_hash = r._file_hash"""


def build_staging_table(conn: duckdb.DuckDBPyConnection, spec: StagingSpec) -> StagingResult:
    """Rebuild ``staging.<kind>`` from ``raw.<kind>`` and refresh its quarantine entries, atomically."""
    install_sql_functions(conn)
    ensure_quarantine_table(conn)
    conn.execute(RECONCILIATION_DDL)
    conn.execute(BY_FILE_DDL)
    conn.execute(f"CREATE OR REPLACE TEMP TABLE _typed AS {_typed_select(conn, spec)}")
    any_failure = " OR ".join(f"_fail_{i}" for i in range(len(spec.rules))) or "false"
    key = ", ".join(spec.business_key)
    key_match = " AND ".join(f"s.{k} IS NOT DISTINCT FROM t.{k}" for k in spec.business_key)
    columns = ", ".join(spec.columns)
    conn.execute(
        f"""CREATE OR REPLACE TEMP TABLE _ranked AS
            SELECT *, row_number() OVER (PARTITION BY {key} ORDER BY {DELIVERY_ORDER}) AS _rank
            FROM _typed WHERE NOT ({any_failure}) AND NOT _superseded"""
    )
    quarantine_rows = "\nUNION ALL\n".join(
        f"""SELECT '{spec.kind}', t._source_file, t._sheet, t._row_number,
                   {_literal(rule.column)}, {_literal(rule.rule)}, t._raw_{i}, t._loaded_at, 'staging',
                   t._superseded OR s._source_file IS NOT NULL,
                   CASE WHEN t._superseded THEN t._source_file ELSE s._source_file END
            FROM _typed t
            LEFT JOIN _ranked s ON {key_match} AND s._rank = 1 AND {_delivery("s")} > {_delivery("t")}
            WHERE t._fail_{i}"""
        for i, rule in enumerate(spec.rules)
    )
    conn.execute("BEGIN TRANSACTION")
    try:
        conn.execute(
            f"""CREATE OR REPLACE TABLE staging.{spec.kind} AS
                SELECT {columns}, _source_file, _sheet, _row_number, _loaded_at
                FROM _ranked WHERE _rank = 1
                ORDER BY {key}"""
        )
        conn.execute("DELETE FROM quality.quarantine WHERE kind = ? AND stage = 'staging'", [spec.kind])
        if quarantine_rows:
            # in a fixed order: the window functions of the typed query (line numbers, date order)
            # leave its rows in no particular order, and reruns must give identical tables
            conn.execute(f"INSERT INTO quality.quarantine SELECT * FROM ({quarantine_rows}) "
                         "ORDER BY 2, 3 NULLS FIRST, 4, 5, 6")
        conn.execute(
            f"""UPDATE quality.quarantine q SET resolved = true, resolved_by_file = q.source_file
                WHERE q.kind = '{spec.kind}' AND q.stage = 'ingest' AND q.loaded_at < (
                    SELECT max(l.loaded_at) FROM raw.load_log l WHERE l.kind = q.kind AND l.status = 'loaded'
                    AND l.source_file = q.source_file AND l.sheet IS NOT DISTINCT FROM q.sheet)"""
        )
        result = _account(conn, spec.kind, any_failure)
        _account_by_file(conn, spec.kind, any_failure)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("DROP TABLE _typed")
    conn.execute("DROP TABLE _ranked")
    return result


def file_join(relation: str, alias: str) -> str:
    """LEFT JOIN of a per-(file, sheet) relation onto the file list ``f`` (sheet may be NULL)."""
    return (f"LEFT JOIN {relation} {alias} "
            f"ON {alias}.source_file = f.source_file AND {alias}.sheet IS NOT DISTINCT FROM f.sheet")


BY_FILE_SQL = """
WITH log AS (
    SELECT source_file, sheet,
           coalesce(sum(rows_read) FILTER (status = 'loaded'), 0) AS loaded_rows,
           coalesce(sum(rows_read) FILTER (status = 'duplicate_delivery'), 0) AS duplicate_rows,
           coalesce(sum(blank_rows) FILTER (status = 'loaded'), 0) AS blank_rows
    FROM raw.load_log WHERE kind = $kind GROUP BY ALL
),
rejected AS (
    SELECT source_file, sheet, coalesce(sum(rows_rejected), 0) AS rows_rejected,
           string_agg('rejected: ' || left(error, 300), ' | ' ORDER BY rejected_at, file_hash) AS note
    FROM quality.file_rejections WHERE coalesce(kind, 'unknown') = $kind GROUP BY ALL
),
staged AS (SELECT _source_file AS source_file, _sheet AS sheet, count(*) AS n FROM staging.{kind} GROUP BY ALL),
quarantined AS (
    SELECT source_file, sheet, count(*) AS n
    FROM (SELECT DISTINCT source_file, sheet, row_number, loaded_at FROM quality.quarantine WHERE kind = $kind)
    GROUP BY ALL
),
superseded AS (
    SELECT _source_file AS source_file, _sheet AS sheet, count(*) AS n FROM _typed
    WHERE NOT ({any_failure}) AND _superseded GROUP BY ALL
),
repeated AS (
    SELECT _source_file AS source_file, _sheet AS sheet, count(*) AS n FROM _ranked WHERE _rank > 1 GROUP BY ALL
),
files AS (SELECT source_file, sheet FROM log UNION SELECT source_file, sheet FROM rejected)
SELECT $kind, f.source_file, f.sheet,
       coalesce(l.loaded_rows, 0) + coalesce(l.duplicate_rows, 0) + coalesce(r.rows_rejected, 0),
       coalesce(s.n, 0), coalesce(q.n, 0),
       coalesce(l.duplicate_rows, 0) + coalesce(sp.n, 0) + coalesce(rp.n, 0),
       coalesce(r.rows_rejected, 0), coalesce(l.duplicate_rows, 0), coalesce(sp.n, 0), coalesce(rp.n, 0),
       coalesce(l.blank_rows, 0), r.note
FROM files f
{joins}
ORDER BY f.source_file, f.sheet NULLS FIRST
"""
BY_FILE_JOINS = "\n".join(file_join(relation, alias) for relation, alias in (
    ("log", "l"), ("rejected", "r"), ("staged", "s"), ("quarantined", "q"), ("superseded", "sp"), ("repeated", "rp")))

UNKNOWN_BY_FILE_SQL = """
SELECT 'unknown', source_file, sheet, coalesce(sum(rows_rejected), 0), 0, 0, 0, coalesce(sum(rows_rejected), 0),
       0, 0, 0, 0, string_agg('rejected: ' || left(error, 300), ' | ' ORDER BY rejected_at, file_hash)
FROM quality.file_rejections WHERE coalesce(kind, 'unknown') = 'unknown'
GROUP BY source_file, sheet ORDER BY source_file, sheet NULLS FIRST
"""


def _account_by_file(conn: duckdb.DuckDBPyConnection, kind: str, any_failure: str) -> None:
    """Refresh this kind's rows of ``quality.reconciliation_by_file`` (and those of files whose kind
    could not be told, which only rejections feed)."""
    conn.execute("DELETE FROM quality.reconciliation_by_file WHERE kind IN (?, ?)", [kind, UNKNOWN_KIND])
    by_file = BY_FILE_SQL.format(kind=kind, any_failure=any_failure, joins=BY_FILE_JOINS)
    conn.execute(f"INSERT INTO quality.reconciliation_by_file {by_file}", {"kind": kind})
    conn.execute(f"INSERT INTO quality.reconciliation_by_file {UNKNOWN_BY_FILE_SQL}")


def _account(conn: duckdb.DuckDBPyConnection, kind: str, any_failure: str) -> StagingResult:
    rows_read, duplicate_delivery_rows = conn.execute(
        "SELECT coalesce(sum(rows_read), 0), coalesce(sum(rows_read) FILTER (status = 'duplicate_delivery'), 0) "
        "FROM raw.load_log WHERE kind = ?",
        [kind],
    ).fetchone()
    superseded_valid, current_valid = conn.execute(
        f"SELECT count(*) FILTER (_superseded), count(*) FILTER (NOT _superseded) FROM _typed "
        f"WHERE NOT ({any_failure})"
    ).fetchone()
    staged = conn.execute(f"SELECT count(*) FROM staging.{kind}").fetchone()[0]
    quarantined = conn.execute(
        "SELECT count(*) FROM (SELECT DISTINCT source_file, sheet, row_number, loaded_at "
        "FROM quality.quarantine WHERE kind = ?)",
        [kind],
    ).fetchone()[0]
    repeated_keys = current_valid - staged
    collapsed = duplicate_delivery_rows + superseded_valid + repeated_keys
    conn.execute(
        "INSERT OR REPLACE INTO quality.reconciliation VALUES (?, ?, ?, ?, ?, ?, ?, ?, now())",
        [kind, rows_read, staged, quarantined, collapsed, duplicate_delivery_rows, superseded_valid, repeated_keys],
    )
    return StagingResult(int(rows_read), int(staged), int(quarantined), int(collapsed))
