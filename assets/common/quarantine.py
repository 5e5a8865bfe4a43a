"""The quarantine: rows that could not be used, with where they came from and why.

``quality.quarantine`` has one row per (export row, broken rule): kind, source_file, sheet,
row_number (as a spreadsheet shows it), column_name, rule, raw_value (the text as delivered),
loaded_at, stage (``ingest`` for text records of the wrong width and totals rows, ``staging`` for
rows breaking a staging rule), and resolved / resolved_by_file: a quarantined row counts as
resolved once a later delivery brings a valid row with the same business key.
"""

from __future__ import annotations

import duckdb

from assets.common.sql import SqlFolder

SQL = SqlFolder(__file__)


def ensure_quarantine_table(conn: duckdb.DuckDBPyConnection) -> None:
    """Create quality.quarantine if it does not exist yet."""
    SQL.run(conn, "quarantine")
