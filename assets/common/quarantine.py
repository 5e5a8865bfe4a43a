"""The quarantine: rows that could not be used, with where they came from and why.

``quality.quarantine`` has one row per (export row, broken rule): kind, source_file, sheet,
row_number (as a spreadsheet shows it), column_name, rule, raw_value (the text as delivered),
loaded_at, stage (``ingest`` for text records of the wrong width and totals rows, ``staging`` for
rows breaking a staging rule), and resolved / resolved_by_file: a quarantined row counts as
resolved once a later delivery brings a valid row with the same business key.
"""

from __future__ import annotations

import duckdb

QUARANTINE_DDL = """CREATE TABLE IF NOT EXISTS quality.quarantine (
    kind VARCHAR, source_file VARCHAR, sheet VARCHAR, row_number BIGINT, column_name VARCHAR,
    rule VARCHAR, raw_value VARCHAR, loaded_at TIMESTAMP, stage VARCHAR, resolved BOOLEAN,
    resolved_by_file VARCHAR)"""


def ensure_quarantine_table(conn: duckdb.DuckDBPyConnection) -> None:
    """Create quality.quarantine if it does not exist yet."""
    conn.execute("CREATE SCHEMA IF NOT EXISTS quality")
    conn.execute(QUARANTINE_DDL)
