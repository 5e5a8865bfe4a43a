"""The analysis date ("as of") every time-relative figure is computed for."""

from __future__ import annotations

from datetime import date

import duckdb

from assets.common.tables import table_exists


def resolve_as_of(conn: duckdb.DuckDBPyConnection, configured: date | None) -> date:
    """The configured as-of date, else the newest order date not later than today.

    Taking the date from the data keeps re-runs of the same exports identical and analyses an old
    export as of its own end. With no orders at all, today's date is used.
    """
    if configured is not None:
        return configured
    if table_exists(conn, "staging.sales_order_lines"):
        latest = conn.execute(
            "SELECT max(order_date) FROM staging.sales_order_lines WHERE order_date <= current_date"
        ).fetchall()[0][0]
        if latest is not None:
            return latest
    return conn.execute("SELECT current_date").fetchall()[0][0]
